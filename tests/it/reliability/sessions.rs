//! Sessions and login beyond `tests/it/auth.rs`: a session id planted before login is not
//! the one after it (fixation), a logged-out id is dead on the server (not only in the
//! browser), a deactivated user's session ends at once also on another server process,
//! and login throttling holds across two server processes over one database.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::common::{Client, TestApp};

const COOKIE: &str = "bosak_session";

/// A client whose cookie jar the test can read and write.
fn client_with_jar(app: &TestApp) -> (Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(Policy::none())
        .build()
        .unwrap();
    (
        Client {
            http,
            base: app.base.clone(),
            csrf: None,
        },
        jar,
    )
}

/// The session id the jar holds for the app.
fn session_of(app: &TestApp, jar: &Jar) -> Option<String> {
    let url: url::Url = app.base.parse().unwrap();
    let header = jar.cookies(&url)?;
    header
        .to_str()
        .ok()?
        .split("; ")
        .find_map(|c| c.strip_prefix(&format!("{COOKIE}=")).map(str::to_owned))
}

/// A client that presents exactly this session id.
fn with_session(app: &TestApp, id: &str) -> Client {
    let (c, jar) = client_with_jar(app);
    let url: url::Url = app.base.parse().unwrap();
    jar.add_cookie_str(&format!("{COOKIE}={id}; Path=/"), &url);
    c
}

#[tokio::test]
async fn a_planted_session_id_is_replaced_at_login_and_gives_the_planter_nothing() {
    let app = TestApp::spawn().await;
    // The attacker's own valid session, and an invented one, planted in the victim's
    // browser.
    let (mut attacker, attacker_jar) = client_with_jar(&app);
    assert_eq!(
        attacker
            .login("stjordal.saksbehandler", "demo")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let planted = session_of(&app, &attacker_jar).expect("the attacker's session");
    for plant in [planted.clone(), "A".repeat(43)] {
        let (mut victim, victim_jar) = client_with_jar(&app);
        let url: url::Url = app.base.parse().unwrap();
        victim_jar.add_cookie_str(&format!("{COOKIE}={plant}; Path=/"), &url);
        let res = victim.login("levanger.team", "demo").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let now = session_of(&app, &victim_jar).expect("a session after login");
        assert_ne!(now, plant, "the session id changes at login");
        assert!(now.len() >= 40, "a long random id");
        // The planted id does not lead into the victim's session.
        let mut planter = with_session(&app, &plant);
        let page = planter.get("/").await;
        assert!(
            page.status == StatusCode::SEE_OTHER || !page.text.contains("Sigrid Skogn"),
            "the planted id is not the victim's session"
        );
        assert!(!planter.get("/soknader").await.text.contains("Sigrid Skogn"));
        // The victim works on.
        assert!(victim.get("/").await.text.contains("Sigrid Skogn"));
    }
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let (mut c, jar) = client_with_jar(&app);
    assert_eq!(
        c.login("levanger.saksbehandler", "demo").await.status,
        StatusCode::SEE_OTHER
    );
    let id = session_of(&app, &jar).expect("session");
    let mut copy = with_session(&app, &id);
    assert_eq!(
        copy.get("/").await.status,
        StatusCode::OK,
        "a copied id works while logged in"
    );
    let rows = |app: &TestApp| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE u.username = 'levanger.saksbehandler'",
            )
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    assert_eq!(rows(&app).await, 1);
    assert_eq!(c.post("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(rows(&app).await, 0, "the session row is gone");
    // A copy of the id kept from before the logout (a stolen cookie) is dead too.
    let res = copy.get("/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location.unwrap_or_default().starts_with("/login"));
    let res = copy.post("/soknader", &[("name", "x")]).await;
    assert!(
        res.status == StatusCode::FORBIDDEN || res.status == StatusCode::SEE_OTHER,
        "{}",
        res.status
    );
}

#[tokio::test]
async fn a_deactivated_users_sessions_end_at_once_on_every_server() {
    let app = TestApp::spawn().await;
    let other = TestApp::attach(&app, |_| {}).await;
    let mut here = app.login("levanger.team").await;
    let mut there = other.login("levanger.team").await;
    assert_eq!(here.get("/").await.status, StatusCode::OK);
    assert_eq!(there.get("/").await.status, StatusCode::OK);
    let mut admin = app.login("levanger.admin").await;
    let team = app.user_id("levanger.team").await;
    admin.get(&format!("/brukere/{team}?enhet=k-5037")).await;
    let res = admin
        .post(
            &format!("/brukere/{team}/deaktiver"),
            &[("scope", "k-5037"), ("version", "1")],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    // The very next request on either server, a read or a write, finds no session.
    for c in [&mut here, &mut there] {
        let res = c.get("/soknader").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "a read");
        let res = c
            .post_raw("/innstillinger/omrader", &[("name", "Etter deaktivering")])
            .await;
        assert_ne!(res.status, StatusCode::OK);
        assert!(!res.status.is_success());
    }
    let areas: i64 = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT count(*) FROM areas WHERE name = 'Etter deaktivering'",
            &[],
        )
        .await;
    assert_eq!(areas, 0);
}

#[tokio::test]
async fn login_throttling_holds_across_two_server_processes() {
    let app = TestApp::spawn().await;
    let other = TestApp::attach(&app, |_| {}).await;
    // Failures alternate between the servers: the lock counts them together.
    for i in 0..5 {
        let server = if i % 2 == 0 { &app } else { &other };
        let mut c = server.client();
        assert_eq!(
            c.login("levanger.admin", "gjett-igjen").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    for server in [&app, &other] {
        let mut c = server.client();
        assert_eq!(
            c.login("levanger.admin", "demo").await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "locked on both servers, even for the right password"
        );
    }
    // Concurrent guesses on both servers at once: no more than five are evaluated.
    let guesses = (0..12).map(|i| {
        let base = if i % 2 == 0 { &app } else { &other };
        let mut c = base.client();
        async move { c.login("levanger.team", "feil-passord").await.status }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(evaluated, 5, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
}
