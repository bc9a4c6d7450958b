//! What the console reads and writes: the [`ConsoleData`] trait and its records.
//!
//! The console never talks SQL. Pages and API handlers go through this trait, which
//! `otwatch-store`'s `Store` implements (see `store_impl.rs`); tests and early
//! development use [`crate::memory::MemoryData`]. Times are epoch seconds (`f64`),
//! the same unit as `Alert::ts`.

use crate::Result;
use otwatch_core::{Alert, Severity, VerdictKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A console role. Ordered: a higher role can do everything a lower one can.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read-only access to every page.
    Viewer,
    /// Viewer plus triage of alerts and incidents.
    Analyst,
    /// Analyst plus users, tokens and settings.
    Admin,
}

impl Role {
    /// All roles, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Analyst, Role::Admin];
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?} (admin, analyst, viewer)"))
    }
}

/// A console account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Login name (unique).
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The password was set by someone else (first start, admin reset) and must be
    /// changed at the next login.
    pub must_change_password: bool,
    /// Creation time.
    pub created: f64,
    /// Last successful login, if any.
    pub last_login: Option<f64>,
}

/// A server-side session. The cookie holds the token; the store holds only its hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// SHA-256 of the session token, hex.
    pub token_hash: String,
    /// The user it belongs to.
    pub user: String,
    /// Per-session CSRF token (sent back on every state-changing request).
    pub csrf: String,
    /// When the session was created (absolute timeout counts from here).
    pub created: f64,
    /// Last request (idle timeout counts from here).
    pub last_seen: f64,
    /// Client address at login.
    pub ip: String,
}

/// An API token for scripts (`Authorization: Bearer`). Stored hashed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    /// Public identifier (shown in lists, used to revoke).
    pub id: String,
    /// Human label.
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// The user it acts as.
    pub user: String,
    /// Role granted (never above the creator's).
    pub role: Role,
    /// Creation time.
    pub created: f64,
}

/// One audit-log line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Store-assigned sequence number (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// Wall-clock time.
    pub ts: f64,
    /// Who acted (user name, `cli`, or the attempted name for a failed login).
    pub actor: String,
    /// Stable snake_case action (`login`, `login_failed`, `logout`, `password_change`,
    /// `user_add`, `user_delete`, `token_create`, `alert_triage`, ...).
    pub action: String,
    /// What was acted on (user name, alert id, ...).
    pub target: String,
    /// Free-form detail.
    pub detail: String,
    /// Client address.
    pub ip: String,
}

/// Triage state of an alert or incident.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageState {
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// Assigned analyst, if any.
    pub assignee: Option<String>,
    /// Verdict given at resolution, if any.
    pub verdict: Option<VerdictKind>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

/// One triage comment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// When.
    pub ts: f64,
    /// Who.
    pub author: String,
    /// Text.
    pub text: String,
}

/// A triage action from the console.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TriageAction {
    /// Mark as seen.
    Acknowledge,
    /// Assign to a user (`None` unassigns).
    Assign {
        /// The assignee.
        assignee: Option<String>,
    },
    /// Add a comment.
    Comment {
        /// The text.
        text: String,
    },
    /// Resolve with a verdict ("expected"/"new_normal" teach the model).
    Resolve {
        /// The verdict.
        verdict: VerdictKind,
        /// Optional comment.
        #[serde(default)]
        comment: String,
    },
    /// Undo the last verdict and reopen.
    Reopen,
}

impl TriageAction {
    /// The stable snake_case name (for the audit log).
    pub fn name(&self) -> &'static str {
        match self {
            TriageAction::Acknowledge => "acknowledge",
            TriageAction::Assign { .. } => "assign",
            TriageAction::Comment { .. } => "comment",
            TriageAction::Resolve { .. } => "resolve",
            TriageAction::Reopen => "reopen",
        }
    }
}

/// An alert with its triage state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// The alert as the engine raised it.
    #[serde(flatten)]
    pub alert: Alert,
    /// Triage.
    pub triage: TriageState,
    /// Incident it belongs to, if any.
    pub incident_id: Option<String>,
}

/// Sort keys for alert lists.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSort {
    /// Newest first (default).
    #[default]
    Time,
    /// Highest score first.
    Score,
    /// By kind.
    Kind,
}

/// Filter and paging for alert lists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// Minimum score.
    pub min_score: Option<u8>,
    /// Exact severity.
    pub severity: Option<Severity>,
    /// Exact kind.
    pub kind: Option<String>,
    /// Triage status (`open`, `acknowledged`, `resolved`).
    pub status: Option<String>,
    /// Alerts touching this device id or address.
    pub device: Option<String>,
    /// Substring of summary, src, dst or kind.
    pub text: Option<String>,
    /// Sort key.
    pub sort: AlertSort,
    /// Ascending instead of the key's natural order.
    pub ascending: bool,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// One page of results with the total count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Matching rows in total.
    pub total: u64,
    /// This page.
    pub items: Vec<T>,
}

