use reqwest::StatusCode;

use super::{add, conclude, item_ids, plan, ready_case, value};
use crate::common::TestApp;

#[tokio::test]
async fn minutes_come_from_the_conclusions_and_lock_when_approved() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, case_no) = ready_case(&app, "5037").await;
    let mut c = app.login("levanger.team").await;
    let team = app.user_id("levanger.team").await.to_string();
    // A meeting held yesterday, minutes written afterwards.
    let yesterday = (app.today() - chrono::Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    let id = plan(
        &mut c,
        &[lev],
        &yesterday,
        &[("user", &team), ("external", "Line Berg, NAV Levanger")],
    )
    .await;
    let res = add(
        &mut c,
        id,
        &[
            ("pick", &format!("application:{case_id}")),
            ("other_title", "Orientering om boligbehov"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // Not every item concluded: approval refused, naming the item.
    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text_of("#draft")
        .contains("2 sak(er) mangler konklusjon"));
    let res = approve(&mut c, id, &page).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of(".ds-error-summary")
        .contains("Punkt 1, 2 mangler konklusjon"));

    assert_eq!(
        conclude(
            &mut c,
            id,
            1,
            &[
                ("conclusion", "recommend_refuse"),
                ("text", "Har tilbud om privat leie.")
            ]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        conclude(&mut c, id, 2, &[("conclusion", "noted"), ("text", "")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Nobody marked present: refused.
    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    let res = approve(&mut c, id, &page).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of(".ds-error-summary").contains("til stede"));

    // Attendance and notes; a stale save is refused.
    let v = page
        .attr("form[action$='/protokoll'] input[name=version]", "value")
        .unwrap();
    let res = c
        .post(
            &format!("/moter/{id}/protokoll"),
            &[
                ("version", &v),
                ("attended", "0"),
                ("attended", "1"),
                ("notes", "Neste møte 15. desember."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let stale = c
        .post(
            &format!("/moter/{id}/protokoll"),
            &[("version", &v), ("notes", "Overskriver")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.attr("#notes", "value"), None);
    assert!(
        stale.text_of("#notes").contains("Overskriver"),
        "the user's text is kept"
    );
    // The refused form now carries the current version: sending it again, after seeing
    // the colleague's save, replaces it on purpose. Then it is put back.
    let fresh = stale
        .attr("form[action$='/protokoll'] input[name=version]", "value")
        .unwrap();
    assert_ne!(fresh, v);
    let res = c
        .post(
            &format!("/moter/{id}/protokoll"),
            &[("version", &fresh), ("notes", "Overskriver")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    let v = page
        .attr("form[action$='/protokoll'] input[name=version]", "value")
        .unwrap();
    let res = c
        .post(
            &format!("/moter/{id}/protokoll"),
            &[
                ("version", &v),
                ("attended", "0"),
                ("attended", "1"),
                ("notes", "Neste møte 15. desember."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    let minutes = page.text_of("#minutes");
    assert!(minutes.contains("Til stede"));
    assert!(minutes.contains("Line Berg (NAV Levanger)"));
    assert!(minutes.contains(&format!("Sak 1: Søknad {case_no}")));
    assert!(minutes.contains("Anbefales avslått"));
    assert!(minutes.contains("Har tilbud om privat leie."));
    assert!(minutes.contains("Neste møte 15. desember."));
    assert!(minutes.contains("UTKAST"));
    let name: String = value(&app, "5037", &format!("SELECT p.name FROM applications a JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id WHERE a.municipality_id = $1 AND a.id = '{case_id}'")).await;
    assert!(
        !minutes.contains(&name),
        "the minutes name applicants by initials"
    );

    // Approve: locked everywhere.
    let v = page
        .attr("form[action$='/godkjenn'] input[name=version]", "value")
        .unwrap();
    let res = approve(&mut c, id, &page).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    assert!(page.text_of("#locked").contains("låst"));
    assert_eq!(
        page.count("form[action$='/protokoll']"),
        0,
        "no edit form once approved"
    );
    assert!(page
        .text_of("#minutes")
        .contains("Protokollen ble godkjent"));

    let meeting = c.get(&format!("/moter/{id}")).await;
    let item = item_ids(&meeting)[0];
    let res = c
        .post(
            &format!("/moter/{id}/punkter/{item}/konklusjon"),
            &[("version", "2"), ("conclusion", "recommend_grant")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let res = c
        .post(
            &format!("/moter/{id}/protokoll"),
            &[("version", &v), ("notes", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        meeting.count("#add-items"),
        0,
        "no agenda changes once approved"
    );
    // The database refuses too, whatever the code does.
    let m = lev;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let err = sqlx::query("UPDATE meeting_items SET conclusion_text = 'endret' WHERE municipality_id = $1 AND meeting_id = $2")
        .bind(m)
        .bind(id)
        .execute(&mut *tx)
        .await;
    assert!(err.is_err(), "approved minutes cannot change");
    drop(tx);

    // Printable and as PDF with the same content.
    let print = c.get(&format!("/moter/{id}/protokoll/utskrift")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.text_of("main").contains("Anbefales avslått"));
    let pdf = app
        .client()
        .get(&format!("/moter/{id}/protokoll.pdf"))
        .await;
    assert_ne!(pdf.status, StatusCode::OK, "not without logging in");
    let res = reqwest_pdf(&mut c, &format!("/moter/{id}/protokoll.pdf")).await;
    let text = pdf_extract::extract_text_from_mem(&res).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Protokoll"), "{text}");
    assert!(text.contains(&case_no));
    assert!(text.contains("Anbefales avslått"));
    let agenda = reqwest_pdf(&mut c, &format!("/moter/{id}/saksliste.pdf")).await;
    let text = pdf_extract::extract_text_from_mem(&agenda).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Saksliste") && text.contains("Orientering om boligbehov"),
        "{text}"
    );
    assert!(app.audit_count("meeting.minutes_approved").await >= 1);
}

async fn reqwest_pdf(c: &mut crate::common::Client, path: &str) -> Vec<u8> {
    let res = c
        .http
        .get(format!("{}{path}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    res.bytes().await.unwrap().to_vec()
}

/// Approves the minutes as shown on `page` (its version and agenda fingerprint).
async fn approve(
    c: &mut crate::common::Client,
    id: uuid::Uuid,
    page: &crate::common::Page,
) -> crate::common::Page {
    let v = page
        .attr("form[action$='/godkjenn'] input[name=version]", "value")
        .unwrap();
    let stamp = page
        .attr("form[action$='/godkjenn'] input[name=stamp]", "value")
        .unwrap();
    c.post(
        &format!("/moter/{id}/protokoll/godkjenn"),
        &[("version", &v), ("stamp", &stamp)],
    )
    .await
}

/// Approval is of the minutes as read: a conclusion changed after the page was opened
/// refuses it. The team's choice still leads to an offer after approval, with only the
/// team's own justification.
#[tokio::test]
async fn approval_is_of_what_was_read_and_offers_follow_after_it() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, _) = ready_case(&app, "5037").await;
    let unit = crate::allocation::prepared_unit(&app).await;
    let mut c = app.login("levanger.team").await;
    let team = app.user_id("levanger.team").await.to_string();
    let yesterday = (app.today() - chrono::Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    let id = plan(&mut c, &[lev], &yesterday, &[("user", &team)]).await;
    let res = add(
        &mut c,
        id,
        &[
            ("pick", &format!("application:{case_id}")),
            ("pick", &format!("dwelling:{unit}")),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        conclude(&mut c, id, 1, &[("conclusion", "recommend_grant")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let mode = c.get(&format!("/moter/{id}/motemodus?punkt=2")).await;
    let top = mode
        .attr("#candidates tbody tr[data-application]", "data-application")
        .unwrap();
    let res = conclude(
        &mut c,
        id,
        2,
        &[("conclusion", "candidate_chosen"), ("chosen", &top)],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&format!("/moter/{id}/protokoll")).await;
    let v = page
        .attr("form[action$='/protokoll'] input[name=version]", "value")
        .unwrap();
    c.post(
        &format!("/moter/{id}/protokoll"),
        &[("version", &v), ("attended", "0")],
    )
    .await;

    // Read the minutes, then a colleague changes a conclusion: approval refused.
    let read = c.get(&format!("/moter/{id}/protokoll")).await;
    let mut colleague = app.login("levanger.saksbehandler").await;
    let res = conclude(
        &mut colleague,
        id,
        1,
        &[
            ("conclusion", "recommend_partial"),
            ("text", "Bare bolig, ikke tjenester."),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = approve(&mut c, id, &read).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of(".ds-error-summary")
        .contains("endret siden du åpnet"));
    let read = c.get(&format!("/moter/{id}/protokoll")).await;
    assert!(read
        .text_of("#minutes")
        .contains("Anbefales delvis innvilget"));
    let res = approve(&mut c, id, &read).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );

    // After approval the offer is still one click, without a made-up justification.
    let page = c.get(&format!("/moter/{id}")).await;
    let form = format!("form[action='/boliger/{unit}/tilbud']");
    assert_eq!(
        page.attr(&format!("{form} input[name=justification]"), "value")
            .as_deref(),
        Some("")
    );
    let res = c
        .post(
            &format!("/boliger/{unit}/tilbud"),
            &[("application_id", &top), ("justification", "")],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    assert!(c
        .get(&format!("/moter/{id}"))
        .await
        .text_of("#agenda")
        .contains("Tilbud sendt"));
}
