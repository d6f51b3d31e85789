//! Append-only audit events: who did or read what, when, in which municipality.
//! Written inside the same transaction as the change it records, so a rolled-back change
//! leaves no event and a committed change always has one.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::web::ctx::{Actor, Ctx, RequestMeta};

pub struct Event<'a> {
    pub action: &'a str,
    pub municipality_id: Option<Uuid>,
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<String>,
    pub details: Value,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str) -> Self {
        Event {
            action,
            municipality_id: None,
            entity_type: None,
            entity_id: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn municipality(mut self, id: Uuid) -> Self {
        self.municipality_id = Some(id);
        self
    }

    pub fn entity(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.entity_type = Some(kind);
        self.entity_id = Some(id.to_string());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record_as(
    conn: &mut PgConnection,
    user: Option<(Uuid, &str)>,
    meta: &RequestMeta,
    event: Event<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events
           (id, user_id, username, municipality_id, action, entity_type, entity_id, details, ip, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(user.map(|u| u.0))
    .bind(user.map(|u| u.1))
    .bind(event.municipality_id)
    .bind(event.action)
    .bind(event.entity_type)
    .bind(event.entity_id)
    .bind(event.details)
    .bind(&meta.ip)
    .bind(&meta.request_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whoever acts in a request: the handler's [`Ctx`] or a command's [`Actor`].
pub trait Acting {
    fn actor(&self) -> Actor<'_>;
}

impl Acting for Ctx {
    fn actor(&self) -> Actor<'_> {
        Ctx::actor(self)
    }
}

impl Acting for Actor<'_> {
    fn actor(&self) -> Actor<'_> {
        *self
    }
}

pub async fn record(
    conn: &mut PgConnection,
    who: &impl Acting,
    event: Event<'_>,
) -> Result<(), sqlx::Error> {
    let a = who.actor();
    record_as(conn, Some((a.user.id, &a.user.username)), a.meta, event).await
}
