//! In-process API and page tests: `router(state).oneshot(request)` for every route.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use otwatch_web::ConsoleData;
use otwatch_web::auth;
use otwatch_web::mw::CSP;
use serde_json::json;

fn concrete(path: &str) -> String {
    path.replace("{id}", "x").replace("{name}", "x")
}

fn all_routes() -> Vec<(&'static str, &'static str)> {
    otwatch_web::api::ROUTES
        .iter()
        .chain(otwatch_web::pages::ROUTES)
        .copied()
        .collect()
}

fn public(path: &str) -> bool {
    otwatch_web::mw::is_public(path)
}

#[tokio::test]
async fn unauthenticated_gets_401_everywhere_but_login_and_static() {
    let app = fixture();
    for (m, p) in all_routes() {
        if public(p) {
            continue;
        }
        let req = Request::builder()
            .method(m.to_uppercase().as_str())
            .uri(concrete(p))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{m} {p}");
    }
    // Unknown paths too: nothing reveals what exists.
    assert_eq!(
        app.send(get("/nope", None)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A page answers 401 with the sign-in form.
    let r = app.send(get("/alerts?status=open", None)).await;
    let html = body_text(r).await;
    assert!(html.contains("action=\"/login\"") && html.contains("value=\"/alerts?status=open\""));
    // Public: sign-in page, static assets, the OpenAPI document.
    for p in [
        "/login",
        "/static/vendor/htmx.min.js",
        "/static/app.css",
        "/static/map.js",
        "/api/v1/openapi.json",
    ] {
        assert_eq!(app.send(get(p, None)).await.status(), StatusCode::OK, "{p}");
    }
    // A garbage or forged cookie is the same as none.
    let s = Session {
        cookie: "otwatch_session=deadbeef".into(),
        csrf: String::new(),
    };
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = fixture();
    let s = app.login("admin").await;
    for req in [
        get("/", Some(&s)),
        get("/nope", Some(&s)),
        get("/alerts", None),
        get("/static/app.css", None),
        get("/api/v1/alerts", Some(&s)),
        get("/api/v1/alerts/missing", Some(&s)),
        json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "acknowledge"}),
            None,
        ),
    ] {
        let uri = req.uri().to_string();
        let r = app.send(req).await;
        let h = r.headers();
        assert_eq!(
            h.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            CSP,
            "{uri}"
        );
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY)
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("max-age=")
        );
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert_eq!(h.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
        assert_eq!(h.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    }
    assert!(CSP.contains("frame-ancestors 'none'") && !CSP.contains("unsafe"));
}

