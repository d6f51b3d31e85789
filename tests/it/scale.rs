//! `bosak seed scale` writes the benchmark dataset (ARCHITECTURE §7) with set-based SQL
//! that no other test runs: load it at the smallest factor and check that it is whole —
//! ledgers included — and that the pages the benchmark measures answer with it.

use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn scale_data_loads_at_factor_one_and_the_benchmarked_pages_answer() {
    let app = TestApp::spawn().await;
    let summary = bosak::seed::scale(&app.owner, 1, app.today())
        .await
        .expect("scale data loads");
    assert!(summary.contains("1 municipalities"), "{summary}");
    let m = app.municipality_id("9001").await;
    let (units, applications, open): (i64, i64, i64) = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM dwellings),
                    (SELECT count(*) FROM applications),
                    (SELECT count(*) FROM applications
                      WHERE status IN ('received','under_assessment','ready_for_meeting','approved',
                                       'partly_approved','waiting_list','offered'))",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    assert_eq!(units, 12_000, "12 000 units per factor");
    assert_eq!(applications, 6_000, "6 000 applications per factor");
    assert!(open >= 2_000, "most open cases are open: {open}");
    // A second run refuses instead of doubling the data.
    assert!(bosak::seed::scale(&app.owner, 1, app.today())
        .await
        .is_err());

    let mut c = app.login("skala001.saksbehandler").await;
    for path in [
        "/",
        "/soknader",
        "/soknader/mine",
        "/venteliste",
        "/boliger",
        "/boliger/ledige",
        "/vedtak",
        "/klager",
        "/moter",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    // Four years of ledgers, with arrears on some of the running leases; the rent pages the
    // benchmark measures answer.
    let (rows, in_arrears, running, queued): (i64, i64, i64, i64) = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM rent_entries) + (SELECT count(*) FROM rent_settlements),
                    (SELECT count(DISTINCT lease_id) FROM rent_open_items WHERE amount > 0),
                    (SELECT count(*) FROM leases WHERE status IN ('active', 'notice_given')),
                    (SELECT count(*) FROM rent_import_lines WHERE status = 'unmatched')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    assert!(rows > 1_000_000, "ledger rows at factor 1: {rows}");
    assert!(
        in_arrears * 100 > running * 10 && in_arrears * 100 < running * 25,
        "{in_arrears} of {running} running leases in arrears"
    );
    assert!(queued > 0);
    for path in [
        "/husleie/restanser",
        "/husleie/innbetalinger",
        "/husleie/innlesing",
        "/husleie/terminer",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    let arrears = c.get("/husleie/restanser").await;
    assert!(
        arrears.count("tbody tr") > 0,
        "leases in arrears are listed"
    );
    let list = c.get("/soknader").await;
    assert!(
        list.count("tbody tr") > 0,
        "the case list shows scale cases"
    );
}
