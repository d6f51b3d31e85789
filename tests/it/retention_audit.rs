//! ASVS 5.0 V14.2.7 / V16.2 (retention reaches the audit log): when a case is anonymised
//! after its retention period, the free text its audit events carry is blanked, while who
//! did what to which record, and when, stays; a case still kept keeps its events whole.

use uuid::Uuid;

use crate::common::TestApp;
use crate::privacy::retention_fixture;

async fn event(app: &TestApp, m: Uuid, user: Uuid, entity: &str, id: Uuid, reason: &str) -> Uuid {
    let event = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO audit_events (id, user_id, username, municipality_id, action, entity_type, entity_id, details)
         VALUES ($1, $2, 'levanger.saksbehandler', $3, 'application.status_changed', $4, $5,
                 jsonb_build_object('from', 'received', 'to', 'withdrawn', 'reason', $6::text))",
    )
    .bind(event)
    .bind(user)
    .bind(m)
    .bind(entity)
    .bind(id.to_string())
    .bind(reason)
    .execute(&app.owner)
    .await
    .unwrap();
    event
}

#[tokio::test]
async fn anonymising_a_case_blanks_the_free_text_of_its_audit_events_and_nothing_else() {
    let app = TestApp::spawn().await;
    let f = retention_fixture(&app).await;
    let user = app.user_id("levanger.saksbehandler").await;
    let old = event(
        &app,
        f.m,
        user,
        "application",
        f.old,
        "Flytter til Trondheim med Gammel Søker",
    )
    .await;
    let keep = event(
        &app,
        f.m,
        user,
        "application",
        f.keep,
        "Fersk Søker trekker søknaden",
    )
    .await;

    let n = bosak::privacy::retention::run(&app.state, app.today())
        .await
        .unwrap();
    assert_eq!(n, 1);

    let row = |id: Uuid| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_as::<_, (String, Option<Uuid>, String, String, serde_json::Value)>(
                "SELECT action, user_id, entity_type, entity_id, details FROM audit_events WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let (action, who, kind, entity, details) = row(old).await;
    assert_eq!(
        details,
        serde_json::json!("Anonymisert"),
        "the reason is gone"
    );
    assert_eq!(
        (action.as_str(), who, kind.as_str(), entity),
        (
            "application.status_changed",
            Some(user),
            "application",
            f.old.to_string()
        ),
        "who did what to which case stays"
    );
    let (_, _, _, _, kept) = row(keep).await;
    assert_eq!(
        kept["reason"], "Fersk Søker trekker søknaden",
        "a kept case keeps its events"
    );

    // Outside the anonymising function the audit log stays append-only, even for the owner.
    let refused = sqlx::query("UPDATE audit_events SET details = '\"Anonymisert\"' WHERE id = $1")
        .bind(keep)
        .execute(&app.owner)
        .await;
    assert!(refused.is_err(), "the audit log cannot be blanked by hand");
}
