//! The rent ledger: the monthly charge run (pro rata, KID, idempotent also when two start
//! at once), payments by hand (a double submit records one), settlement oldest first,
//! credits and corrections, exports, permissions, the scheduled job, and the set-based
//! payment insert the bank import builds on. Leases are inserted with SQL
//! (`leases_cpi::leases`, which also ends the demo leases of the municipality, so a run
//! sees exactly the fixtures); every date is relative to the app's today. Runs are
//! started in Stjørdal, whose demo leases have no ledgers (Levanger's and Verdal's do).

use chrono::{Datelike, Months, NaiveDate};
use reqwest::StatusCode;
use uuid::Uuid;

use bosak::rent::kid::{self, Modulus};
use bosak::rent::model::{self, month_field, RentChange};
use bosak::rent::repo;

use crate::common::fixtures::{refused, see_all, Arg};
use crate::common::TestApp;
use crate::leases_cpi::leases;

/// Where the tests run months: no demo runs there.
const M: &str = "5035";
const USER: &str = "stjordal.saksbehandler";

fn first_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("first of month")
}

fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

async fn run_month(c: &mut crate::common::Client, month: NaiveDate) -> crate::common::Page {
    c.post("/husleie/terminer", &[("month", &month_field(month))])
        .await
}

/// The rent charges of `lease` as (charge month, amount, kid).
async fn charges(app: &TestApp, lease: Uuid) -> Vec<(NaiveDate, i64, Option<String>)> {
    let t = app.tenant(M).await;
    let mut tx = t.tx().await;
    let rows = sqlx::query_as(
        "SELECT charge_month, amount, kid FROM rent_entries
          WHERE lease_id = $1 AND charge_kind = 'rent' ORDER BY charge_month",
    )
    .bind(lease)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rows
}

async fn balance(app: &TestApp, number: &str, lease: Uuid) -> i64 {
    app.tenant(number)
        .await
        .scalar(
            "SELECT coalesce(sum(amount), 0)::int8 FROM rent_entries WHERE lease_id = $1",
            &[Arg::Id(lease)],
        )
        .await
}

/// Each statement (binding `lease` as $1) fails, each in a savepoint of `tx`.
async fn assert_each_refused(tx: &mut sqlx::PgConnection, lease: Uuid, sqls: &[&str]) {
    for sql in sqls {
        let mut sp = sqlx::Connection::begin(&mut *tx).await.unwrap();
        let r = sqlx::query(sql).bind(lease).execute(&mut *sp).await;
        assert!(r.is_err(), "{sql} must be refused");
        sp.rollback().await.unwrap();
    }
}

/// Every open item of municipality `number` is what its entry's amount minus its
/// settlement rows leaves, and every entry with something left has its item: the table the
/// triggers keep agrees with the append-only rows it is derived from.
pub(crate) async fn assert_open_items_agree(app: &TestApp, number: &str) {
    let wrong: i64 = app
        .tenant(number)
        .await
        .scalar(
            "WITH calc AS (
               SELECT e.id, e.amount - sign(e.amount) * coalesce(
                        (SELECT sum(s.amount) FROM rent_settlements s
                          WHERE s.municipality_id = e.municipality_id
                            AND (s.debit_id = e.id OR s.credit_id = e.id)), 0) AS open
                 FROM rent_entries e)
             SELECT count(*) FROM calc FULL JOIN rent_open_items o ON o.entry_id = calc.id
              WHERE coalesce(calc.open, 0) <> coalesce(o.open, 0)",
            &[],
        )
        .await;
    assert_eq!(wrong, 0, "open items disagree with the ledger in {number}");
}

