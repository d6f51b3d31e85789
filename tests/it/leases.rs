//! HTTP tests of leases: written from an accepted offer or for a unit, the husleieloven
//! rules (term and § 11-1 notice, deposit, a unit free, no overlap, also concurrent),
//! signing (contract archived, unit let, case housed), the expiry list and its § 9-2
//! warning, renewal through a decision case, notice after § 16, protest, end, permissions
//! and tenant isolation.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::allocation::offers::{candidate_ids, offer};
use crate::allocation::prepared_unit;
use crate::common::fixtures::Arg;
use crate::common::{Client, TestApp};

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

async fn scalar<T>(app: &TestApp, sql: &str, args: &[Arg]) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    app.tenant("5037").await.scalar(sql, args).await
}

/// `column` of one row of `table` by id, in Levanger.
async fn column<T>(app: &TestApp, table: &str, column: &str, id: Uuid) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let sql = format!("SELECT {column} FROM {table} WHERE municipality_id = $1 AND id = $2");
    scalar(app, &sql, &[Arg::Municipality, id.into()]).await
}

async fn status_of(app: &TestApp, table: &str, id: Uuid) -> String {
    column(app, table, "status::text", id).await
}

/// A vacant Levanger unit.
async fn vacant_unit(app: &TestApp) -> Uuid {
    scalar(
        app,
        "SELECT id FROM dwellings WHERE municipality_id = $1 AND status = 'vacant' ORDER BY id LIMIT 1",
        &[Arg::Municipality],
    )
    .await
}

/// A § 11-1 ground and house rules for Levanger (the admin pages write them in real use).
async fn lease_settings(app: &TestApp) -> Uuid {
    let t = app.tenant("5037").await;
    let g = Uuid::now_v7();
    t.exec(
        "INSERT INTO short_term_grounds (municipality_id, id, label, notice_text)
         VALUES ($1, $2, 'Gjennomgangsbolig', 'Boligen er en gjennomgangsbolig mens du venter på varig bolig.')
         ON CONFLICT DO NOTHING",
        &[Arg::Municipality, g.into()],
    )
    .await;
    t.exec(
        "INSERT INTO house_rules_versions (municipality_id, id, version_no, title, body)
         SELECT $1, $2, coalesce(max(version_no), 0) + 1, 'Husordensregler', 'Ro i huset mellom 23 og 07.'
           FROM house_rules_versions WHERE municipality_id = $1",
        &[Arg::Municipality, Uuid::now_v7().into()],
    )
    .await;
    scalar(
        app,
        "SELECT id FROM short_term_grounds WHERE municipality_id = $1 AND label = 'Gjennomgangsbolig'",
        &[Arg::Municipality],
    )
    .await
}

/// An offer of a prepared unit, accepted: (offer id, unit, application).
async fn accepted_offer(app: &TestApp, c: &mut Client) -> (Uuid, Uuid, Uuid) {
    let unit = prepared_unit(app).await;
    let page = c.get(&format!("/boliger/{unit}/kandidater")).await;
    let application = candidate_ids(&page)[0];
    let made = offer(c, unit, application, "").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let path = made.location.expect("offer page");
    let page = c.get(&path).await;
    let v = page.attr("input[name=version]", "value").expect("version");
    let res = c
        .post(
            &format!("{path}/svar"),
            &[("version", &v), ("answer", "accepted")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let id = Uuid::parse_str(path.trim_start_matches("/tilbud/")).expect("offer id");
    (id, unit, application)
}

fn lease_fields<'a>(start: &'a str, end: &'a str, rent: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("starts_on", start),
        ("ends_on", end),
        ("monthly_rent", rent),
        ("deposit_kind", "guarantee"),
        ("deposit_amount", "25 500"),
        ("guarantor", "NAV Levanger"),
        ("eviction_clause", "1"),
        ("includes", "heating"),
    ]
}

fn id_of(location: &Option<String>) -> Uuid {
    let path = location.as_deref().expect("redirect");
    let raw = path.trim_start_matches("/leiekontrakter/");
    Uuid::parse_str(raw.split(['?', '/']).next().unwrap_or("")).expect("lease id")
}

async fn version(c: &mut Client, lease: Uuid) -> String {
    let page = c.get(&format!("/leiekontrakter/{lease}?steg=signer")).await;
    page.attr("input[name=version]", "value").expect("version")
}

async fn step(
    c: &mut Client,
    lease: Uuid,
    step: &str,
    fields: &[(&str, &str)],
) -> crate::common::Page {
    let v = version(c, lease).await;
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    c.post(&format!("/leiekontrakter/{lease}/{step}"), &all)
        .await
}

