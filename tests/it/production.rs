//! ASVS 5.0 V13.4 (no default credentials, no development features in production): the
//! server refuses to start in production with demo users, or with the development clock.

use std::process::Command;

fn serve(env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bosak"))
        .arg("serve")
        .env_remove("BOSAK_TODAY")
        .env_remove("DATABASE_URL")
        .env("BOSAK_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("run bosak");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn production_refuses_demo_users_and_the_development_clock() {
    let url = crate::common::db::fresh_database(chrono::Local::now().date_naive()).await;
    let (ok, err) = serve(&[("BOSAK_ENV", "production"), ("DATABASE_URL", &url)]);
    assert!(!ok, "started with demo users");
    assert!(err.contains("demo users"), "{err}");
    let (ok, err) = serve(&[
        ("BOSAK_ENV", "production"),
        ("DATABASE_URL", &url),
        ("BOSAK_TODAY", "2028-02-29"),
    ]);
    assert!(!ok, "started on a fixed date");
    assert!(err.contains("BOSAK_TODAY"), "{err}");
    // Without a database URL production does not fall back to a private cluster.
    let (ok, err) = serve(&[("BOSAK_ENV", "production")]);
    assert!(!ok);
    assert!(err.contains("DATABASE_URL"), "{err}");
}
