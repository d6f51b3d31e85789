use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn municipality_admin_creates_user_who_must_change_password() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    let list = admin.get("/brukere").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text_of("h1").contains("Levanger"));
    let names = list.text_of("tbody");
    assert!(names.contains("levanger.saksbehandler") && names.contains("levanger.team"));
    assert!(
        !names.contains("verdal.saksbehandler"),
        "other municipalities' users are not listed"
    );
    assert!(
        !names.contains("kontor.saksbehandler"),
        "office users are the office admin's"
    );

    admin.get("/brukere/ny?enhet=k-5037").await;
    let bad = admin
        .post(
            "/brukere/ny",
            &[
                ("scope", "k-5037"),
                ("username", "Ny Bruker"),
                ("display_name", ""),
                ("password", "123"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#username-err").contains("små bokstaver"));
    assert!(bad.text_of("#display_name-err").contains("må fylles ut"));
    assert!(bad.text_of("#roles-err").contains("minst én rolle"));
    assert_eq!(
        bad.attr("#username", "value").as_deref(),
        Some("Ny Bruker"),
        "input kept"
    );

    let ok = admin
        .post(
            "/brukere/ny",
            &[
                ("scope", "k-5037"),
                ("username", "marit.saksbehandler"),
                ("display_name", "Marit Moe"),
                ("role_caseworker", "1"),
                ("password", "midlertidig sommerfugl 42"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(app.audit_count("user.created").await, 1);

    let dup = admin
        .post(
            "/brukere/ny",
            &[
                ("scope", "k-5037"),
                ("username", "marit.saksbehandler"),
                ("display_name", "M"),
                ("role_team", "1"),
                ("password", "midlertidig sommerfugl 42"),
            ],
        )
        .await;
    assert!(dup.text_of("#username-err").contains("allerede i bruk"));

    let mut marit = app.client();
    let login = marit
        .login("marit.saksbehandler", "midlertidig sommerfugl 42")
        .await;
    assert_eq!(login.location.as_deref(), Some("/passord"));
    let forced = marit.get("/").await;
    assert_eq!(
        forced.location.as_deref(),
        Some("/passord"),
        "must change before anything else"
    );
    marit.get("/passord").await;
    let changed = marit
        .post(
            "/passord",
            &[
                ("current", "midlertidig sommerfugl 42"),
                ("new_password", "egen lang hemmelig frase"),
                ("repeat", "egen lang hemmelig frase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let home = marit.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home
        .text_of(".bosak-header__role")
        .contains("Saksbehandler"));
}

#[tokio::test]
async fn nobody_grants_a_role_they_do_not_hold_or_outside_their_scope() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    let team = app.user_id("levanger.team").await;
    admin.get(&format!("/brukere/{team}?enhet=k-5037")).await;
    let version: i32 = sqlx::query_scalar("SELECT version FROM users WHERE id = $1")
        .bind(team)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let v = version.to_string();
    let res = admin
        .post(
            &format!("/brukere/{team}/roller"),
            &[
                ("scope", "k-5037"),
                ("version", &v),
                ("role_office_admin", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // A scope the admin does not administer.
    let office_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM offices")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let res = admin
        .post(
            &format!("/brukere/{team}/roller"),
            &[
                ("scope", &format!("o-{office_id}")),
                ("version", &v),
                ("role_caseworker", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // A user of another municipality is invisible.
    let verdal = app.user_id("verdal.saksbehandler").await;
    assert_eq!(
        admin
            .get(&format!("/brukere/{verdal}?enhet=k-5037"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Caseworkers and team members administer nobody.
    let mut cw = app.login("levanger.saksbehandler").await;
    assert_eq!(cw.get("/brukere").await.status, StatusCode::FORBIDDEN);
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role::text FROM memberships WHERE user_id = $1")
            .bind(team)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(roles, vec!["team".to_string()], "nothing changed");

    // A legitimate change works and is audited.
    let ok = admin
        .post(
            &format!("/brukere/{team}/roller"),
            &[
                ("scope", "k-5037"),
                ("version", &v),
                ("role_team", "1"),
                ("role_caseworker", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let mut roles: Vec<String> =
        sqlx::query_scalar("SELECT role::text FROM memberships WHERE user_id = $1")
            .bind(team)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    roles.sort();
    assert_eq!(roles, vec!["caseworker".to_string(), "team".to_string()]);
    assert_eq!(app.audit_count("user.roles_changed").await, 1);
}

#[tokio::test]
async fn stale_role_edit_is_rejected() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    let team = app.user_id("levanger.team").await;
    admin.get(&format!("/brukere/{team}?enhet=k-5037")).await;
    let first = admin
        .post(
            &format!("/brukere/{team}/roller"),
            &[
                ("scope", "k-5037"),
                ("version", "1"),
                ("role_team", "1"),
                ("role_caseworker", "1"),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    // A colleague's form still carries version 1.
    let stale = admin
        .post(
            &format!("/brukere/{team}/roller"),
            &[("scope", "k-5037"), ("version", "1"), ("role_team", "1")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale
        .text_of(".ds-error-summary")
        .contains("endret av noen andre"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships WHERE user_id = $1")
        .bind(team)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 2, "the colleague's change stands");
}

#[tokio::test]
async fn deactivation_ends_all_sessions_and_blocks_login() {
    let app = TestApp::spawn().await;
    let mut victim = app.login("levanger.team").await;
    assert_eq!(victim.get("/").await.status, StatusCode::OK);
    let mut admin = app.login("levanger.admin").await;
    let team = app.user_id("levanger.team").await;
    admin.get(&format!("/brukere/{team}?enhet=k-5037")).await;
    let res = admin
        .post(
            &format!("/brukere/{team}/deaktiver"),
            &[("scope", "k-5037"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        victim.get("/").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    let mut again = app.client();
    assert_eq!(
        again.login("levanger.team", "demo").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.audit_count("user.deactivated").await, 1);
    // Reactivate.
    admin.get(&format!("/brukere/{team}?enhet=k-5037")).await;
    let res = admin
        .post(
            &format!("/brukere/{team}/aktiver"),
            &[("scope", "k-5037"), ("version", "2")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.login("levanger.team", "demo").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn admin_cannot_deactivate_a_user_who_also_works_elsewhere_or_themselves() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    // The auditor works in all three municipalities.
    let revisor = app.user_id("revisor").await;
    let page = admin.get(&format!("/brukere/{revisor}?enhet=k-5037")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("form[action$='/deaktiver']"), 0);
    let res = admin
        .post(
            &format!("/brukere/{revisor}/deaktiver"),
            &[("scope", "k-5037"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let me = app.user_id("levanger.admin").await;
    let res = admin
        .post(
            &format!("/brukere/{me}/deaktiver"),
            &[("scope", "k-5037"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let active: bool = sqlx::query_scalar("SELECT bool_and(active) FROM users")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert!(active);
}

#[tokio::test]
async fn reset_password_forces_change_and_logs_out() {
    let app = TestApp::spawn().await;
    let mut victim = app.login("levanger.saksbehandler").await;
    let mut admin = app.login("levanger.admin").await;
    let id = app.user_id("levanger.saksbehandler").await;
    admin.get(&format!("/brukere/{id}?enhet=k-5037")).await;
    let weak = admin
        .post(
            &format!("/brukere/{id}/nullstill-passord"),
            &[("scope", "k-5037"), ("version", "1"), ("password", "abc")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin
        .post(
            &format!("/brukere/{id}/nullstill-passord"),
            &[
                ("scope", "k-5037"),
                ("version", "1"),
                ("password", "ny start for ola 2026"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(victim.get("/").await.status, StatusCode::SEE_OTHER);
    let mut c = app.client();
    let login = c
        .login("levanger.saksbehandler", "ny start for ola 2026")
        .await;
    assert_eq!(login.location.as_deref(), Some("/passord"));
}

#[tokio::test]
async fn office_admin_manages_office_users() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("kontor.admin").await;
    let list = admin.get("/brukere").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text_of("h1").contains("Innherred"));
    assert!(list.text_of("tbody").contains("kontor.saksbehandler"));
    assert!(!list.text_of("tbody").contains("levanger.saksbehandler"));
    let ok = admin
        .post(
            "/brukere/ny",
            &[
                (
                    "scope",
                    &list.attr("input[name=scope]", "value").unwrap_or_else(|| {
                        list.attr("a[href^='/brukere/ny']", "href")
                            .unwrap()
                            .split("enhet=")
                            .nth(1)
                            .unwrap()
                            .to_owned()
                    }),
                ),
                ("username", "ny.kontor"),
                ("display_name", "Ny på kontoret"),
                ("role_team", "1"),
                ("password", "innherred har mange elger"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // The new user works in both municipalities the office serves.
    let mut c = app.client();
    c.login("ny.kontor", "innherred har mange elger").await;
    c.get("/passord").await;
    c.post(
        "/passord",
        &[
            ("current", "innherred har mange elger"),
            ("new_password", "kontor sin egen frase"),
            ("repeat", "kontor sin egen frase"),
        ],
    )
    .await;
    let home = c.get("/").await;
    assert_eq!(
        home.count("form.bosak-header__switcher option"),
        3,
        "Alle + Levanger + Verdal"
    );
    // An office admin cannot grant a municipality's admin role.
    let id = app.user_id("ny.kontor").await;
    let scope = format!(
        "o-{}",
        sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM offices")
            .fetch_one(&app.owner)
            .await
            .unwrap()
    );
    admin.get(&format!("/brukere/{id}?enhet={scope}")).await;
    let res = admin
        .post(
            &format!("/brukere/{id}/roller"),
            &[("scope", &scope), ("version", "1"), ("role_admin", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn auditor_lists_and_filters_the_audit_log_which_is_append_only() {
    let app = TestApp::spawn().await;
    app.login("levanger.team").await;
    let mut c = app.client();
    c.login("levanger.team", "feil").await;
    let mut revisor = app.login("revisor").await;
    let all = revisor.get("/revisjonslogg").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.text_of("tbody").contains("login.failed"));
    let filtered = revisor.get("/revisjonslogg?handling=login.failed").await;
    let rows = filtered.texts("tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let bad = revisor.get("/revisjonslogg?fra=31.12.2026").await;
    assert!(bad.text_of("#fra-err").contains("åååå-mm-dd"));
    // Caseworkers have no access.
    let mut cw = app.login("levanger.saksbehandler").await;
    assert_eq!(cw.get("/revisjonslogg").await.status, StatusCode::FORBIDDEN);
    // The database refuses changes, even from the owner.
    let upd = sqlx::query("UPDATE audit_events SET action = 'x'")
        .execute(&app.owner)
        .await;
    assert!(upd.is_err());
    let del = sqlx::query("DELETE FROM audit_events")
        .execute(&app.owner)
        .await;
    assert!(del.is_err());
    let trunc = sqlx::query("TRUNCATE audit_events")
        .execute(&app.owner)
        .await;
    assert!(trunc.is_err());
}

/// ASVS 5.0 V16.2.1 / V8.2.2: the audit log is scoped per municipality. Events without a
/// municipality (logins, failed logins with the typed user name, password changes) show
/// to an auditor only when they concern staff of the municipalities audited, and to a
/// municipality admin only their own; another municipality's staff activity never shows.
#[tokio::test]
async fn events_without_a_municipality_do_not_leak_across_tenants() {
    let app = TestApp::spawn().await;
    // The auditor audits Levanger only in this test.
    let levanger = app.municipality_id("5037").await;
    let revisor = app.user_id("revisor").await;
    sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND municipality_id <> $2")
        .bind(revisor)
        .bind(levanger)
        .execute(&app.owner)
        .await
        .unwrap();
    app.login("levanger.team").await;
    app.login("stjordal.saksbehandler").await;
    let mut c = app.client();
    c.login("stjordal.saksbehandler", "feil").await;
    c.login("levanger.team", "feil").await;
    c.login("ukjent.person", "feil").await;

    let mut auditor = app.login("revisor").await;
    let page = auditor.get("/revisjonslogg?handling=login").await;
    let text = page.text_of("tbody");
    assert!(text.contains("levanger.team"), "Levanger staff: {text}");
    assert!(
        !text.contains("stjordal.saksbehandler"),
        "another municipality's staff: {text}"
    );
    assert!(
        !text.contains("ukjent.person"),
        "a name typed by anyone: {text}"
    );
    let failed = auditor.get("/revisjonslogg?handling=login.failed").await;
    assert_eq!(
        failed.texts("tbody tr").len(),
        1,
        "only Levanger staff's failed login"
    );

    // A municipality admin sees the municipality's events and only their own logins.
    let mut admin = app.login("levanger.admin").await;
    let page = admin.get("/revisjonslogg?handling=login").await;
    let text = page.text_of("tbody");
    assert!(text.contains("levanger.admin"));
    assert!(!text.contains("levanger.team"), "{text}");
    assert!(!text.contains("stjordal.saksbehandler"), "{text}");
}

/// Separation of duties (ASVS 5.0 V8.2.1): no administrator grants or removes the auditor
/// role in Bosak — the admin would audit themselves; the operator grants it from the
/// command line (`bosak user grant`), and an admin's role edits leave it in place.
#[tokio::test]
async fn no_admin_grants_or_removes_the_auditor_role() {
    let app = TestApp::spawn().await;
    let mut admin = app.login("levanger.admin").await;
    let me = app.user_id("levanger.admin").await;
    let page = admin.get(&format!("/brukere/{me}?enhet=k-5037")).await;
    assert_eq!(page.count("input[name=role_auditor]"), 0, "not offered");
    let v = page
        .attr("form[action$='/roller'] input[name=version]", "value")
        .unwrap();
    let res = admin
        .post(
            &format!("/brukere/{me}/roller"),
            &[
                ("scope", "k-5037"),
                ("version", &v),
                ("role_admin", "1"),
                ("role_auditor", "1"),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "a tampered form is refused"
    );
    let auditor_roles = |user: uuid::Uuid| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM memberships WHERE user_id = $1 AND role = 'auditor'",
            )
            .bind(user)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    assert_eq!(auditor_roles(me).await, 0);

    // The auditor's account and roles are not the admin's to manage: no forms, and a
    // posted role edit, deactivation or password reset is refused.
    let revisor = app.user_id("revisor").await;
    let before = auditor_roles(revisor).await;
    let page = admin.get(&format!("/brukere/{revisor}?enhet=k-5037")).await;
    assert_eq!(page.count("form[action$='/roller']"), 0);
    assert!(page.text_of("#revisor-merknad").contains("driftsansvarlig"));
    for (action, fields) in [
        ("roller", vec![("role_team", "1")]),
        ("deaktiver", vec![]),
        (
            "nullstill-passord",
            vec![("password", "Et-langt-passord-2026")],
        ),
    ] {
        let mut all = vec![("scope", "k-5037"), ("version", "1")];
        all.extend(fields);
        let res = admin
            .post(&format!("/brukere/{revisor}/{action}"), &all)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(auditor_roles(revisor).await, before);

    // The operator grants it, and that is recorded.
    bosak::seed::grant_role(
        &app.owner,
        "levanger.team",
        "5037",
        bosak::auth::Role::Auditor,
    )
    .await
    .unwrap();
    let team = app.user_id("levanger.team").await;
    assert_eq!(auditor_roles(team).await, 1);
    assert_eq!(app.audit_count("user.role_granted_by_operator").await, 1);
}
