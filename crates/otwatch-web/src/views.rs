//! Askama templates (`templates/*.html`) and the small helpers they call.

use crate::data::*;
use crate::mw::Principal;
use askama::Template;

/// A number passed from a template, by value or through references (askama passes
/// fields by reference and computed values by value).
pub trait Num<T> {
    /// The value.
    fn get(&self) -> T;
}
macro_rules! num_impl {
    ($($t:ty),*) => {$(
        impl Num<$t> for $t { fn get(&self) -> $t { *self } }
        impl Num<$t> for &$t { fn get(&self) -> $t { **self } }
        impl Num<$t> for &&$t { fn get(&self) -> $t { ***self } }
    )*};
}
num_impl!(f64, u64, u8);

/// What every page's layout needs: the user, their role, the CSRF token and the
/// active section.
pub struct Ctx {
    /// User name.
    pub user: String,
    /// Role name.
    pub role: String,
    /// CSRF token for forms and htmx.
    pub csrf: String,
    /// Active navigation entry.
    pub active: &'static str,
    /// Analyst or admin (triage allowed).
    pub can_triage: bool,
    /// Admin.
    pub is_admin: bool,
}

impl Ctx {
    /// The context for `p` on section `active`.
    pub fn new(p: &Principal, active: &'static str) -> Self {
        Ctx {
            user: p.user.clone(),
            role: p.role.to_string(),
            csrf: p.csrf().to_owned(),
            active,
            can_triage: p.role >= Role::Analyst,
            is_admin: p.role >= Role::Admin,
        }
    }
    /// `htmx` headers attribute value carrying the CSRF token.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ crate::mw::CSRF_HEADER: self.csrf }).to_string()
    }
    /// `nav-active` when `name` is the active section.
    pub fn nav(&self, name: &str) -> &'static str {
        if self.active == name { "active" } else { "" }
    }
    /// Formats epoch seconds.
    pub fn ts(&self, t: impl Num<f64>) -> String {
        crate::fmt::ts(t.get())
    }
    /// Formats bytes.
    pub fn bytes(&self, n: impl Num<u64>) -> String {
        crate::fmt::bytes(n.get())
    }
    /// Formats a duration.
    pub fn dur(&self, s: impl Num<f64>) -> String {
        crate::fmt::duration(s.get())
    }
    /// Percentage of `a` in `b`.
    pub fn pct(&self, a: impl Num<u64>, b: impl Num<u64>) -> u64 {
        let (a, b) = (a.get(), b.get());
        a.saturating_mul(100).checked_div(b).unwrap_or(0)
    }
    /// Joins strings.
    pub fn join(&self, v: &[String]) -> String {
        v.join(", ")
    }
    /// A URL path segment, percent-encoded.
    pub fn enc(&self, s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
    /// Severity CSS class of a score.
    pub fn sev_of(&self, score: impl Num<u8>) -> &'static str {
        otwatch_core::Severity::from_score(score.get()).as_str()
    }
    /// Verdict name or `-`.
    pub fn verdict(&self, t: &TriageState) -> String {
        t.verdict.map_or_else(|| "-".into(), |v| v.as_str().into())
    }
}

/// Sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Error shown above the form.
    pub error: String,
    /// Where to go after login.
    pub next: String,
}

/// Password change page.
#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    /// Layout context.
    pub ctx: Ctx,
    /// The change is forced (one-time password).
    pub forced: bool,
    /// Error shown above the form.
    pub error: String,
}

/// Error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout context (absent when not signed in).
    pub ctx: Option<Ctx>,
    /// Status line.
    pub title: String,
    /// Message.
    pub message: String,
}

/// Overview.
#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Counts.
    pub o: Overview,
    /// Air-gap report.
    pub airgap: Option<AirgapReport>,
    /// Open incidents in total.
    pub open_incidents: u64,
    /// Newest open incidents.
    pub incidents: Vec<IncidentRecord>,
    /// Newest high-score alerts.
    pub top_alerts: Vec<AlertRecord>,
    /// JSON for the alerts-over-time chart (`[[t...],[n...]]`).
    pub chart: String,
}

