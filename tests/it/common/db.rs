//! A fresh database per test, cloned from a template database that is migrated once per
//! migration set (much faster than migrating per test). Works with a non-superuser owner
//! role that has CREATEDB, like a managed PostgreSQL service gives you.

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

pub fn base_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL server whose role may CREATE DATABASE; \
         run the tests with scripts/test, which sets everything up",
    )
}

/// The migrations this binary embeds (not the folder on disk, which a checkout can change
/// while a built test binary runs): a template is only reused by the same migration set.
fn migrations_fingerprint() -> String {
    let mut h = Sha256::new();
    for m in bosak::db::MIGRATOR.iter() {
        h.update(m.version.to_le_bytes());
        h.update(&m.checksum);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn with_database(url: &str, db: &str) -> String {
    let opts: PgConnectOptions = url.parse().expect("DATABASE_URL");
    opts.database(db).to_url_lossy().to_string()
}

/// Creates a database from `template`, building the template first when it does not
/// exist (`build` gets the URL of the database being built). One builder at a time.
async fn from_template<F, Fut>(admin: &mut PgConnection, template: &str, build: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(template)
            .fetch_one(&mut *admin)
            .await
            .unwrap();
    if exists {
        return;
    }
    let building = format!("{template}_building");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{building}\""))
        .execute(&mut *admin)
        .await
        .unwrap();
    build(building.clone()).await;
    sqlx::query(&format!(
        "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
    ))
    .execute(&mut *admin)
    .await
    .unwrap();
}

/// A fresh database, migrated and seeded with the demo data for `today`, and its URL.
/// The migrated schema and the demo data of each date are built once, as template
/// databases, and every test gets a copy (much faster than migrating and seeding per test).
pub async fn fresh_database(today: chrono::NaiveDate) -> String {
    let base = base_url();
    // `scripts/citus test`: a Citus database cannot be copied from a template (its shards
    // live in the workers' databases of the same name), so the script migrates, distributes
    // and seeds one database and every test runs on it, one at a time.
    if std::env::var("BOSAK_TEST_SHARED_DATABASE").as_deref() == Ok("1") {
        return base;
    }
    let migrated = format!("bosak_tpl_{}", migrations_fingerprint());
    // The demo data also depends on the seeding code: a rebuilt test binary seeds anew.
    let build = std::env::current_exe()
        .and_then(|p| p.metadata())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() % 1_000_000)
        .unwrap_or_default();
    let seeded = format!("{migrated}_demo_{}_{build}", today.format("%Y%m%d"));
    let mut admin = PgConnection::connect(&base)
        .await
        .expect("connect to DATABASE_URL");
    sqlx::query("SELECT pg_advisory_lock(777001)")
        .execute(&mut admin)
        .await
        .unwrap();
    sweep_leftovers(&base, &migrated, build);
    from_template(&mut admin, &migrated, |building| {
        let base = base.clone();
        async move {
            let mut admin = PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE \"{building}\""))
                .execute(&mut admin)
                .await
                .unwrap();
            let owner = bosak::db::owner_pool(&with_database(&base, &building))
                .await
                .unwrap();
            bosak::db::migrate(&owner).await.expect("migrations apply");
            owner.close().await;
        }
    })
    .await;
    from_template(&mut admin, &seeded, |building| {
        let (base, migrated) = (base.clone(), migrated.clone());
        async move {
            let mut admin = PgConnection::connect(&base).await.unwrap();
            sqlx::query(&format!(
                "CREATE DATABASE \"{building}\" TEMPLATE \"{migrated}\""
            ))
            .execute(&mut admin)
            .await
            .unwrap();
            let owner = bosak::db::owner_pool(&with_database(&base, &building))
                .await
                .unwrap();
            bosak::seed::demo(&owner, today).await.expect("seed demo");
            owner.close().await;
        }
    })
    .await;
    sqlx::query("SELECT pg_advisory_unlock(777001)")
        .execute(&mut admin)
        .await
        .unwrap();
    let name = format!(
        "bosak_test_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    sqlx::query(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{seeded}\""))
        .execute(&mut admin)
        .await
        .expect("clone template database");
    admin.close().await.ok();
    with_database(&base, &name)
}

/// Once per test process, on a thread of its own while the tests run: drops what earlier
/// runs left on the server (every test's copy, and templates of other migration sets or
/// builds), so repeated runs do not fill the disk. A database in use is left alone.
fn sweep_leftovers(base: &str, migrated: &str, build: u64) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let (base, migrated) = (base.to_string(), migrated.to_string());
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let Ok(mut admin) = PgConnection::connect(&base).await else {
                return;
            };
            // Copies carry the process id: this process's own are in use.
            let mine = format!("bosak\\_%\\_{}\\_%", std::process::id());
            let current_demo = format!("{migrated}_demo_%_{build}");
            let stale: Vec<String> = sqlx::query_scalar(
                "SELECT d.datname FROM pg_database d
                  WHERE ((d.datname LIKE 'bosak\\_test\\_%' OR d.datname LIKE 'bosak\\_restored\\_%')
                          AND d.datname NOT LIKE $1
                         OR d.datname LIKE 'bosak\\_tpl\\_%' AND d.datname <> $2
                             AND d.datname NOT LIKE $3
                             AND d.datname NOT LIKE '%\\_building')
                    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
            )
            .bind(&mine)
            .bind(&migrated)
            .bind(&current_demo)
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
            // Another process's copies stay while it runs (one it has just made may not be
            // connected yet); templates are dropped under the lock their builders take.
            let running = |db: &str| {
                db.split('_')
                    .nth(2)
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
            };
            let stale: Vec<String> = stale
                .into_iter()
                .filter(|db| db.starts_with("bosak_tpl_") || !running(db))
                .collect();
            for db in stale {
                let template = db.starts_with("bosak_tpl_");
                if template {
                    let _ = sqlx::query("SELECT pg_advisory_lock(777001)")
                        .execute(&mut admin)
                        .await;
                }
                // One that became busy meanwhile stays; a later run sweeps it.
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\""))
                    .execute(&mut admin)
                    .await;
                if template {
                    let _ = sqlx::query("SELECT pg_advisory_unlock(777001)")
                        .execute(&mut admin)
                        .await;
                }
            }
        });
    });
}
