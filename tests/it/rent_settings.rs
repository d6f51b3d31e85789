//! The rent settings page (`/innstillinger/husleie`): a rent account is validated (mod 11),
//! belongs to one municipality, is added and removed with an audit trail; the arrears
//! routine keeps the law's floors, is refused when stale, and its periods move the ladder's
//! earliest dates; only admins reach the page.

use reqwest::StatusCode;

use bosak::rent::seed::demo_account;
use bosak::rent::settings::commands::{ACCOUNT_ELSEWHERE, ACCOUNT_HERE};
use bosak::rent::settings::model::account_text;

use crate::common::crawl::Form;
use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};
use crate::leases_cpi::leases;
use crate::rent_arrears::{ago, ahead, charge, ok_step};

const PAGE: &str = "/innstillinger/husleie";
const ADMIN: &str = "levanger.admin";
const LEVANGER: &str = "5037";

async fn add_account(c: &mut Client, account: &str) -> Page {
    c.post(
        "/innstillinger/husleie/kontoer",
        &[("account_no", account), ("label", "Husleie")],
    )
    .await
}

/// The arrears form as shown, with `changes` over it.
async fn save_arrears(c: &mut Client, changes: &[(&str, &str)]) -> Page {
    let page = c.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let mut fields: Vec<(String, String)> = [
        "reminder_fee",
        "nav_office",
        "reminder_after_due_days",
        "reminder_deadline_days",
        "instalment_grace_days",
        "arrears_version",
    ]
    .iter()
    .map(|f| {
        let v = page
            .attr(&format!("input[name={f}]"), "value")
            .unwrap_or_default();
        (f.to_string(), v)
    })
    .collect();
    fields.push(("require_nav_notice".into(), "1".into()));
    for (k, v) in changes {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post("/innstillinger/husleie/restanser", &borrowed).await
}

#[tokio::test]
async fn a_rent_account_is_checked_belongs_to_one_municipality_and_is_audited() {
    let app = TestApp::spawn().await;
    let mut c = app.login(ADMIN).await;
    let page = c.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // The demo account is listed as banks print it.
    assert_eq!(
        page.texts("#konto-tabell [data-field=account]"),
        vec![account_text(&demo_account(LEVANGER))]
    );
    // A wrong check digit: refused next to the field, what was typed kept.
    let bad = add_account(&mut c, "1234.56.78904").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .text_of("#account_no-err")
        .contains("gyldig kontonummer"));
    assert_eq!(
        bad.attr("#account_no", "value").as_deref(),
        Some("1234.56.78904")
    );
    // Stjørdal's account cannot be Levanger's too.
    let theirs = add_account(&mut c, &demo_account("5035")).await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(theirs.text_of("#account_no-err"), ACCOUNT_ELSEWHERE);
    // A new one: added once.
    let ok = add_account(&mut c, "1234 56 78903").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let again = add_account(&mut c, "12345678903").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.text_of("#account_no-err"), ACCOUNT_HERE);
    let page = c.get(PAGE).await;
    assert_eq!(page.count("#konto-tabell tbody tr"), 2);
    assert_eq!(app.audit_count("rent_account.added").await, 1);
    // Removed: the number is free for another municipality; a second submit finds nothing.
    let path = "/innstillinger/husleie/kontoer/12345678903/fjern";
    assert_eq!(c.post(path, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(c.post(path, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("rent_account.removed").await, 1);
    let claims: i64 = app
        .tenant(LEVANGER)
        .await
        .scalar(
            "SELECT count(*) FROM rent_bank_account_claims WHERE account_no = '12345678903'",
            &[],
        )
        .await;
    assert_eq!(claims, 0);
    // The database holds the rule whatever the form: Verdal cannot take Levanger's account.
    let verdal = app.tenant("5038").await;
    let mut tx = verdal.tx().await;
    let err = sqlx::query(
        "INSERT INTO rent_bank_accounts (municipality_id, account_no, created_by)
         SELECT $1, $2, id FROM users WHERE username = 'verdal.saksbehandler'",
    )
    .bind(app.municipality_id("5038").await)
    .bind(demo_account(LEVANGER))
    .execute(&mut *tx)
    .await
    .expect_err("the account is Levanger's")
    .to_string();
    assert!(err.contains("rent_bank_account_claims_pkey"), "{err}");
}

#[tokio::test]
async fn the_arrears_routine_keeps_the_laws_floors_refuses_a_stale_form_and_moves_the_ladder() {
    let app = TestApp::spawn().await;
    let mut admin = app.login(ADMIN).await;
    // Below the law's 14 days, and a fee above the cap: both refused, typed values kept.
    let bad = save_arrears(
        &mut admin,
        &[("reminder_deadline_days", "13"), ("reminder_fee", "80")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .text_of("#reminder_deadline_days-err")
        .contains("minst 14 dager"));
    assert!(bad.text_of("#reminder_fee-err").contains("høyst 70,00"));
    assert_eq!(
        bad.attr("#reminder_deadline_days", "value").as_deref(),
        Some("13")
    );
    // A stale form (a colleague saved first) is refused, nothing overwritten.
    let first = admin.get(PAGE).await;
    let old_version = first
        .attr("input[name=arrears_version]", "value")
        .unwrap_or_default();
    let saved = save_arrears(
        &mut admin,
        &[
            ("reminder_deadline_days", "21"),
            ("reminder_fee", "50"),
            ("nav_office", "NAV Levanger, Postboks 1, 7601 Levanger"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let stale = admin
        .post(
            "/innstillinger/husleie/restanser",
            &[
                ("reminder_fee", ""),
                ("nav_office", ""),
                ("reminder_after_due_days", "1"),
                ("reminder_deadline_days", "30"),
                ("instalment_grace_days", "0"),
                ("arrears_version", &old_version),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let t = app.tenant(LEVANGER).await;
    let (days, fee): (i64, i64) = (
        t.scalar(
            "SELECT reminder_deadline_days::int8 FROM rent_arrears_settings WHERE municipality_id = $1",
            &[Arg::Municipality],
        )
        .await,
        t.scalar(
            "SELECT reminder_fee FROM rent_arrears_settings WHERE municipality_id = $1",
            &[Arg::Municipality],
        )
        .await,
    );
    assert_eq!((days, fee), (21, 5_000));
    assert_eq!(app.audit_count("rent_arrears_settings.saved").await, 1);

    // The ladder follows: after a reminder today the notice to NAV waits 21 days, not 14.
    let l = leases(&app, LEVANGER, "R", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, LEVANGER, l, ago(&app, 40), 500_000).await;
    let mut c = app.login("levanger.saksbehandler").await;
    ok_step(&app, &mut c, l, "reminder", app.today(), &[("fee", "1")]).await;
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(
        page.attr("[data-next=nav_notice]", "data-earliest"),
        Some(ahead(&app, 21).to_string())
    );
    // The fee set on the page was charged with the reminder.
    let charged: i64 = t
        .scalar(
            "SELECT amount FROM rent_entries WHERE lease_id = $1 AND kind = 'fee'",
            &[l.into()],
        )
        .await;
    assert_eq!(charged, 5_000);
}

#[tokio::test]
async fn only_admins_reach_the_rent_settings() {
    let app = TestApp::spawn().await;
    for user in ["levanger.saksbehandler", "levanger.team", "revisor"] {
        let mut c = app.login(user).await;
        assert_eq!(c.get(PAGE).await.status, StatusCode::FORBIDDEN, "{user}");
        let post = add_account(&mut c, "12345678903").await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "{user}");
    }
    let accounts: i64 = app
        .tenant(LEVANGER)
        .await
        .scalar("SELECT count(*) FROM rent_bank_accounts", &[])
        .await;
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn a_form_saves_into_the_municipality_it_was_opened_for_and_a_stale_one_can_be_sent_again() {
    let app = TestApp::spawn().await;
    // Nils administers Verdal as well.
    let levanger = app.municipality_id(LEVANGER).await;
    let verdal = app.municipality_id("5038").await;
    let nils = app.user_id(ADMIN).await;
    app.tenant("5038")
        .await
        .exec(
            "INSERT INTO memberships (id, user_id, municipality_id, role) VALUES (gen_random_uuid(), $1, $2, 'admin')",
            &[nils.into(), verdal.into()],
        )
        .await;
    let mut admin = app.login(ADMIN).await;
    let choose = |number: &'static str| [("municipality", number), ("return_to", "/")];
    let res = admin.post("/velg-kommune", &choose(LEVANGER)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let opened = admin.get(PAGE).await;
    assert!(opened.text_of("h1").contains("Levanger"));
    let form = arrears_form(&opened);
    assert_eq!(form.action, format!("{PAGE}/restanser?kommune={levanger}"));
    // Verdal is chosen in another tab; the Levanger form saves into Levanger.
    let res = admin.post("/velg-kommune", &choose("5038")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = send(&mut admin, &form, "28").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(deadline_days(&app, LEVANGER).await, 28);
    assert_ne!(deadline_days(&app, "5038").await, 28);
    // The same form sent again is stale: refused with what was typed and the current
    // version, so sending it once more is a deliberate overwrite.
    let stale = send(&mut admin, &form, "35").await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text_of("h1").contains("Levanger"));
    let shown = arrears_form(&stale);
    assert!(shown
        .fields
        .contains(&("reminder_deadline_days".into(), "35".into())));
    let res = send(&mut admin, &shown, "35").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(deadline_days(&app, LEVANGER).await, 35);
    // A form naming a municipality the user does not administer is not found.
    let stjordal = app.municipality_id("5035").await;
    let mut elsewhere = shown.clone();
    elsewhere.action = format!("{PAGE}/restanser?kommune={stjordal}");
    let res = send(&mut admin, &elsewhere, "40").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_ne!(deadline_days(&app, "5035").await, 40);
}

fn arrears_form(page: &Page) -> Form {
    crate::common::crawl::forms(&page.html(), PAGE)
        .into_iter()
        .find(|f| f.action.contains("/restanser"))
        .expect("the arrears form")
}

/// The form as shown, with the payment deadline changed to `days`.
async fn send(c: &mut Client, form: &Form, days: &str) -> Page {
    let fields: Vec<(&str, &str)> = form
        .fields
        .iter()
        .map(|(k, v)| match k.as_str() {
            "reminder_deadline_days" => (k.as_str(), days),
            _ => (k.as_str(), v.as_str()),
        })
        .collect();
    c.post(&form.action, &fields).await
}

async fn deadline_days(app: &TestApp, number: &str) -> i64 {
    app.tenant(number)
        .await
        .scalar(
            "SELECT coalesce(max(reminder_deadline_days), 0)::int8 FROM rent_arrears_settings WHERE municipality_id = $1",
            &[Arg::Municipality],
        )
        .await
}
