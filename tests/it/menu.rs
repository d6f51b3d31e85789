//! The menu and the routes ask the same permission (`auth::policy`): every link a user is
//! shown on the start page, in the menu and on the pages the menu leads to answers 200 for
//! that user. A link to a page that refuses them is a dead end in the interface and tells
//! them about pages they may not use (ASVS 5.0 V8.2.1).

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::common::{Page, TestApp};

/// Internal GET links of a page, without fragments.
fn links(page: &Page) -> Vec<String> {
    let sel = scraper::Selector::parse("a[href]").expect("selector");
    page.html()
        .select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/static/"))
        .collect()
}

/// A link's shape: the same page for another record is the same link to check.
fn shape(href: &str) -> String {
    let path = href.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|s| {
            if uuid::Uuid::parse_str(s).is_ok()
                || s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty()
            {
                ":id"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_link_shown_to_a_user_answers_200_for_that_user() {
    let app = TestApp::spawn().await;
    let users: Vec<String> =
        sqlx::query_scalar("SELECT username FROM users WHERE is_demo ORDER BY username")
            .fetch_all(&app.owner)
            .await
            .expect("demo users");
    assert!(users.len() >= 5, "the demo has a user of every role");
    let mut dead = Vec::new();
    for user in &users {
        let mut c = app.login(user).await;
        let start = c.get("/").await;
        assert_eq!(start.status, StatusCode::OK, "{user}: start page");
        let menu: Vec<String> = {
            let sel = scraper::Selector::parse("nav a[href]").expect("selector");
            start
                .html()
                .select(&sel)
                .filter_map(|a| a.value().attr("href").map(str::to_owned))
                .filter(|h| h.starts_with('/'))
                .collect()
        };
        assert!(!menu.is_empty(), "{user} has a menu");
        // Breadth first from the start page and the menu, three links deep, one page of
        // each shape.
        let mut level: Vec<String> = links(&start);
        level.extend(menu);
        let mut seen = BTreeSet::new();
        for _depth in 0..3 {
            let mut next = Vec::new();
            for href in level {
                if !seen.insert(shape(&href)) {
                    continue;
                }
                let page = c.follow(&href).await;
                if page.status == StatusCode::OK {
                    next.extend(links(&page));
                } else {
                    dead.push(format!("{user}: {href} answers {}", page.status));
                }
            }
            level = next;
        }
    }
    assert!(
        dead.is_empty(),
        "links that refuse the user they are shown to:\n{}",
        dead.join("\n")
    );
}