#[tokio::test]
async fn two_runs_of_a_month_at_once_charge_every_running_lease_once_with_its_kid() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let month = model::next_month(today);
    let ids = leases(&app, M, "R", 30, 650_000, first_of(today), None).await;
    let mut a = app.login(USER).await;
    let mut b = app.login(USER).await;
    let (ra, rb) = tokio::join!(run_month(&mut a, month), run_month(&mut b, month));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
        "{} / {}",
        ra.text,
        rb.text
    );
    let refused = if ra.status == StatusCode::SEE_OTHER {
        rb
    } else {
        ra
    };
    assert!(refused.text_of("#month-err").contains("allerede kjørt"));
    let t = app.tenant(M).await;
    let runs: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_charge_runs WHERE month = $1",
            &[month.into()],
        )
        .await;
    assert_eq!(runs, 1);
    for id in &ids {
        let c = charges(&app, *id).await;
        assert_eq!(c.len(), 1, "one charge for {id}");
        assert_eq!((c[0].0, c[0].1), (month, 650_000));
        let k = c[0].2.clone().expect("the charge has the lease's KID");
        assert!(kid::is_valid(&k, Modulus::Ten), "{k}");
    }
    // KIDs are the leases' own and differ.
    let kids: Vec<String> = t
        .column("SELECT kid FROM rent_accounts ORDER BY kid", &[])
        .await;
    let mut distinct = kids.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), kids.len());
    assert!(kids.len() >= ids.len());
    // The run page lists it with its count, and a third run is refused with the message.
    let page = a.get("/husleie/terminer").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr(
            &format!("tr[data-month='{month}'] [data-charges]"),
            "data-charges"
        ),
        Some(ids.len().to_string())
    );
    let count = "SELECT count(*) FROM rent_entries WHERE charge_month = $1";
    let before: i64 = t.scalar(count, &[month.into()]).await;
    let again = run_month(&mut a, month).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after: i64 = t.scalar(count, &[month.into()]).await;
    assert_eq!(after, before);
    assert!(app.audit_count("rent_run.started").await >= 1);
}

