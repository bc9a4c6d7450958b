//! otwatch command-line entry point: parses arguments, runs a subcommand, and maps
//! errors to exit codes (see README.md, "Exit codes").

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use otwatch::cmd;

/// Passive OT network monitor.
#[derive(Parser, Debug)]
#[command(name = "otwatch", version, about = "Passive OT network monitor", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyze capture files: inventory, learning, detection; prints a report.
    Analyze(cmd::analyze::Args),
    /// Simulate a plant (with labeled attacks) into a pcap.
    Simulate(cmd::simulate::Args),
    /// Simulate a plant, analyze it and show the result (the built-in default).
    Demo(cmd::demo::Args),
    /// Score alerts against labeled attack windows.
    Eval(cmd::eval::Args),
    /// List alerts from a store.
    Alerts(cmd::alerts::Args),
    /// List incidents from a store.
    Incidents(cmd::incidents::Args),
    /// Record an analyst's verdict on an alert.
    Verdict(cmd::verdict::Args),
    /// Export alerts for a SIEM (CEF, JSON lines, syslog).
    Export(cmd::export::Args),
    /// Run the appliance: capture or replay, engine, HTTPS console.
    Serve(cmd::serve::Args),
    /// Manage console accounts.
    User(cmd::user::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Analyze(a) => cmd::analyze::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Alerts(a) => cmd::alerts::run(a),
        Command::Incidents(a) => cmd::incidents::run(a),
        Command::Verdict(a) => cmd::verdict::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::User(a) => cmd::user::run(a),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("otwatch: error: {e:#}");
            ExitCode::from(cmd::exit_code(&e))
        }
    }
}
