//! Subcommands. Each file owns one subcommand: its `Args` (clap) and `run`.

pub mod alerts;
pub mod analyze;
pub mod demo;
pub mod eval;
pub mod export;
pub mod incidents;
pub mod serve;
pub mod simulate;
pub mod user;
pub mod verdict;

/// Exit codes (documented in README.md):
/// 0 success, 1 runtime failure, 2 usage or configuration error, 3 input damaged
/// (with `--strict`), 4 not implemented yet.
pub mod code {
    /// Runtime failure (I/O, store).
    pub const FAILURE: u8 = 1;
    /// Usage or configuration error.
    pub const USAGE: u8 = 2;
    /// Damaged input under `--strict`.
    pub const DAMAGED: u8 = 3;
    /// The feature is not implemented yet.
    pub const UNIMPLEMENTED: u8 = 4;
}

/// Error for features that are not built yet: a clear message and exit code 4.
#[derive(Debug)]
pub struct NotImplemented(pub &'static str);

impl std::fmt::Display for NotImplemented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`otwatch {}` is not implemented yet", self.0)
    }
}
impl std::error::Error for NotImplemented {}

/// Error for usage/configuration problems (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// Error for damaged input under `--strict` (exit code 3).
#[derive(Debug)]
pub struct DamagedInput(pub String);

impl std::fmt::Display for DamagedInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DamagedInput {}

/// Maps an error to the documented exit code.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<NotImplemented>().is_some() {
        code::UNIMPLEMENTED
    } else if e.downcast_ref::<UsageError>().is_some() {
        code::USAGE
    } else if e.downcast_ref::<DamagedInput>().is_some() {
        code::DAMAGED
    } else {
        code::FAILURE
    }
}
