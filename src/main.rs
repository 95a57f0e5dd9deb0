//! The `sipas-bot` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = sipas_bot::cli::Cli::parse();
    sipas_bot::cli::run(cli)
}
