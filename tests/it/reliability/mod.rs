//! The reliability suite (issue 18, ARCHITECTURE §8): tenant isolation per table and by
//! crawling, stale edits and double submits, hostile input, sessions, crash safety under
//! SIGKILL, a soak, backup and restore. Each test prints its numbers so a regression shows.

mod backup;
mod crash;
mod crawl;
mod db_isolation;
mod hostile;
mod server;
mod sessions;
mod soak;
mod stale;

use bosak::auth::roles::Role;

use crate::common::TestApp;

/// Users the demo lacks, made for these tests with the demo password: the other roles of
/// Stjørdal, auditors of one municipality only, and a second office (over Stjørdal) with
/// its caseworker and administrator.
pub async fn add_users(app: &TestApp) {
    let mut tx = app.owner.begin().await.unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'levanger.team'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let stjordal = app.municipality_id("5035").await;
    let levanger = app.municipality_id("5037").await;
    let office = bosak::seed::create_office(&mut tx, "Værnes felles tildelingskontor", &[stjordal])
        .await
        .unwrap();
    for (username, name, municipality, office, role) in [
        (
            "stjordal.team",
            "Stine Team",
            Some(stjordal),
            None,
            Role::Team,
        ),
        (
            "stjordal.admin",
            "Stian Admin",
            Some(stjordal),
            None,
            Role::Admin,
        ),
        (
            "stjordal.revisor",
            "Siri Revisor",
            Some(stjordal),
            None,
            Role::Auditor,
        ),
        (
            "levanger.revisor",
            "Lars Revisor",
            Some(levanger),
            None,
            Role::Auditor,
        ),
        (
            "vaernes.saksbehandler",
            "Vera Kontor",
            None,
            Some(office),
            Role::Caseworker,
        ),
        (
            "vaernes.admin",
            "Vidar Kontor",
            None,
            Some(office),
            Role::OfficeAdmin,
        ),
    ] {
        let user = bosak::seed::insert_user(&mut tx, username, name, &hash, false, true)
            .await
            .unwrap();
        bosak::seed::grant(&mut tx, user, municipality, office, role)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Levanger's users, whose pages are crawled.
pub const LEVANGER_USERS: &[&str] = &[
    "levanger.saksbehandler",
    "levanger.team",
    "levanger.admin",
    "levanger.revisor",
];

/// Users who may see nothing of Levanger: every role of another municipality, an auditor
/// of another municipality, and the users of another office.
pub const INTRUDERS: &[&str] = &[
    "verdal.saksbehandler",
    "stjordal.saksbehandler",
    "stjordal.team",
    "stjordal.admin",
    "stjordal.revisor",
    "vaernes.saksbehandler",
    "vaernes.admin",
];
