//! Browser journey: register a property and a unit, find it in the vacancy overview, with
//! the accessibility check on every page.

use fantoccini::Locator;

use crate::common::browser::{self, assert_accessible, click, fill, text};
use crate::common::TestApp;

#[tokio::test]
async fn register_a_property_and_unit_and_see_it_vacant() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;

    c.goto(&format!("{}/boliger", app.base)).await.unwrap();
    assert_accessible(&c, "the unit list").await;
    click(&c, "a[href='/eiendommer/ny']").await;
    c.wait()
        .for_element(Locator::Css("#street_address"))
        .await
        .unwrap();
    assert_accessible(&c, "the new property form").await;
    // Submitting empty shows the errors accessibly.
    click(&c, "form[action='/eiendommer/ny'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css(".ds-error-summary"))
        .await
        .unwrap();
    assert_accessible(&c, "the property form with errors").await;
    fill(&c, "#name", "Nesset tun").await;
    fill(&c, "#street_address", "Nessetvegen 7").await;
    fill(&c, "#postcode", "7600").await;
    fill(&c, "#postal_place", "Levanger").await;
    c.find(Locator::Css("#area_id option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "form[action='/eiendommer/ny'] button[type=submit]").await;
    browser::wait_for_text(&c, "h1", "Nesset tun").await;
    assert_accessible(&c, "the property page").await;

    click(&c, "a[href^='/boliger/ny?eiendom=']").await;
    c.wait()
        .for_element(Locator::Css("#unit_number"))
        .await
        .unwrap();
    assert_accessible(&c, "the new unit form").await;
    fill(&c, "#unit_number", "H0101").await;
    c.find(Locator::Css("#dwelling_type_id option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "#rooms", "2").await;
    fill(&c, "#area", "48").await;
    fill(&c, "#monthly_rent", "7 900").await;
    click(&c, "#wheelchair_accessible").await;
    click(&c, "form[action='/boliger/ny'] button[type=submit]").await;
    browser::wait_for_text(&c, "h1", "Nessetvegen 7").await;
    assert!(text(&c, "#status").await.contains("Ledig"));
    assert_accessible(&c, "the unit page").await;

    c.goto(&format!(
        "{}/boliger/ledige?rullestol=1&q=Nessetvegen",
        app.base
    ))
    .await
    .unwrap();
    let rows = text(&c, "#ledige tbody").await;
    assert!(rows.contains("Nessetvegen 7"), "{rows}");
    assert!(rows.contains("Ledig nå"));
    assert_accessible(&c, "the vacancy overview").await;

    for (path, what) in [
        ("/boliger/flytting", "moves in and out"),
        ("/boliger/tilstand", "the condition list"),
        ("/eiendommer", "the property list"),
        ("/boliger/import", "the import page"),
    ] {
        c.goto(&format!("{}{}", app.base, path)).await.unwrap();
        assert_accessible(&c, what).await;
    }
    c.close().await.unwrap();
}

#[tokio::test]
async fn status_assessment_and_admin_pages_are_accessible() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let unit = super::some_unit(&app, "5037", "let").await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.admin").await;
    for (path, what) in [
        (format!("/boliger/{unit}"), "a unit with history"),
        (format!("/boliger/{unit}/status"), "the status form"),
        (format!("/boliger/{unit}/tilstand"), "the assessment form"),
        (format!("/boliger/{unit}/rediger"), "the unit edit form"),
        ("/innstillinger/boligtyper".to_string(), "dwelling types"),
    ] {
        c.goto(&format!("{}{}", app.base, path)).await.unwrap();
        assert_accessible(&c, what).await;
    }
    c.close().await.unwrap();
}
