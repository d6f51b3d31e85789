//! Stale edits and double submits, for every form the crawl finds (ARCHITECTURE §8):
//! - two sessions open a form that carries a record's version; the first saves, the
//!   second gets the one conflict message (409) and what it typed is still in the form;
//! - a form sent twice at once makes the same change as sent once: the same form is
//!   submitted once on one server and twice at the same moment on a second server over
//!   an identical copy of the demo data, and the rows added per table must be equal.

use std::collections::BTreeMap;
use std::time::Instant;

use reqwest::StatusCode;

use crate::common::catalog;
use crate::common::crawl::{self, Form};
use crate::common::{Client, TestApp};

/// Forms the suite does not send: they end the sessions the suite works in (logout, a
/// password change, deactivating a colleague who is also crawling).
fn excluded(form: &Form) -> bool {
    form.action.starts_with("/logout")
        || form.action.starts_with("/passord")
        || form.action.ends_with("/deaktiver")
}

/// The forms each user reaches in the demo data, one per shape, in the order found.
async fn forms_of(user: &str) -> Vec<Form> {
    let mut shapes = std::collections::BTreeSet::new();
    crawl::demo_site(user)
        .await
        .forms
        .iter()
        .filter(|f| !excluded(f) && shapes.insert(f.shape()))
        .cloned()
        .collect()
}

/// The field a person would type free text into: a text area or a note, else the first
/// text field.
fn free_text(form: &Form) -> Option<String> {
    let preferred = [
        "note",
        "notes",
        "text",
        "justification",
        "reason",
        "description",
        "comment",
        "grounds",
        "remarks",
    ];
    form.typed
        .iter()
        .find(|n| preferred.iter().any(|p| n.contains(p)))
        .or(form.typed.first())
        .cloned()
}

#[tokio::test]
async fn a_second_session_editing_the_same_version_gets_the_conflict_and_keeps_its_text() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    let mut already = Vec::new();
    let mut wrong = Vec::new();
    for user in ["levanger.saksbehandler", "levanger.team", "levanger.admin"] {
        let forms: Vec<Form> = forms_of(user)
            .await
            .into_iter()
            .filter(|f| f.value("version").is_some())
            .collect();
        let mut a = app.login(user).await;
        let mut b = app.login(user).await;
        for form in forms {
            let (Some(mut fa), Some(mut fb)) = (a.refetch(&form).await, b.refetch(&form).await)
            else {
                skipped.push(format!("{}: no longer offered", form.shape()));
                continue;
            };
            // The first session changes a free text when the form has one (and the text
            // has no rules that refuse it; else it saves the form as it is).
            let original = fa.clone();
            let mut field = free_text(&fa);
            if let Some(f) = &field {
                let v = format!("{} endret av A", fa.value(f).unwrap_or_default());
                fa.set(f, v.trim());
            }
            let mut ra = a.submit(&fa).await;
            if ra.status == StatusCode::UNPROCESSABLE_ENTITY && field.is_some() {
                field = None;
                if let Some(again) = a.refetch(&form).await {
                    ra = a.submit(&again).await;
                }
            }
            if !ra.status.is_redirection() {
                skipped.push(format!(
                    "{}: the first save answered {} {}",
                    form.shape(),
                    ra.status,
                    ra.text_of(".ds-error-summary")
                ));
                continue;
            }
            // The second session types its own text into the same field.
            let marker = "endret av B";
            if let Some(f) = &field {
                let v = format!("{} {marker}", original.value(f).unwrap_or_default());
                fb.set(f, v.trim());
            }
            let before = catalog::fingerprint(&app).await;
            let rb = b.submit(&fb).await;
            let kept = field.is_none() || rb.text.contains(marker);
            let stale = rb.text.contains(bosak::web::refusal::STALE);
            if rb.status == StatusCode::CONFLICT && stale && kept {
                checked.push(form.shape());
                continue;
            }
            // Never a silent overwrite: other than the conflict, the second may only find
            // that what it asked is done already (a removed item, a cancelled meeting):
            // then nothing changes.
            let unchanged = catalog::changed(&before, &catalog::fingerprint(&app).await);
            let done_already = (rb.status.is_redirection() || rb.status == StatusCode::NOT_FOUND)
                && unchanged.is_empty();
            if done_already {
                already.push(format!("{} ({})", form.shape(), rb.status));
            } else {
                wrong.push(format!(
                    "{user} {} ({}): the second save answered {}, conflict message {stale}, typed text kept {kept}, changed {unchanged:?}: {}",
                    form.action,
                    form.shape(),
                    rb.status,
                    rb.text_of(".ds-error-summary")
                ));
            }
        }
    }
    println!(
        "stale edits: {} versioned forms checked ({} found the change done already), {} skipped; {:.1} s\n  checked: {}\n  already: {}\n  skipped: {}",
        checked.len() + already.len(),
        already.len(),
        skipped.len(),
        started.elapsed().as_secs_f64(),
        checked.join("\n           "),
        already.join("\n           "),
        skipped.join("\n           ")
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        checked.len() >= 10,
        "{} versioned forms checked",
        checked.len()
    );
}

/// Rows added or removed per table between two counts (tables that did not change left
/// out).
fn delta(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    after
        .iter()
        .map(|(t, n)| (t.clone(), n - before.get(t).copied().unwrap_or(0)))
        .filter(|(_, d)| *d != 0)
        .collect()
}

#[tokio::test]
async fn a_form_sent_twice_at_once_changes_what_it_changes_once() {
    let started = Instant::now();
    // Two servers over two copies of the same demo data: the same ids in both.
    let once = TestApp::spawn().await;
    let twice = TestApp::spawn().await;
    let mut sent = 0;
    let mut with_effect = 0;
    let mut wrong = Vec::new();
    for user in ["levanger.saksbehandler", "levanger.team", "levanger.admin"] {
        let forms = forms_of(user).await;
        let mut c1 = once.login(user).await;
        let mut c2 = twice.login(user).await;
        for form in forms {
            let (f1, f2) = (c1.refetch(&form).await, c2.refetch(&form).await);
            let (f1, f2) = match (f1, f2) {
                (Some(a), Some(b)) => (a, b),
                (None, None) => continue,
                _ => {
                    wrong.push(format!("{}: offered on one server only", form.shape()));
                    break; // the copies differ from here on
                }
            };
            let (b1, b2) = (
                crawl::row_counts(&once).await,
                crawl::row_counts(&twice).await,
            );
            let r1 = c1.submit(&f1).await;
            let mut c2b: Client = c2.twin();
            let (r2, r3) = tokio::join!(c2.submit(&f2), c2b.submit(&f2));
            sent += 3;
            let d1 = delta(&b1, &crawl::row_counts(&once).await);
            let d2 = delta(&b2, &crawl::row_counts(&twice).await);
            for r in [&r1, &r2, &r3] {
                if r.status.is_server_error() {
                    wrong.push(format!("{user} {}: {}", form.action, r.status));
                }
            }
            if !d1.is_empty() {
                with_effect += 1;
            }
            if d1 != d2 {
                wrong.push(format!(
                    "{user} {} ({}): once {d1:?} ({}), twice at once {d2:?} ({}, {})",
                    form.action,
                    form.shape(),
                    r1.status,
                    r2.status,
                    r3.status
                ));
            }
        }
    }
    println!(
        "double submits: {} forms sent once and twice at once ({with_effect} with an effect), {sent} requests; {:.1} s",
        sent / 3,
        started.elapsed().as_secs_f64()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(with_effect >= 10, "{with_effect} forms changed something");
}
