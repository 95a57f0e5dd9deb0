//! The integration tests, as one test binary with a module per area: one link of the library
//! instead of one per file, so `cargo test` builds quickly after a change.
//!
//! `common` holds the support every area shares: fresh databases on both backends, the fake
//! Telegram Bot API server, the in-process `serve` harness and the WebDriver client.

mod common;

mod admin;
mod browser;
mod citizens_telegram;
mod citizens_zalo;
mod cli;
mod delivery;
mod fake_telegram;
mod flow_guards;
mod health;
mod health_write;
mod instances;
mod intake;
mod intake_clients;
mod lanes;
mod layering;
mod listener;
mod locales;
mod officials;
mod report_cooldown;
mod restart;
mod retention_reach;
mod sign_in;
mod sqlite_mode;
mod storage;
mod telegram;
mod tenants;
mod themes;
mod totals;
mod wakes;
mod weighted;
mod withdrawal;
mod zalo;
mod zalo_check;
mod zalo_console;
mod zalo_errors;
mod zalo_flow;
mod zalo_token;
