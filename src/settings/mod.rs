//! What every layer above the core reads once and shares: typed settings ([`config`]), the
//! Prometheus facade ([`metrics`]) and the workers' heartbeats and supervision ([`health`]).

pub mod config;
pub mod health;
pub mod metrics;
