//! Mandatory letter texts (fvl. § 27 appeal information, §§ 18–19, § 36, free legal aid)
//! are the municipality's own, edited by its admin, versioned, and every sent letter
//! records the version it printed; a sent letter never changes with a later edit.

use reqwest::StatusCode;

use super::appeals::send_samlevedtak_on;
use super::workflow::on;
use crate::common::{Client, Page, TestApp};

const PAGE: &str = "/innstillinger/brevtekster";

/// Sends a samlevedtak of a fresh application today: the archived letter's address and page.
async fn send_decision(app: &TestApp, c: &mut Client) -> (String, Page) {
    let today = app.today().format("%d.%m.%Y").to_string();
    let (_, path) = send_samlevedtak_on(app, c, &today).await;
    let archived = c
        .get(&format!("{path}/brev"))
        .await
        .location
        .expect("a sent decision's letter is the archived one");
    let letter = c.get(&archived).await;
    assert_eq!(letter.status, StatusCode::OK);
    (archived, letter)
}

fn text_version(page: &Page, key: &str) -> String {
    page.attr(
        &format!("form[action='{PAGE}/{key}'] input[name=version]"),
        "value",
    )
    .unwrap_or_else(|| panic!("no form for {key}"))
}

#[tokio::test]
async fn an_admin_rewords_a_mandatory_text_and_each_letter_keeps_the_version_it_printed() {
    let app = TestApp::spawn_on(on(24, 11)).await;
    let mut admin = app.login("levanger.admin").await;
    let mut c = app.login("levanger.saksbehandler").await;
    let m = app.municipality_id("5037").await.to_string();

    // Only the municipality's admin edits them.
    assert_eq!(c.get(PAGE).await.status, StatusCode::FORBIDDEN);
    let page = admin.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);
    for heading in ["Klagerett", "Innsyn", "Sakskostnader", "Fri rettshjelp"] {
        assert!(page.text_of("main").contains(heading), "{heading}");
    }
    assert_eq!(text_version(&page, "appeal_rights"), "1");

    // A letter sent now prints version 1 and says so.
    let (first_url, first) = send_decision(&app, &mut c).await;
    let first_text = first.texts("main.bosak-letter > *").join("\n");
    assert!(first_text.contains("Klagen sendes til Levanger kommune, som har gjort vedtaket"));
    let used = first.text_of("#lovpalagte-tekster");
    assert!(
        used.contains("Klagerett (forvaltningsloven §§ 27–31), versjon 1"),
        "{used}"
    );
    assert!(used.contains("Fri rettshjelp, versjon 1"), "{used}");

    // A misspelt placeholder is refused next to the field, keeping what was typed.
    let typo = "Send klagen til {kommune}.";
    let res = admin
        .post(
            &format!("{PAGE}/appeal_rights"),
            &[("version", "1"), ("municipality", &m), ("body", typo)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of("#body_appeal_rights-err")
        .contains("Ukjent plassholder {kommune}"));
    assert_eq!(res.text_of("#body_appeal_rights"), typo);

    // The new wording is version 2.
    let reworded = "Du kan klage til {avsender} innen fristen over. Klagen skal være skriftlig (forvaltningsloven §§ 28–32).";
    let res = admin
        .post(
            &format!("{PAGE}/appeal_rights"),
            &[("version", "1"), ("municipality", &m), ("body", reworded)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let page = admin.get(PAGE).await;
    assert_eq!(text_version(&page, "appeal_rights"), "2");
    assert!(page
        .text_of("section[aria-labelledby=appeal_rights] details")
        .contains("Versjon 1"));
    assert_eq!(app.audit_count("mandatory_text.versioned").await, 1);

    // A colleague's edit from the old version is refused, not silently overwritten.
    let res = admin
        .post(
            &format!("{PAGE}/appeal_rights"),
            &[
                ("version", "1"),
                ("municipality", &m),
                ("body", "Min egen tekst."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res
        .text_of("#body_appeal_rights-err")
        .contains("endret av noen andre"));
    assert_eq!(res.text_of("#body_appeal_rights"), "Min egen tekst.");
    assert!(
        res.text_of("#appeal_rights-gjeldende")
            .contains("Du kan klage til {avsender}"),
        "the colleague's version is shown"
    );
    assert_eq!(text_version(&admin.get(PAGE).await, "appeal_rights"), "2");

    // The next letter prints version 2 with the sender filled in …
    let (_, second) = send_decision(&app, &mut c).await;
    let second_text = second.texts("main.bosak-letter > *").join("\n");
    assert!(second_text.contains("Du kan klage til Levanger kommune innen fristen over."));
    assert!(!second_text.contains("Klagen sendes til Levanger kommune, som har gjort vedtaket"));
    let used = second.text_of("#lovpalagte-tekster");
    assert!(
        used.contains("Klagerett (forvaltningsloven §§ 27–31), versjon 2"),
        "{used}"
    );
    assert!(
        used.contains("Sakskostnader (forvaltningsloven § 36), versjon 1"),
        "{used}"
    );

    // … and the first letter is still what was sent, naming the version it used.
    let again = c.get(&first_url).await;
    assert_eq!(again.texts("main.bosak-letter > *").join("\n"), first_text);
    assert!(again
        .text_of("#lovpalagte-tekster")
        .contains("Klagerett (forvaltningsloven §§ 27–31), versjon 1"));

    // The versions are append-only, even for the owner.
    let m = app.municipality_id("5037").await; // for the owner's check below
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let r = sqlx::query("UPDATE mandatory_texts SET body = 'x'")
        .execute(&mut *tx)
        .await;
    assert!(r.is_err(), "a text version cannot be changed");
}