/// Alert list.
#[derive(Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Rows.
    pub page: Page<AlertRecord>,
    /// Current filter, echoed into the form.
    pub f: crate::api::AlertParams,
    /// Query string without sort/order/offset, for header and pager links.
    pub base_qs: String,
    /// Offset of the previous page, if any.
    pub prev: Option<usize>,
    /// Offset of the next page, if any.
    pub next: Option<usize>,
    /// Current sort key.
    pub sort: String,
    /// Current order.
    pub order: String,
}

/// One alert.
#[derive(Template)]
#[template(path = "alert.html")]
pub struct AlertDetailPage {
    /// Layout context.
    pub ctx: Ctx,
    /// The alert.
    pub a: AlertRecord,
    /// Evidence as (key, rendered value), baseline first.
    pub evidence: Vec<(String, String)>,
    /// Technique ids with names where known.
    pub techniques: Vec<(String, String)>,
    /// Users, for the assign select.
    pub users: Vec<String>,
    /// Triage form target.
    pub action_url: String,
    /// Triage state (for the shared triage form).
    pub triage: TriageState,
    /// Device ids of src and dst when they are in the inventory.
    pub src_dev: Option<String>,
    /// See `src_dev`.
    pub dst_dev: Option<String>,
}

/// Incident list.
#[derive(Template)]
#[template(path = "incidents.html")]
pub struct IncidentsPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Rows.
    pub page: Page<IncidentRecord>,
    /// Status filter.
    pub status: String,
}

/// One incident.
#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentDetailPage {
    /// Layout context.
    pub ctx: Ctx,
    /// The incident.
    pub i: IncidentRecord,
    /// Its alerts, in time order (at most 200).
    pub timeline: Vec<AlertRecord>,
    /// Users, for the assign select.
    pub users: Vec<String>,
    /// Triage form target.
    pub action_url: String,
    /// Triage state (for the shared triage form).
    pub triage: TriageState,
}

/// Asset inventory.
#[derive(Template)]
#[template(path = "assets.html")]
pub struct AssetsPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Rows.
    pub page: Page<DeviceRecord>,
    /// Search text.
    pub q: String,
    /// Role filter.
    pub role: String,
    /// Zone filter.
    pub zone: String,
    /// Known roles and zones for the selects.
    pub roles: Vec<String>,
    /// See `roles`.
    pub zones: Vec<String>,
    /// Pager offsets.
    pub prev: Option<usize>,
    /// See `prev`.
    pub next: Option<usize>,
    /// Query string without offset.
    pub base_qs: String,
}

/// One device.
#[derive(Template)]
#[template(path = "device.html")]
pub struct DevicePage {
    /// Layout context.
    pub ctx: Ctx,
    /// The device.
    pub d: DeviceRecord,
    /// Its connections: (other device id, other name, direction, connection).
    pub peers: Vec<(String, String, &'static str, ConnectionRecord)>,
    /// Recent alerts touching it.
    pub alerts: Vec<AlertRecord>,
    /// Alerts touching it in total.
    pub alerts_total: u64,
    /// JSON for the activity-by-hour chart, empty when not stored.
    pub hours_chart: String,
}

/// Network map.
#[derive(Template)]
#[template(path = "map.html")]
pub struct MapPage {
    /// Layout context.
    pub ctx: Ctx,
}

/// Air-gap report.
#[derive(Template)]
#[template(path = "airgap.html")]
pub struct AirgapPage {
    /// Layout context.
    pub ctx: Ctx,
    /// The report.
    pub r: Option<AirgapReport>,
}

/// Administration.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Users.
    pub users: Vec<UserRecord>,
    /// API tokens.
    pub tokens: Vec<ApiTokenRecord>,
    /// A token secret just created (shown once).
    pub new_token: String,
    /// Settings: (key, label, value).
    pub settings: Vec<(String, String, String)>,
    /// Zones: (name, level, CIDRs).
    pub zones: Vec<(String, String, String)>,
    /// Certificate fingerprint.
    pub fingerprint: String,
    /// Certificate source.
    pub cert_source: String,
    /// Database path.
    pub db_path: String,
    /// Latest audit entries.
    pub audit: Vec<AuditEntry>,
}

/// Audit log.
#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    /// Layout context.
    pub ctx: Ctx,
    /// Rows.
    pub page: Page<AuditEntry>,
    /// Pager offsets.
    pub prev: Option<usize>,
    /// See `prev`.
    pub next: Option<usize>,
}
