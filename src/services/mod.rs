//! The services: each rule a citizen, an official, an intake client or an admin meets, written
//! once for every channel. They know storage and the core, never a channel or HTTP.

pub mod admin;
pub mod citizens;
pub mod conversation;
pub mod delivery;
pub mod intake;
pub mod intake_clients;
pub mod officials;
pub mod startup;
