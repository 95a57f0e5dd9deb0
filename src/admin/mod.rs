//! Admins: authentication helpers, agency import, and the web console at `/admin`.

pub mod auth;
pub mod import;
pub mod web;