#[tokio::test]
async fn the_charge_run_counts_days_for_partial_months_and_rent_changes_as_the_rule_does() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let month = first_of(today.checked_add_months(Months::new(2)).unwrap());
    let before = first_of(today.checked_sub_months(Months::new(3)).unwrap());
    let ids = leases(&app, M, "P", 6, 700_000, before, None).await;
    let t = app.tenant(M).await;
    let mid = month.with_day(11).unwrap();
    let late = month.with_day(20).unwrap();
    // 0: the whole month. 1: moves in on the 11th. 2: ends on the 20th. 3: a new rent from
    // the 11th. 4: moves in on the 20th and a new rent from the 11th (before it). 5: ends
    // the day before the month.
    t.exec(
        "UPDATE leases SET starts_on = $2, signed_on = $2 WHERE id = $1",
        &[ids[1].into(), mid.into()],
    )
    .await;
    t.exec(
        "UPDATE leases SET status = 'ended', ended_on = $2, end_reason = 'other' WHERE id = $1",
        &[ids[2].into(), late.into()],
    )
    .await;
    for (lease, on, rent) in [(ids[3], mid, 910_000i64), (ids[4], mid, 820_000)] {
        t.exec(
            "INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent, reason)
             VALUES ($1, gen_random_uuid(), $2, $3, $3, $4, 'other')",
            &[Arg::Municipality, lease.into(), on.into(), Arg::Int(rent)],
        )
        .await;
    }
    t.exec(
        "UPDATE leases SET starts_on = $2, signed_on = $2 WHERE id = $1",
        &[ids[4].into(), late.into()],
    )
    .await;
    t.exec(
        "UPDATE leases SET status = 'ended', ended_on = $2, end_reason = 'other' WHERE id = $1",
        &[ids[5].into(), month.pred_opt().unwrap().into()],
    )
    .await;
    let mut c = app.login(USER).await;
    assert_eq!(run_month(&mut c, month).await.status, StatusCode::SEE_OTHER);
    let dim = model::days_in_month(month);
    let expected = |rent_days: &[(i64, i64)]| -> i64 {
        let s: i64 = rent_days.iter().map(|(r, d)| r * d).sum();
        (s * 2 + dim) / (2 * dim)
    };
    assert_eq!(charges(&app, ids[0]).await[0].1, 700_000);
    assert_eq!(
        charges(&app, ids[1]).await[0].1,
        expected(&[(700_000, dim - 10)])
    );
    assert_eq!(charges(&app, ids[2]).await[0].1, expected(&[(700_000, 20)]));
    assert_eq!(
        charges(&app, ids[3]).await[0].1,
        expected(&[(700_000, 10), (910_000, dim - 10)])
    );
    assert_eq!(
        charges(&app, ids[4]).await[0].1,
        expected(&[(820_000, dim - 19)])
    );
    assert!(charges(&app, ids[5]).await.is_empty());
    // And the SQL agrees with `model::month_charge` for every lease of the municipality
    // (the demo leases too, which the fixture ended), in this month and the next two.
    let mut tx = t.tx().await;
    type LeaseDates = (
        Uuid,
        NaiveDate,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        String,
    );
    let all: Vec<LeaseDates> = sqlx::query_as(
        "SELECT id, starts_on, ended_on, notice_effective_on, ends_on, status::text FROM leases",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    for k in 0..3 {
        let mo = month.checked_add_months(Months::new(k)).unwrap();
        let sql = repo::month_amounts(&mut tx, t.id, mo).await.unwrap();
        let mut rust = Vec::new();
        for (id, starts, ended, notice, ends, status) in &all {
            if status == "draft" {
                continue;
            }
            let changes: Vec<RentChange> = sqlx::query_as::<_, (NaiveDate, i64)>(
                "SELECT effective_on, monthly_rent FROM lease_rent_changes WHERE lease_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .unwrap()
            .into_iter()
            .map(|(effective_on, monthly_rent)| RentChange {
                effective_on,
                monthly_rent,
            })
            .collect();
            let last = ended.or(*notice).or(*ends);
            if let Some(ch) = model::month_charge(mo, *starts, last, &changes) {
                rust.push((*id, ch.amount));
            }
        }
        rust.sort();
        assert_eq!(sql, rust, "{mo}");
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn payments_settle_oldest_first_a_double_submit_records_one_and_overpayment_stays_as_credit()
{
    let app = TestApp::spawn().await;
    let today = app.today();
    let start = first_of(today.checked_sub_months(Months::new(3)).unwrap());
    let ids = leases(&app, M, "S", 2, 500_000, start, None).await;
    let lease = ids[0];
    let mut c = app.login(USER).await;
    // Three months charged: three open charges of 5 000 kr.
    for k in 0..3 {
        let mo = start.checked_add_months(Months::new(k)).unwrap();
        assert_eq!(run_month(&mut c, mo).await.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(balance(&app, M, lease).await, 1_500_000);
    let path = format!("/leiekontrakter/{lease}/husleie");
    let page = c.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("#ubetalt-tabell tbody tr"), 3);
    assert!(app.audit_count("rent.ledger_viewed").await >= 1);
    let token = page.attr("input[name=token]", "value").expect("token");
    let paid_on = date(today);
    let fields = [
        ("amount", "6 000,50"),
        ("paid_on", paid_on.as_str()),
        ("payer", "nav"),
        ("note", ""),
        ("token", token.as_str()),
    ];
    // Submitted twice (a double click): one payment.
    let first = c.post(&format!("{path}/innbetaling"), &fields).await;
    let second = c.post(&format!("{path}/innbetaling"), &fields).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.text);
    let t = app.tenant(M).await;
    let payments: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_entries WHERE lease_id = $1 AND kind = 'payment'",
            &[lease.into()],
        )
        .await;
    assert_eq!(payments, 1);
    assert_eq!(balance(&app, M, lease).await, 1_500_000 - 600_050);
    // Oldest first: the first month paid, 1 000,50 kr of the second.
    let open: Vec<(NaiveDate, i64)> = {
        let mut tx = t.tx().await;
        let v = sqlx::query_as(
            "SELECT e.charge_month, (e.amount - coalesce(sum(s.amount), 0))::int8
               FROM rent_entries e LEFT JOIN rent_settlements s ON s.debit_id = e.id
              WHERE e.lease_id = $1 AND e.kind = 'charge' GROUP BY e.id, e.charge_month, e.amount ORDER BY e.charge_month",
        )
        .bind(lease)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        v
    };
    let m1 = start.checked_add_months(Months::new(1)).unwrap();
    let m2 = start.checked_add_months(Months::new(2)).unwrap();
    assert_eq!(open, vec![(start, 0), (m1, 399_950), (m2, 500_000)]);
    let page = c.get(&path).await;
    assert_eq!(page.count("#ubetalt-tabell tbody tr"), 2);
    assert_eq!(page.attr("#saldo", "data-ore"), Some("899950".into()));
    // Overpay: everything settled, the rest stays as credit and pays the next charge.
    let token = page.attr("input[name=token]", "value").expect("token");
    let res = c
        .post(
            &format!("{path}/innbetaling"),
            &[
                ("amount", "10000"),
                ("paid_on", paid_on.as_str()),
                ("payer", "tenant"),
                ("token", token.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(balance(&app, M, lease).await, 899_950 - 1_000_000);
    let page = c.get(&path).await;
    assert_eq!(page.count("#ubetalt-tabell tbody tr"), 0);
    assert!(page.text_of("#saldo").contains("Til gode"));
    let m3 = start.checked_add_months(Months::new(3)).unwrap();
    assert_eq!(run_month(&mut c, m3).await.status, StatusCode::SEE_OTHER);
    // The new charge of 5 000 kr is paid from the 1 000,50 kr credit: 3 999,50 kr open.
    let page = c.get(&path).await;
    assert_eq!(page.count("#ubetalt-tabell tbody tr"), 1);
    assert_eq!(page.attr("#saldo", "data-ore"), Some("399950".into()));
    // The running balance on the last line is the balance.
    let last = page.html();
    let rows: Vec<String> = last
        .select(&scraper::Selector::parse("#poster-tabell tbody tr").unwrap())
        .filter_map(|r| r.value().attr("data-balance").map(str::to_string))
        .collect();
    assert_eq!(rows.last().map(String::as_str), Some("399950"));
    // Bad input: messages by the fields, what was typed kept, nothing saved.
    let before = balance(&app, M, lease).await;
    let res = c
        .post(
            &format!("{path}/innbetaling"),
            &[
                ("amount", "tolv"),
                ("paid_on", "31.02.2027"),
                ("payer", "x"),
                ("note", "typed"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.text_of("#amount-err"), model::NO_AMOUNT);
    assert_eq!(res.text_of("#paid_on-err"), model::NO_DATE);
    assert_eq!(res.text_of("#payer-err"), model::NO_PAYER);
    assert_eq!(res.attr("#amount", "value"), Some("tolv".into()));
    assert_eq!(balance(&app, M, lease).await, before);
    // The ledger as CSV: one line per entry.
    let csv = c.get(&format!("{path}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.text.lines().count(), 1 + 6);
    // Without the form's one-time token nothing is recorded (a double submit could not be
    // told from two payments); the form comes back with a fresh token.
    let before = balance(&app, M, lease).await;
    let res = c
        .post(
            &format!("{path}/innbetaling"),
            &[
                ("amount", "100"),
                ("paid_on", paid_on.as_str()),
                ("payer", "tenant"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains(model::NO_TOKEN), "{}", res.text);
    assert!(res
        .attr("input[name=token]", "value")
        .is_some_and(|v| !v.is_empty()));
    assert_eq!(balance(&app, M, lease).await, before);
    // A draft has no ledger: a payment to it is refused by the field.
    let draft = ids[1];
    t.exec(
        "UPDATE leases SET status = 'draft', signed_on = NULL WHERE id = $1",
        &[draft.into()],
    )
    .await;
    let before = balance(&app, M, draft).await;
    let page = c.get(&format!("/leiekontrakter/{draft}/husleie")).await;
    let token = page.attr("input[name=token]", "value").expect("token");
    let res = c
        .post(
            &format!("/leiekontrakter/{draft}/husleie/innbetaling"),
            &[
                ("amount", "100"),
                ("paid_on", paid_on.as_str()),
                ("payer", "tenant"),
                ("token", token.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.text_of("#amount-err"), model::DRAFT_LEASE);
    assert_eq!(balance(&app, M, draft).await, before);
    assert_open_items_agree(&app, M).await;
}

#[tokio::test]
async fn credits_and_corrections_are_new_entries_with_a_reason_and_the_ledger_refuses_changes() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let ids = leases(&app, M, "K", 1, 400_000, first_of(today), None).await;
    let lease = ids[0];
    let mut c = app.login(USER).await;
    assert_eq!(
        run_month(&mut c, first_of(today)).await.status,
        StatusCode::SEE_OTHER
    );
    let path = format!("/leiekontrakter/{lease}/husleie");
    let t = app.tenant(M).await;
    let charge: Uuid = t
        .scalar(
            "SELECT id FROM rent_entries WHERE lease_id = $1",
            &[lease.into()],
        )
        .await;
    let charge_s = charge.to_string();
    let on = date(today);
    // Without a reason: refused, nothing saved, typed amount kept.
    let res = c
        .post(
            &format!("{path}/justering"),
            &[
                ("corrects", charge_s.as_str()),
                ("direction", "less"),
                ("adj_amount", "500"),
                ("adj_on", on.as_str()),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.text_of("#reason-err"), model::NO_REASON);
    assert_eq!(res.attr("#adj_amount", "value"), Some("500".into()));
    assert_eq!(balance(&app, M, lease).await, 400_000);
    // A correction of the charge downwards, then a credit: both new entries.
    let tok = c
        .get(&path)
        .await
        .attr("input[name=adj_token]", "value")
        .expect("token");
    let res = c
        .post(
            &format!("{path}/justering"),
            &[
                ("corrects", charge_s.as_str()),
                ("direction", "less"),
                ("adj_amount", "500"),
                ("adj_on", on.as_str()),
                ("reason", "Feil areal"),
                ("adj_token", tok.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let tok = c
        .get(&path)
        .await
        .attr("input[name=adj_token]", "value")
        .expect("token");
    let res = c
        .post(
            &format!("{path}/justering"),
            &[
                ("corrects", ""),
                ("direction", "less"),
                ("adj_amount", "250,25"),
                ("adj_on", on.as_str()),
                ("reason", "Vannlekkasje"),
                ("adj_token", tok.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    // Owing more needs the entry it corrects.
    let res = c
        .post(
            &format!("{path}/justering"),
            &[
                ("corrects", ""),
                ("direction", "more"),
                ("adj_amount", "1"),
                ("adj_on", on.as_str()),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(balance(&app, M, lease).await, 400_000 - 50_000 - 25_025);
    let kinds: Vec<String> = t
        .column(
            "SELECT kind::text FROM rent_entries WHERE lease_id = $1 ORDER BY created_at",
            &[lease.into()],
        )
        .await;
    assert_eq!(kinds, ["charge", "correction", "credit"]);
    // The correction settled the charge it corrects; the charge's open amount is exact.
    let open: i64 = t
        .scalar(
            "SELECT (e.amount - coalesce((SELECT sum(amount) FROM rent_settlements WHERE debit_id = e.id), 0))::int8
               FROM rent_entries e WHERE e.id = $1",
            &[charge.into()],
        )
        .await;
    assert_eq!(open, 400_000 - 50_000 - 25_025);
    // Append-only for everybody, the owner included.
    let mut tx = t.tx().await;
    assert_each_refused(
        &mut tx,
        lease,
        &[
            "UPDATE rent_entries SET amount = 1 WHERE lease_id = $1",
            "DELETE FROM rent_entries WHERE lease_id = $1",
            "DELETE FROM rent_settlements WHERE lease_id = $1",
        ],
    )
    .await;
    tx.rollback().await.unwrap();
    assert!(app.audit_count("rent.correction_recorded").await >= 1);
    assert!(app.audit_count("rent.credit_recorded").await >= 1);
    assert_open_items_agree(&app, M).await;
}

#[tokio::test]
async fn only_caseworkers_and_admins_do_rent_work_and_the_auditor_reads_no_ledger() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let ids = leases(&app, "5037", "A", 1, 400_000, first_of(today), None).await;
    let path = format!("/leiekontrakter/{}/husleie", ids[0]);
    let mut auditor = app.login("revisor").await;
    assert_eq!(
        auditor.get("/husleie/terminer").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(matches!(
        auditor.get(&path).await.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let mut team = app.login("levanger.team").await;
    assert_eq!(team.get(&path).await.status, StatusCode::OK);
    assert_eq!(
        team.get("/husleie/terminer").await.status,
        StatusCode::FORBIDDEN
    );
    let res = team
        .post(
            &format!("{path}/innbetaling"),
            &[
                ("amount", "100"),
                ("paid_on", &date(today)),
                ("payer", "tenant"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(balance(&app, "5037", ids[0]).await, 0);
    // Another municipality's caseworker: not found.
    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(verdal.get(&path).await.status, StatusCode::NOT_FOUND);
    // The lease page links to the ledger for those who read leases.
    let mut cw = app.login("levanger.saksbehandler").await;
    let lease_page = cw.get(&format!("/leiekontrakter/{}", ids[0])).await;
    assert_eq!(lease_page.attr("#husleie-lenke", "href"), Some(path));
}

#[tokio::test]
async fn the_job_charges_the_coming_month_from_the_charge_day_once() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let ids = leases(&app, M, "J", 3, 300_000, first_of(today), None).await;
    let next = model::next_month(today);
    let t = app.tenant(M).await;
    // Before the charge day nothing happens; from it, the coming month once.
    let day = i16::try_from(today.day()).unwrap();
    t.exec(
        "INSERT INTO rent_settings (municipality_id, charge_day) VALUES ($1, $2)",
        &[Arg::Municipality, Arg::Int(i64::from((day % 28) + 1))],
    )
    .await;
    let made_early = bosak::rent::commands::run_due(&app.state.pool, today)
        .await
        .unwrap();
    let runs_early: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_charge_runs WHERE month = $1",
            &[next.into()],
        )
        .await;
    if day < 28 {
        assert_eq!(
            runs_early, 0,
            "before the charge day ({made_early} made elsewhere)"
        );
    }
    let on_day = today.with_day(28).unwrap();
    bosak::rent::commands::run_due(&app.state.pool, on_day)
        .await
        .unwrap();
    bosak::rent::commands::run_due(&app.state.pool, on_day)
        .await
        .unwrap();
    let next_of_day = model::next_month(on_day);
    for id in &ids {
        let c = charges(&app, *id).await;
        assert_eq!(c.iter().filter(|x| x.0 == next_of_day).count(), 1);
    }
}

/// The set-based payment insert of the bank import: many payments for many leases in one
/// statement, settled oldest first, idempotent by import line; and leases found by KID.
#[tokio::test]
async fn a_batch_of_payments_is_recorded_and_settled_in_one_go_and_kids_find_their_leases() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let start = first_of(today.checked_sub_months(Months::new(1)).unwrap());
    let ids = leases(&app, M, "B", 50, 300_000, start, None).await;
    let mut c = app.login(USER).await;
    for k in 0..2 {
        let mo = start.checked_add_months(Months::new(k)).unwrap();
        assert_eq!(run_month(&mut c, mo).await.status, StatusCode::SEE_OTHER);
    }
    let t = app.tenant(M).await;
    let mut tx = t.tx().await;
    let kids: Vec<String> =
        sqlx::query_scalar("SELECT kid FROM rent_accounts WHERE lease_id = ANY($1) ORDER BY kid")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    let mut wanted = kids.clone();
    wanted.push("999999999".into());
    let found = repo::leases_by_kid(&mut tx, &[t.id], &wanted)
        .await
        .unwrap();
    assert_eq!(found.len(), ids.len());
    assert!(found.iter().all(|f| ids.contains(&f.lease_id)));
    // Each lease pays 4 000 kr in two lines of 2 000 kr: the first month settled, 1 000 kr
    // of the second.
    let lines = crate::rent_ocr::import_lines(&mut tx, t.id, ids.len() * 2).await;
    let payments: Vec<repo::NewPayment> = ids
        .iter()
        .flat_map(|l| [l, l])
        .zip(&lines)
        .map(|(l, line)| repo::NewPayment {
            id: Uuid::now_v7(),
            lease_id: *l,
            amount: 200_000,
            paid_on: today,
            payer: "tenant",
            kid: None,
            settles_first: None,
            import_line_id: Some(*line),
            created_by: None,
            note: String::new(),
        })
        .collect();
    let n = repo::insert_payments(&mut tx, t.id, &payments)
        .await
        .unwrap();
    assert_eq!(n, payments.len() as u64);
    // The same lines again: nothing.
    let again: Vec<repo::NewPayment> = payments
        .iter()
        .map(|p| repo::NewPayment {
            id: Uuid::now_v7(),
            ..p.clone()
        })
        .collect();
    assert_eq!(
        repo::insert_payments(&mut tx, t.id, &again).await.unwrap(),
        0
    );
    let open: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT e.charge_month, sum(e.amount - coalesce((SELECT sum(s.amount) FROM rent_settlements s WHERE s.debit_id = e.id), 0))::int8
           FROM rent_entries e WHERE e.lease_id = ANY($1) AND e.kind = 'charge'
          GROUP BY e.charge_month ORDER BY e.charge_month",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let second = start.checked_add_months(Months::new(1)).unwrap();
    assert_eq!(open, vec![(start, 0), (second, 200_000 * ids.len() as i64)]);
    tx.commit().await.unwrap();
    assert_open_items_agree(&app, M).await;
}

/// The ledger's references are checked once per statement, not by a key per row: an entry
/// names a lease and (for a correction) an entry of its own municipality, a settlement an
/// open entry of its own lease, and a lease with a ledger is never deleted.
#[tokio::test]
async fn the_ledger_names_only_leases_and_entries_of_its_own_municipality() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let start = first_of(today);
    let ours = leases(&app, M, "R", 2, 500_000, start, None).await;
    let theirs = leases(&app, "5038", "S", 1, 500_000, start, None).await[0];
    let mut c = app.login(USER).await;
    assert_eq!(run_month(&mut c, start).await.status, StatusCode::SEE_OTHER);
    let t = app.tenant(M).await;
    let charge = "SELECT id FROM rent_entries WHERE lease_id = $1 AND kind = 'charge'";
    let first: Uuid = t.scalar(charge, &[ours[0].into()]).await;
    let second: Uuid = t.scalar(charge, &[ours[1].into()]).await;
    let user: Uuid = t
        .scalar("SELECT id FROM users WHERE username = $1", &[USER.into()])
        .await;
    let mut tx = t.tx().await;
    let m = t.id;
    let credit = "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, note, created_by)
                  VALUES ($1, $2, $3, 'credit', -100, current_date, 'test', $4)";
    let correction = "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, note, created_by, corrects_id)
                      VALUES ($1, $2, $3, 'correction', -100, current_date, 'test', $4, $5)";
    let fk = |r: Option<(String, String)>| {
        r.map(|(code, message)| {
            assert_eq!(code, "23503", "{message}");
            message
        })
    };
    let nowhere = fk(refused(&mut tx, credit, &[m, Uuid::now_v7(), Uuid::now_v7(), user]).await);
    assert!(nowhere
        .expect("a lease that does not exist")
        .contains("lease"));
    // With both municipalities visible, as for a job: the check itself keeps them apart.
    let other = app.tenant("5038").await.id;
    see_all(&mut tx, &[m, other]).await;
    let elsewhere = fk(refused(&mut tx, credit, &[m, Uuid::now_v7(), theirs, user]).await);
    assert!(elsewhere
        .expect("another municipality's lease")
        .contains("lease"));
    let dangling = refused(
        &mut tx,
        correction,
        &[m, Uuid::now_v7(), ours[0], user, Uuid::now_v7()],
    )
    .await;
    assert!(fk(dangling)
        .expect("a correction of nothing")
        .contains("entry"));
    assert_eq!(
        refused(
            &mut tx,
            correction,
            &[m, Uuid::now_v7(), ours[0], user, first]
        )
        .await,
        None
    );
    // A credit that names a charge to settle first: the charge must exist.
    let first_of_all = "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, note, created_by, settles_first)
                        VALUES ($1, $2, $3, 'credit', -100, current_date, 'test', $4, $5)";
    let dangling = refused(
        &mut tx,
        first_of_all,
        &[m, Uuid::now_v7(), ours[0], user, Uuid::now_v7()],
    )
    .await;
    assert!(fk(dangling)
        .expect("settles a charge that does not exist")
        .contains("entry"));
    // One bad row refuses the whole statement: the good row in it is not written.
    let good = Uuid::now_v7();
    let mixed = refused(
        &mut tx,
        "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, note, created_by)
         VALUES ($1, $2, $3, 'credit', -100, current_date, 'test', $5),
                ($1, $6, $4, 'credit', -100, current_date, 'test', $5)",
        &[m, good, ours[0], Uuid::now_v7(), user, Uuid::now_v7()],
    )
    .await;
    assert!(fk(mixed)
        .expect("a statement with one bad row")
        .contains("lease"));
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM rent_entries WHERE id = $1")
        .bind(good)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(written, 0);
    // A settlement must name open entries of its own lease: the second lease's charge
    // cannot be paid by a credit on the first.
    let mine = Uuid::now_v7();
    assert_eq!(
        refused(&mut tx, credit, &[m, mine, ours[0], user]).await,
        None
    );
    let settle =
        "INSERT INTO rent_settlements (municipality_id, debit_id, credit_id, lease_id, amount)
                  VALUES ($1, $2, $3, $4, 100)";
    let check = |r: Option<(String, String)>| {
        r.map(|(code, message)| {
            assert_eq!(code, "23514", "{message}");
            message
        })
    };
    let across = check(refused(&mut tx, settle, &[m, second, mine, ours[0]]).await);
    assert!(across
        .expect("another lease's charge")
        .contains("nothing open"));
    let unknown = check(refused(&mut tx, settle, &[m, Uuid::now_v7(), mine, ours[0]]).await);
    assert!(unknown
        .expect("a debit that does not exist")
        .contains("nothing open"));
    let itself = check(refused(&mut tx, settle, &[m, mine, mine, ours[0]]).await);
    assert!(itself
        .expect("an entry settled against itself")
        .contains("two_entries"));
    assert_eq!(
        refused(&mut tx, settle, &[m, first, mine, ours[0]]).await,
        None
    );
    let gone = refused(
        &mut tx,
        "DELETE FROM leases WHERE municipality_id = $1 AND id = $2",
        &[m, ours[1]],
    )
    .await;
    assert!(fk(gone)
        .expect("a lease with a ledger deleted")
        .contains("ledger entries"));
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn open_items_follow_settlement_and_the_database_refuses_paying_more_than_is_open() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let start = first_of(today);
    let lease = leases(&app, M, "O", 1, 500_000, start, None).await[0];
    let mut c = app.login(USER).await;
    assert_eq!(run_month(&mut c, start).await.status, StatusCode::SEE_OTHER);
    let t = app.tenant(M).await;
    let charge: Uuid = t
        .scalar(
            "SELECT id FROM rent_entries WHERE lease_id = $1 AND kind = 'charge'",
            &[lease.into()],
        )
        .await;
    let user: Uuid = t
        .scalar("SELECT id FROM users WHERE username = $1", &[USER.into()])
        .await;
    let mut tx = t.tx().await;
    let add_credit = |id: Uuid, amount: i64| {
        sqlx::query(
            "INSERT INTO rent_entries (municipality_id, id, lease_id, kind, amount, applies_on, note, created_by)
             SELECT municipality_id, $2, id, 'credit', $3, $4, 'test', $5 FROM leases WHERE id = $1",
        )
        .bind(lease)
        .bind(id)
        .bind(-amount)
        .bind(today)
        .bind(user)
    };
    let settle = |credit: Uuid, amount: i64| {
        sqlx::query(
            "INSERT INTO rent_settlements (municipality_id, debit_id, credit_id, lease_id, amount)
             SELECT municipality_id, $2, $3, id, $4 FROM leases WHERE id = $1",
        )
        .bind(lease)
        .bind(charge)
        .bind(credit)
        .bind(amount)
    };
    let credit = Uuid::now_v7();
    add_credit(credit, 100_000).execute(&mut *tx).await.unwrap();
    // 2 000 kr from a credit of 1 000 kr: refused by the database.
    let mut sp = sqlx::Connection::begin(&mut *tx).await.unwrap();
    let err = settle(credit, 200_000).execute(&mut *sp).await.unwrap_err();
    assert!(err.to_string().contains("rent_open_items_open"), "{err}");
    sp.rollback().await.unwrap();
    // 1 000 kr: the credit is spent (its item gone), the charge has 4 000 kr open.
    settle(credit, 100_000).execute(&mut *tx).await.unwrap();
    let open: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT entry_id, open FROM rent_open_items WHERE lease_id = $1 ORDER BY entry_id",
    )
    .bind(lease)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(open, vec![(charge, 400_000)]);
    // The rest paid: the charge leaves the open items; settling it once more is refused.
    let rest = Uuid::now_v7();
    add_credit(rest, 400_000).execute(&mut *tx).await.unwrap();
    settle(rest, 400_000).execute(&mut *tx).await.unwrap();
    let more = Uuid::now_v7();
    add_credit(more, 100).execute(&mut *tx).await.unwrap();
    let mut sp = sqlx::Connection::begin(&mut *tx).await.unwrap();
    let err = settle(more, 1).execute(&mut *sp).await.unwrap_err();
    assert!(err.to_string().contains("nothing open"), "{err}");
    sp.rollback().await.unwrap();
    let open: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT entry_id, open FROM rent_open_items WHERE lease_id = $1 ORDER BY entry_id",
    )
    .bind(lease)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(open, vec![(more, -100)]);
    // Requests may read the open items, never write them.
    sqlx::query("SET LOCAL ROLE bosak_app")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_each_refused(
        &mut tx,
        lease,
        &[
            "UPDATE rent_open_items SET open = 1 WHERE lease_id = $1",
            "DELETE FROM rent_open_items WHERE lease_id = $1",
        ],
    )
    .await;
    tx.commit().await.unwrap();
    // The ledger page reads what is open from the items: nothing unpaid, 1 kr to the good.
    let page = c.get(&format!("/leiekontrakter/{lease}/husleie")).await;
    assert_eq!(page.attr("#saldo", "data-ore"), Some("-100".into()));
    assert_eq!(page.count("#ubetalt-tabell tbody tr"), 0);
    assert_open_items_agree(&app, M).await;
}
