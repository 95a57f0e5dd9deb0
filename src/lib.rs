//! sipas-bot: citizens rate public administrative services (the SIPAS index) in the chat app they
//! already use, right after their dossier is completed.
//!
//! The core is pure: [`flow`] (question flows as data), [`survey`] (the engine), [`scoring`]
//! (the indices), [`i18n`] and [`prompt`] (words and formats). [`storage`] is the one place that
//! speaks SQL. [`conversation`] joins engine and storage for every channel; [`channels`] and
//! [`cli`] are the edges.

pub mod admin;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod demo;
pub mod error;
pub mod flow;
pub mod http;
pub mod i18n;
pub mod intake;
pub mod metrics;
pub mod prompt;
pub mod qr;
pub mod report;
pub mod scoring;
pub mod serve;
pub mod storage;
pub mod summary;
pub mod survey;
pub mod weekly;
