use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn login_shows_name_role_and_municipality_then_logout_ends_session() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text_of(".bosak-header__user").contains("Ola Nordmann"));
    assert!(page
        .text_of(".bosak-header__role")
        .contains("Saksbehandler"));
    assert!(page
        .text_of(".bosak-header__municipality")
        .contains("Levanger"));
    // A single-municipality user never sees the switcher.
    assert_eq!(page.count("form.bosak-header__switcher"), 0);
    // Caseworkers do not administer users.
    assert_eq!(page.count("nav a[href='/brukere']"), 0);
    assert_eq!(app.audit_count("login").await, 1);

    let out = c.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = c.get("/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/login"));
    assert_eq!(app.audit_count("logout").await, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_message() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let wrong = c.login("levanger.admin", "feil-passord").await;
    let unknown = c.login("finnes.ikke", "feil-passord").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text_of(".ds-alert"), "Feil brukernavn eller passord.");
    assert_eq!(unknown.text_of(".ds-alert"), wrong.text_of(".ds-alert"));
    // The typed user name is kept, the password is not echoed.
    assert_eq!(
        wrong.attr("#username", "value").as_deref(),
        Some("levanger.admin")
    );
    assert!(!wrong.text.contains("feil-passord"));
    assert_eq!(app.audit_count("login.failed").await, 2);
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    for _ in 0..5 {
        let r = c.login("levanger.admin", "gjett-igjen").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let locked = c.login("levanger.admin", "demo").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked
        .text_of(".ds-alert")
        .contains("For mange mislykkede innloggingsforsøk"));
    // The same lock answers for a name that does not exist: nothing to enumerate.
    let mut d = app.client();
    for _ in 0..5 {
        d.login("ingen.slik", "x").await;
    }
    let ghost = d.login("ingen.slik", "x").await;
    assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS);
    // Other accounts are unaffected.
    let mut e = app.client();
    assert_eq!(
        e.login("levanger.team", "demo").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn post_without_or_with_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    c.get("/innstillinger").await;
    let before: String = sqlx::query_scalar("SELECT letterhead_name FROM municipality_settings s JOIN municipalities m ON m.id = s.municipality_id WHERE m.number = '5037'")
        .fetch_one(&app.owner)
        .await
        .unwrap_or_default();
    let missing = c
        .post_raw(
            "/innstillinger",
            &[("letterhead_name", "Hacket"), ("version", "1")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.text.contains("Skjemaet kunne ikke sendes"));
    let wrong = c
        .post_raw(
            "/innstillinger",
            &[
                ("letterhead_name", "Hacket"),
                ("version", "1"),
                ("csrf_token", "feil"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A token from another session (e.g. replayed from before login) is refused too.
    let mut other = app.client();
    other.get("/login").await;
    let foreign = other.csrf.clone().unwrap();
    let replay = c
        .post_raw(
            "/innstillinger",
            &[
                ("letterhead_name", "Hacket"),
                ("version", "1"),
                ("csrf_token", &foreign),
            ],
        )
        .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    let after: String = sqlx::query_scalar("SELECT letterhead_name FROM municipality_settings s JOIN municipalities m ON m.id = s.municipality_id WHERE m.number = '5037'")
        .fetch_one(&app.owner)
        .await
        .unwrap_or_default();
    assert_eq!(before, after);
}

#[tokio::test]
async fn cross_site_post_is_refused_even_with_a_token() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    c.get("/").await;
    let tok = c.csrf.clone().unwrap();
    let res = c
        .http
        .post(format!("{}/logout", c.base))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", tok.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.get("/").await.status, StatusCode::OK, "still logged in");
}

#[tokio::test]
async fn session_cookie_flags_and_security_headers() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let login = c.get("/login").await;
    let cookie = login
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    // The visitor's pre-session nonce (no session yet: `auth::pre_session`).
    assert!(
        cookie.starts_with("bosak_session_pre=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let csp = login
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(
        login.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert!(login.headers.get("referrer-policy").is_some());
    assert_eq!(login.headers.get("cache-control").unwrap(), "no-store");

    // The session cookie is set when the login succeeds.
    let ok = c
        .post(
            "/login",
            &[
                ("username", "levanger.admin"),
                ("password", "demo"),
                ("next", "/"),
            ],
        )
        .await;
    let cookie = ok.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.starts_with("bosak_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let secure = TestApp::spawn_with(|c| c.secure_cookies = true).await;
    let mut s = secure.client();
    let page = s.get("/login").await;
    let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-bosak_session_pre=")
            && cookie.contains("Secure")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    let session = bosak::auth::session::session_cookie(&secure.state, "x");
    let session = session.to_str().unwrap();
    assert!(
        session.starts_with("__Host-bosak_session=x")
            && session.contains("Secure")
            && session.contains("HttpOnly")
            && session.contains("Path=/"),
        "{session}"
    );
}

#[tokio::test]
async fn session_id_rotates_at_login() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let anon = c.get("/login").await;
    let before = anon
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let res = c.login("levanger.team", "demo").await;
    let after = res
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(before.split(';').next(), after.split(';').next());
    let anon_sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id IS NULL")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(
        anon_sessions, 0,
        "the anonymous session is gone after login"
    );
}

#[tokio::test]
async fn idle_session_expires() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.team").await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
        .execute(&app.owner)
        .await
        .unwrap();
    let res = c.get("/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn absolute_timeout_ends_even_an_active_session() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.team").await;
    sqlx::query("UPDATE sessions SET absolute_expiry = now() - interval '1 second'")
        .execute(&app.owner)
        .await
        .unwrap();
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn login_redirects_only_to_local_paths() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let page = c.get("/revisjonslogg").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/login?neste=%2Frevisjonslogg")
    );
    c.get("/login?neste=/revisjonslogg").await;
    let res = c
        .post(
            "/login",
            &[
                ("username", "revisor"),
                ("password", "demo"),
                ("next", "/revisjonslogg"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/revisjonslogg"));
    let mut d = app.client();
    d.get("/login").await;
    let evil = d
        .post(
            "/login",
            &[
                ("username", "revisor"),
                ("password", "demo"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(evil.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn change_own_password_applies_policy_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.team").await;
    let mut other = app.login("levanger.team").await;
    c.get("/passord").await;
    let weak = c
        .post(
            "/passord",
            &[
                ("current", "demo"),
                ("new_password", "passord1"),
                ("repeat", "passord1"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text_of("#new_password-err").contains("for vanlig"));
    let wrong_current = c
        .post(
            "/passord",
            &[
                ("current", "nei"),
                ("new_password", "blå elg på tynn is"),
                ("repeat", "blå elg på tynn is"),
            ],
        )
        .await;
    assert!(wrong_current.text_of("#current-err").contains("feil"));
    let ok = c
        .post(
            "/passord",
            &[
                ("current", "demo"),
                ("new_password", "blå elg på tynn is"),
                ("repeat", "blå elg på tynn is"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(
        c.get("/").await.status,
        StatusCode::OK,
        "this browser continues"
    );
    assert_eq!(
        other.get("/").await.status,
        StatusCode::SEE_OTHER,
        "other sessions end"
    );
    let mut fresh = app.client();
    assert_eq!(
        fresh
            .login("levanger.team", "blå elg på tynn is")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn healthz_reports_database_state() {
    let app = TestApp::spawn().await;
    let res = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.state.pool.close().await;
    let res = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn unknown_pages_are_norwegian_404s() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let res = c.get("/finnes-ikke").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text_of("h1").contains("Fant ikke siden"));
}

#[tokio::test]
async fn hostile_login_input_never_errors() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let huge = "x".repeat(200_000);
    for (u, p) in [
        ("", ""),
        (huge.as_str(), "demo"),
        ("levanger.admin", huge.as_str()),
        ("'; DROP TABLE users; --", "x"),
        ("\u{0}", "\u{0}"),
    ] {
        c.get("/login").await;
        let res = c.post("/login", &[("username", u), ("password", p)]).await;
        assert!(
            res.status.is_client_error(),
            "{} for {:?}",
            res.status,
            u.chars().take(20).collect::<String>()
        );
    }
    // Wrong field types and missing fields are 4xx too.
    let res = c.post_raw("/login", &[("username", "a")]).await;
    assert!(res.status.is_client_error());
}

// ASVS 5.0 V3.7.2 (the application only redirects automatically to an allowlist of
// destinations): `neste` is followed only when it is a plain local path.
#[tokio::test]
async fn login_never_redirects_off_site_and_odd_next_values_never_error() {
    let app = TestApp::spawn().await;
    // A tab (or newline) is stripped by browsers: `/\t/evil.example` becomes
    // `//evil.example`, a protocol-relative link off the site.
    for hostile in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ /evil.example",
        "/\u{1}",
        "/\u{7f}",
    ] {
        let mut c = app.client();
        c.get("/login").await;
        let res = c
            .post(
                "/login",
                &[
                    ("username", "revisor"),
                    ("password", "demo"),
                    ("next", hostile),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{hostile:?}: {}",
            res.text
        );
        assert_eq!(res.location.as_deref(), Some("/"), "{hostile:?}");
    }
    // The same through the login page's hidden field.
    let mut c = app.client();
    let page = c.get("/login?neste=/%09/evil.example").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attr("input[name=next]", "value").as_deref(), Some("/"));
    // Control characters in the query: the login page, never a 500.
    for q in [
        "%00",
        "/%00",
        "%01",
        "/%01",
        "/%1F",
        "/%7F",
        "%0D%0A",
        "/%E2%80%A8",
    ] {
        let mut c = app.client();
        let page = c.get(&format!("/login?neste={q}")).await;
        assert_eq!(page.status, StatusCode::OK, "neste={q}: {}", page.text);
        assert_eq!(
            page.attr("input[name=next]", "value").as_deref(),
            Some("/"),
            "neste={q}"
        );
    }
    // A good local path still works.
    let mut c = app.client();
    c.get("/login?neste=/revisjonslogg").await;
    let res = c
        .post(
            "/login",
            &[
                ("username", "revisor"),
                ("password", "demo"),
                ("next", "/revisjonslogg?side=2"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/revisjonslogg?side=2"));
}

// ASVS 5.0 V4.1.3 (a header field set by an intermediary layer, here the request id,
// cannot be overridden by the end user): the request id in the logs and the audit trail is
// generated by Bosak, never taken from the client.
#[tokio::test]
async fn a_client_request_id_is_replaced_by_our_own() {
    let app = TestApp::spawn().await;
    let mut c = app.client();
    c.get("/login").await;
    let tok = c.csrf.clone().unwrap();
    let res = c
        .http
        .post(format!("{}/login", c.base))
        .header("x-request-id", "evil")
        .form(&[
            ("username", "levanger.team"),
            ("password", "demo"),
            ("next", "/"),
            ("csrf_token", &tok),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let echoed = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_ne!(echoed, "evil");
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed:?}");
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT request_id FROM audit_events WHERE action = 'login' ORDER BY at DESC LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(stored.as_deref(), Some(echoed.as_str()));
    let forged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE request_id = 'evil'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(forged, 0);
    // Also on a plain page, and on errors.
    let res = c
        .http
        .get(format!("{}/finnes-ikke", c.base))
        .header("x-request-id", "evil")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers().get("x-request-id").unwrap(), "evil");
}

// ASVS 5.0 V3.4.1 (Strict-Transport-Security on every response, max-age at least a year,
// includeSubDomains).
#[tokio::test]
async fn hsts_is_sent_when_served_over_tls() {
    let secure = TestApp::spawn_with(|c| c.secure_cookies = true).await;
    let mut s = secure.client();
    for path in ["/login", "/finnes-ikke", "/healthz"] {
        let page = s.get(path).await;
        assert_eq!(
            page.headers
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    // Plain HTTP (development): no HSTS, which would lock browsers out of localhost.
    let plain = TestApp::spawn().await;
    let page = plain.client().get("/login").await;
    assert!(page.headers.get("strict-transport-security").is_none());
}

// ASVS 5.0 V6.3.1 (controls against credential stuffing and brute force): guessing the
// current password on /passord is throttled like guessing it at login.
#[tokio::test]
async fn wrong_current_passwords_lock_the_password_change() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.team").await;
    c.get("/passord").await;
    let change = |current: &'static str| {
        [
            ("current", current),
            ("new_password", "blå elg på tynn is"),
            ("repeat", "blå elg på tynn is"),
        ]
    };
    for _ in 0..bosak::auth::throttle::ACCOUNT_LIMIT {
        let res = c.post("/passord", &change("gjett")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text_of("#current-err").contains("feil"));
    }
    let locked = c.post("/passord", &change("demo")).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .text_of("#current-err")
            .contains("For mange forsøk med feil passord"),
        "{}",
        locked.text_of("#current-err")
    );
    // The password is unchanged, and login is locked for the account too.
    let mut fresh = app.client();
    assert_eq!(
        fresh.login("levanger.team", "demo").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.audit_count("user.password_changed").await, 0);
    assert_eq!(
        app.audit_count("user.password_change_failed").await,
        bosak::auth::throttle::ACCOUNT_LIMIT as i64
    );
}

/// ASVS 5.0 V6.3.1 (brute force): 30 wrong guesses fired at once are counted one by one
/// before any password is checked, so no more than the account's five are ever
/// evaluated, and the rest are refused as locked.
#[tokio::test]
async fn concurrent_guesses_evaluate_no_more_than_the_allowed_number() {
    let app = TestApp::spawn().await;
    let mut clients = Vec::new();
    for _ in 0..30 {
        let mut c = app.client();
        c.get("/login").await;
        clients.push(c);
    }
    let guesses = clients.into_iter().map(|mut c| async move {
        let password = "gjett-igjen";
        c.post(
            "/login",
            &[
                ("username", "levanger.team"),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
        .status
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(evaluated, 5, "{statuses:?}");
    assert_eq!(evaluated + locked, 30, "{statuses:?}");
    assert_eq!(
        app.audit_count("login.failed").await,
        5,
        "the audit log agrees"
    );
}

/// ASVS 5.0 V3.5.1 / BREACH: the CSRF token differs on every response of a session (a
/// fresh mask), each masked form is accepted, and the session's bare token is not.
#[tokio::test]
async fn the_csrf_token_is_masked_afresh_on_every_response() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    let token = |p: &crate::common::Page| p.attr("input[name=csrf_token]", "value").unwrap();
    let first = token(&c.get("/passord").await);
    let second = token(&c.get("/passord").await);
    assert_ne!(first, second);
    let bare: String = sqlx::query_scalar(
        "SELECT csrf_token FROM sessions WHERE user_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert!(!first.contains(&bare) && !second.contains(&bare));
    for (tok, expected) in [
        (first.as_str(), StatusCode::SEE_OTHER),
        (second.as_str(), StatusCode::SEE_OTHER),
        (bare.as_str(), StatusCode::FORBIDDEN),
    ] {
        let res = c
            .post_raw(
                "/velg-kommune",
                &[
                    ("csrf_token", tok),
                    ("municipality", "alle"),
                    ("return_to", "/"),
                ],
            )
            .await;
        assert_eq!(res.status, expected, "{tok}");
    }
}

/// Sends the head of a 20 MB multipart upload as `username` and then stalls: the answer
/// must come from the headers alone.
async fn stalled_upload(app: &TestApp, username: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let user = match username {
        Some(u) => {
            let id = app.user_id(u).await;
            let epoch: i32 = sqlx::query_scalar("SELECT session_epoch FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&app.owner)
                .await
                .unwrap();
            Some((id, epoch))
        }
        None => None,
    };
    let (token, _) = bosak::auth::session::create(&app.state.pool, &app.state, user)
        .await
        .unwrap();
    let cookie = app.state.config.session_cookie_name();
    let addr = app.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /soknader/{}/dokumenter HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}={token}\r\n\
         Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 20000000\r\n\r\n--XX\r\n",
        uuid::Uuid::nil()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("an answer before the body is sent: the upload was not refused up front")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// ASVS 5.0 V2.4.1 / V13 (resource use): an upload from someone who may not upload (an
/// anonymous session, an auditor) is refused from its headers, before the body is read.
#[tokio::test]
async fn uploads_are_refused_before_the_body_is_read_for_those_who_may_not_upload() {
    let app = TestApp::spawn().await;
    for who in [None, Some("revisor")] {
        let answer = stalled_upload(&app, who).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{who:?}: {answer}");
    }
}

async fn session_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

/// ASVS 5.0 V2.4.1 (anti-automation, resource use) and V3.5.1 (CSRF): visitors without a
/// session get the login page and the public form without a session row being written,
/// their forms carry a stateless token bound to their own nonce cookie, and a session is
/// created only when a login succeeds.
#[tokio::test]
async fn anonymous_pages_create_no_session_and_their_tokens_bind_to_the_browser() {
    let app = TestApp::spawn().await;
    let before = session_rows(&app).await;
    for path in ["/login", "/soknad/5037", "/login?neste=/vedtak"] {
        for _ in 0..3 {
            let page = app.client().get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            let cookies: Vec<&str> = page
                .headers
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            assert!(
                cookies.iter().all(|c| !c.starts_with("bosak_session=")),
                "{path} sets a session cookie: {cookies:?}"
            );
            assert!(
                cookies.iter().any(|c| c.starts_with("bosak_session_pre=")
                    && c.contains("HttpOnly")
                    && c.contains("SameSite=Strict")),
                "{cookies:?}"
            );
        }
    }
    assert_eq!(
        session_rows(&app).await,
        before,
        "cookieless GETs wrote session rows"
    );

    // A failed login keeps the visitor sessionless; the right one creates the session.
    let mut c = app.client();
    c.get("/login").await;
    let failed = c
        .post(
            "/login",
            &[
                ("username", "levanger.admin"),
                ("password", "feil"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(session_rows(&app).await, before);
    let ok = c
        .post(
            "/login",
            &[
                ("username", "levanger.admin"),
                ("password", "demo"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(session_rows(&app).await, before + 1);

    // A token is good only with the nonce cookie it was made for: one browser's token in
    // another browser, a token without any cookie, and no token at all are refused.
    let mut a = app.client();
    a.get("/login").await;
    let token_a = a.csrf.clone().expect("a token on the login page");
    let mut b = app.client();
    b.get("/login").await;
    let fields = |tok: &str| {
        vec![
            ("username".to_string(), "levanger.admin".to_string()),
            ("password".to_string(), "demo".to_string()),
            ("next".to_string(), "/".to_string()),
            ("csrf_token".to_string(), tok.to_string()),
        ]
    };
    let crossed = b
        .http
        .post(format!("{}/login", app.base))
        .form(&fields(&token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN);
    let cookieless = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", app.base))
        .form(&fields(&token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(cookieless.status(), StatusCode::FORBIDDEN);
    let untokened = a
        .post_raw(
            "/login",
            &[("username", "levanger.admin"), ("password", "demo")],
        )
        .await;
    assert_eq!(untokened.status, StatusCode::FORBIDDEN);
    assert_eq!(
        session_rows(&app).await,
        before + 1,
        "no refused login made a session"
    );

    // The public form is sent with the pre-session token and lands without a session.
    let mut visitor = app.client();
    let form = visitor.get("/soknad/5037").await;
    assert!(form.attr("input[name=csrf_token]", "value").is_some());
    let refused = visitor
        .post("/soknad/5037", &[("applicant_name", "")])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validated, not refused as CSRF"
    );
    assert_eq!(session_rows(&app).await, before + 1);
}
