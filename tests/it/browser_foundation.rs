//! Browser journeys for the foundation, with the accessibility check on each page.

use fantoccini::Locator;

use crate::common::browser::{self, assert_accessible, click, fill, text};
use crate::common::TestApp;

#[tokio::test]
async fn login_switch_municipality_and_logout_in_a_real_browser() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;

    c.goto(&format!("{}/login", app.base)).await.unwrap();
    assert_eq!(c.title().await.unwrap(), "Logg inn – Bosak");
    assert_accessible(&c, "the login page").await;

    // A wrong password shows the message in the page, accessibly.
    fill(&c, "#username", "kontor.saksbehandler").await;
    fill(&c, "#password", "feil").await;
    click(&c, "form[action='/login'] button[type=submit]").await;
    assert!(text(&c, ".ds-alert")
        .await
        .contains("Feil brukernavn eller passord"));
    assert_accessible(&c, "the login page with an error").await;

    browser::login(&c, &app.base, "kontor.saksbehandler").await;
    // The switcher's selected option says what is in view, once.
    assert!(text(&c, "#kommunevelger option:checked")
        .await
        .contains("Alle mine kommuner"));
    assert!(c
        .find(Locator::Css(".bosak-header__municipality"))
        .await
        .is_err());
    assert_accessible(&c, "the start page").await;

    // Switch to Verdal with the header switcher.
    c.find(Locator::Css("#kommunevelger option[value='5038']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, ".bosak-header__switcher button").await;
    browser::wait_for_text(&c, "#kommunevelger option:checked", "Verdal").await;
    let cards = c.find_all(Locator::Css("section.ds-card")).await.unwrap();
    assert_eq!(cards.len(), 1);

    click(&c, ".bosak-header__user button").await;
    browser::wait_for_text(&c, ".ds-alert", "Du er logget ut").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn admin_pages_are_accessible() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.admin").await;
    for (path, what) in [
        ("/brukere", "the user list"),
        ("/brukere/ny", "the new user form"),
        ("/innstillinger", "the settings page"),
        ("/revisjonslogg", "the audit log"),
        ("/passord", "the password page"),
    ] {
        c.goto(&format!("{}{}", app.base, path)).await.unwrap();
        assert_accessible(&c, what).await;
    }
    // A form with errors is accessible too.
    c.goto(&format!("{}/brukere/ny", app.base)).await.unwrap();
    click(&c, "form[action='/brukere/ny'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css(".ds-error-summary"))
        .await
        .unwrap();
    assert_accessible(&c, "the new user form with errors").await;
    c.close().await.unwrap();
}