async fn pdf_text(c: &Client, path: &str) -> String {
    let res = c
        .http
        .get(format!("{}{path}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn an_accepted_offer_becomes_a_signed_lease_the_unit_is_let_and_the_case_housed() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let (offer_id, unit, application) = accepted_offer(&app, &mut c).await;
    // The offer page links to writing the lease; the form is prefilled from the offer.
    let page = c.get(&format!("/tilbud/{offer_id}")).await;
    assert_eq!(page.count("#skriv-leiekontrakt"), 1, "{}", page.text);
    let form = c
        .get(&format!("/leiekontrakter/ny?tilbud={offer_id}"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let start = form.attr("#starts_on", "value").expect("start");
    let end = form.attr("#ends_on", "value").expect("end");
    let rent = form.attr("#monthly_rent", "value").expect("rent");
    assert!(
        !rent.is_empty(),
        "the rent comes from the offer or the unit"
    );
    assert_eq!(start, iso(app.today()));
    assert_eq!(
        end,
        iso(bosak::leases::rules::end_after(app.today(), 36)),
        "the granted length"
    );
    let mut fields = lease_fields(&start, &end, &rent);
    fields.retain(|(k, _)| *k != "deposit_amount");
    fields.push(("deposit_amount", "2 000"));
    let res = c
        .post(&format!("/leiekontrakter/ny?tilbud={offer_id}"), &fields)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let lease = id_of(&res.location);
    // A second lease for the same offer is not written: the form leads to the first.
    let again = c
        .get(&format!("/leiekontrakter/ny?tilbud={offer_id}"))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.location.as_deref(),
        Some(format!("/leiekontrakter/{lease}").as_str())
    );

    let page = c.get(&format!("/leiekontrakter/{lease}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text_of("#sikkerhet").contains("NAV Levanger"));
    let today = app.today().format("%d.%m.%Y").to_string();
    let res = step(&mut c, lease, "signer", &[("on", &today)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);

    let status = status_of(&app, "leases", lease).await;
    assert_eq!(status, "active", "starts today");
    let unit_status = status_of(&app, "dwellings", unit).await;
    assert_eq!(unit_status, "let");
    let case_status = status_of(&app, "applications", application).await;
    assert_eq!(case_status, "housed");
    let rents: i64 = scalar(&app, "SELECT count(*) FROM lease_rent_changes WHERE municipality_id = $1 AND lease_id = $2 AND reason = 'initial'", &[Arg::Municipality, lease.into()]).await;
    assert_eq!(rents, 1);
    assert_eq!(app.audit_count("lease.signed").await, 1);

    // The contract is archived as signed, and its PDF carries every mandatory term.
    let letter: Uuid = column(&app, "leases", "contract_letter_id", lease).await;
    let contract = c.get(&format!("/leiekontrakter/{lease}/kontrakt")).await;
    assert_eq!(
        contract.location.as_deref(),
        Some(format!("/brev/{letter}").as_str())
    );
    let text = pdf_text(&c, &format!("/brev/{letter}.pdf")).await;
    for term in [
        "Leiekontrakt for kommunal bolig",
        "tidsbestemt",
        "§ 9-2",
        "§ 4-2",
        "§ 3-5",
        "NAV Levanger",
        "§ 13-2",
        "§ 9-7",
        "Husordensregler",
        "Ro i huset",
        "oppvarming",
    ] {
        assert!(text.contains(term), "the contract says «{term}»: {text}");
    }
    // Signed twice: the stale form is refused, nothing changes.
    let res = c
        .post(
            &format!("/leiekontrakter/{lease}/signer"),
            &[("version", "1"), ("on", &today)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    // The list shows it.
    let list = c.get("/leiekontrakter").await;
    assert!(list.text.contains(&format!("/leiekontrakter/{lease}")));
}

#[tokio::test]
async fn the_law_is_enforced_term_deposit_notice_before_signing_and_a_free_unit() {
    let app = TestApp::spawn().await;
    let ground = lease_settings(&app).await.to_string();
    let mut c = app.login("levanger.saksbehandler").await;
    let (offer_id, _, _) = accepted_offer(&app, &mut c).await;
    let path = format!("/leiekontrakter/ny?tilbud={offer_id}");
    let start = iso(app.today());
    let short_end = iso(bosak::leases::rules::end_after(app.today(), 24));

    // Under three years without a § 11-1 ground.
    let res = c
        .post(&path, &lease_fields(&start, &short_end, "8500"))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text_of("#short_term_ground_id-err").contains("§ 11-1"),
        "{}",
        res.text
    );
    assert_eq!(
        res.attr("#monthly_rent", "value").as_deref(),
        Some("8500"),
        "the input is kept"
    );

    // A deposit above six months' rent (§ 3-5).
    let mut f = lease_fields(&start, &short_end, "8500");
    f.retain(|(k, _)| *k != "deposit_amount");
    f.push(("deposit_amount", "51 000,01"));
    f.push(("short_term_ground_id", &ground));
    let res = c.post(&path, &f).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#deposit_amount-err").contains("§ 3-5"));

    // The database holds the same rules when a form is bypassed.
    let m = app.municipality_id("5037").await;
    let tenant: Uuid = scalar(
        &app,
        "SELECT applicant_id FROM applications WHERE municipality_id = $1 LIMIT 1",
        &[Arg::Municipality],
    )
    .await;
    let unit: Uuid = scalar(
        &app,
        "SELECT dwelling_id FROM offers WHERE municipality_id = $1 AND id = $2",
        &[Arg::Municipality, offer_id.into()],
    )
    .await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let err = sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, starts_on, ends_on, monthly_rent)
         VALUES ($1, $2, 999999, $3, $4, $5, $5 + 365, 850000)",
    )
    .bind(m)
    .bind(Uuid::now_v7())
    .bind(unit)
    .bind(tenant)
    .bind(app.today())
    .execute(&mut *tx)
    .await
    .expect_err("a one-year lease without a basis");
    assert!(err.to_string().contains("leases_short_term_basis"), "{err}");
    drop(tx);

    // With a ground: the draft is written; signing needs the notice first …
    let f = {
        let mut f = lease_fields(&start, &short_end, "8500");
        f.push(("short_term_ground_id", &ground));
        f
    };
    let res = c.post(&path, &f).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let lease = id_of(&res.location);
    let today = app.day(0);
    let res = step(&mut c, lease, "signer", &[("on", &today)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#on-err").contains("§ 11-1"));
    // … and the notice must be dated before the signing.
    let res = step(&mut c, lease, "orientering", &[("on", &today)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let res = step(&mut c, lease, "signer", &[("on", &today)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#on-err").contains("dagen etter"));
    let notice: i64 = scalar(&app, "SELECT count(*) FROM sent_letters WHERE municipality_id = $1 AND entity_id = $2 AND kind = 'short_term_notice'", &[Arg::Municipality, lease.into()]).await;
    assert_eq!(notice, 1, "the notice is archived");
    app.set_today(app.today() + chrono::Duration::days(1));
    let res = step(&mut c, lease, "signer", &[("on", &app.day(0))]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);

    // A unit that is not free yet: a lease cannot start before it is.
    let busy: Uuid = scalar(&app, "SELECT id FROM dwellings WHERE municipality_id = $1 AND status = 'vacant' ORDER BY id DESC LIMIT 1", &[Arg::Municipality]).await;
    app.tenant("5037").await.exec(
        "UPDATE dwellings SET status = 'notice_given', expected_vacant_from = $3 WHERE municipality_id = $1 AND id = $2",
        &[Arg::Municipality, busy.into(), (app.today() + chrono::Duration::days(40)).into()],
    ).await;
    let mut f = lease_fields(&start, "", "8000");
    f.extend([
        ("tenant_name", "Ola Nordmann"),
        ("tenant_birth_date", "01.02.1980"),
    ]);
    let early = iso(app.today() + chrono::Duration::days(10));
    f[0] = ("starts_on", early.as_str());
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={busy}"), &f)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text_of("#starts_on-err").contains("ikke ledig før"),
        "{}",
        res.text
    );
    let later = iso(app.today() + chrono::Duration::days(40));
    f[0] = ("starts_on", later.as_str());
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={busy}"), &f)
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "open-ended from the day it is free: {}",
        res.text
    );
}

#[tokio::test]
async fn one_unit_never_has_two_overlapping_leases_also_when_signed_at_once() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = vacant_unit(&app).await;
    let start = iso(app.today());
    let end = iso(bosak::leases::rules::end_after(app.today(), 36));
    let mut drafts = Vec::new();
    for (name, born) in [
        ("Kari Nordmann", "01.02.1980"),
        ("Per Hansen", "03.04.1975"),
    ] {
        let mut f = lease_fields(&start, &end, "8500");
        f.extend([("tenant_name", name), ("tenant_birth_date", born)]);
        let res = c
            .post(&format!("/leiekontrakter/ny?bolig={unit}"), &f)
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "drafts do not hold the unit: {}",
            res.text
        );
        drafts.push(id_of(&res.location));
    }
    let today = app.day(0);
    let v0 = version(&mut c, drafts[0]).await;
    let v1 = version(&mut c, drafts[1]).await;
    let mut c2 = app.login("levanger.saksbehandler").await;
    let p0 = format!("/leiekontrakter/{}/signer", drafts[0]);
    let p1 = format!("/leiekontrakter/{}/signer", drafts[1]);
    let f0 = [("version", v0.as_str()), ("on", today.as_str())];
    let f1 = [("version", v1.as_str()), ("on", today.as_str())];
    let (a, b) = tokio::join!(c.post(&p0, &f0), c2.post(&p1, &f1));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses[0],
        StatusCode::SEE_OTHER,
        "{} / {}",
        a.text,
        b.text
    );
    assert!(
        matches!(
            statuses[1],
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
        ),
        "{:?}",
        statuses
    );
    let signed: i64 = scalar(&app, "SELECT count(*) FROM leases WHERE municipality_id = $1 AND dwelling_id = $2 AND status <> 'draft'", &[Arg::Municipality, unit.into()]).await;
    assert_eq!(signed, 1);
    // The database holds the rule by itself: a second signed lease over the same days is
    // refused by the exclusion constraint, whatever the application checks.
    let m = app.municipality_id("5037").await;
    let loser_id = if a.status == StatusCode::SEE_OTHER {
        drafts[1]
    } else {
        drafts[0]
    };
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let err = sqlx::query(
        "UPDATE leases SET status = 'active', signed_on = starts_on WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(loser_id)
    .execute(&mut *tx)
    .await
    .expect_err("overlapping signed leases");
    assert!(err.to_string().contains("leases_no_overlap"), "{err}");
    drop(tx);
    // Signing the other one later is refused with the reason.
    let loser = if a.status == StatusCode::SEE_OTHER {
        drafts[1]
    } else {
        drafts[0]
    };
    let res = step(&mut c, loser, "signer", &[("on", &today)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text
            .contains("Én bolig kan bare ha én leiekontrakt om gangen"),
        "{}",
        res.text
    );
}

/// A signed direct lease on a vacant Levanger unit ending `months` from today.
async fn signed_lease(
    app: &TestApp,
    c: &mut Client,
    start_days_ago: i64,
    months: u32,
    deposit: bool,
) -> Uuid {
    let unit = vacant_unit(app).await;
    let start = app.today() - chrono::Duration::days(start_days_ago);
    let end = iso(bosak::leases::rules::end_after(start, months));
    let start_s = iso(start);
    let mut f = lease_fields(&start_s, &end, "8500");
    if !deposit {
        f.retain(|(k, _)| !matches!(*k, "deposit_kind" | "deposit_amount" | "guarantor"));
    }
    f.extend([
        ("tenant_name", "Kari Nordmann"),
        ("tenant_birth_date", "01.02.1980"),
    ]);
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={unit}"), &f)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let lease = id_of(&res.location);
    let res = step(c, lease, "signer", &[("on", &app.day(0))]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    lease
}

/// The start page's count of leases about to become open-ended in Levanger.
async fn lapsing(c: &mut Client) -> i64 {
    let page = c.get("/").await;
    let text = page.text_of("#leases-lapsing-5037");
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count: {text}"))
}

#[tokio::test]
async fn leases_ending_soon_are_listed_with_the_open_ended_warning_and_renewal_is_a_case() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    // A three-year lease that started almost three years ago: it ends within 90 days.
    let lease = signed_lease(&app, &mut c, 3 * 365 - 60, 36, true).await;
    let list = c.get("/leiekontrakter/utlop").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text.contains(&format!("/leiekontrakter/{lease}")),
        "{}",
        list.text
    );
    assert!(
        list.text_of("[data-warning=open-ended]").contains("§ 9-2"),
        "{}",
        list.text
    );
    let page = c.get(&format!("/leiekontrakter/{lease}")).await;
    assert!(page.text_of("#paragraf-9-2").contains("tidsubestemt"));
    let lapsing_before = lapsing(&mut c).await;
    assert!(lapsing_before >= 1, "the start page warns");

    // Renewal: the review opens a renewal case for the tenant, decided with appeal rights.
    let res = step(
        &mut c,
        lease,
        "vurdering",
        &[("situation", ""), ("outcome", "renew")],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#situation-err").contains("må fylles ut"));
    let res = step(
        &mut c,
        lease,
        "vurdering",
        &[
            (
                "situation",
                "Trenger fortsatt bolig; har fast jobb fra høsten.",
            ),
            ("outcome", "renew"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let renewal: Uuid = scalar(
        &app,
        "SELECT id FROM applications WHERE municipality_id = $1 AND renews_lease_id = $2",
        &[Arg::Municipality, lease.into()],
    )
    .await;
    let case = c.get(&format!("/soknader/{renewal}")).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.text);
    let page = c.get(&format!("/leiekontrakter/{lease}")).await;
    assert!(page.text.contains(&format!("/soknader/{renewal}")));
    assert_eq!(
        page.count("#paragraf-9-2"),
        0,
        "renewal under way: no warning"
    );

    // Another lease ending soon: the written demand to move removes the warning.
    let other = signed_lease(&app, &mut c, 3 * 365 - 30, 36, false).await;
    let res = step(&mut c, other, "fraflyttingsvarsel", &[("on", &app.day(0))]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let page = c.get(&format!("/leiekontrakter/{other}")).await;
    assert_eq!(page.count("#paragraf-9-2"), 0);
    let kind: String = scalar(&app, "SELECT kind FROM sent_letters WHERE municipality_id = $1 AND entity_id = $2 ORDER BY sent_at DESC LIMIT 1", &[Arg::Municipality, other.into()]).await;
    assert_eq!(kind, "demand_to_move");
}

#[tokio::test]
async fn the_landlord_gives_notice_only_after_the_advance_notice_and_the_end_frees_the_unit() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let lease = signed_lease(&app, &mut c, 400, 60, true).await;
    let unit: Uuid = column(&app, "leases", "dwelling_id", lease).await;
    let effective = iso(bosak::leases::rules::notice_effective_on(app.today()));
    let today = app.day(0);
    let reasons = "Gjentatte brudd på husordensreglene.";
    let notice = [
        ("by", "landlord"),
        ("on", today.as_str()),
        ("effective_on", effective.as_str()),
        ("reasons", reasons),
    ];
    let res = step(&mut c, lease, "oppsigelse", &notice).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#by-err").contains("§ 16"), "{}", res.text);

    let respond_by = app.day(20);
    let res = step(
        &mut c,
        lease,
        "forhandsvarsel",
        &[
            ("on", &today),
            ("respond_by", &respond_by),
            ("reasons", reasons),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let res = step(&mut c, lease, "oppsigelse", &notice).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before the deadline to respond"
    );
    assert!(res.text_of("#on-err").contains("uttale seg"));

    app.set_today(app.today() + chrono::Duration::days(21));
    let today = app.day(0);
    let too_early = iso(app.today() + chrono::Duration::days(30));
    let res = step(
        &mut c,
        lease,
        "oppsigelse",
        &[
            ("by", "landlord"),
            ("on", &today),
            ("effective_on", &too_early),
            ("reasons", reasons),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#effective_on-err").contains("§ 9-6"));
    let effective = iso(bosak::leases::rules::notice_effective_on(app.today()));
    let res = step(
        &mut c,
        lease,
        "oppsigelse",
        &[
            ("by", "landlord"),
            ("on", &today),
            ("effective_on", &effective),
            ("reasons", reasons),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let unit_status = status_of(&app, "dwellings", unit).await;
    assert_eq!(unit_status, "notice_given");
    let letter: Uuid = column(&app, "leases", "notice_letter_id", lease).await;
    let text = pdf_text(&c, &format!("/brev/{letter}.pdf")).await;
    for term in ["Oppsigelse", reasons, "én måned", "§ 9-7", "fravikelse"] {
        assert!(text.contains(term), "the notice says «{term}»: {text}");
    }
    let res = step(
        &mut c,
        lease,
        "protest",
        &[("on", &today), ("reasons", "Jeg er uenig.")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);

    // The end: a partly withheld deposit needs the amount and the reason.
    let res = step(
        &mut c,
        lease,
        "avslutt",
        &[
            ("on", &today),
            ("reason", "own_home"),
            ("settlement", "partly_withheld"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#withheld-err").contains("holdes tilbake"));
    let res = step(
        &mut c,
        lease,
        "avslutt",
        &[
            ("on", &today),
            ("reason", "own_home"),
            ("settlement", "partly_withheld"),
            ("withheld", "3 000"),
            ("settlement_reason", "Maling av stue"),
            ("checklist", "keys"),
            ("checklist", "cleaned"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let unit_status = status_of(&app, "dwellings", unit).await;
    assert_eq!(unit_status, "vacant");
    let page = c.get(&format!("/leiekontrakter/{lease}")).await;
    assert!(
        page.text_of("#avsluttet")
            .contains("000,00 kr holdt tilbake (Maling av stue)"),
        "{}",
        page.text_of("#avsluttet")
    );
    let keys: bool = scalar(&app, "SELECT (move_out_checklist->>'keys')::boolean FROM leases WHERE municipality_id = $1 AND id = $2", &[Arg::Municipality, lease.into()]).await;
    assert!(keys);
}

#[tokio::test]
async fn only_caseworkers_and_admins_write_leases_and_other_municipalities_see_nothing() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let lease = signed_lease(&app, &mut c, 10, 36, false).await;
    let path = format!("/leiekontrakter/{lease}");
    assert!(
        app.audit_count("lease.viewed").await > 0,
        "reading a lease is audited"
    );

    let mut team = app.login("levanger.team").await;
    assert_eq!(
        team.get(&path).await.status,
        StatusCode::OK,
        "the team reads leases"
    );
    let res = team
        .post(
            &format!("{path}/vurdering"),
            &[("version", "2"), ("situation", "x"), ("outcome", "end")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let mut auditor = app.login("revisor").await;
    assert!(matches!(
        auditor.get(&path).await.status,
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
    ));
    assert!(matches!(
        auditor.get("/leiekontrakter").await.status,
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
    ));

    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(verdal.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        verdal.get(&format!("{path}/kontrakt")).await.status,
        StatusCode::NOT_FOUND
    );
    let res = verdal
        .post(
            &format!("{path}/avslutt"),
            &[("version", "2"), ("on", &app.day(0)), ("reason", "other")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let list = verdal.get("/leiekontrakter").await;
    assert!(!list.text.contains(&path));
    // A malformed id is a 404, not a 500.
    assert_eq!(
        c.get("/leiekontrakter/ikke-en-id").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Browser journey: an accepted offer becomes a lease, signed, and shows in the expiry
/// list; the accessibility check on the form, the lease and the list.
#[tokio::test]
async fn browser_offer_accepted_lease_signed_and_in_the_expiry_list() {
    use crate::common::browser::{self, assert_accessible, click, wait_for_text};
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut http = app.login("levanger.saksbehandler").await;
    let (offer_id, _, _) = accepted_offer(&app, &mut http).await;
    let c = browser::browser().await;
    browser::login(&c, &app.base, "levanger.saksbehandler").await;
    c.goto(&format!("{}/tilbud/{offer_id}", app.base))
        .await
        .unwrap();
    click(&c, "#skriv-leiekontrakt").await;
    wait_for_text(&c, "h1", "Ny leiekontrakt").await;
    assert_accessible(&c, "the lease form").await;
    browser::fill(&c, "#deposit_amount", "20 000").await;
    browser::fill(&c, "#guarantor", "NAV Levanger").await;
    click(&c, "form.bosak-form button[type=submit]").await;
    wait_for_text(&c, "h1", "Leiekontrakt nr.").await;
    assert_accessible(&c, "the draft lease").await;
    c.goto(&format!("{}?steg=signer", c.current_url().await.unwrap()))
        .await
        .unwrap();
    wait_for_text(&c, "#skjema h3", "Registrer signering").await;
    assert_accessible(&c, "the signing form").await;
    click(&c, "#skjema button[type=submit]").await;
    wait_for_text(&c, "#melding", "signert").await;
    let lease_url = c.current_url().await.unwrap();
    let lease = lease_url
        .path()
        .trim_start_matches("/leiekontrakter/")
        .to_string();
    c.goto(&format!("{}/leiekontrakter/utlop?maneder=36", app.base))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "utløper").await;
    let html = c.source().await.unwrap();
    assert!(
        html.contains(&format!("/leiekontrakter/{lease}")),
        "the signed lease is in the list"
    );
    assert_accessible(&c, "the expiry list").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn leases_ending_without_a_review_are_proposed_for_the_allocation_meeting() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let lease = signed_lease(&app, &mut c, 3 * 365 - 60, 36, false).await;
    let m = app.municipality_id("5037").await;
    let meeting = crate::meetings::plan(&mut c, &[m], &app.day(7), &[]).await;
    let page = c.get(&format!("/moter/{meeting}")).await;
    assert!(
        page.count(&format!("#pick-l-{lease}")) == 1,
        "{}",
        page.text_of("#add-items")
    );
    let pick = format!("lease:{lease}");
    let res = crate::meetings::add(&mut c, meeting, &[("pick", &pick)]).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&format!("/moter/{meeting}")).await;
    assert!(
        page.text
            .contains(&format!("href=\"/leiekontrakter/{lease}\"")),
        "the agenda links the lease"
    );
    assert_eq!(
        page.count(&format!("#pick-l-{lease}")),
        0,
        "no longer proposed"
    );
    // Reviewed: not proposed for the next meeting either.
    let res = step(
        &mut c,
        lease,
        "vurdering",
        &[("situation", "Flytter til egen bolig."), ("outcome", "end")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let next = crate::meetings::plan(&mut c, &[m], &app.day(14), &[]).await;
    let page = c.get(&format!("/moter/{next}")).await;
    assert_eq!(page.count(&format!("#pick-l-{lease}")), 0);
}

#[tokio::test]
async fn a_tenant_whose_lease_runs_is_not_anonymised_when_an_old_case_is_due() {
    let app = TestApp::spawn().await;
    let f = crate::privacy::retention_fixture(&app).await;
    // The applicant of the old, due case rents a dwelling now (a tenancy from before Bosak).
    let unit = vacant_unit(&app).await;
    let lease = Uuid::now_v7();
    app.tenant("5037")
        .await
        .exec(
            "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status,
                                 starts_on, monthly_rent, signed_on)
             VALUES ($1, $2, 990001, $3, $4, 'active', $5, 850000, $5)",
            &[
                Arg::Municipality,
                lease.into(),
                unit.into(),
                f.applicant.into(),
                (app.today() - chrono::Duration::days(100)).into(),
            ],
        )
        .await;
    let mut admin = app.login("levanger.admin").await;
    let dry = admin.get("/innstillinger/personvern").await;
    assert!(
        !dry.texts("#due tbody tr td:first-child")
            .contains(&f.old_number),
        "the case of a current tenant is not due"
    );
    bosak::jobs::run_due(&app.state).await;
    let name: String = column(&app, "people", "name", f.applicant).await;
    assert_ne!(name, "Anonymisert", "the lease still names its tenant");
    // Once the lease has ended, the case is due again.
    app.tenant("5037")
        .await
        .exec(
            "UPDATE leases SET status = 'ended', ended_on = starts_on + 1, end_reason = 'other'
              WHERE municipality_id = $1 AND id = $2",
            &[Arg::Municipality, lease.into()],
        )
        .await;
    let dry = admin.get("/innstillinger/personvern").await;
    assert!(dry
        .texts("#due tbody tr td:first-child")
        .contains(&f.old_number));
}

#[tokio::test]
async fn a_lease_past_its_end_holds_the_unit_and_the_demand_to_move_is_dated_when_sent() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    // Ended 100 days ago and the tenant stayed: open-ended since 10 days (§ 9-2).
    let lapsed = signed_lease(&app, &mut c, 3 * 365 + 100, 36, false).await;
    let ends_on: chrono::NaiveDate = column(&app, "leases", "ends_on", lapsed).await;
    assert!(ends_on < app.today() - chrono::Duration::days(92));
    let long_ago = (ends_on + chrono::Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();
    let res = step(&mut c, lapsed, "fraflyttingsvarsel", &[("on", &long_ago)]).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a typed earlier date does not move the deadline"
    );
    assert!(res.text.contains("tidsubestemt"), "{}", res.text);
    // The unit is still the lapsed tenant's: a new lease on it is refused.
    let unit: Uuid = column(&app, "leases", "dwelling_id", lapsed).await;
    let start = iso(app.today() + chrono::Duration::days(30));
    let mut f = lease_fields(&start, "", "8000");
    f.extend([
        ("tenant_name", "Ny Leietaker"),
        ("tenant_birth_date", "01.02.1990"),
    ]);
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={unit}"), &f)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text_of("#starts_on-err").contains("løper fortsatt"),
        "{}",
        res.text_of("#starts_on-err")
    );
}

#[tokio::test]
async fn a_lease_signed_ahead_reserves_the_unit_until_it_starts() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = vacant_unit(&app).await;
    let start = app.today() + chrono::Duration::days(10);
    let start_s = iso(start);
    let end = iso(bosak::leases::rules::end_after(start, 36));
    let mut f = lease_fields(&start_s, &end, "8500");
    f.extend([
        ("tenant_name", "Kari Nordmann"),
        ("tenant_birth_date", "01.02.1980"),
    ]);
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={unit}"), &f)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let lease = id_of(&res.location);
    let res = step(&mut c, lease, "signer", &[("on", &app.day(0))]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(status_of(&app, "leases", lease).await, "signed");
    assert_eq!(status_of(&app, "dwellings", unit).await, "reserved");
    // The first day: the job makes the lease active and the unit let, with its history.
    app.set_today(start);
    let n = bosak::leases::commands::activate_started(&app.state.pool, app.today())
        .await
        .unwrap();
    assert!(n >= 1);
    assert_eq!(status_of(&app, "leases", lease).await, "active");
    assert_eq!(status_of(&app, "dwellings", unit).await, "let");
    let noted: i64 = scalar(
        &app,
        "SELECT count(*) FROM dwelling_status_changes WHERE municipality_id = $1 AND dwelling_id = $2
          AND to_status = 'let' AND from_status = 'reserved' AND reason LIKE 'Leiekontrakt nr. % startet'",
        &[Arg::Municipality, unit.into()],
    )
    .await;
    assert_eq!(noted, 1);
}

/// The fields of a lease written directly for a unit, with its tenant.
fn direct_fields<'a>(
    start: &'a str,
    end: &'a str,
    tenant: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = lease_fields(start, end, "8500");
    f.extend_from_slice(tenant);
    f
}

/// A Levanger lease's co-tenants and household members (name, role), by name.
async fn parties_of(app: &TestApp, lease: Uuid) -> Vec<(String, String)> {
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    sqlx::query_as(
        "SELECT p.name, lp.role FROM lease_parties lp
           JOIN people p ON p.municipality_id = lp.municipality_id AND p.id = lp.person_id
          WHERE lp.municipality_id = $1 AND lp.lease_id = $2 ORDER BY p.name",
    )
    .bind(m)
    .bind(lease)
    .fetch_all(&mut *tx)
    .await
    .unwrap()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn drafts_of(app: &TestApp, unit: Uuid) -> i64 {
    scalar(
        app,
        "SELECT count(*) FROM leases WHERE municipality_id = $1 AND dwelling_id = $2 AND status = 'draft'",
        &[Arg::Municipality, unit.into()],
    )
    .await
}

#[tokio::test]
async fn a_second_submit_of_a_direct_lease_lands_on_the_first_draft_also_at_once() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let mut c2 = app.login("levanger.saksbehandler").await;
    let unit = vacant_unit(&app).await;
    let start = iso(app.today());
    let end = iso(bosak::leases::rules::end_after(app.today(), 36));
    let path = format!("/leiekontrakter/ny?bolig={unit}");
    // Two submits at once of a tenant known by birth date only (no number to match on).
    let f = direct_fields(
        &start,
        &end,
        &[
            ("tenant_name", "Kari Nordmann"),
            ("tenant_birth_date", "01.02.1980"),
        ],
    );
    let (a, b) = tokio::join!(c.post(&path, &f), c2.post(&path, &f));
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.text);
    let first = id_of(&a.location);
    assert_eq!(id_of(&b.location), first);
    assert_eq!(drafts_of(&app, unit).await, 1);
    // Again later: the same draft, and the page says so.
    let again = c.post(&path, &f).await;
    assert_eq!(id_of(&again.location), first);
    assert!(again
        .location
        .as_deref()
        .is_some_and(|l| l.ends_with("?melding=utkast")));
    let page = c.get(again.location.as_deref().unwrap()).await;
    assert!(page.text_of("#melding").contains("samme utkastet"));
    assert_eq!(drafts_of(&app, unit).await, 1);
    // A tenant with a national id: the same.
    let nid = crate::applications::fnr("030475", 3);
    let f = direct_fields(
        &start,
        &end,
        &[("tenant_name", "Per Hansen"), ("tenant_national_id", &nid)],
    );
    let (a, b) = tokio::join!(c.post(&path, &f), c2.post(&path, &f));
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.text);
    let second = id_of(&a.location);
    assert_eq!(id_of(&b.location), second);
    assert_ne!(second, first, "another tenant is another draft");
    assert_eq!(drafts_of(&app, unit).await, 2);
    // Another start date is another draft too.
    let later = iso(app.today() + chrono::Duration::days(30));
    let later_end = iso(bosak::leases::rules::end_after(
        app.today() + chrono::Duration::days(30),
        36,
    ));
    let f = direct_fields(
        &later,
        &later_end,
        &[("tenant_name", "Per Hansen"), ("tenant_national_id", &nid)],
    );
    let res = c.post(&path, &f).await;
    assert_ne!(id_of(&res.location), second);
    assert_eq!(drafts_of(&app, unit).await, 3);
    // The database holds the rule by itself: a copy of a draft for the same unit,
    // tenant and start is refused.
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    let err = sqlx::query(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, starts_on, ends_on, monthly_rent)
         SELECT municipality_id, gen_random_uuid(), 990201, dwelling_id, tenant_id, starts_on, ends_on, monthly_rent
           FROM leases WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(first)
    .execute(&mut *tx)
    .await
    .expect_err("a second draft");
    assert!(err.to_string().contains("leases_direct_draft_key"), "{err}");
}

#[tokio::test]
async fn a_direct_lease_names_co_tenants_and_household_members() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = vacant_unit(&app).await;
    let start = iso(app.today());
    let end = iso(bosak::leases::rules::end_after(app.today(), 36));
    let path = format!("/leiekontrakter/ny?bolig={unit}");
    let form = c.get(&path).await;
    assert_eq!(
        form.count("select[name^=member_relation_]"),
        bosak::applications::model::MEMBER_ROWS
    );
    let (ola, lise) = (
        crate::applications::fnr("030475", 5),
        crate::applications::fnr("150312", 6),
    );
    let tenant = [
        ("tenant_name", "Kari Nordmann"),
        ("tenant_birth_date", "01.02.1980"),
    ];
    // A row in error: its message names it and sits next to it; everything typed stays;
    // nothing is saved.
    let mut f = direct_fields(&start, &end, &tenant);
    f.extend([
        ("member_name_0", "Ola Nordmann"),
        ("member_national_id_0", ola.as_str()),
        ("member_relation_0", "co_tenant"),
        ("member_birth_date_1", "03.04.2015"),
        ("member_relation_1", "household"),
    ]);
    let res = c.post(&path, &f).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(res
        .texts("fieldset .ds-validation-message")
        .contains(&"Husstandsmedlem 2: Navn må fylles ut.".to_string()));
    assert_eq!(
        res.attr("input[name=member_birth_date_1]", "value")
            .as_deref(),
        Some("03.04.2015")
    );
    assert_eq!(
        res.attr("input[name=member_national_id_0]", "value"),
        Some(ola.clone())
    );
    assert_eq!(
        res.attr("select[name=member_relation_1] option[selected]", "value")
            .as_deref(),
        Some("household")
    );
    assert_eq!(drafts_of(&app, unit).await, 0);
    // Two co-tenants and two household members.
    let mut f = direct_fields(&start, &end, &tenant);
    f.extend([
        ("member_name_0", "Ola Nordmann"),
        ("member_national_id_0", ola.as_str()),
        ("member_relation_0", "co_tenant"),
        ("member_name_1", "Siri Nordmann"),
        ("member_birth_date_1", "05.06.1982"),
        ("member_relation_1", "co_tenant"),
        ("member_name_2", "Lise Nordmann"),
        ("member_national_id_2", lise.as_str()),
        ("member_relation_2", "household"),
        ("member_name_4", "Jon Nordmann"),
        ("member_birth_date_4", "03.04.2015"),
        ("member_relation_4", "household"),
    ]);
    let res = c.post(&path, &f).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let lease = id_of(&res.location);
    assert_eq!(
        parties_of(&app, lease).await,
        pairs(&[
            ("Jon Nordmann", "household"),
            ("Lise Nordmann", "household"),
            ("Ola Nordmann", "co_tenant"),
            ("Siri Nordmann", "co_tenant")
        ])
    );
    // The lease page lists them with their role; the contract names them and the
    // co-tenants' joint liability.
    let page = c.get(&format!("/leiekontrakter/{lease}")).await;
    let facts = page.texts(".bosak-facts dt, .bosak-facts dd").join(" | ");
    assert!(
        facts.contains("Medleietaker (solidarisk ansvarlig) | Ola Nordmann"),
        "{facts}"
    );
    assert!(facts.contains("Husstandsmedlem | Jon Nordmann"), "{facts}");
    let contract = c.get(&format!("/leiekontrakter/{lease}/kontrakt")).await;
    assert!(contract
        .text
        .contains("Medleietaker: Siri Nordmann, født 05.06.1982"));
    assert!(contract
        .text
        .contains("Husstandsmedlem: Lise Nordmann, født"));
    assert!(contract
        .text
        .contains("Husstandsmedlem: Jon Nordmann, født 03.04.2015"));
    assert!(contract.text.contains("solidarisk ansvarlige"));
}

#[tokio::test]
async fn a_saved_draft_has_its_parties_edited_and_a_person_without_a_number_stays_one() {
    let app = TestApp::spawn().await;
    lease_settings(&app).await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = vacant_unit(&app).await;
    let start = iso(app.today());
    let end = iso(bosak::leases::rules::end_after(app.today(), 36));
    // The demo data may have people of these names already (its names follow the date).
    let named_people = "SELECT count(*) FROM people WHERE municipality_id = $1 AND name IN ('Siri Nordmann', 'Kari Nordmann')";
    let people_before: i64 = scalar(&app, named_people, &[Arg::Municipality]).await;
    let tenant = [
        ("tenant_name", "Kari Nordmann"),
        ("tenant_birth_date", "01.02.1980"),
    ];
    let mut f = direct_fields(&start, &end, &tenant);
    f.extend([
        ("member_name_0", "Siri Nordmann"),
        ("member_birth_date_0", "05.06.1982"),
        ("member_relation_0", "co_tenant"),
    ]);
    let res = c
        .post(&format!("/leiekontrakter/ny?bolig={unit}"), &f)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let lease = id_of(&res.location);
    let edit_path = format!("/leiekontrakter/{lease}/rediger");
    // The draft's edit form shows its parties as written.
    let edit = c.get(&edit_path).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert_eq!(
        edit.attr("#tenant_name", "value").as_deref(),
        Some("Kari Nordmann")
    );
    assert_eq!(
        edit.attr("input[name=member_name_0]", "value").as_deref(),
        Some("Siri Nordmann")
    );
    assert_eq!(
        edit.attr("select[name=member_relation_0] option[selected]", "value")
            .as_deref(),
        Some("co_tenant")
    );
    let version = edit
        .attr("input[name=version]", "value")
        .unwrap_or_default();
    // A row in error: refused with the row named, nothing changed.
    let mut bad = direct_fields(&start, &end, &tenant);
    bad.extend([
        ("version", version.as_str()),
        ("member_relation_0", "co_tenant"),
    ]);
    bad.extend([("member_birth_date_0", "05.06.1982")]);
    let res = c.post(&edit_path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("Medleietaker 1") || res.text.contains("Husstandsmedlem 1"));
    assert_eq!(
        parties_of(&app, lease).await,
        pairs(&[("Siri Nordmann", "co_tenant")])
    );
    // Siri lives there without signing; Ola signs with her.
    let ola = crate::applications::fnr("030475", 5);
    let mut f = direct_fields(&start, &end, &tenant);
    f.extend([
        ("version", version.as_str()),
        ("tenant_phone", "90012345"),
        ("member_name_0", "Siri Nordmann"),
        ("member_birth_date_0", "1982-06-05"),
        ("member_relation_0", "household"),
        ("member_name_1", "Ola Nordmann"),
        ("member_national_id_1", ola.as_str()),
        ("member_relation_1", "co_tenant"),
    ]);
    let res = c.post(&edit_path, &f).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(
        parties_of(&app, lease).await,
        pairs(&[
            ("Ola Nordmann", "co_tenant"),
            ("Siri Nordmann", "household")
        ])
    );
    // Known by birth date only, Siri and Kari are still one person each.
    let people: i64 = scalar(&app, named_people, &[Arg::Municipality]).await;
    assert_eq!(people, people_before + 2);
    // The tenant's phone typed on the draft is the tenant's phone.
    let phone: String = scalar(
        &app,
        "SELECT p.phone FROM leases l JOIN people p ON p.id = l.tenant_id WHERE l.id = $1",
        &[Arg::Id(lease)],
    )
    .await;
    assert_eq!(phone, "90012345");
    // A typo fixed in the name of Siri, who has no number, corrects her; then she gets a
    // number: still the same person, in no other record twice.
    let edit = c.get(&edit_path).await;
    let siri = edit
        .attr("input[name=member_person_1]", "value")
        .unwrap_or_default();
    let siri_number = crate::applications::fnr("050682", 9);
    for (name, number) in [
        ("Siri Nordmann-Berg", ""),
        ("Siri Nordmann-Berg", siri_number.as_str()),
    ] {
        let edit = c.get(&edit_path).await;
        let current = edit
            .attr("input[name=version]", "value")
            .unwrap_or_default();
        let shown = edit_form_fields(&edit, &edit_path);
        let sent: Vec<(&str, &str)> = shown
            .iter()
            .map(|(k, v)| match k.as_str() {
                "member_name_1" => (k.as_str(), name),
                "member_national_id_1" => (k.as_str(), number),
                "member_birth_date_1" if !number.is_empty() => (k.as_str(), ""),
                _ => (k.as_str(), v.as_str()),
            })
            .collect();
        assert!(sent.contains(&("version", current.as_str())));
        let res = c.post(&edit_path, &sent).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let (id, stored_name, stored_number): (String, String, String) = (
            scalar(&app, "SELECT lp.person_id::text FROM lease_parties lp WHERE lp.lease_id = $1 AND lp.role = 'household'", &[Arg::Id(lease)]).await,
            scalar(&app, "SELECT p.name FROM lease_parties lp JOIN people p ON p.id = lp.person_id WHERE lp.lease_id = $1 AND lp.role = 'household'", &[Arg::Id(lease)]).await,
            scalar(&app, "SELECT coalesce(p.national_id, '') FROM lease_parties lp JOIN people p ON p.id = lp.person_id WHERE lp.lease_id = $1 AND lp.role = 'household'", &[Arg::Id(lease)]).await,
        );
        assert_eq!(
            (id.as_str(), stored_name.as_str(), stored_number.as_str()),
            (siri.as_str(), name, number)
        );
    }
    // Someone else typed over her row (another date of birth) is another person: Siri
    // keeps her name and number.
    let shown = edit_form_fields(&c.get(&edit_path).await, &edit_path);
    let sent: Vec<(&str, &str)> = shown
        .iter()
        .map(|(k, v)| match k.as_str() {
            "member_name_1" => (k.as_str(), "Per Hansen"),
            "member_national_id_1" => (k.as_str(), ""),
            "member_birth_date_1" => (k.as_str(), "02.03.1990"),
            _ => (k.as_str(), v.as_str()),
        })
        .collect();
    let res = c.post(&edit_path, &sent).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let (siri_now, per): (String, String) = (
        scalar(&app, "SELECT name || ' ' || coalesce(national_id, '') FROM people WHERE id = $1", &[Arg::Id(siri.parse().expect("an id"))]).await,
        scalar(&app, "SELECT p.id::text FROM lease_parties lp JOIN people p ON p.id = lp.person_id WHERE lp.lease_id = $1 AND lp.role = 'household'", &[Arg::Id(lease)]).await,
    );
    assert_eq!(siri_now, format!("Siri Nordmann-Berg {siri_number}"));
    assert_ne!(per, siri);
    let people_now: i64 = scalar(
        &app,
        "SELECT count(*) FROM people WHERE municipality_id = $1 AND name IN ('Siri Nordmann', 'Siri Nordmann-Berg', 'Kari Nordmann')",
        &[Arg::Municipality],
    )
    .await;
    assert_eq!(people_now, people_before + 2);
    // The form of a colleague who opened it before: refused as stale, nothing overwritten.
    let res = c.post(&edit_path, &f).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(parties_of(&app, lease).await.len(), 2);
}

/// The fields of a draft's edit form as the page fills them (hidden ids included).
fn edit_form_fields(page: &crate::common::Page, path: &str) -> Vec<(String, String)> {
    crate::common::crawl::forms(&page.html(), path)
        .into_iter()
        .find(|f| f.action == path)
        .expect("the edit form")
        .fields
}
