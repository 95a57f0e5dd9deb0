//! sipas-bot: citizens rate public administrative services (the SIPAS index) in the chat app they
//! already use, right after their dossier is completed.
//!
//! The core is pure: [`flow`] (question flows as data), [`survey`] (the engine), [`scoring`]
//! (the indices), [`agency`] (the agency tree), [`i18n`] and [`prompt`] (words and formats).
//! [`storage`] is the one place that speaks SQL; [`startup`] opens it. [`conversation`] joins
//! engine and storage for every channel; [`channels`] and [`http`] are the edges, [`cli`] the
//! outermost layer, which only `main.rs` uses. ARCHITECTURE.md ("Layers and rules") states the
//! direction; `tests/layering.rs` checks it.

pub mod admin;
pub mod agency;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod flow;
pub mod http;
pub mod i18n;
pub mod intake;
pub mod intake_clients;
pub mod metrics;
pub mod officials;
pub mod prompt;
pub mod qr;
pub mod report;
pub mod scoring;
pub mod serve;
pub mod startup;
pub mod storage;
pub mod summary;
pub mod survey;
