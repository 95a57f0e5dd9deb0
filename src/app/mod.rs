//! The application: `serve` wires channels, HTTP and workers; the demo; a command's failure as one
//! localized line.

pub mod demo;
pub mod error;
pub mod serve;
