//! The caseworker's day in a real browser (issue 20): errors in view with focus on the
//! summary, a confirmation in view after saving, weighty actions asked first in a dialog
//! (and cancelled with Escape), agenda proposals not pre-ticked, and the case page's
//! sticky header and "next step". Walked with the keyboard where the point is focus.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::common::browser::{self, assert_accessible, text, wait_for_text};
use crate::common::fixtures::Arg;
use crate::common::TestApp;
use crate::meetings::{plan, ready_case};

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.expect("script")
}

/// Waits up to 3 s (the page's deferred script runs after the element appears) for
/// `script` to return true.
async fn eventually(c: &Client, script: &str) -> bool {
    for _ in 0..30 {
        if js(c, script).await == json!(true) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let why = js(
        c,
        "const e = document.getElementById('lagret'); return [document.readyState, window.scrollY, window.innerHeight, e && e.getBoundingClientRect().top, document.activeElement.outerHTML.slice(0, 120), location.href];",
    )
    .await;
    eprintln!("not so: {script}: {why}");
    false
}

/// Is the element in the viewport (its top edge on screen)?
async fn in_view(c: &Client, css: &str) -> bool {
    let script = format!(
        "const e = document.querySelector({css:?}); if (!e) return false;
         const r = e.getBoundingClientRect();
         return document.readyState === 'complete' && r.top >= -2 && r.top < window.innerHeight;"
    );
    eventually(c, &script).await
}

async fn focused_matches(c: &Client, css: &str) -> bool {
    let script = format!(
        "return document.readyState === 'complete' && document.activeElement.matches({css:?});"
    );
    eventually(c, &script).await
}

/// Presses `key` on the element with id `on` (focused first), or on whatever has focus.
async fn press(c: &Client, on: Option<&str>, key: &str) {
    if let Some(id) = on {
        js(c, &format!("document.getElementById({id:?}).focus()")).await;
    }
    c.active_element()
        .await
        .expect("focused element")
        .send_keys(key)
        .await
        .expect("press");
}

/// Types into a field and submits its form with Enter, as a keyboard user does.
async fn type_and_enter(c: &Client, css: &str, value: &str) {
    let el = c.find(Locator::Css(css)).await.expect(css);
    el.clear().await.ok();
    el.send_keys(&format!("{value}{ENTER}"))
        .await
        .expect("type");
}

#[tokio::test]
async fn a_refused_rules_form_focuses_its_errors_and_a_saved_version_is_confirmed_in_view() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.admin").await;
    c.goto(&format!("{}/innstillinger/tildeling", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Tildelingsregler").await;
    type_and_enter(&c, "#offer_days", "tja").await;
    wait_for_text(&c, ".ds-error-summary", "Skjemaet har feil").await;
    // The form is far down the page: the summary above it has focus and is on screen.
    assert!(focused_matches(&c, ".ds-error-summary").await);
    assert!(in_view(&c, ".ds-error-summary").await);
    assert_accessible(&c, "the refused rules form").await;

    browser::fill(
        &c,
        "#reason",
        "Kortere svarfrist etter vedtak i kommunestyret.",
    )
    .await;
    type_and_enter(&c, "#offer_days", "10").await;
    let saved = wait_for_text(&c, "#lagret", "er lagret").await;
    assert!(saved.starts_with("Versjon "), "{saved}");
    assert!(focused_matches(&c, "#lagret").await);
    assert!(in_view(&c, "#lagret").await);
    assert_accessible(&c, "the rules page after saving").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_case_page_keeps_its_header_in_view_and_leads_to_the_next_step() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let lev = app.tenant("5037").await;
    // An open case with its caseworker and no assessment: the next step is to assess.
    let case: uuid::Uuid = lev
        .scalar(
            "SELECT a.id FROM applications a
              WHERE a.municipality_id = $1 AND a.status IN ('received', 'under_assessment')
                AND a.interim_due_on > $2
                AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.municipality_id = a.municipality_id
                                  AND d.application_id = a.id)
                AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.municipality_id = a.municipality_id
                                  AND s.application_id = a.id)
              ORDER BY a.case_number LIMIT 1",
            &[Arg::Municipality, Arg::Date(app.today())],
        )
        .await;
    let me: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'levanger.saksbehandler'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    lev.exec(
        "UPDATE applications SET caseworker_id = $2 WHERE municipality_id = $1 AND id = $3",
        &[Arg::Municipality, Arg::Id(me), Arg::Id(case)],
    )
    .await;

    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;
    c.goto(&format!("{}/soknader/{case}", app.base))
        .await
        .unwrap();
    let step = text(&c, "#neste-steg-panel").await;
    assert!(step.contains("Søknaden er ikke kartlagt"), "{step}");
    assert_eq!(
        c.find(Locator::Css("#neste-steg-lenke"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some("#kartlegging")
    );
    assert_accessible(&c, "the case page with its next step").await;
    // The status form waits behind its disclosure.
    assert_eq!(
        js(&c, "return document.getElementById('status-skjema').open").await,
        json!(false)
    );

    // Follow the next step with the keyboard: the section is below the sticky header.
    press(&c, Some("neste-steg-lenke"), ENTER).await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("#kartlegging"));
    assert!(in_view(&c, "#kartlegging").await);
    assert!(
        in_view(&c, "#sakshode").await,
        "the case header stays in view"
    );
    let header = text(&c, "#sakshode").await;
    assert!(
        header.contains("Sak ") && header.contains("Frist"),
        "{header}"
    );

    // Save the assessment: the confirmation is in the sticky header, in view and focused.
    browser::fill(&c, "#housing_history", "Bor hos venner.").await;
    browser::fill(&c, "#conclusion", "Fyller vilkårene.").await;
    browser::click(&c, "form[action$='/kartlegging'] button[type=submit]").await;
    wait_for_text(&c, "#lagret", "Kartleggingen er lagret").await;
    assert!(focused_matches(&c, "#lagret").await);
    assert!(in_view(&c, "#lagret").await);
    let step = text(&c, "#neste-steg-panel").await;
    assert!(step.contains("Søknaden er kartlagt"), "{step}");

    // Next: the status form, opened by the link (the disclosure opens for it).
    press(&c, Some("neste-steg-lenke"), ENTER).await;
    assert_eq!(
        js(&c, "return document.getElementById('status-skjema').open").await,
        json!(true)
    );
    assert_accessible(&c, "the case page with the status form open").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn weighty_actions_ask_first_and_escape_cancels() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case, case_no) = ready_case(&app, "5037").await;
    let mut http = app.login("levanger.team").await;
    let meeting = plan(&mut http, &[lev], &app.day(10), &[]).await;
    crate::meetings::add(
        &mut http,
        meeting,
        &[("pick", &format!("application:{case}"))],
    )
    .await;

    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.team").await;
    c.goto(&format!("{}/moter/{meeting}", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "#agenda", &case_no).await;
    // Proposals are offered, not chosen for the user.
    let ticked = js(
        &c,
        "return document.querySelectorAll('#add-items input[name=pick]:checked').length",
    )
    .await;
    assert_eq!(ticked, json!(0));
    assert_accessible(&c, "the meeting page").await;

    // Remove the item: the dialog asks; Escape cancels and nothing is removed.
    browser::click(&c, "form[action$='/fjern'] button[type=submit]").await;
    let question = browser::dialog_question(&c).await;
    assert!(question.starts_with("Fjerne sak 1"), "{question}");
    // The dialog fades in; check it once it is there.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_accessible(&c, "the confirmation dialog").await;
    press(&c, None, ESCAPE).await;
    assert_eq!(
        js(&c, "return document.getElementById('bekreft-dialog').open").await,
        json!(false)
    );
    c.refresh().await.unwrap();
    wait_for_text(&c, "#agenda", &case_no).await;

    // Asked again and confirmed with Enter: the item is gone.
    browser::click(&c, "form[action$='/fjern'] button[type=submit]").await;
    browser::confirm(&c).await;
    c.wait()
        .for_element(Locator::Css("#no-proposals, #add-items"))
        .await
        .unwrap();
    for _ in 0..50 {
        if c.find(Locator::Css("form[action$='/fjern']"))
            .await
            .is_err()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(c
        .find(Locator::Css("form[action$='/fjern']"))
        .await
        .is_err());
    c.close().await.unwrap();

    // Deactivating a user asks first too.
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.admin").await;
    let team: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'levanger.team'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    c.goto(&format!("{}/brukere/{team}", app.base))
        .await
        .unwrap();
    browser::click(&c, "form[action$='/deaktiver'] button[type=submit]").await;
    assert_eq!(browser::confirm(&c).await, "Deaktivere Sigrid Skogn?");
    c.wait()
        .for_element(Locator::Css("form[action$='/aktiver']"))
        .await
        .unwrap();
    c.close().await.unwrap();
}
