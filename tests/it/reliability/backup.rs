//! Backup and restore (docs/OPERATIONS.md, "Backup and restore"): the routine an operator
//! runs, on a loaded database (the demo data and some writes over HTTP). `pg_dump` as the
//! owner role with every municipality visible to row level security, `pg_restore` as the
//! owner into a fresh database, the real server started on it: every table holds the same
//! rows (a fingerprint of each table's contents), row level security and its policies are
//! in force on every tenant table, another municipality's user still sees nothing of
//! Levanger's, and the figures page and the lists show the same as on the original.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use reqwest::StatusCode;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::server::Server;
use crate::applications::{fnr, register};
use crate::common::{catalog, db, Client, TestApp};

/// The PostgreSQL client programs of the newest installed server version (as `bosak pg`
/// finds its server programs), else those on the PATH.
fn pg_program(name: &str) -> PathBuf {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let p = e.path().join("bin").join(name);
            p.exists().then_some((v, p))
        })
        .max_by_key(|(v, _)| *v);
    newest.map_or_else(|| PathBuf::from(name), |(_, p)| p)
}

/// A database URL as libpq reads it: sqlx's own query parameters dropped.
fn libpq_url(url: &str) -> String {
    let mut u = url::Url::parse(url).expect("database URL");
    u.set_query(None);
    u.to_string()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a PostgreSQL program");
    // The command line holds the password: only the program is named.
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a user of the municipality sees on the figures page and the lists.
async fn figures(c: &mut Client) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for (path, selector) in [
        ("/rapporter", "#nokkeltall"),
        ("/rapporter", "#restanse-trend"),
        ("/soknader", "main"),
        ("/boliger", "main"),
        ("/leiekontrakter", "main"),
        ("/husleie/terminer", "main"),
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let text = page.text_of(selector);
        assert!(!text.is_empty(), "{path} {selector}");
        seen.push((format!("{path} {selector}"), text));
    }
    seen
}

/// Whether row level security is on and forced, and the number of policies, per table.
async fn security(conn: &mut PgConnection) -> Vec<(String, bool, bool, i64)> {
    sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_dump_restores_into_a_fresh_database_that_serves_the_same_figures() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    let original = Server::start(&app.db_url, 4).await;
    // Some writes over HTTP on top of the demo data: registrations and a payment.
    let mut c = original.login("levanger.saksbehandler").await;
    for i in 0..3 {
        register(&mut c, &format!("Sikkerhetskopi {i}"), &fnr("020275", i)).await;
    }
    let lease: Uuid = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT l.id FROM leases l WHERE l.status::text <> 'draft'
              AND EXISTS (SELECT 1 FROM rent_entries e WHERE e.lease_id = l.id) ORDER BY l.id LIMIT 1",
            &[],
        )
        .await;
    let ledger = format!("/leiekontrakter/{lease}/husleie");
    let token = c
        .get(&ledger)
        .await
        .attr("input[name=token]", "value")
        .expect("payment token");
    let paid = c
        .post(
            &format!("{ledger}/innbetaling"),
            &[
                ("amount", "1 234,50"),
                ("paid_on", &app.day(0)),
                ("payer", "tenant"),
                ("note", ""),
                ("token", &token),
            ],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text);
    let before = figures(&mut c).await;
    drop(original);
    let fingerprint = catalog::fingerprint(&app).await;

    // Dump as the owner: row level security is forced on the owner too, so the dump makes
    // every municipality visible (without that it would silently hold no tenant rows).
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    let visible = format!(
        "-c bosak.municipalities={{{}}}",
        ids.iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let file = std::env::temp_dir().join(format!("bosak-backup-{}.dump", Uuid::new_v4()));
    let t = Instant::now();
    run(Command::new(pg_program("pg_dump"))
        .env("PGOPTIONS", &visible)
        .args(["--format=custom", "--enable-row-security", "--file"])
        .arg(&file)
        .arg(libpq_url(&app.db_url)));
    let dumped = t.elapsed();
    let size = std::fs::metadata(&file).unwrap().len();

    // Restore as the owner into a fresh, empty database it owns.
    let name = format!(
        "bosak_restored_{}_{}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut admin = PgConnection::connect(&db::base_url()).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let restored_url = {
        let mut u = url::Url::parse(&app.db_url).unwrap();
        u.set_path(&name);
        u.to_string()
    };
    let t = Instant::now();
    run(Command::new(pg_program("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(libpq_url(&restored_url))
        .arg(&file));
    let restored = t.elapsed();
    let _ = std::fs::remove_file(&file);

    // Every table holds the same rows.
    let owner = bosak::db::owner_pool(&restored_url).await.unwrap();
    let after = catalog::fingerprint_of(&owner).await;
    assert_eq!(
        catalog::changed(&fingerprint, &after),
        Vec::<String>::new(),
        "tables that differ after the restore"
    );
    assert_eq!(fingerprint.len(), after.len());
    // The audit log too (left out of the fingerprint, which is about users' data).
    let audit = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_events")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let events = audit(app.owner.clone()).await;
    assert_eq!(
        events,
        audit(owner.clone()).await,
        "audit events after the restore"
    );
    let rows: i64 = after.values().map(|(n, _)| n).sum();
    // Row level security: on, forced and with the same policies on every table.
    let mut a = app.owner.acquire().await.unwrap();
    let mut b = owner.acquire().await.unwrap();
    let (sec_a, sec_b) = (security(&mut a).await, security(&mut b).await);
    assert_eq!(sec_a, sec_b, "row level security after the restore");
    let forced = sec_b
        .iter()
        .filter(|(_, on, force, p)| *on && *force && *p > 0)
        .count();
    let tenant = catalog::tenant_tables(&owner).await.len();
    assert!(
        forced >= tenant,
        "{forced} tables with forced RLS, {tenant} tenant tables"
    );
    drop((a, b));

    // The server starts on the restored database and shows the same.
    let server = Server::start(&restored_url, 4).await;
    let mut c = server.login("levanger.saksbehandler").await;
    let now = figures(&mut c).await;
    for ((what, was), (_, is)) in before.iter().zip(&now) {
        assert_eq!(was, is, "{what} differs after the restore");
    }
    // And tenancy holds on it: Levanger's caseworker opens a Levanger case, another
    // municipality's caseworker does not find it.
    let case: Uuid = {
        let mut tx = bosak::db::scoped_tx(&owner, &ids).await.unwrap();
        let id = sqlx::query_scalar(
            "SELECT a.id FROM applications a JOIN municipalities m ON m.id = a.municipality_id
              WHERE m.number = '5037' ORDER BY a.case_number LIMIT 1",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        id
    };
    assert_eq!(
        c.get(&format!("/soknader/{case}")).await.status,
        StatusCode::OK
    );
    let mut other = server.login("stjordal.saksbehandler").await;
    let status = other.get(&format!("/soknader/{case}")).await.status;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );
    println!(
        "backup: dump {size} bytes in {:.1} s, restore in {:.1} s; {} tables and {rows} rows \
         equal, {events} audit events, {forced} tables with forced row level security; {} pages \
         equal; {:.1} s",
        dumped.as_secs_f64(),
        restored.as_secs_f64(),
        after.len(),
        now.len(),
        started.elapsed().as_secs_f64()
    );
}
