//! Browser journey: the secretary runs the meeting from the keyboard alone — next item,
//! jump to an item by number, the privacy switch, a conclusion in a few keystrokes —
//! with the accessibility check on the meeting page, meeting mode and the minutes.

use fantoccini::key::Key;
use fantoccini::Locator;

use super::{add, plan, ready_case};
use crate::common::browser::{self, assert_accessible, text, wait_for_text};
use crate::common::TestApp;

async fn keys(c: &fantoccini::Client, k: &str) {
    c.active_element()
        .await
        .expect("focused element")
        .send_keys(k)
        .await
        .expect("type");
}

#[tokio::test]
async fn the_secretary_runs_the_meeting_with_the_keyboard() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (first, first_no) = ready_case(&app, "5037").await;
    let (second, second_no) = ready_case(&app, "5037").await;
    let unit = crate::allocation::prepared_unit(&app).await;
    let mut http = app.login("levanger.team").await;
    let id = plan(&mut http, &[lev], &app.day(10), &[]).await;
    let res = add(
        &mut http,
        id,
        &[
            ("pick", &format!("application:{first}")),
            ("pick", &format!("application:{second}")),
            ("pick", &format!("dwelling:{unit}")),
        ],
    )
    .await;
    assert_eq!(res.status, reqwest::StatusCode::SEE_OTHER);

    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.team").await;
    c.goto(&format!("{}/moter/{id}", app.base)).await.unwrap();
    assert_accessible(&c, "the meeting page with its agenda").await;

    c.goto(&format!("{}/moter/{id}/motemodus", app.base))
        .await
        .unwrap();
    let title = text(&c, ".bosak-mode__title").await;
    assert!(title.contains(&first_no), "{title}");
    assert!(text(&c, "#privacy-state").await.contains("Personvern på"));
    assert_eq!(text(&c, "#identity").await, "Skjult");
    assert_accessible(&c, "meeting mode").await;

    // → goes to the next item; the position follows.
    keys(&c, &Key::Right.to_string()).await;
    wait_for_text(&c, ".bosak-mode__title", &second_no).await;
    assert!(text(&c, "#position").await.contains("2 av 3"));
    // "3" + Enter jumps to item 3: the unit with its ranked candidates.
    keys(&c, "3").await;
    keys(&c, &Key::Enter.to_string()).await;
    wait_for_text(&c, ".bosak-mode__title", "Tildeling av").await;
    assert!(text(&c, "#candidates").await.contains("Ventetid"));
    assert_accessible(&c, "meeting mode on a unit").await;
    // ← back to item 2.
    keys(&c, &Key::Left.to_string()).await;
    wait_for_text(&c, ".bosak-mode__title", &second_no).await;

    // "u" picks "Utsatt" and puts the cursor in the note; type the reason, Ctrl+Enter saves.
    keys(&c, "u").await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("text"));
    keys(&c, "Venter på uttalelse fra NAV").await;
    keys(&c, &(Key::Control + &Key::Enter.to_string())).await;
    wait_for_text(&c, "#saved", "er lagret").await;
    // Still on item 2, with the privacy switch still on.
    assert!(text(&c, ".bosak-mode__title").await.contains(&second_no));
    assert!(text(&c, "#current-conclusion").await.contains("Utsatt"));
    assert!(text(&c, "#privacy-state").await.contains("Personvern på"));

    // Arrow keys on a conclusion choice change the choice, not the item.
    c.find(Locator::Css("#c-recommend_grant"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    keys(&c, &Key::Right.to_string()).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(text(&c, ".bosak-mode__title").await.contains(&second_no));
    let checked = c
        .find(Locator::Css(
            "#conclusion-form input[name=conclusion]:checked",
        ))
        .await
        .unwrap();
    assert_ne!(
        checked.attr("id").await.unwrap().as_deref(),
        Some("c-recommend_grant")
    );

    // "p" turns the privacy switch off for this screen: the name appears.
    keys(&c, "p").await;
    wait_for_text(&c, "#privacy-state", "Personvern av").await;
    assert_ne!(text(&c, "#identity").await, "Skjult");

    // Without shortcuts: Tab to the agenda link and Enter works too (no JavaScript needed).
    let link = c
        .find(Locator::Css("#agenda-nav a[data-number='1']"))
        .await
        .unwrap();
    link.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_for_text(&c, ".bosak-mode__title", &first_no).await;

    c.goto(&format!("{}/moter/{id}/protokoll", app.base))
        .await
        .unwrap();
    assert!(text(&c, "#minutes").await.contains("Utsatt"));
    assert_accessible(&c, "the minutes").await;
    c.close().await.unwrap();

    let reason: String = super::value(
        &app,
        "5037",
        "SELECT conclusion_text FROM meeting_items WHERE municipality_id = $1 AND conclusion = 'postponed'",
    )
    .await;
    assert_eq!(reason, "Venter på uttalelse fra NAV");
}
