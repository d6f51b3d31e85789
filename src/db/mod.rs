//! Database access: pools, migrations and tenant-scoped transactions.
//!
//! Two kinds of connection exist. The *owner* connection (the role in `DATABASE_URL`) runs
//! migrations, seeding and the administrative commands, and nothing else. Request
//! connections log in as a role that is not the owner (`request_login`) and act as
//! `bosak_app`, a role that owns no table and cannot bypass row level security, so a bug in
//! a handler can never see another tenant's rows: the database itself refuses. Because the
//! login role is not the owner either, `RESET ROLE` on a request connection gains nothing.

pub mod citus;
pub mod local_cluster;
pub mod request_login;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use uuid::Uuid;

pub const APP_ROLE: &str = "bosak_app";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub type Tx = Transaction<'static, Postgres>;

/// Pool for requests: logs in with `options` (from `request_login::request_options`) and
/// acts as `bosak_app`. Refuses a login that could undo row level security.
pub async fn app_pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // SET ROLE although the login role usually inherits bosak_app: an
                // administrator's role may be a NOINHERIT member.
                conn.execute(
                    "SET ROLE bosak_app; SET statement_timeout = '30s'; SET TIME ZONE 'Europe/Oslo'",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options.application_name("bosak"))
        .await?;
    if let Err(e) = check_request_login(&pool).await {
        pool.close().await;
        return Err(e);
    }
    Ok(pool)
}

/// Fails when the session user of request connections (what `RESET ROLE` returns to) is a
/// superuser, may bypass row level security or create roles, or is or may become the owner
/// of a table or of the database.
async fn check_request_login(pool: &PgPool) -> anyhow::Result<()> {
    let (user, superuser, bypass, createrole, owner): (String, bool, bool, bool, bool) =
        sqlx::query_as(
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, r.rolcreaterole, \
                    EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                             WHERE n.nspname = 'public' AND pg_has_role(session_user, c.relowner, 'MEMBER')) \
                 OR EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() \
                             AND pg_has_role(session_user, d.datdba, 'MEMBER')) \
               FROM pg_roles r WHERE r.rolname = session_user",
        )
        .fetch_one(pool)
        .await?;
    let why: Vec<&str> = [
        (superuser, "is a superuser"),
        (bypass, "has BYPASSRLS"),
        (createrole, "has CREATEROLE"),
        (
            owner,
            "owns (or may become the owner of) the tables or the database",
        ),
    ]
    .into_iter()
    .filter_map(|(bad, why)| bad.then_some(why))
    .collect();
    if why.is_empty() {
        return Ok(());
    }
    let why = why.join(", ");
    anyhow::bail!(
        "refusing to serve requests as {user}: it {why}; request connections must log in \
         as a role that is only a member of {APP_ROLE} (BOSAK_APP_DATABASE_URL, README)"
    )
}

/// Pool acting as the owner: for migrations, seeding and administrative commands only.
pub async fn owner_pool(url: &str) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.application_name("bosak-admin"))
        .await?;
    Ok(pool)
}

pub async fn migrate(owner: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(owner).await?;
    Ok(())
}

/// Opens a transaction that may see exactly `municipalities` (possibly none, for requests
/// that only touch global tables). The setting is transaction-local, so it cannot leak to
/// the next request that borrows this pooled connection.
///
/// BEGIN and the setting go to the server as one simple query (one round trip instead of
/// two on every request). Inlining the value is safe: it is built from `Uuid`s only, whose
/// text form is hex digits and dashes.
///
/// `SET LOCAL` rather than `set_config(…, true)` (the same on one node): on Citus only a
/// `SET` command is sent on to the workers (with `citus.propagate_set_commands = 'local'`,
/// which `bosak citus distribute` sets on the database), and the policies run there.
pub async fn scoped_tx(pool: &PgPool, municipalities: &[Uuid]) -> Result<Tx, sqlx::Error> {
    pool.begin_with(format!(
        "BEGIN; SET LOCAL bosak.municipalities = '{}'",
        uuid_array_literal(municipalities)
    ))
    .await
}

fn uuid_array_literal(ids: &[Uuid]) -> String {
    let mut s = String::with_capacity(2 + ids.len() * 37);
    s.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push('}');
    s
}

/// True when the error is a unique violation of the named constraint or index.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint)
        }
        _ => false,
    }
}

/// True when the error is a foreign key violation (a row is still referenced).
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23503"))
}

/// Ends a command's transaction: committed when the command made its change, dropped
/// (rolled back, nothing half-saved) when it refused.
pub async fn commit<T>(
    tx: Tx,
    outcome: crate::web::refusal::Outcome<T>,
) -> crate::web::refusal::Outcome<T> {
    let value = outcome?;
    tx.commit().await?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literal_is_postgres_syntax() {
        assert_eq!(uuid_array_literal(&[]), "{}");
        let a = Uuid::nil();
        assert_eq!(
            uuid_array_literal(&[a, a]),
            "{00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000}"
        );
    }
}
