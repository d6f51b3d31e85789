//! The login role of request connections (OWASP ASVS 5.0 V8.2 / V13.2: least privilege for
//! the application's own database account).
//!
//! Request connections must not log in as the table owner: if they did, one `RESET ROLE`
//! (or any future SQL injection) would give back owner rights, enough to turn off forced
//! row level security or disable the append-only triggers of the audit log. So they log in
//! as [`REQUEST_ROLE`], which owns nothing, is a member of `bosak_app` and nothing else.
//!
//! Its credentials come from one of two places:
//!
//! * `BOSAK_APP_DATABASE_URL`, when given: an administrator created the login role (the
//!   way on a managed PostgreSQL whose owner role may not create roles).
//! * Otherwise the password is *derived* from the owner's password (HMAC-SHA256, keyed
//!   with it), and the owner creates or updates the role when the login does not work yet.
//!   Every process that knows `DATABASE_URL` computes the same password, so nothing is
//!   stored anywhere, restarts and any number of server processes agree, and concurrent
//!   starts cannot lock each other out (they set the same password). The HMAC is one-way:
//!   the request password does not reveal the owner's.
//!
//! The password is sent to the server only as a SCRAM verifier computed here, never in
//! clear text: `ALTER ROLE … PASSWORD` statements end up in server logs where
//! `log_statement = ddl` is on, as it often is on managed services.

use std::time::Duration;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgPool};

use super::APP_ROLE;

/// The role request connections log in as when `BOSAK_APP_DATABASE_URL` is not given.
pub const REQUEST_ROLE: &str = "bosak_request";

type HmacSha256 = Hmac<Sha256>;

/// How request connections log in: the given URL, or the derived login of
/// [`REQUEST_ROLE`], provisioned by `owner` when it does not work yet.
pub async fn request_options(
    owner: &PgPool,
    owner_url: &str,
    given: Option<&str>,
) -> anyhow::Result<PgConnectOptions> {
    if let Some(url) = given {
        return url
            .parse()
            .context("BOSAK_APP_DATABASE_URL is not a PostgreSQL URL");
    }
    let owner_options: PgConnectOptions = owner_url.parse().context("DATABASE_URL")?;
    let password = derived_password(owner_url, owner_options.get_username())?;
    let options = owner_options.username(REQUEST_ROLE).password(&password);
    // Once provisioned, starting needs no DDL at all: many processes and test databases on
    // one cluster start at once, and concurrent ALTER ROLE on one role can fail.
    if let Ok(conn) = options.connect().await {
        conn.close().await.ok();
        return Ok(options);
    }
    provision(owner, &password).await?;
    Ok(options)
}

/// The request role's password for an owner: hex of HMAC-SHA256 keyed with the owner's
/// password (from the URL, else `PGPASSWORD`, as libpq and sqlx read it).
fn derived_password(owner_url: &str, owner: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(owner_url).context("DATABASE_URL is not a URL")?;
    let secret = match url.password() {
        Some(p) => percent_encoding::percent_decode_str(p)
            .decode_utf8()
            .context("DATABASE_URL: the password is not UTF-8")?
            .into_owned(),
        None => std::env::var("PGPASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .context(
                "DATABASE_URL has no password to derive the request role's password from; \
             set BOSAK_APP_DATABASE_URL to the URL of a login role that is a member of bosak_app",
            )?,
    };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).context("HMAC key")?;
    mac.update(b"bosak request login v1\0");
    mac.update(owner.as_bytes());
    Ok(hex(&mac.finalize().into_bytes()))
}

async fn provision(owner: &PgPool, password: &str) -> anyhow::Result<()> {
    let (superuser, createrole): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
            .fetch_one(owner)
            .await?;
    if !superuser && !createrole {
        bail!(
            "the owner role in DATABASE_URL may not create roles, so it cannot create the \
             login role {REQUEST_ROLE} for requests: create a login role that is a member of \
             {APP_ROLE} and set BOSAK_APP_DATABASE_URL to its URL (README: managed PostgreSQL)"
        );
    }
    let verifier = scram_verifier(password);
    let mut attempt = 0;
    loop {
        match try_provision(owner, &verifier).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 5 && is_concurrent_change(&e) => {
                // Another process or test database on the cluster did the same just now.
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "creating or updating the login role {REQUEST_ROLE}; or create it yourself \
                     and set BOSAK_APP_DATABASE_URL"
                )))
            }
        }
    }
}

