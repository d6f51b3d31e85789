//! Browser walk over the pages of lawful casework with the demo data: an advance notice
//! sent with the keyboard, the interim replies, an archived letter, the overdue offers
//! and the scheduled jobs, each with the accessibility check (and a screenshot under
//! target/screenshots for a person to look at).

use fantoccini::Locator;

use crate::common::browser::{self, assert_accessible, fill, wait_for_text};
use crate::common::TestApp;

async fn screenshot(c: &fantoccini::Client, name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    let _ = std::fs::create_dir_all(dir);
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(format!("{dir}/{name}.png"), png);
    }
}

#[tokio::test]
async fn the_pages_of_lawful_casework_in_the_browser() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let (waiting, interim): (uuid::Uuid, uuid::Uuid) = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        let waiting = sqlx::query_scalar(
            "SELECT id FROM applications WHERE municipality_id = $1 AND status = 'waiting_list'
              AND NOT EXISTS (SELECT 1 FROM advance_notices n WHERE n.municipality_id = applications.municipality_id
                               AND n.application_id = applications.id)
              ORDER BY case_number LIMIT 1",
        )
        .bind(m)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let interim = sqlx::query_scalar(
            "SELECT application_id FROM sent_letters WHERE municipality_id = $1 AND kind = 'interim_reply'
              GROUP BY application_id HAVING count(*) = 2 LIMIT 1",
        )
        .bind(m)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        (waiting, interim)
    };
    let slow_appeal: uuid::Uuid = {
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_scalar(
            "SELECT appeal_id FROM appeal_interim_replies WHERE municipality_id = $1 LIMIT 1",
        )
        .bind(m)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;

    // An advance notice, written and sent with the keyboard only.
    c.goto(&format!("{}/soknader/{waiting}/forhandsvarsel", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Forhåndsvarsel").await;
    assert_accessible(&c, "the advance notice page").await;
    fill(&c, "#intended", "Vi vurderer å fjerne deg fra ventelisten.").await;
    fill(&c, "#grounds", "Du har takket nei til tre tilbud.").await;
    let submit = c
        .find(Locator::Css(
            "form[action$='/forhandsvarsel'] button[type=submit]",
        ))
        .await
        .unwrap();
    submit.send_keys("\u{E007}").await.unwrap();
    wait_for_text(&c, "#melding", "sendt og arkivert").await;
    wait_for_text(&c, ".bosak-varsel-state", "Venter på svar").await;
    assert_accessible(&c, "the advance notice page with a notice").await;
    screenshot(&c, "advance-notice").await;

    // The case with two interim replies, and one of them as archived.
    c.goto(&format!("{}/soknader/{interim}/forelopig-svar", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "#sendte-svar", "Foreløpig svar sendt").await;
    assert_accessible(&c, "the interim reply page").await;
    screenshot(&c, "interim-replies").await;
    c.goto(&format!("{}/soknader/{interim}", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "#sendte-brev", "Foreløpig svar").await;
    let link = c
        .find(Locator::Css("#sendte-brev tbody tr a"))
        .await
        .unwrap();
    link.click().await.unwrap();
    wait_for_text(&c, "#arkivert", "SHA-256").await;
    assert_accessible(&c, "an archived letter").await;
    screenshot(&c, "archived-letter").await;

    // An open appeal with its interim reply (fvl. § 11a) and the form for the next one.
    c.goto(&format!("{}/klager/{slow_appeal}", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "#interim-replies", "svar lovet innen").await;
    assert_accessible(&c, "an appeal with an interim reply").await;
    screenshot(&c, "appeal-interim-reply").await;

    c.goto(&format!("{}/tilbud/forfalte", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Tilbud med passert svarfrist").await;
    assert_accessible(&c, "the overdue offers").await;

    let admin = browser::browser().await;
    browser::login(&admin, &app.base, "levanger.admin").await;
    bosak::jobs::run_due(&app.state).await;
    admin
        .goto(&format!("{}/driftsjobber", app.base))
        .await
        .unwrap();
    wait_for_text(&admin, "#jobber", "OK").await;
    assert_accessible(&admin, "the scheduled jobs").await;
    screenshot(&admin, "scheduled-jobs").await;
    admin
        .goto(&format!("{}/innstillinger/brevtekster", app.base))
        .await
        .unwrap();
    wait_for_text(&admin, "h1", "Lovpålagte tekster").await;
    assert_accessible(&admin, "the mandatory letter texts").await;
    screenshot(&admin, "mandatory-texts").await;
    admin.close().await.ok();
    c.close().await.ok();
}
