use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::{Client, Page, TestApp};

/// A Levanger application that is ready for the allocation meeting and has no decision.
pub(super) async fn ready_application(app: &TestApp) -> Uuid {
    app.case("5037")
        .await
        .ready_for_meeting()
        .without_decision()
        .pick()
        .await
}

pub(super) async fn tenant_scalar<
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
>(
    app: &TestApp,
    sql: &str,
    id: Uuid,
) -> T {
    app.tenant("5037").await.scalar(sql, &[id.into()]).await
}

pub(super) fn version(p: &Page) -> String {
    p.attr("form[action$='/punkter'] input[name=version], form[action$='/send'] input[name=version], form[action$='/begrunnelse'] input[name=version]", "value")
        .unwrap_or_default()
}

fn option_value(p: &Page, select: &str, label_contains: &str) -> String {
    let html = p.html();
    let sel = scraper::Selector::parse(&format!("{select} option")).unwrap();
    html.select(&sel)
        .find(|o| o.text().collect::<String>().contains(label_contains))
        .and_then(|o| o.value().attr("value").map(str::to_owned))
        .unwrap_or_else(|| panic!("no option {label_contains} in {select}"))
}

/// A day of 2026: these scenarios are about a fixed calendar (Christmas, the weekday a
/// deadline falls on), so their servers run on that date and the clock walks with them.
pub(super) fn on(day: u32, month: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// The stored appeal deadline of each point of a Levanger decision, in order.
async fn point_deadlines(app: &TestApp, id: Uuid) -> Vec<Option<chrono::NaiveDate>> {
    app.tenant("5037")
        .await
        .column(
            "SELECT appeal_deadline FROM decision_points WHERE decision_id = $1 ORDER BY position",
            &[id.into()],
        )
        .await
}

/// Sends a decision today, digitally.
async fn send_today(app: &TestApp, c: &mut Client, path: &str) -> Page {
    let v = version(&c.get(path).await);
    c.post(
        &format!("{path}/send"),
        &[
            ("version", &v),
            ("dispatched_on", &app.day(0)),
            ("channel", "digital"),
        ],
    )
    .await
}

/// Whether a sent refusal was closed because its appeal deadline passed.
async fn closed(app: &TestApp, decision: Uuid) -> bool {
    tenant_scalar(
        app,
        "SELECT closed_without_appeal FROM decisions WHERE id = $1",
        decision,
    )
    .await
}

/// Creates a draft decision for `application` and returns its path.
pub(super) async fn draft(c: &mut Client, application: Uuid) -> String {
    c.get(&format!("/soknader/{application}")).await;
    let res = c
        .post(&format!("/soknader/{application}/vedtak"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    res.location.unwrap()
}

/// Adds a granted dwelling point and a refused health-care point (a samlevedtak).
pub(super) async fn two_points(c: &mut Client, path: &str) -> Page {
    let page = c.get(path).await;
    let dwelling = option_value(&page, "#kind_id", "Kommunal bolig");
    let health = option_value(&page, "#kind_id", "Helse- og omsorgstjenester");
    let type_box = page
        .attr("#dwelling_types input[type=checkbox]", "name")
        .unwrap();
    let v = version(&page);
    let point = |months: &'static str| {
        vec![
            ("version", v.clone()),
            ("kind_id", dwelling.clone()),
            ("outcome", "granted".to_string()),
            ("description", "Du får kommunal utleiebolig.".to_string()),
            (type_box.as_str(), "1".to_string()),
            ("rooms", "2".to_string()),
            ("lease_months", months.to_string()),
        ]
    };
    // Under the three years of husleieloven § 9-3: refused next to the field.
    let short = point("24");
    let short: Vec<(&str, &str)> = short.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = c.post(&format!("{path}/punkter"), &short).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#lease_months-err").contains("fra 36"));
    let fields = point("36");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = c.post(&format!("{path}/punkter"), &fields).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(path).await;
    let v = version(&page);
    let res = c
        .post(
            &format!("{path}/punkter"),
            &[
                ("version", &v),
                ("kind_id", &health),
                ("outcome", "refused"),
                (
                    "description",
                    "Søknaden om praktisk bistand i hjemmet avslås.",
                ),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    c.get(path).await
}

pub(super) async fn grounds(c: &mut Client, path: &str) {
    let page = c.get(path).await;
    let v = version(&page);
    let rules_paragraph = option_value(&page, "#paragraph_rules", "Tildeling av kommunal bolig");
    // Insert a standard paragraph into the rules and write the rest.
    let res = c
        .post(
            &format!("{path}/begrunnelse"),
            &[
                ("version", &v),
                ("grounds_rules", ""),
                ("grounds_facts", "Du bor i dag hos venner og har ikke egen bolig."),
                ("grounds_considerations", "Behovet ditt for bolig er stort; behovet for praktisk bistand er dekket av hjemmetjenesten."),
                ("paragraph_rules", &rules_paragraph),
                ("insert", "rules"),
                ("representative", "Advokat Anne Hansen"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let page = c.get(path).await;
    assert!(
        page.text_of("#grounds_rules")
            .contains("Levanger kommune tildeler boliger"),
        "placeholder filled: {}",
        page.text_of("#grounds_rules")
    );
}

#[tokio::test]
async fn samlevedtak_from_draft_to_sent_moves_the_case_to_the_waiting_list() {
    let app = TestApp::spawn_on(on(24, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    let page = two_points(&mut c, &path).await;
    assert_eq!(page.count("article.bosak-point"), 2);
    assert!(page.text_of("h1").contains("Samlevedtak"));
    // Without grounds a refusal cannot be sent.
    assert!(page
        .text_of(".ds-alert[data-color=warning]")
        .contains("reglene"));
    let v = version(&page);
    let refused = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id: Uuid = path.trim_start_matches("/vedtak/").parse().unwrap();
    assert_eq!(
        tenant_scalar::<String>(&app, "SELECT status::text FROM decisions WHERE id = $1", id).await,
        "draft"
    );

    grounds(&mut c, &path).await;
    let page = c.get(&path).await;
    assert_eq!(
        page.count(".ds-alert[data-color=warning]"),
        0,
        "{}",
        page.text_of(".ds-alert")
    );
    let v = version(&page);
    // Sent by post: notified three days later, deadlines from then (3 and 4 weeks).
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "post"),
            ],
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "{}",
        sent.text_of(".ds-error-summary")
    );
    let deadlines: Vec<String> = app
        .tenant("5037")
        .await
        .column(
            "SELECT appeal_deadline::text FROM decision_points WHERE decision_id = $1 ORDER BY position",
            &[id.into()],
        )
        .await;
    assert_eq!(
        deadlines,
        vec!["2026-12-18".to_string(), "2026-12-28".to_string()],
        "27 Nov + 3 weeks; + 4 weeks = 25 Dec → 28 Dec"
    );
    assert_eq!(
        tenant_scalar::<String>(
            &app,
            "SELECT status::text FROM applications WHERE id = $1",
            application
        )
        .await,
        "waiting_list"
    );
    assert_eq!(app.audit_count("decision.sent").await, 1);

    // The case page shows the decision and the timeline has it.
    let case = c.get(&format!("/soknader/{application}")).await;
    assert!(case
        .text_of("#vedtak ~ *, section[aria-labelledby=vedtak]")
        .contains("Vedtak sendt"));
    assert!(case
        .text_of("section[aria-labelledby=tidslinje]")
        .contains("Samlevedtak sendt"));

    // Locked: no more edits, and a second send is harmless.
    let page = c.get(&path).await;
    assert_eq!(page.count("form[action$='/punkter']"), 0);
    let again = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "post"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let edit = c
        .post(
            &format!("{path}/punkter"),
            &[("version", "99"), ("kind_id", "x")],
        )
        .await;
    assert!(
        edit.status == StatusCode::CONFLICT || edit.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        edit.status
    );
    assert_eq!(app.audit_count("decision.sent").await, 1);
}

/// Every mandatory element of the letter (fvl. §§ 24–27), in the HTML and in the PDF.
fn assert_complete_letter(text: &str) {
    for needle in [
        "Levanger kommune",
        "Postboks 130",
        "Saksnummer: ",
        "Samlevedtak",
        "Vedtakspunkt 1: Kommunal bolig",
        "Vedtakspunkt 2: Helse- og omsorgstjenester i hjemmet",
        "Vedtak: Innvilget",
        "Vedtak: Avslått",
        "Antall rom: 2",
        "Leieforholdets lengde: 36 måneder",
        "Hjemmel: Helse- og omsorgstjenesteloven",
        "faller vedtaket bort",
        "Regler vedtaket bygger på",
        "Faktiske forhold vi har lagt til grunn",
        "Hovedhensyn i vurderingen",
        "Du bor i dag hos venner",
        "Du kan klage på vedtaket",
        "Klagefrist: 18.12.2026",
        "Klagefrist: 28.12.2026",
        "Klageinstans: Statsforvalteren",
        "Kommunens klagenemnd",
        "§ 28",
        "Klagen må være skriftlig",
        "se dokumentene i saken",
        "§§ 18 og 19",
        "forvaltningsloven § 36",
        "fri rettshjelp",
        "Kopi: Advokat Anne Hansen",
    ] {
        assert!(
            text.contains(needle),
            "the letter lacks {needle:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_letter_as_html_and_pdf_has_every_mandatory_element() {
    let app = TestApp::spawn_on(on(24, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let page = c.get(&path).await;
    let v = version(&page);
    c.post(
        &format!("{path}/send"),
        &[
            ("version", &v),
            ("dispatched_on", "24.11.2026"),
            ("channel", "post"),
        ],
    )
    .await;

    // A sent decision's letter is the archived one.
    let first = c.get(&format!("{path}/brev")).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let archived = first.location.clone().unwrap();
    assert!(archived.starts_with("/brev/"), "{archived}");
    let html = c.follow(&format!("{path}/brev")).await;
    assert_eq!(html.status, StatusCode::OK);
    let html_text = html.texts("main.bosak-letter > *").join("\n");
    assert_complete_letter(&html_text);

    let pdf_bytes = |c: &Client| {
        let url = format!("{}{archived}.pdf", c.base);
        let http = c.http.clone();
        async move {
            let res = http.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], "application/pdf");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let bytes = pdf_bytes(&c).await;
    let pdf_text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    // Line breaks differ between a PDF and a page; compare with whitespace folded.
    let folded = pdf_text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_complete_letter(&folded);
    // The archive holds the PDF's SHA-256, shown on the page and in the case's list.
    let hash = bosak::letters::archive::sha256_hex(&bytes);
    assert!(html.text_of("#arkivert").contains(&hash));
    let case = c.get(&format!("/soknader/{application}")).await;
    let row = case.text_of("#sendte-brev tbody tr");
    assert!(row.contains("Samlevedtak") && row.contains("Post"), "{row}");
    assert!(row.contains(&hash[..12]), "{row}");

    // A later change of the letterhead and the applicant's address changes no sent letter.
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query("UPDATE municipality_settings SET letterhead_name = 'Nytt brevhode kommune'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE people SET street_address = 'Ny adresse 99' WHERE id =
           (SELECT applicant_id FROM applications WHERE id = $1)",
    )
    .bind(application)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let again = c.follow(&format!("{path}/brev")).await;
    assert_eq!(
        again.texts("main.bosak-letter > *").join("\n"),
        html_text,
        "the sent letter is what was sent"
    );
    assert!(!again.text.contains("Nytt brevhode"));
    assert_eq!(pdf_bytes(&c).await, bytes, "the same PDF bytes");
    // The archive is append-only, even for the owner.
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let r = sqlx::query("UPDATE sent_letters SET title = 'x'")
        .execute(&mut *tx)
        .await;
    assert!(r.is_err(), "sent letters cannot be changed");
}

#[tokio::test]
async fn four_eyes_needs_a_second_person_and_corrections_replace_sent_decisions() {
    let app = TestApp::spawn_on(on(24, 11)).await;
    app.tenant("5037")
        .await
        .exec(
            "UPDATE municipality_settings SET decisions_need_second_approver = true",
            &[],
        )
        .await;
    let application = ready_application(&app).await;
    let mut author = app.login("levanger.saksbehandler").await;
    let path = draft(&mut author, application).await;
    two_points(&mut author, &path).await;
    grounds(&mut author, &path).await;
    let page = author.get(&path).await;
    assert_eq!(
        page.count("form[action$='/send']"),
        0,
        "the author cannot send alone"
    );
    let v = page
        .attr(
            "form[action$='/til-godkjenning'] input[name=version]",
            "value",
        )
        .unwrap();
    let res = author
        .post(&format!("{path}/til-godkjenning"), &[("version", &v)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let forbidden = author
        .post(
            &format!("{path}/send"),
            &[
                ("version", &(v.parse::<i32>().unwrap() + 1).to_string()),
                ("dispatched_on", "24.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    // The office caseworker works for Levanger too and approves.
    let mut approver = app.login("kontor.saksbehandler").await;
    let page = approver.get(&path).await;
    let v = page
        .attr("form[action$='/send'] input[name=version]", "value")
        .expect("the approver sees the send form");
    let res = approver
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let id: Uuid = path.trim_start_matches("/vedtak/").parse().unwrap();
    assert_eq!(
        tenant_scalar::<Option<Uuid>>(&app, "SELECT approver_id FROM decisions WHERE id = $1", id)
            .await,
        Some(app.user_id("kontor.saksbehandler").await)
    );

    // Correction: a new decision that references the old one; both stay.
    let res = author.post(&format!("{path}/rett"), &[]).await;
    let new_path = res.location.unwrap();
    assert_ne!(new_path, path);
    let twice = author.post(&format!("{path}/rett"), &[]).await;
    assert_eq!(
        twice.location.as_deref(),
        Some(new_path.as_str()),
        "double submit lands on the same correction"
    );
    let new_page = author.get(&new_path).await;
    assert_eq!(new_page.count("article.bosak-point"), 2, "points copied");
    let old = author.get(&path).await;
    assert!(old.text_of(".bosak-facts").contains("Erstattet av"));
}

#[tokio::test]
async fn appeals_in_time_late_forwarded_and_decided() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    let page = two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    c.post(
        &format!("{path}/send"),
        &[
            ("version", &v),
            ("dispatched_on", "02.11.2026"),
            ("channel", "digital"),
        ],
    )
    .await;
    let page2 = c.get(&path).await;
    let point = page2.attr("#points input[type=checkbox]", "name").unwrap();
    drop(page);

    app.set_today(on(24, 11));
    // Missing fields.
    let bad = c
        .post(&format!("{path}/klager"), &[("received_on", "31.02.2026")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#points").contains("Velg hvilke"));

    // Deadline 23.11.2026; posted on the 23rd, arrived the 24th: in time.
    let res = c
        .post(
            &format!("{path}/klager"),
            &[
                (&point, "1"),
                ("received_on", "24.11.2026"),
                ("posted_on", "23.11.2026"),
                ("received_how", "Brev"),
                ("appellant", "Søkeren"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let appeal_path = res.location.unwrap();
    let appeal = c.get(&appeal_path).await;
    assert!(
        appeal.text_of(".ds-alert").contains("i tide"),
        "{}",
        appeal.text_of(".ds-alert")
    );

    // Uphold and forward to the appeal body.
    let v = appeal
        .attr("form[action$='/oversend'] input[name=version]", "value")
        .unwrap();
    let empty = c
        .post(
            &format!("{appeal_path}/oversend"),
            &[
                ("version", &v),
                ("date", "24.11.2026"),
                ("forwarding_note", ""),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fwd = c
        .post(
            &format!("{appeal_path}/oversend"),
            &[
                ("version", &v),
                ("date", "24.11.2026"),
                (
                    "forwarding_note",
                    "Vi opprettholder vedtaket og sender saken.",
                ),
            ],
        )
        .await;
    assert_eq!(fwd.status, StatusCode::SEE_OTHER);
    let list = c.get("/klager").await;
    assert!(list.text_of("tbody").contains("Venter på klageinstansen"));
    let appeal = c.get(&appeal_path).await;
    let v = appeal
        .attr("form[action$='/utfall'] input[name=version]", "value")
        .unwrap();
    let out = c
        .post(
            &format!("{appeal_path}/utfall"),
            &[
                ("version", &v),
                ("body_outcome", "upheld"),
                ("date", "24.11.2026"),
            ],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        !c.get("/klager").await.text.contains(appeal_path.as_str()),
        "a decided appeal leaves the list of open appeals"
    );

    // A second appeal, a week late: flagged; reversed by us → a new decision.
    let late = c
        .post(
            &format!("{path}/klager"),
            &[
                (&point, "1"),
                ("received_on", "24.11.2026"),
                ("received_how", "E-post"),
                ("appellant", "Representanten"),
            ],
        )
        .await;
    let late_path = late.location.unwrap();
    let page = c.get(&late_path).await;
    assert!(
        page.text_of(".ds-alert")
            .contains("punkt 1: 1 dag for sent (frist 23.11.2026)"),
        "{}",
        page.text_of(".ds-alert")
    );
    // § 31: assessed and taken up before it can be reconsidered.
    assert_eq!(page.count("form[action$='/omgjor']"), 0);
    let v = page
        .attr("form[action$='/for-sent'] input[name=version]", "value")
        .unwrap();
    let taken = c
        .post(
            &format!("{late_path}/for-sent"),
            &[
                ("version", &v),
                ("late_decision", "taken_up"),
                ("late_reason", "Representanten var syk."),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER);
    let page = c.get(&late_path).await;
    let v = page
        .attr("form[action$='/omgjor'] input[name=version]", "value")
        .unwrap();
    let rev = c
        .post(
            &format!("{late_path}/omgjor"),
            &[("version", &v), ("date", "24.11.2026")],
        )
        .await;
    assert_eq!(rev.status, StatusCode::SEE_OTHER);
    assert!(rev.location.unwrap().starts_with("/vedtak/"));
    assert_eq!(app.audit_count("appeal.registered").await, 2);
}

#[tokio::test]
async fn an_appeal_more_than_a_year_late_is_refused() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    let id: Uuid = path.trim_start_matches("/vedtak/").parse().unwrap();
    c.post(
        &format!("{path}/send"),
        &[
            ("version", &v),
            ("dispatched_on", "02.11.2026"),
            ("channel", "digital"),
        ],
    )
    .await;
    app.set_today(on(24, 11));
    // Make the decision old.
    {
        let m = app.municipality_id("5037").await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query("UPDATE decisions SET decided_on = '2025-01-02', dispatched_on = '2025-01-02', notified_on = '2025-01-02' WHERE id = $1").bind(id).execute(&mut *tx).await.unwrap();
        sqlx::query(
            "UPDATE decision_points SET appeal_deadline = '2025-01-23' WHERE decision_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let page = c.get(&path).await;
    let point = page.attr("#points input[type=checkbox]", "name").unwrap();
    let res = c
        .post(
            &format!("{path}/klager"),
            &[
                (&point, "1"),
                ("received_on", "24.11.2026"),
                ("received_how", "Brev"),
                ("appellant", "Søkeren"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#received_on-err").contains("mer enn ett år"));
}

#[tokio::test]
async fn a_refusal_closes_when_the_deadline_passes_without_appeal() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    // Close the demo data's old refusals first, so only ours is counted below.
    let after = on(24, 11);
    bosak::decisions::appeals::close_expired_refusals(&app.state.pool, after)
        .await
        .unwrap();
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    let page = c.get(&path).await;
    let dwelling = option_value(&page, "#kind_id", "Kommunal bolig");
    let v = version(&page);
    c.post(
        &format!("{path}/punkter"),
        &[
            ("version", &v),
            ("kind_id", &dwelling),
            ("outcome", "refused"),
            ("description", "Søknaden avslås."),
        ],
    )
    .await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "02.11.2026"),
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
    assert_eq!(
        tenant_scalar::<String>(
            &app,
            "SELECT status::text FROM applications WHERE id = $1",
            application
        )
        .await,
        "rejected"
    );
    let before = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    assert_eq!(
        bosak::decisions::appeals::close_expired_refusals(&app.state.pool, before)
            .await
            .unwrap(),
        0,
        "deadline 23.11 not passed"
    );
    assert_eq!(
        bosak::decisions::appeals::close_expired_refusals(&app.state.pool, after)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        bosak::decisions::appeals::close_expired_refusals(&app.state.pool, after)
            .await
            .unwrap(),
        0,
        "once"
    );
    let case = c.get(&format!("/soknader/{application}")).await;
    assert!(case
        .text_of("section[aria-labelledby=tidslinje]")
        .contains("klagefristen gikk ut uten klage"));
}

#[tokio::test]
async fn only_caseworkers_and_admins_of_the_municipality_write_decisions() {
    let app = TestApp::spawn().await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    // The team reads but does not write.
    let mut team = app.login("levanger.team").await;
    assert_eq!(team.get(&path).await.status, StatusCode::OK);
    assert_eq!(
        team.post(&format!("/soknader/{application}/vedtak"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        team.post(&format!("{path}/begrunnelse"), &[("version", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Other municipalities and the auditor see nothing.
    for user in ["verdal.saksbehandler", "stjordal.saksbehandler", "revisor"] {
        let mut other = app.login(user).await;
        let got = other.get(&path).await.status;
        assert!(
            got == StatusCode::NOT_FOUND || got == StatusCode::FORBIDDEN,
            "{user}: {got}"
        );
        let posted = other
            .post(
                &format!("{path}/begrunnelse"),
                &[("version", "1"), ("grounds_rules", "x")],
            )
            .await
            .status;
        assert!(
            posted == StatusCode::NOT_FOUND || posted == StatusCode::FORBIDDEN,
            "{user}: {posted}"
        );
        let pdf = other.get(&format!("{path}/brev.pdf")).await.status;
        assert!(
            pdf == StatusCode::NOT_FOUND || pdf == StatusCode::FORBIDDEN,
            "{user}: {pdf}"
        );
    }
    // The stale edit of a colleague is refused and keeps the input.
    let page = c.get(&path).await;
    let v = version(&page);
    c.post(
        &format!("{path}/begrunnelse"),
        &[("version", &v), ("grounds_facts", "Først")],
    )
    .await;
    let stale = c
        .post(
            &format!("{path}/begrunnelse"),
            &[("version", &v), ("grounds_facts", "Min tekst")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text_of("#grounds_facts").contains("Min tekst"));
}

#[tokio::test]
async fn lists_csv_and_admin_of_kinds_and_standard_paragraphs() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    // Seeded decisions of decided demo cases are in the "sent" list.
    let sent = c.get("/vedtak?visning=sendt").await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.count("tbody tr") > 3, "{}", sent.text_of("tbody"));
    let bad = c.get("/vedtak?visning=sendt&fra=99.99.2026").await;
    assert!(bad.text_of("#fra-err").contains("dd.mm.åååå"));
    let csv = c.get("/vedtak/eksport.csv?visning=sendt").await;
    assert!(csv.text.starts_with('\u{feff}'));
    assert!(csv.text.contains("Saksnummer;Søker"));
    // The export names applicants: who exported which decisions is recorded (ASVS 5.0
    // V16.2.1), one event per municipality, with every decision in the file.
    let rows = csv.text.lines().count() as i64 - 1;
    let exported: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(jsonb_array_length(details -> 'decisions')), 0)::bigint
           FROM audit_events WHERE action = 'decision.list_exported'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(exported, rows);
    assert_eq!(c.get("/klager").await.status, StatusCode::OK);

    // Caseworkers do not administer kinds; the admin does.
    assert_eq!(
        c.get("/innstillinger/vedtak").await.status,
        StatusCode::FORBIDDEN
    );
    let mut admin = app.login("levanger.admin").await;
    let page = admin.get("/innstillinger/vedtak").await;
    assert!(page.text_of("table").contains("Statsforvalteren"));
    let bad = admin
        .post(
            "/innstillinger/vedtak/typer",
            &[("kind_name", ""), ("kind_appeal_weeks", "99")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#kind_appeal_weeks-err").contains("1 til 52"));
    let ok = admin
        .post(
            "/innstillinger/vedtak/typer",
            &[
                ("kind_name", "Startlån"),
                ("kind_legal_basis", "Forskrift om startlån"),
                ("kind_appeal_body", "Kommunens klagenemnd"),
                ("kind_appeal_weeks", "3"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let ok = admin
        .post(
            "/innstillinger/vedtak/standardtekster",
            &[
                ("part", "facts"),
                ("title", "Botid"),
                ("body", "Du har bodd i {kommune} i mange år."),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = admin.get("/innstillinger/vedtak").await;
    assert!(page.text_of("table").contains("Startlån"));
    assert!(page.text.contains("Botid"));
    assert_eq!(app.audit_count("decision_kind.added").await, 1);
}

#[tokio::test]
async fn double_submits_do_not_duplicate_drafts_or_appeals() {
    let app = TestApp::spawn_on(on(2, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let first = draft(&mut c, application).await;
    let second = draft(&mut c, application).await;
    assert_eq!(first, second, "the second click lands on the same draft");
    two_points(&mut c, &first).await;
    grounds(&mut c, &first).await;
    let v = version(&c.get(&first).await);
    c.post(
        &format!("{first}/send"),
        &[
            ("version", &v),
            ("dispatched_on", "02.11.2026"),
            ("channel", "digital"),
        ],
    )
    .await;
    app.set_today(on(20, 11));
    let page = c.get(&first).await;
    let point = page.attr("#points input[type=checkbox]", "name").unwrap();
    let fields = [
        (point.as_str(), "1"),
        ("received_on", "20.11.2026"),
        ("received_how", "Brev"),
        ("appellant", "Søkeren"),
    ];
    let a = c.post(&format!("{first}/klager"), &fields).await;
    let b = c.post(&format!("{first}/klager"), &fields).await;
    assert_eq!(a.location, b.location);
    assert_eq!(app.audit_count("appeal.registered").await, 1);
    let case = c.get(&format!("/soknader/{application}")).await;
    assert!(case
        .text_of("section[aria-labelledby=tidslinje]")
        .contains("(digitalt)"));
}

/// fvl. § 24 second paragraph / § 29 second paragraph: asking for grounds within the
/// deadline interrupts it; the new deadline runs from the day the grounds were given.
#[tokio::test]
async fn a_request_for_grounds_interrupts_the_appeal_deadline_until_they_are_given() {
    // The calendar of this case is fixed (holidays matter); the clock walks through it.
    let date = on;
    let app = TestApp::spawn_on(date(2, 11)).await;
    let after = date(24, 11);
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    let page = c.get(&path).await;
    let dwelling = option_value(&page, "#kind_id", "Kommunal bolig");
    let v = version(&page);
    c.post(
        &format!("{path}/punkter"),
        &[
            ("version", &v),
            ("kind_id", &dwelling),
            ("outcome", "refused"),
            ("description", "Søknaden avslås."),
        ],
    )
    .await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "02.11.2026"),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = c.get(&path).await;
    assert!(page.text.contains("23.11.2026"), "three weeks from 02.11");
    let decision = uuid::Uuid::parse_str(path.trim_start_matches("/vedtak/")).unwrap();
    app.set_today(after);
    let v = page
        .attr(
            "form[action$='/begrunnelse-krevd'] input[name=version]",
            "value",
        )
        .unwrap();

    // After the deadline: refused with the reason, nothing recorded.
    let late = c
        .post(
            &format!("{path}/begrunnelse-krevd"),
            &[("version", &v), ("requested_on", "24.11.2026")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.text_of("#requested_on-err").contains("23.11.2026"));
    assert_eq!(
        late.attr("#requested_on", "value").as_deref(),
        Some("24.11.2026")
    );

    // Within the deadline: the deadline stops; the refusal does not close meanwhile.
    let res = c
        .post(
            &format!("{path}/begrunnelse-krevd"),
            &[
                ("version", &v),
                ("requested_on", "20.11.2026"),
                ("note", "Ber om utfyllende begrunnelse."),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&path).await;
    assert!(page.text_of("#grounds-request-state").contains("avbrutt"));
    assert!(page.text.contains("avbrutt til begrunnelsen er gitt"));
    bosak::decisions::appeals::close_expired_refusals(&app.state.pool, after)
        .await
        .unwrap();
    assert!(
        !closed(&app, decision).await,
        "an interrupted deadline does not expire"
    );
    // A second request is refused; a stale form too.
    let again = c
        .post(
            &format!("{path}/begrunnelse-krevd"),
            &[("version", &v), ("requested_on", "21.11.2026")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Grounds given on 23.11: three new weeks, to Monday 14.12.2026.
    let v = page
        .attr(
            "form[action$='/begrunnelse-gitt'] input[name=version]",
            "value",
        )
        .unwrap();
    let early = c
        .post(
            &format!("{path}/begrunnelse-gitt"),
            &[("version", &v), ("given_on", "19.11.2026")],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.text_of("#given_on-err").contains("20.11.2026"));
    let res = c
        .post(
            &format!("{path}/begrunnelse-gitt"),
            &[("version", &v), ("given_on", "23.11.2026")],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&path).await;
    assert!(page.text.contains("14.12.2026"), "new deadline shown");
    let case = c.get(&format!("/soknader/{application}")).await;
    let timeline = case.text_of("section[aria-labelledby=tidslinje]");
    assert!(timeline.contains("Krav om begrunnelse mottatt 20.11.2026"));
    assert!(timeline.contains("ny klagefrist 14.12.2026"));
    bosak::decisions::appeals::close_expired_refusals(&app.state.pool, date(14, 12))
        .await
        .unwrap();
    assert!(!closed(&app, decision).await, "open on the last day");
    bosak::decisions::appeals::close_expired_refusals(&app.state.pool, date(15, 12))
        .await
        .unwrap();
    assert!(closed(&app, decision).await, "closed the day after");
    assert!(app.audit_count("decision.grounds_given").await == 1);
}

/// A samlevedtak with a 3-week (dwelling) and a 4-week (health and care) point: an appeal
/// is judged per point against that point's own deadline, and a request for grounds
/// interrupts only the point still open; a passed deadline is never revived.
#[tokio::test]
async fn deadlines_are_judged_per_decision_point() {
    let app = TestApp::spawn_on(on(24, 11)).await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let page = c.get(&path).await;
    let v = version(&page);
    // Sending is the approval: it cannot be dated before today.
    let early = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "23.11.2026"),
                ("channel", "post"),
            ],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early
        .text_of("#dispatched_on-err")
        .contains("før vedtaket godkjennes"));
    assert_eq!(
        early.attr("#dispatched_on", "value").as_deref(),
        Some("23.11.2026"),
        "input kept"
    );
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "post"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    // Post: three working days → Friday 27.11; 3 weeks → 18.12, 4 weeks → 28.12.
    let page = c.get(&path).await;
    assert!(page.text.contains("18.12.2026") && page.text.contains("28.12.2026"));

    // 21 December: point 1's deadline has passed, point 2's has not.
    app.set_today(on(21, 12));
    let page = c.get(&path).await;
    let boxes: Vec<String> = {
        let sel = scraper::Selector::parse("#points input[type=checkbox]").unwrap();
        page.html()
            .select(&sel)
            .filter_map(|e| e.value().attr("name").map(str::to_owned))
            .collect()
    };
    assert_eq!(boxes.len(), 2);
    let res = c
        .post(
            &format!("{path}/klager"),
            &[
                (boxes[0].as_str(), "1"),
                (boxes[1].as_str(), "1"),
                ("received_on", "21.12.2026"),
                ("received_how", "Brev"),
                ("appellant", "Søkeren"),
                ("summary", "Klager på begge punktene."),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let appeal = c.get(res.location.as_deref().unwrap()).await;
    let t = appeal.text_of(".ds-alert");
    assert!(
        t.contains("punkt 1: 3 dager for sent (frist 18.12.2026)"),
        "{t}"
    );
    assert!(t.contains("punkt 2: i tide (frist 28.12.2026)"), "{t}");
    assert!(t.contains("for sent for minst ett punkt"), "{t}");

    // § 24 on the same kind of decision: the request on 21.12 interrupts only point 2.
    let second = ready_application(&app).await;
    app.set_today(on(24, 11));
    let path = draft(&mut c, second).await;
    two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", "24.11.2026"),
                ("channel", "post"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let id: Uuid = path.trim_start_matches("/vedtak/").parse().unwrap();
    app.set_today(on(22, 12));
    let page = c.get(&path).await;
    let v = page
        .attr(
            "form[action$='/begrunnelse-krevd'] input[name=version]",
            "value",
        )
        .unwrap();
    let res = c
        .post(
            &format!("{path}/begrunnelse-krevd"),
            &[("version", &v), ("requested_on", "21.12.2026")],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    assert_eq!(
        point_deadlines(&app, id).await,
        vec![Some(on(18, 12)), None],
        "the passed deadline stays; the open one is interrupted"
    );
    let page = c.get(&path).await;
    let v = page
        .attr(
            "form[action$='/begrunnelse-gitt'] input[name=version]",
            "value",
        )
        .unwrap();
    let res = c
        .post(
            &format!("{path}/begrunnelse-gitt"),
            &[("version", &v), ("given_on", "22.12.2026")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // 22.12 + 4 weeks = Tuesday 19.01.2027; point 1 is not revived.
    assert_eq!(
        point_deadlines(&app, id).await,
        vec![
            Some(on(18, 12)),
            Some(chrono::NaiveDate::from_ymd_opt(2027, 1, 19).unwrap())
        ]
    );
}

/// The date of receipt cannot be before dispatch; a refused send changes nothing.
#[tokio::test]
async fn a_decision_cannot_be_received_before_it_is_sent() {
    let app = TestApp::spawn().await;
    let application = ready_application(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    two_points(&mut c, &path).await;
    grounds(&mut c, &path).await;
    let v = version(&c.get(&path).await);
    let id: Uuid = path.trim_start_matches("/vedtak/").parse().unwrap();
    let today = app.day(0);
    let res = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", &today),
                ("channel", "post"),
                ("notified_on", &app.day(-1)),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of("#notified_on-err")
        .contains("før det ble sendt"));
    let status: String =
        tenant_scalar(&app, "SELECT status::text FROM decisions WHERE id = $1", id).await;
    assert_ne!(status, "sent", "nothing sent");
    let sent = c
        .post(
            &format!("{path}/send"),
            &[
                ("version", &v),
                ("dispatched_on", &today),
                ("channel", "digital"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let status: String =
        tenant_scalar(&app, "SELECT status::text FROM decisions WHERE id = $1", id).await;
    assert_eq!(status, "sent");
}

/// fvl. § 16: a decision that takes help away from someone already granted (here a
/// refusal for an applicant on the waiting list) needs an advance notice first, and
/// cannot be sent before its response deadline unless the party has answered.
#[tokio::test]
async fn taking_help_away_needs_an_advance_notice_and_its_deadline() {
    let app = TestApp::spawn().await;
    let application = app
        .case("5037")
        .await
        .status("waiting_list")
        .without_open_offer()
        .pick()
        .await;
    let mut c = app.login("levanger.saksbehandler").await;
    let path = draft(&mut c, application).await;
    let page = c.get(&path).await;
    let dwelling = option_value(&page, "#kind_id", "Kommunal bolig");
    let v = version(&page);
    c.post(
        &format!("{path}/punkter"),
        &[
            ("version", &v),
            ("kind_id", &dwelling),
            ("outcome", "refused"),
            ("description", "Du fjernes fra ventelisten."),
        ],
    )
    .await;
    grounds(&mut c, &path).await;
    let today = app.day(0);
    let refused = send_today(&app, &mut c, &path).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text_of(".ds-error-summary")
        .contains("Send forhåndsvarsel først"));

    // The notice: a response deadline under a week is refused, input kept.
    let notice_path = format!("/soknader/{application}/forhandsvarsel");
    let page = c.get(&notice_path).await;
    assert_eq!(
        page.attr("#respond_by", "value"),
        Some(app.day(14)),
        "two weeks by default"
    );
    let short = c
        .post(
            &notice_path,
            &[
                ("intended", "Vi vurderer å fjerne deg fra ventelisten."),
                ("grounds", "Du har takket nei til tre tilbud."),
                ("respond_by", &app.day(3)),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text_of("#respond_by-err").contains("minst 7 dager"));
    assert!(short
        .text_of("#intended")
        .contains("fjerne deg fra ventelisten"));
    let sent = c
        .post(
            &notice_path,
            &[
                ("intended", "Vi vurderer å fjerne deg fra ventelisten."),
                ("grounds", "Du har takket nei til tre tilbud."),
                ("respond_by", &app.day(14)),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = c.get(&notice_path).await;
    assert!(page
        .text_of(".bosak-varsel-state")
        .contains("Venter på svar"));
    let letter = c
        .get(
            &page
                .attr("section[aria-labelledby=varsler] a[href^='/brev/']", "href")
                .unwrap(),
        )
        .await;
    assert!(letter.text.contains("Forhåndsvarsel om vedtak"));
    assert!(letter
        .text
        .contains(&format!("Fristen for å svare er {}", app.day(14))));

    // Before the deadline and without an answer the decision still cannot be sent.
    let early = send_today(&app, &mut c, &path).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early
        .text_of(".ds-error-summary")
        .contains(&format!("svarfrist {}", app.day(14))));

    // The party answers: journaled, and then the decision can be sent.
    let v = page
        .attr("form[action$='/svar'] input[name=version]", "value")
        .unwrap();
    let action = page.attr("form[action$='/svar']", "action").unwrap();
    let future = c
        .post(
            &action,
            &[
                ("version", &v),
                ("answered_on", &app.day(1)),
                ("answer_how", "Telefon"),
                ("answer_summary", "Jeg vil fortsatt stå på listen."),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.text_of("#answered_on-err").contains("fram i tid"));
    let ok = c
        .post(
            &action,
            &[
                ("version", &v),
                ("answered_on", &today),
                ("answer_how", "Telefon"),
                ("answer_summary", "Jeg vil fortsatt stå på listen."),
            ],
        )
        .await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "{}",
        ok.text_of(".ds-error-summary")
    );
    let case = c.get(&format!("/soknader/{application}")).await;
    let timeline = case.text_of(".bosak-app-timeline");
    assert!(
        timeline.contains("Svar på forhåndsvarsel mottatt"),
        "{timeline}"
    );
    assert!(timeline.contains("Jeg vil fortsatt stå på listen."));
    let done = send_today(&app, &mut c, &path).await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "{}",
        done.text_of(".ds-error-summary")
    );
}

/// Without an answer, the decision can be sent once the response deadline has passed.
#[tokio::test]
async fn after_the_notice_deadline_the_decision_can_be_sent() {
    let notice = bosak::decisions::repo::AdvanceNotice {
        id: Uuid::nil(),
        application_id: Uuid::nil(),
        intended: String::new(),
        grounds: String::new(),
        sent_on: on(1, 12),
        respond_by: on(15, 12),
        sent_by_name: String::new(),
        letter_id: Uuid::nil(),
        answered_on: None,
        answer_how: String::new(),
        answer_summary: String::new(),
        version: 1,
    };
    use bosak::decisions::advance_notice::notice_satisfied;
    assert!(
        !notice_satisfied(&notice, on(15, 12)),
        "the last day is the party's"
    );
    assert!(notice_satisfied(&notice, on(16, 12)));
}

/// Every municipality's demo data shows each rule of lawful casework on a page.
#[tokio::test]
async fn demo_data_shows_every_rule_in_every_municipality() {
    let app = TestApp::spawn().await;
    for number in ["5037", "5038", "5035"] {
        let m = app.municipality_id(number).await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(m).bind(app.today());
        let mixed: i64 = count(
            "SELECT count(*) FROM decisions d WHERE d.municipality_id = $1 AND d.status = 'sent'
                AND (SELECT count(DISTINCT appeal_weeks) FROM decision_points p
                      WHERE p.municipality_id = d.municipality_id AND p.decision_id = d.id) = 2
                AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id
                             AND p.decision_id = d.id AND p.appeal_deadline < $2)
                AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id
                             AND p.decision_id = d.id AND p.appeal_deadline >= $2)
                AND EXISTS (SELECT 1 FROM appeals a WHERE a.municipality_id = d.municipality_id AND a.decision_id = d.id)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(
            mixed >= 1,
            "{number}: a samlevedtak appealed late on one point, in time on the other"
        );
        let interrupted: i64 = count(
            "SELECT count(*) FROM decisions d WHERE d.municipality_id = $1 AND d.grounds_requested_on <= $2
                AND EXISTS (SELECT 1 FROM decision_points p WHERE p.municipality_id = d.municipality_id
                             AND p.decision_id = d.id AND p.appeal_deadline IS NULL)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(interrupted >= 1, "{number}: a request for grounds");
        let waiting_notice: i64 = count(
            "SELECT count(*) FROM advance_notices WHERE municipality_id = $1 AND answered_on IS NULL AND respond_by > $2",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(
            waiting_notice >= 1,
            "{number}: an advance notice awaiting its answer"
        );
        let two_interim: i64 = count(
            "SELECT count(*) FROM (SELECT application_id FROM sent_letters
               WHERE municipality_id = $1 AND kind = 'interim_reply' AND sent_on <= $2
               GROUP BY application_id HAVING count(*) >= 2) x",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(
            two_interim >= 1,
            "{number}: a case with two interim replies"
        );
        let dismissed: i64 = count(
            "SELECT count(*) FROM appeals a JOIN sent_letters l ON l.municipality_id = a.municipality_id
                AND l.id = a.dismissal_letter_id AND l.kind = 'dismissal'
              WHERE a.municipality_id = $1 AND a.status = 'dismissed' AND a.dismissal_deadline > $2",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(
            dismissed >= 1,
            "{number}: a dismissed late appeal with its letter"
        );
        let appeal_interim: i64 = count(
            "SELECT count(*) FROM appeal_interim_replies r JOIN appeals a
                ON a.municipality_id = r.municipality_id AND a.id = r.appeal_id
              WHERE r.municipality_id = $1 AND a.status = 'registered' AND r.sent_on < $2
                AND r.expected_on > $2 AND a.received_on < r.sent_on",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(
            appeal_interim >= 1,
            "{number}: an open appeal with an interim reply"
        );
        tx.commit().await.unwrap();
    }
    // On a page: the appeal's timeliness per point.
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let appeal: Uuid = sqlx::query_scalar(
        "SELECT a.id FROM appeals a JOIN appeal_points ap ON ap.municipality_id = a.municipality_id AND ap.appeal_id = a.id
          WHERE a.municipality_id = $1 GROUP BY a.id HAVING count(*) = 2 LIMIT 1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get(&format!("/klager/{appeal}")).await;
    let t = page.text_of(".ds-alert");
    assert!(
        t.contains("for sent (frist") && t.contains("i tide (frist"),
        "{t}"
    );
}
