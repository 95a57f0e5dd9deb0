//! The integration tests, as one test binary with a module per area: one link of the library
//! instead of one per file, so `cargo test` builds quickly after a change.
//!
//! `common` holds the support every area shares: fresh databases on both backends, the fake
//! Telegram Bot API server, the in-process `serve` harness and the WebDriver client.

mod common;

mod admin;
mod browser;
mod cli;
mod delivery;
mod fake_telegram;
mod health;
mod instances;
mod intake;
mod intake_clients;
mod lanes;
mod layering;
mod locales;
mod officials;
mod storage;
mod telegram;
mod themes;
mod totals;
mod weighted;
mod withdrawal;
mod zalo;
mod zalo_flow;
