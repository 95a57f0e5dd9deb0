//! The pure core: question flows as data ([`flow`]), the survey engine ([`survey`]), the indices
//! ([`scoring`]), the officials' summaries ([`summary`]), the agency tree ([`agency`]), words and
//! formats ([`i18n`], [`prompt`]), Vietnamese mobile numbers ([`phone`]), the clock and QR codes. **No I/O**: nothing here names storage,
//! a service, a channel or HTTP (`tests/layering.rs` checks it).

pub mod agency;
pub mod clock;
pub mod flow;
pub mod i18n;
pub mod phone;
pub mod prompt;
pub mod qr;
pub mod scoring;
pub mod summary;
pub mod survey;
