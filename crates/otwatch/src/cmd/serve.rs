//! `otwatch serve`.

use std::process::ExitCode;

/// Arguments of `otwatch serve`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `otwatch serve`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    Err(super::NotImplemented("serve").into())
}
