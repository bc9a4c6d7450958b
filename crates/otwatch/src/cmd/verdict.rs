//! `otwatch verdict`: record (or undo) an analyst's verdict on an alert.
//!
//! "expected" and "new_normal" teach the model: the engine applies the verdicts in
//! force when it starts or restores from the store (see `docs/store.md`).

use super::UsageError;
use super::alerts::open_existing;
use otwatch_core::VerdictKind;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otwatch verdict`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The alert's id (see `otwatch alerts`).
    pub alert_id: String,
    /// `expected`, `new_normal`, `malicious` or `false_positive` (not with `--undo`).
    pub verdict: Option<String>,
    /// The store.
    #[arg(long)]
    pub db: PathBuf,
    /// A comment kept with the verdict.
    #[arg(long, default_value = "")]
    pub comment: String,
    /// Undo the verdict in force and reopen the alert.
    #[arg(long)]
    pub undo: bool,
    /// Who gives the verdict (recorded in the audit log).
    #[arg(long, default_value = "cli")]
    pub actor: String,
}

/// Wall-clock time of the analyst's action.
#[expect(
    clippy::disallowed_methods,
    reason = "an analyst's action is stamped with wall-clock time, not packet time"
)]
fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Runs `otwatch verdict`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kind = match (&args.verdict, args.undo) {
        (Some(v), false) => Some(v.parse::<VerdictKind>().map_err(UsageError)?),
        (None, true) => None,
        (Some(_), true) => return Err(UsageError("--undo takes no verdict".into()).into()),
        (None, false) => {
            return Err(UsageError(
                "a verdict is required: expected, new_normal, malicious or false_positive".into(),
            )
            .into());
        }
    };
    let store = open_existing(&args.db)?;
    if store.alert(&args.alert_id)?.is_none() {
        return Err(UsageError(format!(
            "no alert {} in {}",
            args.alert_id,
            args.db.display()
        ))
        .into());
    }
    let ts = now();
    match kind {
        Some(k) => {
            let v = store.verdict(&args.alert_id, k, &args.comment, &args.actor, ts)?;
            let effect = if k.feeds_model() {
                "the model learns this behaviour at its next start or restore"
            } else if k == VerdictKind::Malicious {
                "the behaviour stays flagged"
            } else {
                "recorded; the model is unchanged"
            };
            println!(
                "alert {}: {} (verdict #{}); {effect}",
                v.alert_id, v.verdict, v.id
            );
        }
        None => match store.undo_verdict(&args.alert_id, &args.actor, ts)? {
            Some(v) => println!(
                "alert {}: verdict {} (#{}) undone; alert reopened",
                v.alert_id, v.verdict, v.id
            ),
            None => println!(
                "alert {}: no verdict in force; alert reopened",
                args.alert_id
            ),
        },
    }
    Ok(ExitCode::SUCCESS)
}
