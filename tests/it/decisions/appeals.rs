//! Appeals reviewed properly (fvl. §§ 31, 33, 34): late appeals are assessed first, a
//! dismissal is an enkeltvedtak with its own archived letter and deadline, a reversal
//! keeps the appeal open until the new decision is sent, and a samlevedtak is forwarded
//! per appeal body with its own letter and outcome.

use reqwest::StatusCode;
use uuid::Uuid;

use super::workflow::{draft, grounds, on, ready_application, tenant_scalar, two_points, version};
use crate::common::{Client, Page, TestApp};

/// A samlevedtak (dwelling: 3 weeks, klagenemnd; health care: 4 weeks, Statsforvalteren)
/// sent digitally on Monday 2 November 2026: deadlines 23.11 and 30.11.2026.
async fn sent_samlevedtak(app: &TestApp, c: &mut Client) -> (Uuid, String) {
    send_samlevedtak_on(app, c, "02.11.2026").await
}

/// The same samlevedtak of a fresh application, sent digitally on `dispatched_on`.
pub(super) async fn send_samlevedtak_on(
    app: &TestApp,
    c: &mut Client,
    dispatched_on: &str,
) -> (Uuid, String) {
    let application = ready_application(app).await;
    let path = draft(c, application).await;
    two_points(c, &path).await;
    grounds(c, &path).await;
    let v = version(&c.get(&path).await);
    let res = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", dispatched_on),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    (application, path)
}

/// The names of the decision's point checkboxes, in order (dwelling, health care).
fn point_boxes(page: &Page) -> Vec<String> {
    let html = page.html();
    let sel = scraper::Selector::parse("#points input[type=checkbox]").unwrap();
    html.select(&sel)
        .filter_map(|i| i.value().attr("name").map(str::to_owned))
        .collect()
}

