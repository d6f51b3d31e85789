//! The arrears follow-up ladder: a step taken too early is refused with the reason and
//! nothing stored; the whole ladder with its letters (mandatory texts in the PDFs); payment
//! in full closes the case; the reminder fee's cap and no fee under a kept plan; the
//! overview's buckets and totals; permissions and tenant isolation. Leases come from
//! `leases_cpi::leases` in Stjørdal (whose demo leases have no ledgers); charges are
//! inserted backdated from the app's today, so the tests pass on any date.

use chrono::{Days, NaiveDate};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};
use crate::leases_cpi::leases;

const M: &str = "5035";
const USER: &str = "stjordal.saksbehandler";

pub(crate) fn ago(app: &TestApp, days: u64) -> NaiveDate {
    app.today().checked_sub_days(Days::new(days)).unwrap()
}

pub(crate) fn ahead(app: &TestApp, days: u64) -> NaiveDate {
    app.today().checked_add_days(Days::new(days)).unwrap()
}

pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A charge (another charge, by the Stjørdal caseworker) due on `due`.
pub(crate) async fn charge(app: &TestApp, number: &str, lease: Uuid, due: NaiveDate, ore: i64) {
    app.tenant(number)
        .await
        .exec(
            "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, charge_kind, amount, applies_on, created_by)
             VALUES ($1, gen_random_uuid(), $2, 'charge', 'other', $3, $4,
                     (SELECT id FROM users WHERE username = 'stjordal.saksbehandler'))",
            &[Arg::Municipality, lease.into(), ore.into(), due.into()],
        )
        .await;
}

