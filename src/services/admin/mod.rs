//! Admins: authentication helpers and agency import (the console at `/admin` is `web::console`).

pub mod auth;
pub mod import;