/// A device involved in an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentDevice {
    /// Device id (for links).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
}

/// A correlated incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Score 0–100.
    pub score: u8,
    /// First alert time.
    pub first_ts: f64,
    /// Last alert time.
    pub last_ts: f64,
    /// ATT&CK for ICS tactics in order of appearance.
    pub tactics: Vec<String>,
    /// Plain-language narrative paragraphs.
    pub narrative: Vec<String>,
    /// Recommended next actions.
    pub next_actions: Vec<String>,
    /// Devices involved.
    pub devices: Vec<IncidentDevice>,
    /// Alert ids, in time order.
    pub alert_ids: Vec<String>,
    /// Triage.
    pub triage: TriageState,
}

/// Filter and paging for incidents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentQuery {
    /// Triage status.
    pub status: Option<String>,
    /// Exact severity.
    pub severity: Option<Severity>,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// Pattern-of-life summary of one device, as far as the engine persisted it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternOfLife {
    /// Packets per hour of day (UTC), 24 entries, when known.
    #[serde(default)]
    pub activity_by_hour: Vec<u64>,
    /// Polling relationships with their learned period.
    #[serde(default)]
    pub polling: Vec<PollingPeriod>,
    /// Learned value ranges per register or point.
    #[serde(default)]
    pub values: Vec<ValueRange>,
}

/// One learned polling relationship.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PollingPeriod {
    /// The other side.
    pub peer: String,
    /// Protocol.
    pub proto: String,
    /// Mean period in seconds.
    pub period_s: f64,
    /// Standard deviation of the period in seconds.
    pub jitter_s: f64,
    /// Observations behind the estimate.
    pub samples: u64,
}

/// One learned value range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueRange {
    /// Register or point name.
    pub point: String,
    /// Minimum seen.
    pub min: f64,
    /// Maximum seen.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Observations.
    pub samples: u64,
}

/// One device of the inventory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Stable id (MAC or IP for devices seen only behind a router).
    pub id: String,
    /// Best display name.
    pub name: String,
    /// MAC address, if seen.
    pub mac: Option<String>,
    /// IP addresses.
    pub ips: Vec<String>,
    /// Vendor from the OUI or protocol identity.
    pub vendor: String,
    /// Product, model or firmware strings from protocol answers.
    pub identity: Vec<(String, String)>,
    /// Inferred role (`plc`, `hmi`, `historian`, `engineering_workstation`, ...).
    pub role: String,
    /// Confidence 0–1.
    pub role_confidence: f64,
    /// Why the role was inferred.
    pub role_reasons: Vec<String>,
    /// Zone name.
    pub zone: String,
    /// Protocols spoken as client.
    pub client_protocols: Vec<String>,
    /// Protocols served.
    pub server_protocols: Vec<String>,
    /// First seen.
    pub first_seen: f64,
    /// Last seen.
    pub last_seen: f64,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Still in its learning period.
    pub learning: bool,
    /// Pattern of life, when the engine persisted one.
    pub pattern: Option<PatternOfLife>,
}

/// Filter and paging for devices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceQuery {
    /// Substring of name, id, IPs, vendor or role.
    pub text: Option<String>,
    /// Exact role.
    pub role: Option<String>,
    /// Exact zone.
    pub zone: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// A device pair with what it speaks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// Client device id.
    pub src: String,
    /// Server device id.
    pub dst: String,
    /// Protocol.
    pub proto: String,
    /// Operation classes seen (`read`, `write`, ...).
    pub ops: Vec<String>,
    /// Transactions or flows.
    pub count: u64,
    /// Bytes.
    pub bytes: u64,
    /// First seen.
    pub first_seen: f64,
    /// Last seen.
    pub last_seen: f64,
    /// Appeared after the learning period (a new edge).
    pub new: bool,
}

/// One air-gap finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AirgapEntry {
    /// Why it is a finding (`ot_to_it`, `public_address`, `remote_access`, ...).
    pub reason: String,
    /// Source device or address.
    pub src: String,
    /// Destination device or address.
    pub dst: String,
    /// Protocol.
    pub proto: String,
    /// First seen.
    pub first_seen: f64,
    /// Last seen.
    pub last_seen: f64,
    /// Bytes.
    pub bytes: u64,
    /// Human detail.
    pub detail: String,
}