async fn pay(c: &mut Client, lease: Uuid, on: NaiveDate, kroner: &str) {
    let page = c
        .post(
            &format!("/leiekontrakter/{lease}/husleie/innbetaling"),
            &[
                ("amount", kroner),
                ("paid_on", &date(on)),
                ("payer", "tenant"),
                ("token", &Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
}

/// Takes a step with the case's version from its page.
pub(crate) async fn step(c: &mut Client, lease: Uuid, fields: &[(&str, &str)]) -> Page {
    let page = c.get(&format!("/leiekontrakter/{lease}/restanse")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let version = page
        .attr("input[name=version]", "value")
        .unwrap_or_default();
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    c.post(&format!("/leiekontrakter/{lease}/restanse/trinn"), &all)
        .await
}

/// Takes a step on day `on`: the server's clock is that day while the step is recorded (a
/// letter step is dated the day its letter is sent), then back.
pub(crate) async fn step_on(
    app: &TestApp,
    c: &mut Client,
    lease: Uuid,
    key: &str,
    on: NaiveDate,
    more: &[(&str, &str)],
) -> Page {
    let today = app.today();
    let day = date(on);
    let mut fields = vec![("step", key), ("taken_on", day.as_str())];
    fields.extend_from_slice(more);
    app.set_today(on.min(today));
    let page = step(c, lease, &fields).await;
    app.set_today(today);
    page
}

pub(crate) async fn ok_step(
    app: &TestApp,
    c: &mut Client,
    lease: Uuid,
    key: &str,
    on: NaiveDate,
    more: &[(&str, &str)],
) {
    let page = step_on(app, c, lease, key, on, more).await;
    let on = date(on);
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{key} on {on}: {}",
        page.text_of(".ds-validation-message, [data-field=validation]")
    );
}

/// Takes a step that must be refused (422): the page with the messages.
async fn refused(
    app: &TestApp,
    c: &mut Client,
    lease: Uuid,
    key: &str,
    on: NaiveDate,
    more: &[(&str, &str)],
) -> Page {
    let page = step_on(app, c, lease, key, on, more).await;
    let on = date(on);
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{key} on {on}"
    );
    page
}

async fn count(app: &TestApp, sql: &str, lease: Uuid) -> i64 {
    app.tenant(M).await.scalar(sql, &[lease.into()]).await
}

const STEPS: &str = "SELECT count(*) FROM rent_arrears_steps WHERE lease_id = $1";
const LETTERS: &str = "SELECT count(*) FROM sent_letters WHERE entity_id = $1";

async fn pdf_text(c: &Client, letter: Uuid) -> String {
    let res = c
        .http
        .get(format!("{}/brev/{letter}.pdf", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn letter_of(app: &TestApp, lease: Uuid, key: &str) -> Uuid {
    app.tenant(M)
        .await
        .scalar(
            "SELECT letter_id FROM rent_arrears_steps WHERE lease_id = $1 AND step = $2",
            &[lease.into(), key.into()],
        )
        .await
}

#[tokio::test]
async fn a_step_taken_too_early_is_refused_with_the_reason_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let l = leases(&app, M, "E", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, M, l, ago(&app, 40), 500_000).await;
    let mut c = app.login(USER).await;
    // A notice to NAV before any reminder: refused, it needs the reminder first.
    let page = refused(&app, &mut c, l, "nav_notice", app.today(), &[]).await;
    assert!(
        page.text_of("#taken_on-err")
            .contains("purring er registrert først"),
        "{}",
        page.text_of("#taken_on-err")
    );
    assert_eq!(count(&app, STEPS, l).await, 0);
    // A reminder dated before today: its letter is sent today, so its deadline may not run
    // from an earlier day. Refused; nothing stored.
    let back = date(ago(&app, 5));
    let page = step(
        &mut c,
        l,
        &[("step", "reminder"), ("taken_on", back.as_str())],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text_of("#taken_on-err"),
        bosak::rent::arrears::model::LETTER_TODAY
    );
    assert_eq!(count(&app, STEPS, l).await, 0);
    ok_step(&app, &mut c, l, "reminder", ago(&app, 5), &[]).await;
    // Nine days after the reminder: its 14-day deadline has not passed.
    let page = refused(&app, &mut c, l, "nav_notice", app.today(), &[]).await;
    let err = page.text_of("#taken_on-err");
    assert!(err.contains("For tidlig"), "{err}");
    assert!(
        err.contains(&format!("tidligst registreres {}", date(ahead(&app, 9)))),
        "{err}"
    );
    // What was typed is kept; nothing more was stored, no letter sent.
    assert_eq!(
        page.attr("#step option[selected]", "value").as_deref(),
        Some("nav_notice")
    );
    assert_eq!(count(&app, STEPS, l).await, 1);
    assert_eq!(count(&app, LETTERS, l).await, 1);
    // The page lists the notice to NAV with that earliest date.
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(
        page.attr("[data-next=nav_notice]", "data-earliest"),
        Some(ahead(&app, 9).to_string())
    );
    // The database holds the order too: an eviction date straight after a reminder.
    let t = app.tenant(M).await;
    let mut tx = t.tx().await;
    let bad = sqlx::query(
        "INSERT INTO rent_arrears_steps (municipality_id, id, case_id, lease_id, step, taken_on, responsible_user, eviction_on)
         SELECT municipality_id, gen_random_uuid(), id, lease_id, 'eviction_date', $2, responsible_user, $2
           FROM rent_arrears_cases WHERE lease_id = $1",
    )
    .bind(l)
    .bind(app.today())
    .execute(&mut *tx)
    .await;
    let err = bad.expect_err("the order trigger refuses it").to_string();
    assert!(err.contains("needs enforcement_request"), "{err}");
    drop(tx);
    // A request without a warning: refused.
    refused(&app, &mut c, l, "enforcement_request", app.today(), &[]).await;
    assert_eq!(count(&app, STEPS, l).await, 1);
}

#[tokio::test]
async fn the_ladder_runs_reminder_nav_notice_plan_warning_request_with_letters_as_sent() {
    let app = TestApp::spawn().await;
    let l = leases(&app, M, "H", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, M, l, ago(&app, 130), 1_000_000).await;
    let mut c = app.login(USER).await;
    ok_step(&app, &mut c, l, "reminder", ago(&app, 100), &[]).await;
    ok_step(
        &app,
        &mut c,
        l,
        "contact",
        ago(&app, 95),
        &[("note", "Samtale med leietaker.")],
    )
    .await;
    ok_step(&app, &mut c, l, "nav_notice", ago(&app, 86), &[]).await;
    let plan = format!(
        "{} 5 000,00\n{} 5 000,00",
        date(ago(&app, 60)),
        date(ago(&app, 30))
    );
    // A plan that does not cover the arrears is refused next to the instalments.
    let short = format!("{} 100,00", date(ago(&app, 60)));
    let page = refused(
        &app,
        &mut c,
        l,
        "payment_plan",
        ago(&app, 80),
        &[("instalments", &short)],
    )
    .await;
    assert!(page.text_of("#instalments-err").contains("dekker ikke"));
    ok_step(
        &app,
        &mut c,
        l,
        "payment_plan",
        ago(&app, 80),
        &[("instalments", &plan)],
    )
    .await;
    // Nothing was paid: the plan broke the day after its first instalment.
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(
        page.attr("#plan-status", "data-state").as_deref(),
        Some("broken")
    );
    ok_step(&app, &mut c, l, "warning", ago(&app, 50), &[]).await;
    // The request: not before the warning + 14 days.
    let page = refused(&app, &mut c, l, "enforcement_request", ago(&app, 37), &[]).await;
    assert!(page.text_of("#taken_on-err").contains("§ 4-18"));
    ok_step(&app, &mut c, l, "enforcement_request", ago(&app, 36), &[]).await;
    ok_step(
        &app,
        &mut c,
        l,
        "eviction_date",
        ago(&app, 20),
        &[("eviction_on", &date(ahead(&app, 10)))],
    )
    .await;
    // Carried out before the day set for the eviction: refused, with that day.
    let page = refused(&app, &mut c, l, "carried_out", app.today(), &[]).await;
    assert!(
        page.text_of("#taken_on-err")
            .contains(&date(ahead(&app, 10))),
        "{}",
        page.text_of("#taken_on-err")
    );
    assert_eq!(count(&app, STEPS, l).await, 7);
    // Five letters, archived as sent, each with its legally required text.
    assert_eq!(count(&app, LETTERS, l).await, 5);
    let warning_on = date(ago(&app, 50));
    let mandatory: [(&str, &[&str]); 5] = [
        (
            "reminder",
            &["skriftlig reservere deg mot at NAV blir varslet"],
        ),
        (
            "nav_notice",
            &[
                "husleieloven § 9-11 første ledd",
                "Kopi av varselet er sendt til leietakeren",
            ],
        ),
        ("payment_plan", &["5 000,00", "betalingsplanen brutt"]),
        (
            "warning",
            &[
                "innen 14 dager",
                "leien, renter og kostnader er betalt før fravikelsen gjennomføres",
            ],
        ),
        (
            "enforcement_request",
            &["§ 13-2 tredje ledd bokstav a", warning_on.as_str()],
        ),
    ];
    for (key, phrases) in mandatory {
        let text = pdf_text(&c, letter_of(&app, l, key).await).await;
        for phrase in phrases {
            assert!(text.contains(phrase), "{key} lacks «{phrase}»: {text}");
        }
    }
    // The NAV notice is recorded with the copy to the tenant; the letter's page names it.
    let copied: bool = app
        .tenant(M)
        .await
        .scalar("SELECT copy_to_tenant FROM rent_arrears_steps WHERE lease_id = $1 AND step = 'nav_notice'", &[l.into()])
        .await;
    assert!(copied);
    assert!(app.audit_count("rent.arrears_step_taken").await >= 7);

    // The tenant pays in full before the eviction: payment stops the case at any step, and
    // the eviction avoided is what is recorded on it — the only step left.
    let owed: i64 = app
        .tenant(M)
        .await
        .scalar(
            "SELECT sum(amount)::int8 FROM rent_entries WHERE lease_id = $1",
            &[l.into()],
        )
        .await;
    pay(&mut c, l, app.today(), &bosak::web::format::kroner(owed)).await;
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(page.count("[data-next]"), 1, "{}", page.text_of("main"));
    assert_eq!(page.count("[data-next=avoided]"), 1);
    refused(&app, &mut c, l, "carried_out", ahead(&app, 10), &[]).await;
    ok_step(&app, &mut c, l, "avoided", app.today(), &[]).await;
    let closed: String = app
        .tenant(M)
        .await
        .scalar(
            "SELECT closed_reason FROM rent_arrears_cases WHERE lease_id = $1",
            &[l.into()],
        )
        .await;
    assert_eq!(closed, "avoided");
}

#[tokio::test]
async fn payment_in_full_closes_the_case_and_new_arrears_open_a_new_one() {
    let app = TestApp::spawn().await;
    let l = leases(&app, M, "P", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, M, l, ago(&app, 20), 300_000).await;
    let mut c = app.login(USER).await;
    ok_step(&app, &mut c, l, "reminder", ago(&app, 10), &[]).await;
    pay(&mut c, l, ago(&app, 2), "3 000,00").await;
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(page.attr("#sak", "data-open").as_deref(), Some("false"));
    assert_eq!(page.count("[data-next]"), 0);
    // Paid in full: no step may be taken.
    refused(&app, &mut c, l, "contact", app.today(), &[]).await;
    // New arrears: a new case; the old one is closed as paid.
    charge(&app, M, l, ago(&app, 1), 200_000).await;
    ok_step(&app, &mut c, l, "reminder", app.today(), &[]).await;
    let cases: Vec<String> = app
        .tenant(M)
        .await
        .column(
            "SELECT coalesce(closed_reason, 'open') FROM rent_arrears_cases WHERE lease_id = $1 ORDER BY opened_on",
            &[l.into()],
        )
        .await;
    assert_eq!(cases, ["paid", "open"]);
    let page = c.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(page.count("#trinn-tabell tbody tr"), 1);
    assert_eq!(page.count("#tidligere-liste li"), 1);
}

#[tokio::test]
async fn the_reminder_fee_is_capped_and_never_charged_under_a_kept_plan() {
    let app = TestApp::spawn().await;
    let ids = leases(&app, M, "F", 2, 500_000, ago(&app, 400), None).await;
    let (a, b) = (ids[0], ids[1]);
    charge(&app, M, a, ago(&app, 30), 500_000).await;
    let t = app.tenant(M).await;
    t.exec(
        "INSERT INTO rent_arrears_settings (municipality_id, reminder_fee) VALUES ($1, 10000)",
        &[Arg::Municipality],
    )
    .await;
    let mut c = app.login(USER).await;
    let fees = "SELECT count(*) FROM rent_entries WHERE lease_id = $1 AND kind = 'fee'";
    // 100 kr is above 1/10 of the inkassosats (70 kr): refused, nothing stored.
    let page = refused(&app, &mut c, a, "reminder", app.today(), &[("fee", "1")]).await;
    assert!(
        page.text_of("#fee-err").contains("høyst 70,00"),
        "{}",
        page.text_of("#fee-err")
    );
    assert_eq!(count(&app, fees, a).await, 0);
    assert_eq!(count(&app, STEPS, a).await, 0);
    t.exec(
        "UPDATE rent_arrears_settings SET reminder_fee = 5000 WHERE municipality_id = $1",
        &[Arg::Municipality],
    )
    .await;
    ok_step(&app, &mut c, a, "reminder", app.today(), &[("fee", "1")]).await;
    let fee: i64 = t
        .scalar(
            "SELECT amount FROM rent_entries WHERE lease_id = $1 AND kind = 'fee'",
            &[a.into()],
        )
        .await;
    assert_eq!(fee, 5000);
    let letter = pdf_text(&c, letter_of(&app, a, "reminder").await).await;
    assert!(letter.contains("purregebyr på 50,00"), "{letter}");
    // A kept plan: no fee, and no warning.
    charge(&app, M, b, ago(&app, 60), 600_000).await;
    ok_step(&app, &mut c, b, "reminder", ago(&app, 50), &[]).await;
    let plan = format!(
        "{} 3 000,00\n{} 3 000,00",
        date(ago(&app, 30)),
        date(ahead(&app, 30))
    );
    ok_step(
        &app,
        &mut c,
        b,
        "payment_plan",
        ago(&app, 40),
        &[("instalments", &plan)],
    )
    .await;
    pay(&mut c, b, ago(&app, 31), "3 000,00").await;
    let page = c.get(&format!("/leiekontrakter/{b}/restanse")).await;
    assert_eq!(
        page.attr("#plan-status", "data-state").as_deref(),
        Some("kept")
    );
    let page = refused(&app, &mut c, b, "reminder", app.today(), &[("fee", "1")]).await;
    assert!(page
        .text_of("#fee-err")
        .contains("betalingsplanen overholdes"));
    assert_eq!(count(&app, fees, b).await, 0);
    let page = refused(&app, &mut c, b, "warning", app.today(), &[]).await;
    assert!(page.text_of("#taken_on-err").contains("overholdes"));
}

#[tokio::test]
async fn the_overview_ages_every_unpaid_charge_and_totals_per_municipality() {
    let app = TestApp::spawn().await;
    let ids = leases(&app, M, "O", 3, 500_000, ago(&app, 400), None).await;
    let (a, b, paid) = (ids[0], ids[1], ids[2]);
    for (days, ore) in [(10, 100_000), (45, 200_000), (75, 300_000), (120, 400_000)] {
        charge(&app, M, a, ago(&app, days), ore).await;
    }
    charge(&app, M, b, ago(&app, 5), 50_000).await;
    charge(&app, M, paid, ago(&app, 50), 70_000).await;
    // Not yet due: not arrears.
    charge(&app, M, b, ahead(&app, 3), 90_000).await;
    let mut c = app.login(USER).await;
    pay(&mut c, b, ago(&app, 3), "200,00").await;
    pay(&mut c, paid, ago(&app, 3), "700,00").await;
    let page = c.get("/husleie/restanser").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let row = |l: Uuid, k: &str| page.attr(&format!("tr[data-lease='{l}']"), k);
    assert_eq!(row(a, "data-total").as_deref(), Some("1000000"));
    assert_eq!(
        ["data-b0", "data-b1", "data-b2", "data-b3"].map(|k| row(a, k).unwrap_or_default()),
        ["100000", "200000", "300000", "400000"]
    );
    assert_eq!(row(b, "data-total").as_deref(), Some("30000"));
    assert_eq!(row(b, "data-b0").as_deref(), Some("30000"));
    assert_eq!(row(paid, "data-total"), None);
    // Riskiest first; months of rent owed.
    let order: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("#restanser-tabell tbody tr").unwrap())
        .filter_map(|r| r.value().attr("data-lease").map(str::to_owned))
        .collect();
    assert_eq!(order, [a.to_string(), b.to_string()]);
    assert_eq!(
        page.text_of(&format!("tr[data-lease='{a}'] [data-months]")),
        "2,0"
    );
    let m = app.municipality_id(M).await;
    let total = |k: &str| page.attr(&format!("#summer-tabell tr[data-municipality='{m}']"), k);
    assert_eq!(total("data-leases").as_deref(), Some("2"));
    assert_eq!(total("data-total").as_deref(), Some("1030000"));
    assert_eq!(total("data-b0").as_deref(), Some("130000"));
    assert_eq!(total("data-b3").as_deref(), Some("400000"));
    // The step filter: after a reminder on b, "reminder" shows b only, "none" a only.
    ok_step(&app, &mut c, b, "reminder", app.today(), &[]).await;
    let page = c.get("/husleie/restanser?trinn=reminder").await;
    assert_eq!(page.count("#restanser-tabell tbody tr"), 1);
    assert_eq!(
        page.attr("#restanser-tabell tbody tr", "data-lease"),
        Some(b.to_string())
    );
    let page = c.get("/husleie/restanser?trinn=none").await;
    assert_eq!(page.count("#restanser-tabell tbody tr"), 1);
    assert_eq!(
        page.attr("#restanser-tabell tbody tr", "data-lease"),
        Some(a.to_string())
    );
    let page = c.get("/husleie/restanser?trinn=tull").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_rent_managers_take_steps_and_other_municipalities_see_nothing() {
    let app = TestApp::spawn().await;
    let l = leases(&app, "5037", "I", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, "5037", l, ago(&app, 30), 500_000).await;
    // The team reads the case but may not take a step.
    let mut team = app.login("levanger.team").await;
    let page = team.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("form[action$='/restanse/trinn']"), 0);
    let page = team
        .post(
            &format!("/leiekontrakter/{l}/restanse/trinn"),
            &[("step", "reminder"), ("taken_on", &date(app.today()))],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Stjørdal's caseworker: 404 for a Levanger lease, and it is not in their overview.
    let mut other = app.login(USER).await;
    let page = other.get(&format!("/leiekontrakter/{l}/restanse")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = other
        .post(
            &format!("/leiekontrakter/{l}/restanse/trinn"),
            &[("step", "reminder"), ("taken_on", &date(app.today()))],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = other.get("/husleie/restanser").await;
    assert_eq!(page.count(&format!("tr[data-lease='{l}']")), 0);
    let stored: i64 = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT count(*) FROM rent_arrears_steps WHERE lease_id = $1",
            &[l.into()],
        )
        .await;
    assert_eq!(stored, 0);
    // Levanger's caseworker sees it and may take the step; a stale form is refused.
    let mut c = app.login("levanger.saksbehandler").await;
    let page = c.get("/husleie/restanser").await;
    assert_eq!(page.count(&format!("tr[data-lease='{l}']")), 1);
    ok_step(&app, &mut c, l, "reminder", app.today(), &[]).await;
    let page = c
        .post(
            &format!("/leiekontrakter/{l}/restanse/trinn"),
            &[
                ("version", ""),
                ("step", "contact"),
                ("taken_on", &date(app.today())),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_figures_count_the_years_plans_and_the_arrears_at_each_month_end() {
    let app = TestApp::spawn().await;
    let l = leases(&app, M, "T", 1, 500_000, ago(&app, 400), None).await[0];
    charge(&app, M, l, ago(&app, 40), 500_000).await;
    let mut c = app.login(USER).await;
    ok_step(&app, &mut c, l, "reminder", app.today(), &[]).await;
    let plan = format!("{} 5 000,00", date(ahead(&app, 20)));
    ok_step(
        &app,
        &mut c,
        l,
        "payment_plan",
        app.today(),
        &[("instalments", &plan)],
    )
    .await;
    let page = c.get("/husleie/restanser/tall").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let m = app.municipality_id(M).await;
    let sec = format!("section[data-municipality='{m}']");
    assert_eq!(
        page.attr(&format!("{sec} [data-plans]"), "data-plans")
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        page.attr(&format!("{sec} [data-plans-kept]"), "data-plans-kept")
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        page.attr(&format!("{sec} [data-nav]"), "data-nav")
            .as_deref(),
        Some("0")
    );
    // The last row is today: one lease owes 5 000 kr.
    let today = format!("{sec} tr[data-month-end='{}']", date(app.today()));
    assert_eq!(page.attr(&today, "data-tenants").as_deref(), Some("1"));
    assert!(
        page.text_of(&today).contains("5 000,00"),
        "{}",
        page.text_of(&today)
    );
    let page = c.get("/husleie/restanser/tall?ar=tull").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}
