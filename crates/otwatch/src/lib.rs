//! otwatch as a library: the subcommands, the analysis report and the appliance
//! runtime, so integration tests and the console can drive them directly.

pub mod appliance;
pub mod cmd;
pub mod persist;
pub mod report;
