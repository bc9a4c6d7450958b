//! Shared test fixture: a small plant in `MemoryData`, users of each role, a manual
//! clock, and request helpers over `router(state).oneshot(..)`.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use otwatch_core::{Alert, Severity};
use otwatch_web::data::*;
use otwatch_web::memory::MemoryData;
use otwatch_web::{AppState, ConsoleInfo, auth, router};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

pub const T0: f64 = 1_750_000_000.0;
pub const PW: &str = "test-password-1";

pub struct App {
    pub data: Arc<MemoryData>,
    pub state: Arc<AppState>,
    pub clock: Arc<AtomicU64>,
}

/// One argon2 hash shared by all fixture users (hashing is the slow part).
fn pw_hash() -> String {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| auth::hash_password(PW).unwrap()).clone()
}

pub fn alert(id: &str, ts: f64, score: u8, kind: &str, src: &str, dst: &str) -> AlertRecord {
    AlertRecord {
        alert: Alert {
            ts,
            last_ts: ts + 10.0,
            id: id.into(),
            kind: kind.into(),
            score,
            severity: Severity::from_score(score),
            src: src.into(),
            dst: dst.into(),
            src_name: String::new(),
            dst_name: String::new(),
            proto: "modbus".into(),
            mitre: vec!["T0855".into()],
            summary: format!("{kind} from {src} to {dst}"),
            evidence: serde_json::json!({"observed": "write to 40001", "baseline": "reads only for 3 days"}),
            count: 1,
        },
        triage: TriageState {
            status: "open".into(),
            ..TriageState::default()
        },
        incident_id: Some("inc-1".into()),
    }
}

pub fn device(id: &str, name: &str, ip: &str, role: &str, zone: &str) -> DeviceRecord {
    DeviceRecord {
        id: id.into(),
        name: name.into(),
        mac: Some(id.into()),
        ips: vec![ip.into()],
        vendor: "Schneider Electric".into(),
        identity: vec![("product".into(), "M340".into())],
        role: role.into(),
        role_confidence: 0.9,
        role_reasons: vec!["answers Modbus requests from 2 HMIs".into()],
        zone: zone.into(),
        client_protocols: vec![],
        server_protocols: vec!["modbus".into()],
        first_seen: T0,
        last_seen: T0 + 3600.0,
        packets: 1000,
        bytes: 120_000,
        learning: false,
        pattern: Some(PatternOfLife {
            activity_by_hour: (0..24).map(|h| 100 + h).collect(),
            polling: vec![PollingPeriod {
                peer: "10.0.1.10".into(),
                proto: "modbus".into(),
                period_s: 1.0,
                jitter_s: 0.01,
                samples: 3600,
            }],
            values: vec![ValueRange {
                point: "hr:40001".into(),
                min: 10.0,
                max: 90.0,
                mean: 50.0,
                samples: 3600,
            }],
        }),
    }
}