async fn register(c: &mut Client, path: &str, points: &[&str], received: &str) -> String {
    let mut fields: Vec<(&str, &str)> = points.iter().map(|p| (*p, "1")).collect();
    fields.extend([
        ("received_on", received),
        ("received_how", "Brev"),
        ("appellant", "Søkeren"),
    ]);
    let res = c.post(&format!("{path}/klager"), &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    res.location.unwrap()
}

fn form_version(page: &Page, action: &str) -> String {
    page.attr(
        &format!("form[action$='/{action}'] input[name=version]"),
        "value",
    )
    .unwrap_or_else(|| panic!("no {action} form"))
}

fn appeal_id(path: &str) -> Uuid {
    path.trim_start_matches("/klager/").parse().unwrap()
}

async fn appeal_status(app: &TestApp, path: &str) -> String {
    tenant_scalar(
        app,
        "SELECT status::text FROM appeals WHERE id = $1",
        appeal_id(path),
    )
    .await
}

/// The links in the case's list of sent letters whose title contains `title`.
fn letter_links(case: &Page, title: &str) -> Vec<String> {
    let html = case.html();
    let sel = scraper::Selector::parse("#sendte-brev tbody tr td a").unwrap();
    html.select(&sel)
        .filter(|a| a.text().collect::<String>().contains(title))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

async fn pdf_text(c: &Client, letter: &str) -> String {
    let res = c
        .http
        .get(format!("{}{letter}.pdf", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_late_appeal_is_assessed_first_and_needs_special_reasons_to_be_taken_up() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (application, path) = sent_samlevedtak(&app, &mut c).await;
    let boxes = point_boxes(&c.get(&path).await);
    app.set_today(on(25, 11));
    // The dwelling point's deadline was 23.11: two days late.
    let appeal = register(&mut c, &path, &[&boxes[0]], "25.11.2026").await;
    let page = c.get(&appeal).await;
    assert_eq!(
        page.count("form[action$='/for-sent']"),
        1,
        "{}",
        page.text_of("main")
    );
    assert_eq!(page.count("form[action$='/omgjor']"), 0);
    assert_eq!(page.count("form[action$='/oversend']"), 0);
    assert!(
        page.text_of("#decision-age")
            .contains("Klagen kom 23 dager etter vedtaket"),
        "{}",
        page.text_of("#decision-age")
    );
    let v = form_version(&page, "for-sent");

    // Nothing can be done with it before the assessment.
    for action in ["omgjor", "oversend", "utfall"] {
        let res = c
            .post(
                &format!("{appeal}/{action}"),
                &[
                    ("version", &v),
                    ("date", "25.11.2026"),
                    ("forwarding_note", "Vi opprettholder vedtaket."),
                    ("body_outcome", "upheld"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{action}");
        assert!(
            res.text_of(".ds-error-summary").contains("§ 31"),
            "{action}: {}",
            res.text_of(".ds-error-summary")
        );
    }
    assert_eq!(appeal_status(&app, &appeal).await, "registered");
    assert_eq!(
        tenant_scalar::<i64>(
            &app,
            "SELECT count(*) FROM decisions WHERE application_id = $1",
            application
        )
        .await,
        1,
        "no new decision drafted"
    );
    assert_eq!(
        tenant_scalar::<i64>(
            &app,
            "SELECT count(*) FROM appeal_points WHERE appeal_id = $1 AND forwarded_on IS NOT NULL",
            appeal_id(&appeal)
        )
        .await,
        0,
        "nothing forwarded"
    );

    // Taken up without the special reasons: refused next to the field, input kept.
    let res = c
        .post(
            &format!("{appeal}/for-sent"),
            &[
                ("version", &v),
                ("late_decision", "taken_up"),
                ("late_reason", "  "),
                ("late_interest", "Boligen er avgjørende for meg."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text_of("#late_reason-err").contains("særlige grunnene"),
        "{}",
        res.text_of("#late_reason-err")
    );
    assert!(res
        .text_of("#late_interest")
        .contains("Boligen er avgjørende for meg."));
    assert_eq!(
        tenant_scalar::<Option<String>>(
            &app,
            "SELECT late_decision FROM appeals WHERE id = $1",
            appeal_id(&appeal)
        )
        .await,
        None
    );
    assert_eq!(
        tenant_scalar::<String>(
            &app,
            "SELECT late_interest FROM appeals WHERE id = $1",
            appeal_id(&appeal)
        )
        .await,
        "",
        "nothing half-saved"
    );
    assert_eq!(app.audit_count("appeal.late_taken_up").await, 0);

    // A stale form (someone else changed the appeal) is refused with the input kept.
    let stale = c
        .post(
            &format!("{appeal}/for-sent"),
            &[
                ("version", "999"),
                ("late_decision", "taken_up"),
                ("late_reason", "Søkeren lå på sykehus da fristen gikk ut."),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale
        .text_of("#late_reason")
        .contains("Søkeren lå på sykehus"));
    assert_eq!(app.audit_count("appeal.late_taken_up").await, 0);

    // With the reasons it is taken up, and then it can be reconsidered.
    let res = c
        .post(
            &format!("{appeal}/for-sent"),
            &[
                ("version", &v),
                ("late_decision", "taken_up"),
                ("late_reason", "Søkeren lå på sykehus da fristen gikk ut."),
                ("late_interest", "Boligen er avgjørende for meg."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(app.audit_count("appeal.late_taken_up").await, 1);
    assert!(c
        .get(&format!("/soknader/{application}"))
        .await
        .text_of("section[aria-labelledby=tidslinje]")
        .contains("behandles likevel"));
    let page = c.get(&appeal).await;
    assert_eq!(page.count("form[action$='/for-sent']"), 0);
    assert!(page
        .text_of("#late-assessment")
        .contains("Søkeren lå på sykehus"));
    let v = form_version(&page, "omgjor");
    let rev = c
        .post(
            &format!("{appeal}/omgjor"),
            &[("version", &v), ("date", "25.11.2026")],
        )
        .await;
    assert_eq!(rev.status, StatusCode::SEE_OTHER);
    assert_eq!(appeal_status(&app, &appeal).await, "reversing");
}

#[tokio::test]
async fn a_dismissal_is_a_decision_with_its_own_archived_letter_and_deadline() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (application, path) = sent_samlevedtak(&app, &mut c).await;
    let boxes = point_boxes(&c.get(&path).await);
    app.set_today(on(25, 11));
    let appeal = register(&mut c, &path, &[&boxes[0]], "25.11.2026").await;
    let v = form_version(&c.get(&appeal).await, "for-sent");

    // A dismissal needs its grounds.
    let res = c
        .post(
            &format!("{appeal}/for-sent"),
            &[
                ("version", &v),
                ("late_decision", "dismissed"),
                ("late_reason", "Glemte fristen."),
                ("dispatched_on", "25.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#late_assessment-err").contains("vurderingen"));
    assert_eq!(appeal_status(&app, &appeal).await, "registered");

    let res = c
        .post(
            &format!("{appeal}/for-sent"),
            &[
                ("version", &v),
                ("late_decision", "dismissed"),
                ("late_reason", "Glemte fristen."),
                (
                    "late_assessment",
                    "Å glemme fristen er ikke en særlig grunn. Vedtaket var tydelig på fristen.",
                ),
                ("dispatched_on", "25.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(appeal_status(&app, &appeal).await, "dismissed");
    // Notified 25.11 (digital) + 3 weeks = Wednesday 16.12.2026.
    assert_eq!(
        tenant_scalar::<Option<chrono::NaiveDate>>(
            &app,
            "SELECT dismissal_deadline FROM appeals WHERE id = $1",
            appeal_id(&appeal)
        )
        .await,
        Some(on(16, 12))
    );
    let page = c.get(&appeal).await;
    assert_eq!(page.text_of("#dismissal-deadline"), "16.12.2026");
    assert_eq!(app.audit_count("appeal.dismissed").await, 1);

    // The letter is archived and listed in the case.
    let case = c.get(&format!("/soknader/{application}")).await;
    let links = letter_links(&case, "Vedtak om avvisning av klage");
    assert_eq!(links.len(), 1, "{links:?}");
    let letter = links[0].clone();
    assert_eq!(
        page.attr("#dismissal-letter", "href").as_deref(),
        Some(letter.as_str())
    );
    let html = c.get(&letter).await;
    assert_eq!(html.status, StatusCode::OK);
    let text = html.texts("main.bosak-letter > *").join("\n");
    let pdf = pdf_text(&c, &letter).await;
    for needle in [
        "Vedtak om avvisning av klage",
        "Vi avviser klagen din mottatt 25.11.2026",
        "§ 31",
        "Glemte fristen.",
        "Å glemme fristen er ikke en særlig grunn.",
        "Du kan klage på avvisningen",
        "Klagefrist: 16.12.2026",
        "Klageinstans: Kommunens klagenemnd",
        "Klagen sendes til Levanger kommune",
        "§§ 18 og 19",
    ] {
        assert!(
            text.contains(needle),
            "the letter lacks {needle:?}:\n{text}"
        );
        assert!(pdf.contains(needle), "the PDF lacks {needle:?}:\n{pdf}");
    }

    // Dismissed: it can no longer be reversed or forwarded.
    let v = page
        .attr("form input[name=version]", "value")
        .unwrap_or_else(|| "1".into());
    let res = c
        .post(
            &format!("{appeal}/omgjor"),
            &[("version", &v), ("date", "25.11.2026")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(appeal_status(&app, &appeal).await, "dismissed");
    assert_eq!(
        tenant_scalar::<i64>(
            &app,
            "SELECT count(*) FROM decisions WHERE application_id = $1",
            application
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_reversed_appeal_stays_open_until_the_new_decision_is_sent() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (_, path) = sent_samlevedtak(&app, &mut c).await;
    let boxes = point_boxes(&c.get(&path).await);
    app.set_today(on(20, 11));
    let appeal = register(&mut c, &path, &[&boxes[0]], "20.11.2026").await;
    let v = form_version(&c.get(&appeal).await, "omgjor");
    let rev = c
        .post(
            &format!("{appeal}/omgjor"),
            &[("version", &v), ("date", "20.11.2026")],
        )
        .await;
    assert_eq!(rev.status, StatusCode::SEE_OTHER);
    let new_path = rev.location.unwrap();
    assert!(new_path.starts_with("/vedtak/") && new_path != path);

    // Open while the new decision is a draft, linked to it, and still on the list.
    assert_eq!(appeal_status(&app, &appeal).await, "reversing");
    let page = c.get(&appeal).await;
    assert!(page.text_of("#appeal-status").contains("åpen"));
    assert_eq!(
        page.attr("#new-decision", "href").as_deref(),
        Some(new_path.as_str())
    );
    assert!(c.get("/klager").await.text_of("tbody").contains("Søkeren"));
    assert_eq!(app.audit_count("appeal.reversed").await, 0);

    // Sending the new decision closes the appeal as reversed, in the same transaction.
    let v = version(&c.get(&new_path).await);
    let sent = c
        .post(
            &format!("{new_path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "20.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "{}",
        sent.text_of(".ds-error-summary")
    );
    assert_eq!(appeal_status(&app, &appeal).await, "reversed");
    assert_eq!(app.audit_count("appeal.reversed").await, 1);
    assert!(!c.get("/klager").await.text_of("tbody").contains("Søkeren"));
    assert!(c
        .get(&appeal)
        .await
        .text_of("#appeal-status")
        .contains("nytt vedtak sendt"));
}

#[tokio::test]
async fn a_samlevedtak_appeal_is_forwarded_to_each_appeal_body_with_its_own_letter_and_outcome() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (application, path) = sent_samlevedtak(&app, &mut c).await;
    let boxes = point_boxes(&c.get(&path).await);
    app.set_today(on(20, 11));
    let appeal = register(&mut c, &path, &[&boxes[0], &boxes[1]], "20.11.2026").await;
    let page = c.get(&appeal).await;
    assert_eq!(page.count("form[action$='/oversend']"), 2, "one per body");
    let bodies: Vec<String> = {
        let html = page.html();
        let sel = scraper::Selector::parse("form[action$='/oversend'] input[name=body]").unwrap();
        html.select(&sel)
            .filter_map(|i| i.value().attr("value").map(str::to_owned))
            .collect()
    };
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies[0].starts_with("Kommunens klagenemnd"), "{bodies:?}");
    assert_eq!(bodies[1], "Statsforvalteren");

    // A refusal shows next to the fields of the body's own form and keeps what was typed.
    let v = form_version(&page, "oversend");
    let res = c
        .post(
            &format!("{appeal}/oversend"),
            &[
                ("version", &v),
                ("body", &bodies[1]),
                ("date", "31.02.2026"),
                ("forwarding_note", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.count("#forwarding_note-err"), 1);
    assert_eq!(res.count("#date-err"), 1);
    assert_eq!(res.attr("#date", "value").as_deref(), Some("31.02.2026"));
    let html = res.html();
    let sel = scraper::Selector::parse("form[action$='/oversend']").unwrap();
    let forms: Vec<_> = html.select(&sel).collect();
    assert_eq!(forms.len(), 2);
    let has_error = |f: &scraper::ElementRef| f.html().contains("data-field=\"validation\"");
    assert!(!has_error(&forms[0]), "the other body's form is untouched");
    assert!(
        has_error(&forms[1]),
        "the errors sit in {}'s form",
        bodies[1]
    );
    assert_eq!(app.audit_count("appeal.forwarded").await, 0);

    for (i, body) in bodies.iter().enumerate() {
        let v = form_version(&c.get(&appeal).await, "oversend");
        let res = c
            .post(
                &format!("{appeal}/oversend"),
                &[
                    ("version", &v),
                    ("body", body),
                    ("date", "20.11.2026"),
                    (
                        "forwarding_note",
                        &format!("Vi opprettholder punktet for {body}."),
                    ),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let page = c.get(&appeal).await;
        assert_eq!(page.count("form[action$='/oversend']"), 1 - i);
        assert_eq!(page.count("form[action$='/utfall']"), i + 1);
    }
    assert_eq!(app.audit_count("appeal.forwarded").await, 2);

    // Two forwarding letters, each to its body with a copy to the party.
    let case = c.get(&format!("/soknader/{application}")).await;
    for body in &bodies {
        let links = letter_links(&case, &format!("Oversendelse av klage til {body}"));
        assert_eq!(links.len(), 1, "{body}: {links:?}");
        let letter = c.get(&links[0]).await;
        let text = letter.texts("main.bosak-letter > *").join("\n");
        assert!(text.contains("Oversendelse av klage – sak"), "{text}");
        assert!(text.contains("Kopi: "), "{text}");
        assert!(text.contains(&format!("Vi opprettholder punktet for {body}.")));
        assert!(text.contains("§§ 18 og 19"), "{text}");
        let pdf = pdf_text(&c, &links[0]).await;
        assert!(pdf.contains("Oversendelse av klage"), "{pdf}");
    }
    let kinds: i64 = tenant_scalar(
        &app,
        "SELECT count(DISTINCT forwarding_letter_id) FROM appeal_points WHERE appeal_id = $1",
        appeal_id(&appeal),
    )
    .await;
    assert_eq!(kinds, 2);

    // An outcome without a choice is refused in that body's form, keeping the note.
    let v = form_version(&c.get(&appeal).await, "utfall");
    let res = c
        .post(
            &format!("{appeal}/utfall"),
            &[
                ("version", &v),
                ("body", &bodies[0]),
                ("date", "20.11.2026"),
                ("body_outcome_note", "Møte i nemnda 19.11."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of("#body_outcome-err")
        .contains("Velg klageinstansens avgjørelse"));
    assert_eq!(
        res.attr("#body_outcome_note", "value").as_deref(),
        Some("Møte i nemnda 19.11.")
    );
    assert_eq!(res.count("[data-field=validation]"), 1);

    // The klagenemnd upholds: the appeal waits for Statsforvalteren.
    let v = form_version(&c.get(&appeal).await, "utfall");
    let res = c
        .post(
            &format!("{appeal}/utfall"),
            &[
                ("version", &v),
                ("body", &bodies[0]),
                ("body_outcome", "upheld"),
                ("date", "20.11.2026"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(appeal_status(&app, &appeal).await, "forwarded");
    let page = c.get(&appeal).await;
    assert_eq!(page.count("form[action$='/utfall']"), 1);
    assert_eq!(page.count(".bosak-body-outcome"), 1);
    assert!(c.get("/klager").await.text_of("tbody").contains("Søkeren"));

    // Statsforvalteren gives its outcome: every body has decided, the appeal is finished.
    let v = form_version(&page, "utfall");
    let res = c
        .post(
            &format!("{appeal}/utfall"),
            &[
                ("version", &v),
                ("body", &bodies[1]),
                ("body_outcome", "upheld"),
                ("date", "20.11.2026"),
                ("body_outcome_note", "Statsforvalteren er enig."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(appeal_status(&app, &appeal).await, "closed");
    assert_eq!(
        tenant_scalar::<i64>(
            &app,
            "SELECT count(*) FROM appeal_points WHERE appeal_id = $1 AND body_outcome = 'upheld'",
            appeal_id(&appeal)
        )
        .await,
        2
    );
    let page = c.get(&appeal).await;
    assert_eq!(page.count(".bosak-body-outcome"), 2);
    assert!(!c.get("/klager").await.text_of("tbody").contains("Søkeren"));
}

/// Posts the interim reply form of an appeal.
async fn interim_reply(
    c: &mut Client,
    appeal: &str,
    v: &str,
    reason: &str,
    expected: &str,
) -> Page {
    c.post(
        &format!("{appeal}/forelopig-svar"),
        &[
            ("version", v),
            ("interim_reason", reason),
            ("interim_expected_on", expected),
        ],
    )
    .await
}

/// fvl. § 11a for appeals: a reply is due a month after the appeal came in, can be sent
/// several times, is archived as sent, and a new one is due when its promised date passes.
#[tokio::test]
async fn an_appeal_not_decided_within_a_month_gets_interim_replies() {
    const WAITING: &str = "Vi venter på uttalelse fra helsetjenesten.";
    let app = TestApp::spawn_on(on(2, 11)).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (application, path) = sent_samlevedtak(&app, &mut c).await;
    let boxes = point_boxes(&c.get(&path).await);
    app.set_today(on(20, 11));
    let appeal = register(&mut c, &path, &[&boxes[0]], "20.11.2026").await;
    let viewed_before = app.audit_count("appeal.viewed").await;
    let page = c.get(&appeal).await;
    // Reading the appeal is a read of personal data (ASVS 5.0 V16.2.1).
    assert_eq!(app.audit_count("appeal.viewed").await, viewed_before + 1);
    assert!(page
        .text_of("#interim-due")
        .contains("Er klagen ikke avgjort innen 20.12.2026"));

    // A month on, the reply is overdue.
    app.set_today(on(22, 12));
    let page = c.get(&appeal).await;
    assert!(page
        .text_of("#interim-due")
        .contains("skulle vært sendt innen 20.12.2026"));

    // Bad input: the reason is required, the promised date lies ahead; nothing is sent.
    let v = form_version(&page, "forelopig-svar");
    let res = interim_reply(&mut c, &appeal, &v, "", "01.12.2026").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#interim_reason-err").contains("må fylles ut"));
    assert!(res
        .text_of("#interim_expected_on-err")
        .contains("etter i dag"));
    assert_eq!(
        res.attr("#interim_expected_on", "value").as_deref(),
        Some("01.12.2026")
    );
    assert_eq!(app.audit_count("appeal.interim_reply_sent").await, 0);

    let res = interim_reply(&mut c, &appeal, &v, WAITING, "15.01.2027").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    // A second click on the same form is refused as stale, not sent twice.
    let again = interim_reply(&mut c, &appeal, &v, WAITING, "15.01.2027").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let page = c.get(&appeal).await;
    assert_eq!(page.count("#interim-replies li"), 1);
    assert_eq!(page.count("#interim-due"), 0, "the promise holds");
    let case = c.get(&format!("/soknader/{application}")).await;
    let links = letter_links(&case, "Foreløpig svar på klagen");
    assert_eq!(links.len(), 1);
    let letter = c.get(&links[0]).await;
    let text = letter.texts("main.bosak-letter > *").join("\n");
    assert!(text.contains("Foreløpig svar på klagen din"), "{text}");
    assert!(text.contains(WAITING));
    assert!(text.contains("innen 15.01.2027"), "{text}");
    assert!(text.contains("Vedtakspunkt 1"), "{text}");

    // The promised date passes with the appeal still open: a new reply is due.
    app.set_today(chrono::NaiveDate::from_ymd_opt(2027, 1, 18).unwrap());
    let page = c.get(&appeal).await;
    assert!(page
        .text_of("#interim-due")
        .contains("Vi lovet svar innen 15.01.2027"));
    let v = form_version(&page, "forelopig-svar");
    let res = interim_reply(&mut c, &appeal, &v, "Uttalelsen er ikke kommet.", "").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let case = c.get(&format!("/soknader/{application}")).await;
    let links = letter_links(&case, "Foreløpig svar på klagen");
    assert_eq!(links.len(), 2);
    let second = c
        .get(&links[1])
        .await
        .texts("main.bosak-letter > *")
        .join("\n");
    assert!(
        second.contains("tidligere sendt deg foreløpig svar"),
        "{second}"
    );

    // Forwarded, the appeal is the appeal body's: no more replies from here.
    let v = form_version(&c.get(&appeal).await, "oversend");
    let body = c
        .get(&appeal)
        .await
        .attr("form[action$='/oversend'] input[name=body]", "value")
        .unwrap();
    let res = c
        .post(
            &format!("{appeal}/oversend"),
            &[
                ("version", &v),
                ("body", &body),
                ("date", &app.day(0)),
                ("forwarding_note", "Vi opprettholder vedtaket."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let page = c.get(&appeal).await;
    assert_eq!(page.count("form[action$='/forelopig-svar']"), 0);
    assert_eq!(page.count("#interim-replies li"), 2);
}
