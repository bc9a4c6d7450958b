//! Store API: migrations, alerts, devices, snapshots, triage, verdicts,
//! suppressions, incidents, retention, accounts.

use otwatch_core::{Alert, Severity, VerdictKind};
use otwatch_store::*;
use serde_json::json;

fn alert(id: &str, ts: f64, kind: &str, score: u8, src: &str, dst: &str) -> Alert {
    Alert {
        ts,
        last_ts: ts,
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
        summary: format!("{src} did {kind} to {dst}"),
        evidence: json!({"observed": 9999}),
        count: 1,
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("t.db")).unwrap();
    (dir, s)
}

#[test]
fn empty_db_migrates_and_newer_db_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.db");
    {
        let s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }
    // Reopening is a no-op.
    drop(Store::open(&p).unwrap());
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
    }
    let err = Store::open(&p).unwrap_err();
    assert!(matches!(err, Error::NewerSchema { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer than this otwatch supports"));
}

#[test]
fn alerts_filter_sort_paginate_and_aggregate() {
    let (_d, s) = open();
    let w = s.writer();
    let mut b = Batch::default();
    for i in 0..50u32 {
        b.alerts.push(alert(
            &format!("a-{i:02}"),
            1000.0 + i as f64,
            if i % 2 == 0 {
                "scan"
            } else {
                "unauthorized_write"
            },
            (i * 2) as u8,
            &format!("10.0.0.{}:1000", i % 5),
            "10.0.0.99:502",
        ));
    }
    w.send(b).unwrap();
    w.flush().unwrap();
    let all = s.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(all.total, 50);
    assert_eq!(all.items[0].alert.id, "a-49"); // newest first
    let q = AlertQuery {
        kind: Some("scan".into()),
        min_score: Some(40),
        sort: AlertSort::Score,
        limit: 3,
        offset: 1,
        ..Default::default()
    };
    let p = s.alerts(&q).unwrap();
    assert_eq!(p.total, 15); // scans with i in 20..=48 step 2
    let ids: Vec<&str> = p.items.iter().map(|r| r.alert.id.as_str()).collect();
    assert_eq!(ids, ["a-46", "a-44", "a-42"]);
    let dev = s
        .alerts(&AlertQuery {
            device: Some("10.0.0.3".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dev.total, 10);
    let since = s
        .alerts(&AlertQuery {
            since: Some(1045.0),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(since.total, 5);
    // Aggregation: same id again updates count and last time, keeps first time.
    let mut again = alert("a-00", 5000.0, "scan", 90, "10.0.0.0:1000", "10.0.0.99:502");
    again.ts = 1000.0;
    again.count = 7;
    s.insert_alerts(&[again]).unwrap();
    let a = s.alert("a-00").unwrap().unwrap();
    assert_eq!(
        (a.alert.ts, a.alert.last_ts, a.alert.count, a.alert.score),
        (1000.0, 5000.0, 7, 90)
    );
    assert_eq!(a.alert.evidence, json!({"observed": 9999}));
    assert_eq!(s.alert_count().unwrap(), 50);
    assert!(s.alert("nope").unwrap().is_none());
}

#[test]
fn devices_connections_reports() {
    let (_d, s) = open();
    s.upsert_devices(&[
        json!({"id": "00:11:22:33:44:55", "ips": ["10.0.0.11"], "mac": "00:11:22:33:44:55", "role": "plc", "zone": "cell1", "name": "PLC-1", "vendor": "Schneider"}),
        json!({"ip": "10.0.0.31", "role": "engineering_workstation", "zone": "ops"}),
    ])
    .unwrap();
    let all = s.devices(&DeviceQuery::default()).unwrap();
    assert_eq!(all.total, 2);
    let plc = s
        .devices(&DeviceQuery {
            role: Some("plc".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plc.items[0]["name"], "PLC-1");
    let schneider = s
        .devices(&DeviceQuery {
            text: Some("schneider".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(schneider.total, 1);
    assert_eq!(s.device("10.0.0.11").unwrap().unwrap()["role"], "plc");
    assert_eq!(s.device("10.0.0.31").unwrap().unwrap()["zone"], "ops");
    assert!(s.upsert_devices(&[json!({"role": "x"})]).is_err());
    s.upsert_connections(&[ConnectionRow {
        src: "10.0.0.31".into(),
        dst: "10.0.0.11".into(),
        proto: "modbus".into(),
        ops: vec!["read".into(), "write".into()],
        count: 10,
        bytes: 1000,
        first_seen: 1.0,
        last_seen: 2.0,
        new: false,
    }])
    .unwrap();
    assert_eq!(
        s.connections(Some("10.0.0.11"), 0).unwrap()[0].ops,
        ["read", "write"]
    );
    assert!(s.connections(Some("10.9.9.9"), 0).unwrap().is_empty());
    s.put_airgap_report(5.0, &json!({"holds": false, "entries": [1, 2]}))
        .unwrap();
    assert_eq!(s.airgap_report().unwrap().unwrap()["holds"], false);
    let o = s.overview(3600.0).unwrap();
    assert_eq!((o.devices, o.connections), (2, 1));
}

#[test]
fn snapshots_round_trip_and_unknown_version_refused() {
    let (_d, s) = open();
    assert!(s.load_latest_snapshot("engine").unwrap().is_none());
    for i in 0..5u8 {
        s.save_snapshot("engine", 2, i as f64, &[i; 16]).unwrap();
    }
    let snap = s
        .load_latest_snapshot_checked("engine", &[1, 2])
        .unwrap()
        .unwrap();
    assert_eq!(
        (snap.format_version, snap.blob[0], snap.created),
        (2, 4, 4.0)
    );
    s.save_snapshot("engine", 9, 9.0, b"future").unwrap();
    let err = s
        .load_latest_snapshot_checked("engine", &[1, 2])
        .unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedSnapshot { found: 9, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("format version 9"));
    // The writer path stores snapshots too.
    let w = s.writer();
    w.send(Batch {
        snapshot: Some(("inventory".into(), 1, 1.0, vec![7; 4])),
        ..Default::default()
    })
    .unwrap();
    w.flush().unwrap();
    assert_eq!(
        s.load_latest_snapshot("inventory").unwrap().unwrap().blob,
        [7; 4]
    );
}

#[test]
fn verdict_round_trip_undo_and_audit() {
    let (_d, s) = open();
    s.insert_alerts(&[alert(
        "w-1",
        10.0,
        "unauthorized_write",
        80,
        "10.0.0.31:4000",
        "10.0.0.11:502",
    )])
    .unwrap();
    let v = s
        .verdict(
            "w-1",
            VerdictKind::Expected,
            "maintenance window",
            "alice",
            100.0,
        )
        .unwrap();
    assert!(v.teaches_model());
    assert_eq!(v.alert.kind, "unauthorized_write");
    assert_eq!(v.alert.src, "10.0.0.31:4000");
    let act = s.active_verdicts().unwrap();
    assert_eq!(act.len(), 1);
    assert_eq!(act[0], v);
    let row = s.alert("w-1").unwrap().unwrap();
    assert_eq!(row.triage.status, "resolved");
    assert_eq!(row.triage.verdict, Some(VerdictKind::Expected));
    assert_eq!(row.triage.comments[0].text, "maintenance window");
    // A new verdict supersedes the old one.
    s.verdict("w-1", VerdictKind::Malicious, "", "bob", 110.0)
        .unwrap();
    let act = s.active_verdicts().unwrap();
    assert_eq!(act.len(), 1);
    assert_eq!(act[0].verdict, VerdictKind::Malicious);
    // Undo.
    let undone = s.undo_verdict("w-1", "bob", 120.0).unwrap().unwrap();
    assert_eq!(undone.verdict, VerdictKind::Malicious);
    assert!(s.active_verdicts().unwrap().is_empty());
    let hist = s.verdict_history("w-1").unwrap();
    assert_eq!(hist.len(), 2);
    assert!(hist.iter().all(|v| v.undone_ts.is_some()));
    assert_eq!(s.alert("w-1").unwrap().unwrap().triage.status, "open");
    assert!(matches!(
        s.verdict("nope", VerdictKind::Expected, "", "x", 1.0),
        Err(Error::NotFound(_))
    ));
    // Other actions, all audited.
    assert!(
        s.triage_alert("w-1", &TriageAction::Acknowledge, "carol", 130.0)
            .unwrap()
    );
    assert!(
        s.triage_alert(
            "w-1",
            &TriageAction::Assign {
                assignee: Some("dave".into())
            },
            "carol",
            131.0
        )
        .unwrap()
    );
    assert!(
        s.triage_alert(
            "w-1",
            &TriageAction::Comment {
                text: "looking".into()
            },
            "dave",
            132.0
        )
        .unwrap()
    );
    let row = s.alert("w-1").unwrap().unwrap();
    assert_eq!(
        (row.triage.status.as_str(), row.triage.assignee.as_deref()),
        ("acknowledged", Some("dave"))
    );
    let audit = s
        .audit_list(&AuditQuery {
            target: Some("w-1".into()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = audit
        .items
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "alert_resolve",
            "alert_resolve",
            "alert_reopen",
            "alert_acknowledge",
            "alert_assign",
            "alert_comment"
        ]
    );
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.detail.contains("supersedes expected"))
    );
}

#[test]
fn suppressions_mute_matching_alerts_until_expiry() {
    let (_d, s) = open();
    s.add_suppression(&Suppression {
        id: 0,
        scope: SuppressionScope::Pair,
        device: None,
        src: Some("10.0.0.5".into()),
        dst: Some("10.0.0.11".into()),
        kind: None,
        created: 0.0,
        expires: Some(100.0),
        actor: "alice".into(),
        reason: "commissioning".into(),
    })
    .unwrap();
    let kid = s
        .add_suppression(&Suppression {
            id: 0,
            scope: SuppressionScope::Kind,
            device: None,
            src: None,
            dst: None,
            kind: Some("polling_stopped".into()),
            created: 0.0,
            expires: None,
            actor: "alice".into(),
            reason: String::new(),
        })
        .unwrap();
    assert!(
        s.add_suppression(&Suppression {
            id: 0,
            scope: SuppressionScope::Device,
            device: None,
            src: None,
            dst: None,
            kind: None,
            created: 0.0,
            expires: None,
            actor: "a".into(),
            reason: String::new(),
        })
        .is_err()
    );
    s.insert_alerts(&[
        alert("p-1", 50.0, "scan", 50, "10.0.0.5:1", "10.0.0.11:502"),
        alert("p-2", 150.0, "scan", 50, "10.0.0.5:1", "10.0.0.11:502"), // after expiry
        alert("p-3", 50.0, "scan", 50, "10.0.0.6:1", "10.0.0.11:502"),  // other pair
        alert(
            "k-1",
            50.0,
            "polling_stopped",
            50,
            "10.0.0.7:1",
            "10.0.0.8:502",
        ),
    ])
    .unwrap();
    let visible: Vec<String> = s
        .alerts(&AlertQuery::default())
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.alert.id)
        .collect();
    assert_eq!(visible, ["p-2", "p-3"]);
    let all = s
        .alerts(&AlertQuery {
            include_suppressed: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.total, 4);
    assert!(s.remove_suppression(kid, "alice", 10.0).unwrap());
    assert_eq!(s.suppressions(Some(200.0)).unwrap().len(), 0);
    assert_eq!(s.suppressions(None).unwrap().len(), 1);
    let audit = s
        .audit_list(&AuditQuery {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.total, 3);
}

fn chain() -> Vec<Alert> {
    let mut v = vec![
        alert("c-1", 1000.0, "new_device", 60, "10.0.0.66", ""),
        alert("c-2", 1100.0, "scan", 70, "10.0.0.66", "10.0.0.0/24"),
        alert(
            "c-3",
            1200.0,
            "unauthorized_write",
            85,
            "10.0.0.66:4000",
            "10.0.0.11:502",
        ),
        alert(
            "c-4",
            1300.0,
            "plc_stop",
            95,
            "10.0.0.66:4001",
            "10.0.0.11:102",
        ),
        alert(
            "x-1",
            1050.0,
            "internet_access",
            50,
            "10.0.1.20:5000",
            "8.8.8.8:443",
        ),
    ];
    v[0].mitre = vec!["T0848".into()];
    v[1].mitre = vec!["T0846".into()];
    v[3].mitre = vec!["T0858".into(), "T0816".into()];
    v[4].mitre = vec!["T0883".into()];
    v
}

#[test]
fn incidents_rebuild_store_and_triage() {
    let (_d, s) = open();
    s.insert_alerts(&chain()).unwrap();
    let incs = s.rebuild_incidents(&Default::default()).unwrap();
    assert_eq!(incs.len(), 2);
    let page = s.incidents(&IncidentQuery::default()).unwrap();
    assert_eq!(page.total, 2);
    let big = page
        .items
        .iter()
        .find(|r| r.incident.alert_count() == 4)
        .unwrap();
    let id = big.incident.id.clone();
    let got = s.incident(&id).unwrap().unwrap();
    assert_eq!(got.incident.timeline.len(), 4);
    assert_eq!(
        s.alert("c-3").unwrap().unwrap().incident_id.as_deref(),
        Some(id.as_str())
    );
    // Resolving the incident resolves its alerts with the verdict.
    assert!(
        s.triage_incident(
            &id,
            &TriageAction::Resolve {
                verdict: VerdictKind::Malicious,
                comment: "red team".into()
            },
            "alice",
            5.0
        )
        .unwrap()
    );
    assert_eq!(s.active_verdicts().unwrap().len(), 4);
    assert_eq!(s.incident(&id).unwrap().unwrap().triage.status, "resolved");
    // Rebuilding keeps the triage state.
    s.rebuild_incidents(&Default::default()).unwrap();
    assert_eq!(
        s.incident(&id).unwrap().unwrap().triage.verdict,
        Some(VerdictKind::Malicious)
    );
    assert!(
        s.triage_incident(&id, &TriageAction::Reopen, "alice", 6.0)
            .unwrap()
    );
    assert!(s.active_verdicts().unwrap().is_empty());
    assert!(
        !s.triage_incident("inc-none", &TriageAction::Acknowledge, "alice", 6.0)
            .unwrap()
    );
}

#[test]
fn retention_prunes_oldest_and_keeps_protected() {
    let (_d, s) = open();
    let w = s.writer();
    let mut b = Batch::default();
    for i in 0..1000u32 {
        b.events.push(EventRow::from_json(&json!({"ts": i as f64, "src": "a", "dst": "b", "proto": "modbus", "function": "read"})).unwrap());
    }
    // 10 lone alerts (prunable), plus a chain (protected by its 4-alert incident).
    for i in 0..10u32 {
        b.alerts.push(alert(
            &format!("lone-{i}"),
            i as f64,
            "new_peer",
            30,
            &format!("10.1.0.{i}"),
            &format!("10.2.0.{i}"),
        ));
    }
    b.alerts.extend(chain());
    w.send(b).unwrap();
    w.flush().unwrap();
    s.rebuild_incidents(&Default::default()).unwrap();
    // A verdict protects one lone alert.
    s.verdict("lone-0", VerdictKind::FalsePositive, "", "alice", 1.0)
        .unwrap();
    let rep = s
        .prune(
            &RetentionPolicy {
                events_max_age_secs: Some(500.0),
                events_max_rows: Some(200),
                alerts_max_age_secs: Some(100.0),
                ..Default::default()
            },
            1000.0,
        )
        .unwrap();
    assert_eq!(rep.events, 800); // 500 by age, then 300 more by rows
    let left = s.events(0.0, 2000.0, 1000).unwrap();
    assert_eq!(left.first().unwrap().ts, 800.0); // the oldest went first
    // Lone alerts 1..9 are older than 900 s and prunable; lone-0 has a verdict; the
    // chain alerts are older too but belong to a correlated incident; x-1 is recent.
    assert_eq!(rep.alerts, 9);
    assert_eq!(rep.incidents, 9);
    assert!(s.alert("lone-0").unwrap().is_some());
    assert!(s.alert("lone-5").unwrap().is_none());
    assert!(s.alert("c-1").unwrap().is_some());
    assert_eq!(s.active_verdicts().unwrap().len(), 1);
    let audit = s
        .audit_list(&AuditQuery {
            action: Some("retention_prune".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.total, 1);
    assert!(audit.items[0].detail.contains("alerts=9"));
    // By rows: only prunable alerts go; protected ones stay even above the limit.
    let rep = s
        .prune(
            &RetentionPolicy {
                alerts_max_rows: Some(1),
                ..Default::default()
            },
            1000.0,
        )
        .unwrap();
    assert_eq!(rep.alerts, 1); // x-1 (alone, untriaged)
    assert_eq!(s.alert_count().unwrap(), 5); // lone-0 and the 4-alert chain
    // By size: events go first.
    let rep = s
        .prune(
            &RetentionPolicy {
                max_db_bytes: Some(1),
                ..Default::default()
            },
            1000.0,
        )
        .unwrap();
    assert_eq!(s.event_count().unwrap(), 0);
    assert_eq!(rep.alerts, 0);
    assert_eq!(s.alert_count().unwrap(), 5);
}

#[test]
fn users_sessions_tokens_settings() {
    let (_d, s) = open();
    let u = User {
        name: "alice".into(),
        role: "admin".into(),
        password_hash: "$argon2id$v=19$...".into(),
        must_change_password: true,
        failed_attempts: 0,
        locked_until: None,
        created: 1.0,
        last_login: None,
    };
    s.user_put(&u).unwrap();
    assert_eq!(s.user_get("alice").unwrap().unwrap(), u);
    for _ in 0..4 {
        s.user_login_failed("alice", 10.0, 5, 300.0).unwrap();
    }
    assert_eq!(s.user_get("alice").unwrap().unwrap().locked_until, None);
    let locked = s
        .user_login_failed("alice", 10.0, 5, 300.0)
        .unwrap()
        .unwrap();
    assert_eq!(
        (locked.failed_attempts, locked.locked_until),
        (5, Some(310.0))
    );
    assert!(
        s.user_login_failed("mallory", 10.0, 5, 300.0)
            .unwrap()
            .is_none()
    );
    assert!(s.user_login_ok("alice", 400.0).unwrap());
    let ok = s.user_get("alice").unwrap().unwrap();
    assert_eq!(
        (ok.failed_attempts, ok.locked_until, ok.last_login),
        (0, None, Some(400.0))
    );
    let sess = Session {
        token_hash: "h1".into(),
        user: "alice".into(),
        csrf: "c".into(),
        created: 1.0,
        last_seen: 1.0,
        ip: "127.0.0.1".into(),
    };
    s.session_put(&sess).unwrap();
    assert!(s.session_touch("h1", 50.0).unwrap());
    assert_eq!(s.session_get("h1").unwrap().unwrap().last_seen, 50.0);
    assert_eq!(s.session_purge(10.0, 0.0).unwrap(), 0);
    assert_eq!(s.session_purge(60.0, 0.0).unwrap(), 1);
    s.token_put(&ApiToken {
        id: "t1".into(),
        name: "siem".into(),
        token_hash: "th".into(),
        user: "alice".into(),
        role: "viewer".into(),
        created: 2.0,
    })
    .unwrap();
    assert_eq!(s.token_get("th").unwrap().unwrap().id, "t1");
    s.session_put(&sess).unwrap();
    assert!(s.user_delete("alice").unwrap());
    assert!(s.session_get("h1").unwrap().is_none());
    assert!(s.token_list().unwrap().is_empty());
    assert!(!s.user_delete("alice").unwrap());
    assert_eq!(s.user_list().unwrap().len(), 0);
    s.setting_put("learn_for", "48h").unwrap();
    s.setting_put("learn_for", "72h").unwrap();
    assert_eq!(s.setting_get("learn_for").unwrap().as_deref(), Some("72h"));
    assert!(s.setting_get("nope").unwrap().is_none());
    let id = s
        .audit_append(&AuditEntry {
            id: 0,
            ts: 1.0,
            actor: "alice".into(),
            action: "login".into(),
            target: "alice".into(),
            detail: String::new(),
            ip: "127.0.0.1".into(),
        })
        .unwrap();
    assert!(id > 0);
}