pub fn fixture() -> App {
    let data = Arc::new(MemoryData::new());
    for (name, role) in [
        ("admin", Role::Admin),
        ("ana", Role::Analyst),
        ("vic", Role::Viewer),
    ] {
        data.user_put(&UserRecord {
            name: name.into(),
            role,
            password_hash: pw_hash(),
            must_change_password: false,
            created: T0,
            last_login: None,
        })
        .unwrap();
    }
    data.add_device(device(
        "00:80:f4:00:00:01",
        "plc-1",
        "10.0.2.1",
        "plc",
        "control",
    ));
    data.add_device(device(
        "00:0c:29:00:00:02",
        "hmi-1",
        "10.0.1.10",
        "hmi",
        "supervisory",
    ));
    data.add_device(device(
        "00:0c:29:00:00:03",
        "ews-1",
        "10.0.1.20",
        "engineering_workstation",
        "supervisory",
    ));
    data.add_connection(ConnectionRecord {
        src: "00:0c:29:00:00:02".into(),
        dst: "00:80:f4:00:00:01".into(),
        proto: "modbus".into(),
        ops: vec!["read".into()],
        count: 3600,
        bytes: 50_000,
        first_seen: T0,
        last_seen: T0 + 3600.0,
        new: false,
    });
    data.add_connection(ConnectionRecord {
        src: "00:0c:29:00:00:03".into(),
        dst: "00:80:f4:00:00:01".into(),
        proto: "modbus".into(),
        ops: vec!["write".into()],
        count: 3,
        bytes: 500,
        first_seen: T0 + 1800.0,
        last_seen: T0 + 1900.0,
        new: true,
    });
    data.add_alert(alert(
        "a-1",
        T0 + 1800.0,
        85,
        "unauthorized_write",
        "10.0.1.20:50000",
        "10.0.2.1:502",
    ));
    data.add_alert(alert(
        "a-2",
        T0 + 1900.0,
        35,
        "new_connection",
        "10.0.1.20",
        "10.0.2.1",
    ));
    data.add_alert(alert(
        "a-3",
        T0 + 2000.0,
        95,
        "plc_stop",
        "10.0.1.20:50001",
        "10.0.2.1:502",
    ));
    data.add_incident(IncidentRecord {
        id: "inc-1".into(),
        title: "Engineering workstation wrote to and stopped plc-1".into(),
        severity: Severity::Critical,
        score: 95,
        first_ts: T0 + 1800.0,
        last_ts: T0 + 2000.0,
        tactics: vec!["Impair Process Control".into()],
        narrative: vec!["ews-1 wrote to plc-1, then stopped it.".into()],
        next_actions: vec!["Check who used ews-1 at that time.".into()],
        devices: vec![IncidentDevice {
            id: "00:80:f4:00:00:01".into(),
            name: "plc-1".into(),
            role: "plc".into(),
        }],
        alert_ids: vec!["a-1".into(), "a-2".into(), "a-3".into()],
        triage: TriageState {
            status: "open".into(),
            ..TriageState::default()
        },
    });
    data.set_airgap(AirgapReport {
        holds: false,
        verdict: "1 crossing: ews-1 reached 8.8.8.8".into(),
        entries: vec![AirgapEntry {
            reason: "public_address".into(),
            src: "10.0.1.20".into(),
            dst: "8.8.8.8".into(),
            proto: "dns".into(),
            first_seen: T0,
            last_seen: T0 + 5.0,
            bytes: 300,
            detail: "OT host resolved a public name".into(),
        }],
        convergence_points: vec![],
    });
    let clock = Arc::new(AtomicU64::new((T0 as u64 + 86_400) * 1000));
    let c2 = clock.clone();
    let state = Arc::new(AppState::with_clock(
        data.clone(),
        ConsoleInfo {
            cert_fingerprint: "AB:CD".into(),
            cert_source: "generated".into(),
            zones: vec![("control".into(), "L1".into(), "10.0.2.0/24".into())],
            db_path: "test.db".into(),
        },
        Arc::new(move || c2.load(Ordering::SeqCst) as f64 / 1000.0),
    ));
    App { data, state, clock }
}

impl App {
    pub fn advance(&self, secs: f64) {
        self.clock
            .fetch_add((secs * 1000.0) as u64, Ordering::SeqCst);
    }
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        router(self.state.clone()).oneshot(req).await.unwrap()
    }
    /// Logs in through the API; returns (cookie header value, csrf token).
    pub async fn login(&self, user: &str) -> Session {
        let r = self
            .send(json_req(
                "POST",
                "/api/v1/session/login",
                &serde_json::json!({"username": user, "password": PW}),
                None,
            ))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "login of {user}");
        let set = r
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            set.contains("Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict")
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        let body = body_json(r).await;
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }
}

#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub fn json_req(
    method: &str,
    uri: &str,
    body: &serde_json::Value,
    s: Option<&Session>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = s {
        b = b
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

pub fn get(uri: &str, s: Option<&Session>) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    if let Some(s) = s {
        b = b.header(header::COOKIE, &s.cookie);
    }
    b.body(Body::empty()).unwrap()
}

pub async fn body_bytes(r: Response<Body>) -> Vec<u8> {
    r.into_body().collect().await.unwrap().to_bytes().to_vec()
}

pub async fn body_json(r: Response<Body>) -> serde_json::Value {
    let b = body_bytes(r).await;
    serde_json::from_slice(&b)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&b)))
}

pub async fn body_text(r: Response<Body>) -> String {
    String::from_utf8(body_bytes(r).await).unwrap()
}
