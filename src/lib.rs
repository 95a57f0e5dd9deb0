//! sipas-bot: citizens rate public administrative services (the SIPAS index) in the chat app they
//! already use, right after their dossier is completed.
//!
//! The folders are the layers of ARCHITECTURE.md ("Layers and rules"), outermost last:
//! [`core`] is pure (flows, the survey engine, scoring, summaries, the agency tree, words and
//! formats); [`settings`] is read once and shared; [`storage`] is the one place that speaks SQL;
//! [`services`] hold the rules (citizens' conversation, officials, intake, delivery, admins);
//! [`channels`] and [`web`] are the edges; [`app`] wires them; [`cli`] is the outermost layer,
//! which only `main.rs` uses. `tests/layering.rs` checks the direction.

pub mod app;
pub mod channels;
pub mod cli;
pub mod core;
pub mod services;
pub mod settings;
pub mod storage;
pub mod web;