/// One transaction, so a half-made role (say, without its membership) is never visible.
/// Identifiers are constants and the verifier is base64, digits, `$` and `:` only, so
/// inlining them is safe (DDL takes no bind parameters).
async fn try_provision(owner: &PgPool, verifier: &str) -> Result<(), sqlx::Error> {
    let mut tx = owner.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(REQUEST_ROLE)
            .fetch_one(&mut *tx)
            .await?;
    if exists {
        // Only LOGIN and the password: before PostgreSQL 16 naming SUPERUSER, BYPASSRLS or
        // REPLICATION at all needs a superuser. `app_pool` refuses the role if it has them.
        tx.execute(&*format!(
            "ALTER ROLE {REQUEST_ROLE} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD '{verifier}'"
        ))
        .await?;
    } else {
        tx.execute(&*format!(
            "CREATE ROLE {REQUEST_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB \
             NOCREATEROLE NOREPLICATION INHERIT PASSWORD '{verifier}'"
        ))
        .await?;
    }
    let member: bool = sqlx::query_scalar("SELECT pg_has_role($1, $2, 'MEMBER')")
        .bind(REQUEST_ROLE)
        .bind(APP_ROLE)
        .fetch_one(&mut *tx)
        .await?;
    if !member {
        tx.execute(&*format!("GRANT {APP_ROLE} TO {REQUEST_ROLE}"))
            .await?;
    }
    // Databases allow CONNECT to PUBLIC by default, but a hardened one may not. Only then
    // grant it: an owner of the tables need not own the database, and may not grant it.
    let (database, can_connect): (String, bool) = sqlx::query_as(
        "SELECT current_database()::text, has_database_privilege($1, current_database(), 'CONNECT')",
    )
    .bind(REQUEST_ROLE)
    .fetch_one(&mut *tx)
    .await?;
    if !can_connect {
        tx.execute(&*format!(
            "GRANT CONNECT ON DATABASE \"{}\" TO {REQUEST_ROLE}",
            database.replace('"', "\"\"")
        ))
        .await?;
    }
    tx.commit().await
}

/// Errors of two processes creating or altering the same role at the same moment.
fn is_concurrent_change(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // unique_violation, duplicate_object, serialization_failure, deadlock_detected,
            // "tuple concurrently updated" (internal_error)
            Some("23505" | "42710" | "40001" | "40P01" | "XX000")
        ),
        _ => false,
    }
}

/// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802, RFC 7677), as
/// `psql`'s `\password` computes it. The password is hex, so SASLprep leaves it unchanged.
fn scram_verifier(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    scram_verifier_with(password, &salt, 4096)
}

fn scram_verifier_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = hi(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

/// PBKDF2-HMAC-SHA256 with one output block, the `Hi` function of RFC 5802.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = Vec::with_capacity(salt.len() + 4);
    block.extend_from_slice(salt);
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The password, salt and iteration count of RFC 7677's example; the expected keys
    /// were computed independently (Python's `hashlib.pbkdf2_hmac` and `hmac`).
    #[test]
    fn scram_verifier_matches_rfc_7677() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = scram_verifier_with("pencil", &salt, 4096);
        assert_eq!(
            v,
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$\
             WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:\
             wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
    }

    #[test]
    fn derived_password_depends_on_the_owner_secret_only_through_an_hmac() {
        let a = derived_password("postgres://o:s%40cret@h/db", "o").unwrap();
        // The same password on any database or host of the same owner.
        assert_eq!(
            a,
            derived_password("postgres://o:s%40cret@other:5433/x", "o").unwrap()
        );
        assert_ne!(
            a,
            derived_password("postgres://o:secret@h/db", "o").unwrap()
        );
        assert_ne!(
            a,
            derived_password("postgres://p:s%40cret@h/db", "p").unwrap()
        );
        assert_eq!(a.len(), 64);
        assert!(!a.contains("cret"));
    }
}
