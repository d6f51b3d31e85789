//! Browser journeys: register an application, add an assessment and a note, see the
//! timeline; and the public form. Each page is checked for accessibility.

use fantoccini::Locator;

use super::fnr;
use crate::common::browser::{self, assert_accessible, click, fill, text, wait_for_text};
use crate::common::TestApp;

#[tokio::test]
async fn caseworker_registers_assesses_and_sees_the_timeline() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;

    c.goto(&format!("{}/soknader", app.base)).await.unwrap();
    assert_accessible(&c, "the case list").await;
    c.goto(&format!("{}/soknader/mine", app.base))
        .await
        .unwrap();
    assert_accessible(&c, "my cases").await;

    c.goto(&format!("{}/soknader/ny", app.base)).await.unwrap();
    assert_accessible(&c, "the registration form").await;
    // Submitting empty shows the errors accessibly.
    click(&c, "form[action='/soknader/ny'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css(".ds-error-summary"))
        .await
        .unwrap();
    assert_accessible(&c, "the registration form with errors").await;

    fill(&c, "#applicant_name", "Nora Nettleser").await;
    fill(&c, "#applicant_national_id", &fnr("250890", 50)).await;
    fill(&c, "#applicant_phone", "90011223").await;
    c.find(Locator::Css("#channel option[value=front_desk]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "#dwelling_types").await;
    click(&c, "#situation").await;
    fill(&c, "#member_name_0", "Olav Nettleser").await;
    fill(&c, "#member_birth_date_0", "12.03.2019").await;
    c.find(Locator::Css("#member_relation_0 option[value=child]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "form[action='/soknader/ny'] button[type=submit]").await;
    wait_for_text(&c, "h1", "Nora Nettleser").await;
    assert!(text(&c, ".ds-alert").await.contains("registrert"));
    assert_accessible(&c, "the case page").await;

    // Assessment (the form is open while there is none).
    fill(&c, "#housing_history", "Har bodd hos familie i to år.").await;
    c.find(Locator::Css(
        "#independence_level option[value=some_support]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    fill(&c, "#conclusion", "Fyller vilkårene for kommunal bolig.").await;
    click(&c, "form[action$='/kartlegging'] button[type=submit]").await;
    wait_for_text(&c, "#gjeldende-kartlegging", "Versjon 1").await;

    fill(&c, "#body", "Søker ringte og bekreftet adressen.").await;
    click(&c, "form[action$='/journal'] button[type=submit]").await;
    wait_for_text(
        &c,
        ".bosak-app-timeline",
        "Søker ringte og bekreftet adressen.",
    )
    .await;
    let timeline = text(&c, ".bosak-app-timeline").await;
    assert!(timeline.contains("Kartlegging lagret (versjon 1)"));
    assert!(timeline.contains("Søknad registrert med saksnummer"));
    assert_accessible(&c, "the case page with assessment and timeline").await;

    // Followed with the keyboard (a pointer click at the top edge of the window would
    // land on the sticky case header).
    let link = c
        .find(Locator::LinkText(
            "Foreløpig svar (forvaltningsloven § 11a)",
        ))
        .await
        .unwrap();
    c.execute(
        "arguments[0].focus()",
        vec![serde_json::to_value(&link).unwrap()],
    )
    .await
    .unwrap();
    link.send_keys("\u{E007}").await.unwrap();
    wait_for_text(&c, "h1", "Foreløpig svar").await;
    assert_accessible(&c, "the interim reply page").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_public_form_is_accessible_and_gives_a_receipt() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    c.goto(&format!("{}/soknad/5037", app.base)).await.unwrap();
    assert!(c.title().await.unwrap().contains("Levanger"));
    assert_accessible(&c, "the public form").await;
    click(&c, "form[action='/soknad/5037'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css(".ds-error-summary"))
        .await
        .unwrap();
    assert_accessible(&c, "the public form with errors").await;
    fill(&c, "#applicant_name", "Petra Publikum").await;
    fill(&c, "#applicant_national_id", &fnr("030303", 51)).await;
    click(&c, "#dwelling_types").await;
    click(&c, "#situation").await;
    click(&c, "form[action='/soknad/5037'] button[type=submit]").await;
    wait_for_text(&c, "h1", "Søknaden din er sendt").await;
    assert!(text(&c, "#saksnummer").await.contains('/'));
    assert_accessible(&c, "the receipt").await;
    c.close().await.unwrap();
}
