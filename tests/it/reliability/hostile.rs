//! Hostile input, property-based (proptest), to every form the crawl finds: very long
//! strings, control characters and NUL, invalid UTF-8, SQL and HTML/JS injection, formula
//! cells, huge and negative numbers, impossible dates, ids of other records and other
//! municipalities, duplicated and missing fields. Never a 5xx; a refusal is the form again
//! with its messages; no injected markup is ever sent back unescaped, right away or later
//! on any page the crawl saw.

use std::time::Instant;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;

use crate::common::crawl::{self, Form};
use crate::common::{Page, TestApp};

/// Inputs per form: bounded so the suite stays within CI's time.
const CASES_PER_FORM: u32 = 4;

/// Markup that would run if a page printed it as it is.
const MARKUP: &[&str] = &[
    "<script>bosakXss()</script>",
    "\"><img src=x onerror=bosakXss()>",
    "'><svg onload=bosakXss()>",
    "javascript:bosakXss()",
];

fn unescaped(text: &str) -> Option<&'static str> {
    [
        "<script>bosakXss",
        "<img src=x onerror=bosakXss",
        "<svg onload=bosakXss",
        "href=\"javascript:bosakXss",
    ]
    .into_iter()
    .find(|m| text.contains(m))
}

/// One hostile value (bytes: it need not be UTF-8). `ids` are ids of other records, also of
/// other municipalities.
fn hostile(ids: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let text = |s: &'static str| Just(s.as_bytes().to_vec());
    prop_oneof![
        // Long and odd text.
        (1usize..4).prop_map(|k| "Æøå ".repeat(20_000 * k).into_bytes()),
        "\\PC{0,60}".prop_map(String::into_bytes),
        proptest::collection::vec(0u8..32, 1..12),
        proptest::collection::vec(0x80u8..=0xff, 1..8),
        text("a\u{0}b"),
        text("\u{202e}gnp.exe\u{200b}\u{feff}"),
        // Injection.
        text("'; DROP TABLE applications; --"),
        text("' OR '1'='1"),
        text("\\'; SELECT pg_sleep(5); --"),
        proptest::sample::select(MARKUP.to_vec()).prop_map(|s| s.as_bytes().to_vec()),
        // Formula cells.
        text("=HYPERLINK(\"http://x.example\",\"klikk\")"),
        text("+1+cmd|' /C calc'!A0"),
        text("@SUM(1+1)*cmd|' /C calc'!A0"),
        // Numbers.
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        text("-1"),
        text("99999999999999999999999999999999"),
        text("1e308"),
        text("NaN"),
        text("-0,5"),
        text("12 345,678"),
        // Dates.
        text("31.02.2027"),
        text("29.02.2027"),
        text("00.00.0000"),
        text("99.99.9999"),
        text("01.01.10000"),
        text("2027-13-45"),
        text("1.1.-1"),
        // Ids.
        proptest::sample::select(ids).prop_map(String::into_bytes),
        Just(uuid::Uuid::nil().to_string().into_bytes()),
        text("not-a-uuid"),
        text(""),
    ]
}

/// What happens to one field: kept, replaced by a hostile value, left out, or sent twice.
#[derive(Clone, Debug)]
enum Change {
    Keep,
    Replace(Vec<u8>),
    Drop,
    Twice(Vec<u8>),
}

fn changes(n: usize, ids: Vec<String>) -> impl Strategy<Value = Vec<Change>> {
    let one = prop_oneof![
        3 => Just(Change::Keep),
        5 => hostile(ids.clone()).prop_map(Change::Replace),
        1 => Just(Change::Drop),
        1 => hostile(ids).prop_map(Change::Twice),
    ];
    proptest::collection::vec(one, n..=n)
}

fn apply(form: &Form, changes: &[Change]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for ((name, value), change) in form.fields.iter().zip(changes) {
        match change {
            Change::Keep => out.push((name.clone(), value.clone().into_bytes())),
            Change::Replace(v) => out.push((name.clone(), v.clone())),
            Change::Drop => {}
            Change::Twice(v) => {
                out.push((name.clone(), value.clone().into_bytes()));
                out.push((name.clone(), v.clone()));
            }
        }
    }
    out
}

