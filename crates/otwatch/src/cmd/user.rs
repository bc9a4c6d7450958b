//! `otwatch user`.

use std::process::ExitCode;

/// Arguments of `otwatch user`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `otwatch user`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    Err(super::NotImplemented("user").into())
}