/// The air-gap report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AirgapReport {
    /// True when no crossing was found.
    pub holds: bool,
    /// One-sentence verdict.
    pub verdict: String,
    /// Findings.
    pub entries: Vec<AirgapEntry>,
    /// Convergence points (dual-homed devices).
    pub convergence_points: Vec<String>,
}

/// Counts for the overview page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Devices in total.
    pub devices: u64,
    /// Devices per role.
    pub devices_by_role: Vec<(String, u64)>,
    /// Devices per zone.
    pub devices_by_zone: Vec<(String, u64)>,
    /// Devices still learning.
    pub devices_learning: u64,
    /// Alerts in total.
    pub alerts: u64,
    /// Open alerts.
    pub alerts_open: u64,
    /// Open incidents per severity (`low`..`critical`).
    pub open_incidents_by_severity: Vec<(String, u64)>,
    /// Alerts per time bucket: (bucket start, count).
    pub alerts_over_time: Vec<(f64, u64)>,
    /// Connections in total.
    pub connections: u64,
    /// First and last packet time in the store.
    pub data_span: Option<(f64, f64)>,
    /// Sensor health lines (name, value).
    pub sensor: Vec<(String, String)>,
}

/// Everything the console needs from the store. Implementations must be cheap to
/// call from request handlers (indexed queries, paging) and safe to share.
pub trait ConsoleData: Send + Sync + 'static {
    /// One user by name.
    fn user_get(&self, name: &str) -> Result<Option<UserRecord>>;
    /// All users, by name.
    fn user_list(&self) -> Result<Vec<UserRecord>>;
    /// Inserts or replaces a user.
    fn user_put(&self, user: &UserRecord) -> Result<()>;
    /// Deletes a user; false when absent.
    fn user_delete(&self, name: &str) -> Result<bool>;

    /// Stores a session.
    fn session_put(&self, s: &SessionRecord) -> Result<()>;
    /// One session by token hash.
    fn session_get(&self, token_hash: &str) -> Result<Option<SessionRecord>>;
    /// Deletes a session.
    fn session_delete(&self, token_hash: &str) -> Result<()>;
    /// Deletes every session of a user (password change, deletion).
    fn session_delete_user(&self, user: &str) -> Result<()>;

    /// Stores an API token.
    fn token_put(&self, t: &ApiTokenRecord) -> Result<()>;
    /// One API token by secret hash.
    fn token_get(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>>;
    /// All API tokens.
    fn token_list(&self) -> Result<Vec<ApiTokenRecord>>;
    /// Revokes a token by id; false when absent.
    fn token_delete(&self, id: &str) -> Result<bool>;

    /// Appends to the audit log.
    fn audit_append(&self, e: &AuditEntry) -> Result<()>;
    /// Audit entries, newest first.
    fn audit_list(&self, limit: usize, offset: usize) -> Result<Page<AuditEntry>>;

    /// A setting.
    fn setting_get(&self, key: &str) -> Result<Option<String>>;
    /// Sets a setting.
    fn setting_put(&self, key: &str, value: &str) -> Result<()>;

    /// Overview counts; `bucket_secs` sizes the alerts-over-time buckets.
    fn overview(&self, bucket_secs: f64) -> Result<Overview>;
    /// Alerts matching a query.
    fn alerts(&self, q: &AlertQuery) -> Result<Page<AlertRecord>>;
    /// One alert.
    fn alert(&self, id: &str) -> Result<Option<AlertRecord>>;
    /// Applies a triage action; false when the alert does not exist.
    fn alert_triage(&self, id: &str, action: &TriageAction, actor: &str, ts: f64) -> Result<bool>;
    /// Incidents matching a query.
    fn incidents(&self, q: &IncidentQuery) -> Result<Page<IncidentRecord>>;
    /// One incident.
    fn incident(&self, id: &str) -> Result<Option<IncidentRecord>>;
    /// Applies a triage action to an incident (and its alerts); false when absent.
    fn incident_triage(
        &self,
        id: &str,
        action: &TriageAction,
        actor: &str,
        ts: f64,
    ) -> Result<bool>;
    /// Devices matching a query.
    fn devices(&self, q: &DeviceQuery) -> Result<Page<DeviceRecord>>;
    /// One device.
    fn device(&self, id: &str) -> Result<Option<DeviceRecord>>;
    /// Connections, all or those touching one device id; at most `limit`.
    fn connections(&self, device: Option<&str>, limit: usize) -> Result<Vec<ConnectionRecord>>;
    /// The latest air-gap report, if one was computed.
    fn airgap(&self) -> Result<Option<AirgapReport>>;
}
