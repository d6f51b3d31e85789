//! Browser journey over the dashboards and reports, with the accessibility check on each
//! page (charts included).

use chrono::Datelike;

use crate::common::browser::{self, assert_accessible, click, text, wait_for_text};
use crate::common::TestApp;

#[tokio::test]
async fn the_office_walks_through_its_dashboards_and_reports_in_a_real_browser() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "kontor.saksbehandler").await;
    assert!(text(&c, "#frister-overskrift")
        .await
        .contains("Dette trenger deg i dag"));
    assert_accessible(&c, "the start page with what needs me today").await;

    click(&c, "nav.bosak-nav a[href='/rapporter']").await;
    wait_for_text(&c, "h1", "Nøkkeltall").await;
    assert!(text(&c, "#nokkeltall thead").await.contains("Totalt"));
    // The charts are images with a name: their title.
    let name = c
        .execute(
            "return document.querySelector('svg[data-chart=soknader-status] title').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(name.as_str(), Some("Åpne søknader etter status"));
    assert_accessible(&c, "the figures page with its charts").await;

    // Narrow to Verdal with the filter.
    c.find(fantoccini::Locator::Css("#kommune option[value='5038']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "form[action='/rapporter'] button[type=submit]").await;
    wait_for_text(&c, "#nokkeltall thead", "Verdal").await;
    assert!(!text(&c, "#nokkeltall thead").await.contains("Totalt"));

    click(&c, "a[href='/rapporter/kostra']").await;
    let y = app.today().year() - 1;
    wait_for_text(&c, "h1", &format!("KOSTRA skjema 13 for {y}")).await;
    assert_accessible(&c, "KOSTRA form 13").await;
    click(&c, "#kostra tr[data-key='dwellings_total'] td a").await;
    wait_for_text(&c, "h1", "Kommunalt disponerte boliger i alt").await;
    assert_accessible(&c, "the records behind a KOSTRA figure").await;

    c.goto(&format!("{}/rapporter/kartlegging", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Årlig kartlegging").await;
    assert_accessible(&c, "the annual mapping").await;
    c.goto(&format!("{}/rapporter/behov", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Behovsoversikt").await;
    assert_accessible(&c, "the need overview").await;
    c.goto(&format!("{}/rapporter/frister", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Mine frister").await;
    assert_accessible(&c, "my deadlines").await;
    c.close().await.unwrap();
}
