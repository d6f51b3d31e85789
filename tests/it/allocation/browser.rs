//! Browser journey: match a vacant unit, make an offer, record the answer — with the
//! accessibility check on the candidates, offer and waiting-list pages.

use crate::common::browser::{self, assert_accessible, click, wait_for_text};
use crate::common::TestApp;

#[tokio::test]
async fn match_a_vacant_unit_make_an_offer_and_record_the_answer() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let unit = super::prepared_unit(&app).await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;

    c.goto(&format!("{}/venteliste", app.base)).await.unwrap();
    assert_accessible(&c, "the waiting list").await;

    c.goto(&format!("{}/boliger/{unit}/kandidater", app.base))
        .await
        .unwrap();
    assert_accessible(&c, "the ranked candidates").await;
    // Offer the unit to the top candidate (no justification needed).
    click(&c, "form.bosak-offer-form button[type=submit]").await;
    assert!(browser::confirm(&c).await.starts_with("Gi tilbud til"));
    wait_for_text(&c, "#rank", "Nr. 1").await;
    assert_accessible(&c, "the offer").await;

    click(&c, "#answer-accepted").await;
    click(&c, "form[action$='/svar'] button[type=submit]").await;
    wait_for_text(&c, "#offer-status", "Takket ja").await;
    assert_accessible(&c, "the accepted offer").await;
    c.close().await.unwrap();

    assert_eq!(
        super::scalar::<String>(
            &app,
            "SELECT status::text FROM dwellings WHERE id = $1 AND municipality_id = $2",
            unit
        )
        .await,
        "reserved"
    );
}
