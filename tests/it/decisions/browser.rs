//! Browser journey: write a samlevedtak with two points, approve, send, register an appeal;
//! the accessibility check on the decision page and the letter.

use fantoccini::Locator;

use crate::common::browser::{self, assert_accessible, click, fill, wait_for_text};
use crate::common::TestApp;

#[tokio::test]
async fn write_send_and_appeal_a_samlevedtak_in_the_browser() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let application: uuid::Uuid = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_scalar("SELECT id FROM applications WHERE status = 'ready_for_meeting' ORDER BY case_number LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .unwrap()
    };
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;
    c.goto(&format!("{}/soknader/{application}", app.base))
        .await
        .unwrap();
    click(&c, "form[action$='/vedtak'] button").await;
    wait_for_text(&c, "h1", "Vedtak for").await;
    assert_accessible(&c, "the new decision page").await;

    for (kind, outcome, text) in [
        ("Kommunal bolig", "granted", "Du får kommunal bolig."),
        (
            "Helse- og omsorgstjenester",
            "refused",
            "Praktisk bistand avslås.",
        ),
    ] {
        let options = c.find_all(Locator::Css("#kind_id option")).await.unwrap();
        for o in options {
            if o.text().await.unwrap_or_default().contains(kind) {
                o.click().await.unwrap();
            }
        }
        click(&c, &format!("#outcome-{outcome}")).await;
        fill(&c, "#description", text).await;
        if outcome == "granted" {
            click(&c, "#dwelling_types input[type=checkbox]").await;
            fill(&c, "#rooms", "2").await;
            fill(&c, "#lease_months", "36").await;
        }
        click(&c, "form[action$='/punkter'] button[type=submit]").await;
        wait_for_text(&c, ".ds-alert", "Vedtakspunktet er lagret").await;
    }
    // The second point's alert reads as the first one's did: wait for the page it leads
    // to, where two points make a samlevedtak.
    wait_for_text(&c, "h1", "Samlevedtak").await;
    fill(
        &c,
        "#grounds_rules",
        "Tildelingsreglene og helse- og omsorgstjenesteloven.",
    )
    .await;
    fill(&c, "#grounds_facts", "Søkeren er uten bolig.").await;
    fill(&c, "#grounds_considerations", "Behovet for bolig er stort.").await;
    click(
        &c,
        "form[action$='/begrunnelse'] .bosak-form__actions button",
    )
    .await;
    wait_for_text(&c, ".ds-alert", "Begrunnelsen er lagret").await;
    assert_accessible(&c, "the complete decision").await;
    click(&c, "#channel-digital").await;
    click(&c, "form[action$='/send'] button[type=submit]").await;
    assert_eq!(browser::confirm(&c).await, "Godkjenne og sende vedtaket?");
    wait_for_text(&c, ".ds-alert", "godkjent og sendt").await;

    c.goto(&format!(
        "{}{}",
        app.base,
        c.current_url().await.unwrap().path().to_owned() + "/brev"
    ))
    .await
    .unwrap();
    wait_for_text(&c, "h1", "Samlevedtak").await;
    assert_accessible(&c, "the letter").await;
    c.back().await.unwrap();

    // After sending, the appeal form is closed until asked for.
    click(&c, "#klage-skjema > summary").await;
    click(&c, "#points input[type=checkbox]").await;
    fill(&c, "#received_on", &app.day(0)).await;
    fill(&c, "#received_how", "Brev").await;
    fill(&c, "#appellant", "Søkeren").await;
    click(&c, "form[action$='/klager'] button[type=submit]").await;
    wait_for_text(&c, ".ds-alert", "i tide").await;
    assert_accessible(&c, "the appeal page").await;
    c.close().await.unwrap();
}
