//! Headless Chromium through chromedriver (WebDriver), with axe-core for accessibility.
//! `scripts/test` starts chromedriver and sets WEBDRIVER_URL; without it a chromedriver on
//! port 9515 is started for local runs.

use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// One browser at a time: two cores cannot run several Chromiums and the server fast.
pub static BROWSER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn webdriver_url() -> String {
    if let Ok(url) = std::env::var("WEBDRIVER_URL") {
        return url;
    }
    static STARTED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::process::Command::new("chromedriver")
            .arg("--port=9515")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        std::thread::sleep(Duration::from_millis(800));
    });
    "http://127.0.0.1:9515".into()
}

pub async fn browser() -> Client {
    // reqwest and fantoccini bring different rustls backends; pick one explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile =
        std::env::temp_dir().join(format!("bosak-chrome-{}", uuid::Uuid::new_v4().simple()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let mut last_err = None;
    // A loaded machine can make chromedriver slow to accept a new session.
    for _ in 0..60 {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&webdriver_url())
            .await
        {
            Ok(c) => return c,
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
    panic!("could not start a browser session: {last_err:?}");
}

/// Serious and critical WCAG 2.1 A/AA violations on the current page, as readable lines.
pub async fn axe_violations(c: &Client) -> Vec<String> {
    // Loaded as a same-origin script so the page's CSP (script-src 'self') admits it.
    let loaded = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               if (window.axe) { done(true); return; }
               const s = document.createElement('script');
               s.src = '/static/vendor/axe-core/axe.min.js';
               s.onload = () => done(true);
               s.onerror = () => done(false);
               document.head.appendChild(s);"#,
            vec![],
        )
        .await
        .expect("inject axe");
    assert_eq!(loaded, json!(true), "axe-core did not load");
    let result = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                 .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("run axe");
    result
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn assert_accessible(c: &Client, what: &str) {
    let v = axe_violations(c).await;
    assert!(
        v.is_empty(),
        "accessibility violations on {what}:\n{}",
        v.join("\n")
    );
}

pub async fn fill(c: &Client, css: &str, value: &str) {
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no element {css}"));
    el.clear().await.ok();
    el.send_keys(value).await.expect("type");
}

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no element {css}"))
        .click()
        .await
        .expect("click");
}

/// Text of the first element matching `css`, waiting up to 10 s for it to appear.
pub async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no element {css}"))
        .text()
        .await
        .unwrap_or_default()
}

pub async fn login(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/login")).await.expect("open login");
    fill(c, "#username", username).await;
    fill(c, "#password", "demo").await;
    click(c, "form[action='/login'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("nav.bosak-nav"))
        .await
        .expect("logged-in page");
}

/// Waits up to 10 s until the first element matching `css` contains `needle` (after a
/// click that reloads the same URL, the old page is still there for a moment).
pub async fn wait_for_text(c: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never contained {needle:?}; last text: {last:?}");
}

/// The question of the open confirmation dialog (read from the DOM: while the dialog
/// fades in, WebDriver reads its text as empty), waiting up to 10 s for it to open.
pub async fn dialog_question(c: &Client) -> String {
    for _ in 0..100 {
        let q = c
            .execute(
                "const d = document.getElementById('bekreft-dialog');
                 return d && d.open ? d.querySelector('#bekreft-tittel').textContent : null;",
                vec![],
            )
            .await
            .expect("read the dialog");
        if let Some(q) = q.as_str() {
            return q.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no confirmation dialog opened");
}

/// Answers yes in the dialog a weighty action asks first (`static/js/bosak.js`), with the
/// keyboard (the confirming button has focus), and returns the question it asked.
pub async fn confirm(c: &Client) -> String {
    let question = dialog_question(c).await;
    let focused = c
        .execute(
            "return document.activeElement && document.activeElement.id",
            vec![],
        )
        .await
        .expect("focused element");
    assert_eq!(
        focused,
        json!("bekreft-ja"),
        "the confirming button has focus"
    );
    c.active_element()
        .await
        .expect("active element")
        .send_keys("\u{E007}")
        .await
        .expect("press Enter");
    question
}
