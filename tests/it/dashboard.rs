//! The start page's figures per municipality come from the database and respect roles.

use crate::common::TestApp;

#[tokio::test]
async fn start_page_counts_match_the_database_and_case_figures_need_a_case_role() {
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let (open, vacant): (i64, i64) = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM applications WHERE status IN ('received','under_assessment','ready_for_meeting','approved','partly_approved','waiting_list','offered')),
                    (SELECT count(*) FROM dwellings WHERE status = 'vacant')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    assert!(
        open > 0 && vacant > 0,
        "demo data has open cases and vacant units"
    );
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/").await;
    let facts = page.text_of("section.ds-card .bosak-facts");
    assert!(facts.contains(&format!("Åpne saker {open}")), "{facts}");
    assert!(
        facts.contains(&format!("Ledige boliger nå {vacant}")),
        "{facts}"
    );
    // The demo's meeting next week is linked.
    assert!(facts.contains("Neste tildelingsmøte"), "{facts}");
    let href = page
        .attr("section.ds-card a[href^='/moter/']", "href")
        .expect("a link to the next meeting");
    assert_eq!(c.get(&href).await.status, reqwest::StatusCode::OK);

    // The auditor sees the dwelling figures but no case figures.
    let mut revisor = app.login("revisor").await;
    revisor
        .post(
            "/velg-kommune",
            &[("municipality", "5037"), ("return_to", "/")],
        )
        .await;
    let page = revisor.get("/").await;
    let facts = page.text_of("section.ds-card .bosak-facts");
    assert!(!facts.contains("Åpne saker"), "{facts}");
    assert!(facts.contains("Ledige boliger nå"));
}