#[tokio::test]
async fn every_endpoint_works_for_admin() {
    let app = fixture();
    let s = app.login("admin").await;
    let ok = |v: &serde_json::Value, k: &str| assert!(!v[k].is_null(), "{k} in {v}");

    let me = body_json(app.send(get("/api/v1/me", Some(&s))).await).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
    let o = body_json(app.send(get("/api/v1/overview", Some(&s))).await).await;
    assert_eq!(o["devices"], 3);
    assert_eq!(o["alerts"], 3);
    let h = body_json(app.send(get("/api/v1/health", Some(&s))).await).await;
    assert_eq!(h["status"], "ok");

    let a = body_json(
        app.send(get("/api/v1/alerts?min_score=80&sort=score", Some(&s)))
            .await,
    )
    .await;
    assert_eq!(a["total"], 2);
    assert_eq!(a["items"][0]["id"], "a-3");
    let a = body_json(app.send(get("/api/v1/alerts?q=new_conn", Some(&s))).await).await;
    assert_eq!(a["total"], 1);
    let a = body_json(app.send(get("/api/v1/alerts/a-1", Some(&s))).await).await;
    assert_eq!(a["kind"], "unauthorized_write");
    assert_eq!(
        app.send(get("/api/v1/alerts/zzz", Some(&s))).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "resolve", "verdict": "expected", "comment": "maintenance"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let a = body_json(r).await;
    assert_eq!(a["triage"]["status"], "resolved");
    assert_eq!(a["triage"]["verdict"], "expected");
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "reopen"}),
            Some(&s),
        ))
        .await;
    assert_eq!(body_json(r).await["triage"]["status"], "open");
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "assign", "assignee": "nobody"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let i = body_json(app.send(get("/api/v1/incidents", Some(&s))).await).await;
    assert_eq!(i["total"], 1);
    let i = body_json(app.send(get("/api/v1/incidents/inc-1", Some(&s))).await).await;
    assert_eq!(i["alert_ids"].as_array().unwrap().len(), 3);
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/incidents/inc-1/triage",
            &json!({"action": "assign", "assignee": "ana"}),
            Some(&s),
        ))
        .await;
    assert_eq!(body_json(r).await["triage"]["assignee"], "ana");

    let d = body_json(app.send(get("/api/v1/devices?q=plc", Some(&s))).await).await;
    assert_eq!(d["total"], 1);
    let d = body_json(
        app.send(get("/api/v1/devices/00%3A80%3Af4%3A00%3A00%3A01", Some(&s)))
            .await,
    )
    .await;
    assert_eq!(d["name"], "plc-1");
    let c = body_json(
        app.send(get(
            "/api/v1/connections?device=00:80:f4:00:00:01",
            Some(&s),
        ))
        .await,
    )
    .await;
    assert_eq!(c.as_array().unwrap().len(), 2);
    let m = body_json(app.send(get("/api/v1/map", Some(&s))).await).await;
    assert_eq!(m["edges"].as_array().unwrap().len(), 2);
    assert!(
        m["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["data"]["crossing"] == true)
    );
    assert_eq!(
        m["nodes"].as_array().unwrap().len(),
        3 + 2,
        "3 devices + 2 zones"
    );
    let g = body_json(app.send(get("/api/v1/airgap", Some(&s))).await).await;
    assert_eq!(g["holds"], false);

    let r = app
        .send(json_req(
            "POST",
            "/api/v1/users",
            &json!({"username": "newbie", "role": "viewer", "password": "one-time-pw-1"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/users",
            &json!({"username": "newbie", "role": "viewer", "password": "one-time-pw-1"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/users",
            &json!({"username": "bad name", "role": "viewer", "password": "one-time-pw-1"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .send(json_req(
            "PATCH",
            "/api/v1/users/newbie",
            &json!({"role": "analyst"}),
            Some(&s),
        ))
        .await;
    assert_eq!(body_json(r).await["role"], "analyst");
    let u = body_json(app.send(get("/api/v1/users", Some(&s))).await).await;
    assert_eq!(u.as_array().unwrap().len(), 4);
    assert!(
        u.to_string().find("argon2").is_none(),
        "hashes never leave the server"
    );
    let r = app
        .send(json_req(
            "DELETE",
            "/api/v1/users/newbie",
            &json!({}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .send(json_req(
            "DELETE",
            "/api/v1/users/admin",
            &json!({}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "not yourself");

    let r = app
        .send(json_req(
            "POST",
            "/api/v1/tokens",
            &json!({"name": "siem", "role": "viewer"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let t = body_json(r).await;
    ok(&t, "token");
    let tl = body_json(app.send(get("/api/v1/tokens", Some(&s))).await).await;
    assert_eq!(tl.as_array().unwrap().len(), 1);
    assert!(tl[0]["token"].is_null(), "the secret is shown once only");
    let r = app
        .send(json_req(
            "DELETE",
            &format!("/api/v1/tokens/{}", t["id"].as_str().unwrap()),
            &json!({}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let r = app
        .send(json_req(
            "PUT",
            "/api/v1/settings",
            &json!({"retention_max_age_days": 30}),
            Some(&s),
        ))
        .await;
    assert_eq!(body_json(r).await["retention_max_age_days"], "30");
    let r = app
        .send(json_req(
            "PUT",
            "/api/v1/settings",
            &json!({"retention_max_age_days": 0}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let s2 = body_json(app.send(get("/api/v1/settings", Some(&s))).await).await;
    assert_eq!(s2["retention_max_age_days"], "30");

    let au = body_json(app.send(get("/api/v1/audit?limit=500", Some(&s))).await).await;
    let actions: Vec<&str> = au["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "login",
        "alert_triage",
        "incident_triage",
        "user_add",
        "user_role",
        "user_delete",
        "token_create",
        "token_delete",
        "setting_change",
    ] {
        assert!(actions.contains(&a), "audit has {a}: {actions:?}");
    }

    let spec = body_json(app.send(get("/api/v1/openapi.json", None)).await).await;
    assert_eq!(spec["openapi"].as_str().unwrap().get(..3), Some("3.1"));

    let r = app
        .send(json_req(
            "POST",
            "/api/v1/session/logout",
            &json!({}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED,
        "session gone after logout"
    );
    let au = app.data.audit();
    assert!(au.iter().any(|e| e.action == "logout"));
}

#[tokio::test]
async fn wrong_role_gets_403() {
    let app = fixture();
    let viewer = app.login("vic").await;
    let analyst = app.login("ana").await;
    let triage = json!({"action": "acknowledge"});
    for (s, m, p, body) in [
        (&viewer, "POST", "/api/v1/alerts/a-1/triage", triage.clone()),
        (
            &viewer,
            "POST",
            "/api/v1/incidents/inc-1/triage",
            triage.clone(),
        ),
        (&viewer, "GET", "/api/v1/users", json!({})),
        (&analyst, "GET", "/api/v1/users", json!({})),
        (
            &analyst,
            "POST",
            "/api/v1/users",
            json!({"username": "x", "role": "admin", "password": "long-password-1"}),
        ),
        (
            &analyst,
            "PATCH",
            "/api/v1/users/vic",
            json!({"role": "admin"}),
        ),
        (&analyst, "DELETE", "/api/v1/users/vic", json!({})),
        (&analyst, "GET", "/api/v1/tokens", json!({})),
        (
            &analyst,
            "POST",
            "/api/v1/tokens",
            json!({"name": "x", "role": "admin"}),
        ),
        (&analyst, "DELETE", "/api/v1/tokens/x", json!({})),
        (&analyst, "GET", "/api/v1/audit", json!({})),
        (&analyst, "GET", "/api/v1/settings", json!({})),
        (
            &analyst,
            "PUT",
            "/api/v1/settings",
            json!({"retention_max_age_days": 3}),
        ),
    ] {
        let r = app.send(json_req(m, p, &body, Some(s))).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{m} {p}");
    }
    // Pages: viewer cannot triage or administer.
    for (s, p) in [
        (&viewer, "/admin"),
        (&analyst, "/admin"),
        (&analyst, "/admin/audit"),
    ] {
        assert_eq!(
            app.send(get(p, Some(s))).await.status(),
            StatusCode::FORBIDDEN,
            "{p}"
        );
    }
    let r = app
        .send(form_req(
            "/alerts/a-1/triage",
            "action=acknowledge",
            &viewer,
            true,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = body_text(app.send(get("/alerts/a-1", Some(&viewer))).await).await;
    assert!(
        !html.contains("Resolve with verdict"),
        "viewer sees no triage form"
    );
    let html = body_text(app.send(get("/alerts/a-1", Some(&analyst))).await).await;
    assert!(html.contains("Resolve with verdict"));
    // Analyst may triage.
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &triage,
            Some(&analyst),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

fn form_req(uri: &str, body: &str, s: &Session, with_csrf: bool) -> Request<Body> {
    let body = if with_csrf {
        format!("{body}&csrf={}", s.csrf)
    } else {
        body.to_owned()
    };
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn state_changing_requests_need_csrf() {
    let app = fixture();
    let s = app.login("admin").await;
    // JSON without the header.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/alerts/a-1/triage")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"action":"acknowledge"}"#))
        .unwrap();
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
    // Wrong header.
    let bad = Session {
        cookie: s.cookie.clone(),
        csrf: "0".repeat(64),
    };
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "acknowledge"}),
            Some(&bad),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another session's token.
    let other = app.login("ana").await;
    let mixed = Session {
        cookie: s.cookie.clone(),
        csrf: other.csrf.clone(),
    };
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/alerts/a-1/triage",
            &json!({"action": "acknowledge"}),
            Some(&mixed),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Every state-changing route refuses without CSRF.
    for (m, p) in all_routes() {
        if m == "get" || public(p) {
            continue;
        }
        let req = Request::builder()
            .method(m.to_uppercase().as_str())
            .uri(concrete(p))
            .header(header::COOKIE, &s.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("action=acknowledge"))
            .unwrap();
        assert_eq!(
            app.send(req).await.status(),
            StatusCode::FORBIDDEN,
            "{m} {p}"
        );
    }
    // Forms: the hidden field works, its absence does not.
    let r = app
        .send(form_req(
            "/alerts/a-1/triage",
            "action=acknowledge",
            &s,
            false,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .send(form_req(
            "/alerts/a-1/triage",
            "action=acknowledge",
            &s,
            true,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.data.alert_status("a-1"), "acknowledged");
    // Cross-origin posts are refused even for login.
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::HOST, "127.0.0.1:8443")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("username=admin&password={PW}")))
        .unwrap();
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
    // Bearer tokens need no CSRF (browsers never attach them on their own).
    let t = body_json(
        app.send(json_req(
            "POST",
            "/api/v1/tokens",
            &json!({"name": "ci", "role": "analyst"}),
            Some(&s),
        ))
        .await,
    )
    .await;
    let secret = t["token"].as_str().unwrap();
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/alerts/a-2/triage")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"action":"acknowledge"}"#))
        .unwrap();
    assert_eq!(app.send(req).await.status(), StatusCode::OK);
    // Token role is enforced (analyst token cannot list users).
    let req = Request::builder()
        .uri("/api/v1/users")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
    let req = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, "Bearer otw_wrong")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_throttling_and_lockout() {
    let app = fixture();
    for i in 0..auth::MAX_FAILURES {
        let r = app
            .send(json_req(
                "POST",
                "/api/v1/session/login",
                &json!({"username": "ana", "password": format!("wrong{i}")}),
                None,
            ))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/session/login",
            &json!({"username": "ana", "password": PW}),
            None,
        ))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    // The form says so too.
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("username=ana&password={PW}")))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(body_text(r).await.contains("too many failed logins"));
    let au = app.data.audit();
    assert_eq!(
        au.iter().filter(|e| e.action == "login_failed").count(),
        auth::MAX_FAILURES as usize
    );
    assert!(au.iter().any(|e| e.action == "login_locked"));
    // After the lockout it works again.
    app.advance(auth::LOCKOUT_SECS + 1.0);
    let s = app.login("ana").await;
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_expire() {
    let app = fixture();
    let s = app.login("vic").await;
    app.advance(auth::IDLE_TIMEOUT_SECS - 60.0);
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::OK
    );
    app.advance(auth::IDLE_TIMEOUT_SECS + 1.0);
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED,
        "idle timeout"
    );
    // Absolute timeout even when used every 20 minutes.
    let s = app.login("vic").await;
    let mut t = 0.0;
    while t + 1200.0 < auth::ABSOLUTE_TIMEOUT_SECS {
        app.advance(1200.0);
        t += 1200.0;
        assert_eq!(
            app.send(get("/api/v1/me", Some(&s))).await.status(),
            StatusCode::OK,
            "at {t}"
        );
    }
    app.advance(auth::ABSOLUTE_TIMEOUT_SECS - t + 1.0);
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED,
        "absolute timeout"
    );
}

#[tokio::test]
async fn first_admin_must_change_password() {
    let app = fixture();
    let pw = {
        app.data.user_delete("admin").unwrap();
        app.data.user_delete("ana").unwrap();
        app.data.user_delete("vic").unwrap();
        auth::bootstrap_admin(app.data.as_ref(), 0.0)
            .unwrap()
            .unwrap()
    };
    assert!(
        auth::bootstrap_admin(app.data.as_ref(), 0.0)
            .unwrap()
            .is_none(),
        "only once"
    );
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/session/login",
            &json!({"username": "admin", "password": pw}),
            None,
        ))
        .await;
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = body_json(r).await;
    assert_eq!(body["must_change_password"], true);
    let s = Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().into(),
    };
    assert_eq!(
        app.send(get("/api/v1/alerts", Some(&s))).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app.send(get("/", Some(&s))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers().get(header::LOCATION).unwrap(),
        "/account/password"
    );
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/me/password",
            &json!({"current_password": pw, "new_password": "short"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/me/password",
            &json!({"current_password": "wrong", "new_password": "a-good-new-password"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .send(json_req(
            "POST",
            "/api/v1/me/password",
            &json!({"current_password": pw, "new_password": "a-good-new-password"}),
            Some(&s),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = body_json(r).await;
    // The old session is gone; the new one works without restriction.
    assert_eq!(
        app.send(get("/api/v1/me", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let s2 = Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().into(),
    };
    assert_eq!(
        app.send(get("/api/v1/alerts", Some(&s2))).await.status(),
        StatusCode::OK
    );
    assert!(
        app.data
            .audit()
            .iter()
            .any(|e| e.action == "password_change")
    );
}

#[tokio::test]
async fn pages_render_for_each_role() {
    let app = fixture();
    let s = app.login("admin").await;
    for (p, needle) in [
        ("/", "open incidents"),
        ("/alerts", "plc_stop"),
        ("/alerts?severity=critical&sort=score&order=asc", "plc_stop"),
        ("/alerts/a-1", "write to 40001"),
        ("/incidents", "stopped plc-1"),
        ("/incidents/inc-1", "Check who used ews-1"),
        ("/assets", "plc-1"),
        ("/assets?q=hmi", "hmi-1"),
        ("/assets/00:80:f4:00:00:01", "Polling periods"),
        ("/map", "id=\"map\""),
        ("/airgap", "8.8.8.8"),
        ("/admin", "AB:CD"),
        ("/admin/audit", "login"),
        ("/account/password", "Change password"),
    ] {
        let r = app.send(get(p, Some(&s))).await;
        assert_eq!(r.status(), StatusCode::OK, "{p}");
        let html = body_text(r).await;
        assert!(html.contains(needle), "{p} shows {needle}");
        assert!(
            !html.contains("<script>") && !html.contains(" style=\""),
            "{p}: no inline script or style"
        );
    }
    // The login page redirects when already signed in.
    assert_eq!(
        app.send(get("/login", Some(&s))).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.send(get("/alerts/zzz", Some(&s))).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn form_login_flow_and_admin_forms() {
    let app = fixture();
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=admin&password={PW}&next=%2Falerts"
        )))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get(header::LOCATION).unwrap(), "/alerts");
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // The page carries the CSRF token for its forms.
    let html = body_text(
        app.send(get(
            "/admin",
            Some(&Session {
                cookie: cookie.clone(),
                csrf: String::new(),
            }),
        ))
        .await,
    )
    .await;
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[i..i + 64].to_owned();
    let s = Session { cookie, csrf };
    let r = app
        .send(form_req(
            "/admin/users",
            "username=olga&role=analyst&password=one-time-pw-1",
            &s,
            true,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.data.user_get_pub("olga").unwrap().must_change_password);
    let r = app
        .send(form_req("/admin/users/olga", "role=viewer", &s, true))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .send(form_req(
            "/admin/settings",
            "retention_max_size_mb=500",
            &s,
            true,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .send(form_req("/admin/tokens", "name=siem&role=viewer", &s, true))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_text(r).await.contains("otw_"), "secret shown once");
    let r = app
        .send(form_req("/admin/users/olga/delete", "", &s, true))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.data.user_get_pub("olga").is_none());
    // Open redirects are not followed.
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=vic&password={PW}&next=%2F%2Fevil.example"
        )))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.headers().get(header::LOCATION).unwrap(), "/");
    // Sign out through the form.
    let r = app.send(form_req("/logout", "", &s, true)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.send(get("/", Some(&s))).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