fn excluded(form: &Form) -> bool {
    form.action.starts_with("/logout")
        || form.action.starts_with("/passord")
        || form.action.ends_with("/deaktiver")
}

/// A refusal shows the form again with what is wrong (a 400 for bytes no form could
/// send is a page of its own).
fn explains(page: &Page) -> bool {
    page.count(".ds-error-summary, .ds-validation-message, .ds-alert") > 0
}

#[tokio::test]
async fn hostile_values_in_every_form_never_error_and_never_inject_markup() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    // Ids of records of every municipality, to be put where they do not belong.
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for m in ["5037", "5038", "5035"] {
            let t = app.tenant(m).await;
            for sql in [
                "SELECT id::text FROM dwellings ORDER BY id LIMIT 2",
                "SELECT id::text FROM applications ORDER BY id LIMIT 2",
                "SELECT id::text FROM people ORDER BY id LIMIT 2",
                "SELECT id::text FROM leases ORDER BY id LIMIT 2",
            ] {
                ids.extend(t.column::<String>(sql, &[]).await);
            }
        }
        ids
    };
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: CASES_PER_FORM,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let (mut forms_fuzzed, mut inputs, mut stored) = (0, 0, 0);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut wrong = Vec::new();
    let mut seen_pages = Vec::new();
    for user in ["levanger.saksbehandler", "levanger.team", "levanger.admin"] {
        let mut c = app.login(user).await;
        let site = crawl::demo_site(user).await;
        seen_pages.extend(site.pages.iter().map(|(u, _)| u.clone()));
        let mut shapes = std::collections::BTreeSet::new();
        for form in site
            .forms
            .iter()
            .filter(|f| !excluded(f) && shapes.insert(f.shape()))
        {
            forms_fuzzed += 1;
            let strategy = changes(form.fields.len(), ids.clone());
            // The form as its page has it now (token, version), then the changes.
            let fresh = c.refetch(form).await.unwrap_or_else(|| form.clone());
            for _ in 0..CASES_PER_FORM {
                let plan = strategy.new_tree(&mut runner).expect("a case").current();
                let fields = apply(&fresh, &plan);
                let res = c.submit_bytes(&fresh, &fields).await;
                inputs += 1;
                *statuses.entry(res.status.as_u16()).or_default() += 1;
                let what = format!("{user} POST {} {:?}", form.action, short(&fields));
                if res.status.is_server_error() {
                    wrong.push(format!("{what}: {}", res.status));
                }
                if let Some(m) = unescaped(&res.text) {
                    wrong.push(format!("{what}: {m} unescaped in the answer"));
                }
                if res.status == StatusCode::UNPROCESSABLE_ENTITY && !explains(&res) {
                    wrong.push(format!("{what}: 422 without a message"));
                }
                let html = res
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("text/html"));
                if !res.status.is_redirection() && !html {
                    wrong.push(format!("{what}: {} is not a page of ours", res.status));
                }
                if res.status.is_redirection() {
                    stored += 1;
                    if let Some(next) = res.location.clone() {
                        let shown = c.get(&next).await;
                        if let Some(m) = unescaped(&shown.text) {
                            wrong.push(format!("{what}: {m} unescaped on {next}"));
                        }
                    }
                }
            }
        }
    }
    // Whatever was stored: no page the crawl saw prints it as markup.
    let mut c = app.login("levanger.admin").await;
    let mut pages_checked = 0;
    for url in &seen_pages {
        let page = c.get(url).await;
        pages_checked += 1;
        if page.status.is_server_error() {
            wrong.push(format!("GET {url} after the fuzzing: {}", page.status));
        }
        if let Some(m) = unescaped(&page.text) {
            wrong.push(format!("GET {url}: {m} unescaped"));
        }
    }
    println!(
        "hostile input: {forms_fuzzed} forms fuzzed, {inputs} inputs tried ({stored} accepted), \
         {pages_checked} pages checked afterwards; statuses {statuses:?}; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(forms_fuzzed >= 30, "{forms_fuzzed} forms fuzzed");
}

/// Fields for a message: long values cut.
fn short(fields: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(n, v)| {
            let s = String::from_utf8_lossy(v);
            let s: String = s.chars().take(60).collect();
            (n.clone(), s)
        })
        .collect()
}
