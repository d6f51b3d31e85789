//! The start page's numbers agree with the lists they open: every count is a link, the
//! link narrows the list to the card's municipality, and the list shows the same number.
//! Walked in a real browser as each demo role.

use fantoccini::{Client, Locator};

use crate::common::browser::{self, assert_accessible, text, wait_for_text};
use crate::common::TestApp;

/// Where each list shows the number the start page's `data-count` link counts.
fn list_figure(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "open" | "interim_overdue" | "ready_for_meeting" | "awaiting_approval" | "open_appeals"
        | "offers_overdue" | "leases_ending" => "#antall",
        "mine" => ".bosak-app-counts .ds-tag",
        "waiting_list" => "#summary",
        "vacant" => "#antall-tabell tfoot td:nth-of-type(2)",
        "becoming_vacant" => "#antall-tabell tfoot td:nth-of-type(3)",
        _ => return None,
    })
}

/// The first whole number in `s`; a sentence without one ("Ingen tilbud …") is 0.
fn first_number(s: &str) -> i64 {
    let digits: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or(0)
}

/// (card heading, kind, count, href) of every count link on the start page.
async fn counts(c: &Client) -> Vec<(String, String, i64, String)> {
    let mut out = Vec::new();
    for card in c.find_all(Locator::Css("section.ds-card")).await.unwrap() {
        let heading = card
            .find(Locator::Css("h2"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for a in card.find_all(Locator::Css("a[data-count]")).await.unwrap() {
            let kind = a.attr("data-count").await.unwrap().unwrap_or_default();
            let href = a.attr("href").await.unwrap().unwrap_or_default();
            let n = first_number(&a.text().await.unwrap());
            out.push((heading.clone(), kind, n, href));
        }
    }
    out
}

#[tokio::test]
async fn every_count_on_the_start_page_equals_the_list_it_opens_for_each_role() {
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    for user in [
        "levanger.saksbehandler",
        "kontor.saksbehandler",
        "levanger.team",
        "levanger.admin",
    ] {
        let c = browser::browser().await;
        browser::login(&c, &app.base, user).await;
        c.goto(&format!("{}/", app.base)).await.unwrap();
        wait_for_text(&c, "h1", "Oversikt").await;
        assert_accessible(&c, &format!("the start page of {user}")).await;
        let found = counts(&c).await;
        assert!(
            found.iter().any(|f| f.1 == "open"),
            "{user} sees case counts: {found:?}"
        );
        let mut checked = 0;
        for (card, kind, n, href) in &found {
            let number = card
                .rsplit_once('(')
                .map(|(_, n)| n.trim_end_matches(')'))
                .unwrap_or_default();
            // Narrowed to the card's municipality: by number, or the waiting list by id.
            assert!(
                href.contains(&format!("kommune={number}")) || kind == "waiting_list",
                "{user}: {kind} in {card} links to {href}"
            );
            c.goto(&format!("{}{}", app.base, href)).await.unwrap();
            let Some(css) = list_figure(kind) else {
                continue;
            };
            let shown = first_number(&text(&c, css).await);
            assert_eq!(
                shown, *n,
                "{user}: the start page says {kind} = {n} in {card}, {href} shows {shown}"
            );
            // The list is about the card's municipality only: where a switcher is shown,
            // it names that municipality.
            // it names that municipality (the waiting list, always about one, in its
            // own municipality picker).
            let name = card.split(" (").next().unwrap_or_default();
            let picker = if kind == "waiting_list" {
                "#kommune option:checked"
            } else {
                "#kommunevelger option:checked"
            };
            if let Ok(sel) = c.find(Locator::Css(picker)).await {
                assert_eq!(sel.text().await.unwrap().trim(), name, "{user}: {href}");
            }
            checked += 1;
        }
        assert!(checked >= 8, "{user}: only {checked} counts checked");
        if user == "kontor.saksbehandler" {
            // Two cards: the same list opened from each shows each municipality's number.
            assert_eq!(
                found.iter().filter(|f| f.1 == "open").count(),
                2,
                "the office sees Levanger and Verdal"
            );
            c.goto(&format!("{}/soknader?status=apne&kommune=5038", app.base))
                .await
                .unwrap();
            assert_accessible(&c, "the case list narrowed to Verdal").await;
        }
        c.close().await.unwrap();
    }
}
