//! The bank's OCR file into the rent ledger: upload → preview → confirm (payments land
//! and settle, the unknown and malformed KIDs go to the queue), the same file again
//! imports nothing (also two confirms at once), a malformed file is refused whole with its
//! line and nothing is stored, a queued line assigned once or returned with a reason,
//! permissions and tenant isolation. Leases from `leases_cpi::leases` in Stjørdal, charged
//! this month by a charge run (which gives them their KIDs).

use chrono::{Datelike, Months, NaiveDate};
use reqwest::StatusCode;
use uuid::Uuid;

use bosak::rent::import::bench::payments_file;
use bosak::rent::kid::{self, Modulus};
use bosak::rent::model::month_field;
use bosak::rent::ocr;
use bosak::rent::seed::demo_account;
use bosak::rent::settings::model::account_text;

use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};
use crate::leases_cpi::leases;

const M: &str = "5035";
const USER: &str = "stjordal.saksbehandler";
const RENT: i64 = 650_000;

/// `n` leases of `M` charged this month's rent, with their KIDs, by lease.
pub(crate) async fn charged(app: &TestApp, tag: &str, n: i64) -> Vec<(Uuid, String)> {
    let today = app.today();
    let this = today.with_day(1).unwrap();
    let start = this.checked_sub_months(Months::new(1)).unwrap();
    let ids = leases(app, M, tag, n, RENT, start, None).await;
    let mut c = app.login(USER).await;
    let res = c
        .post("/husleie/terminer", &[("month", &month_field(this))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let t = app.tenant(M).await;
    let mut out = Vec::new();
    for id in ids {
        let k: String = t
            .scalar(
                "SELECT kid FROM rent_accounts WHERE lease_id = $1",
                &[Arg::Id(id)],
            )
            .await;
        out.push((id, k));
    }
    out
}

/// An OCR file (transmission `number`) of the payments (KID, øre), settled `on`.
pub(crate) fn file(number: &str, payments: &[(Option<&str>, i64)], on: NaiveDate) -> Vec<u8> {
    ocr::write(&payments_file(&demo_account(M), number, payments, on)).expect("a valid file")
}

/// A well-formed KID no lease has.
pub(crate) fn unknown_kid() -> String {
    kid::generate(987_654_321, Modulus::Ten).unwrap()
}

/// The KID with a wrong check digit.
pub(crate) fn bad_kid(k: &str) -> String {
    let mut b = k.to_string();
    let last = b.pop().unwrap();
    b.push(if last == '0' { '1' } else { '0' });
    b
}

/// Uploads `bytes` as the user and follows to the preview; a refused upload is its page.
pub(crate) async fn upload(c: &mut Client, bytes: Vec<u8>) -> Page {
    c.post_file(
        "/husleie/innlesing",
        &[],
        ("OCR.D031226.txt", "text/plain", bytes),
    )
    .await
}

fn confirm_path(preview: &Page) -> String {
    preview
        .attr("form[action$='/bekreft']", "action")
        .unwrap_or_else(|| panic!("a confirm button: {}", preview.text))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.tenant(M).await.scalar(sql, &[]).await
}

async fn balance(app: &TestApp, lease: Uuid) -> i64 {
    app.tenant(M)
        .await
        .scalar(
            "SELECT coalesce(sum(amount), 0)::int8 FROM rent_entries WHERE lease_id = $1",
            &[Arg::Id(lease)],
        )
        .await
}

const PAYMENTS: &str = "SELECT count(*) FROM rent_entries WHERE kind = 'payment'";
const IMPORTS: &str = "SELECT count(*) FROM rent_imports";
const LINES: &str = "SELECT count(*) FROM rent_import_lines";

#[tokio::test]
async fn a_file_is_previewed_then_imported_once_and_its_unknown_kids_go_to_the_queue() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "O", 3).await;
    let unknown = unknown_kid();
    let bad = bad_kid(&l[0].1);
    let bytes = file(
        "0000101",
        &[
            (Some(l[0].1.as_str()), RENT),
            (Some(l[1].1.as_str()), 200_000),
            (Some(l[2].1.as_str()), RENT + 50_000),
            (Some(unknown.as_str()), 12_300),
            (Some(bad.as_str()), 45_600),
        ],
        today,
    );
    let mut c = app.login(USER).await;
    let preview = upload(&mut c, bytes.clone()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(
        preview.attr("[data-lines]", "data-lines").as_deref(),
        Some("5")
    );
    assert_eq!(
        preview.attr("[data-matched]", "data-matched").as_deref(),
        Some("3")
    );
    assert_eq!(
        preview.attr("[data-queued]", "data-queued").as_deref(),
        Some("2")
    );
    // The preview lists the lines for the queue with their file line; nothing is stored.
    assert_eq!(
        preview.texts("#linje-tabell tbody tr td:first-child"),
        vec!["9", "11"]
    );
    assert_eq!(count(&app, PAYMENTS).await, 0);
    assert_eq!(count(&app, LINES).await, 0);
    let before = [balance(&app, l[0].0).await, balance(&app, l[1].0).await];
    assert_eq!(before, [RENT, RENT]);

    let path = confirm_path(&preview);
    let done = c.post(&path, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(count(&app, PAYMENTS).await, 3);
    assert_eq!(
        count(&app, "SELECT count(*) FROM rent_entries WHERE kind = 'payment' AND import_line_id IS NOT NULL AND payer = 'other'").await,
        3
    );
    assert_eq!(balance(&app, l[0].0).await, 0);
    assert_eq!(balance(&app, l[1].0).await, RENT - 200_000);
    // An overpayment stays as credit.
    assert_eq!(balance(&app, l[2].0).await, -50_000);
    // The first lease's charge is settled in full by its payment.
    assert_eq!(
        count(&app, &format!(
            "SELECT coalesce(sum(s.amount), 0)::int8 FROM rent_settlements s WHERE s.lease_id = '{}'",
            l[0].0
        ))
        .await,
        RENT
    );
    let statuses: Vec<String> = app
        .tenant(M)
        .await
        .column("SELECT status FROM rent_import_lines ORDER BY line_no", &[])
        .await;
    assert_eq!(
        statuses,
        vec![
            "matched",
            "matched",
            "matched",
            "unmatched",
            "malformed_kid"
        ]
    );
    assert!(app.audit_count("rent_import.imported").await >= 1);

    // The queue shows the two, newest first; the imports list the counts.
    let queue = c.get("/husleie/innbetalinger").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.count("#ko tbody tr"), 2);
    assert!(queue.text_of("#ko").contains(&unknown));
    let list = c.get("/husleie/innlesing").await;
    assert_eq!(
        list.attr("#importer [data-matched]", "data-matched")
            .as_deref(),
        Some("3")
    );
    assert_eq!(
        list.attr("#importer [data-open]", "data-open").as_deref(),
        Some("2")
    );
    let shown = c.get(&path.replace("/bekreft", "")).await;
    assert_eq!(shown.count("#linje-tabell tbody tr"), 5);

    // A second confirm of the same upload: nothing more.
    let again = c.post(&path, &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, PAYMENTS).await, 3);
    assert_eq!(count(&app, LINES).await, 5);
    // The same file again — as sent, with CRLF line ends, or its transmission number with
    // other contents — is refused at the upload, and nothing is stored.
    let crlf = String::from_utf8(bytes.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let other = file("0000101", &[(Some(l[0].1.as_str()), 100)], today);
    for b in [bytes.clone(), crlf.into_bytes(), other] {
        let refused = upload(&mut c, b).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.text_of("#file-err").contains("forsendelse 0000101"),
            "{}",
            refused.text_of("#file-err")
        );
    }
    assert_eq!(count(&app, IMPORTS).await, 1);
    assert_eq!(count(&app, PAYMENTS).await, 3);
}

#[tokio::test]
async fn a_malformed_file_is_refused_whole_with_its_line_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "F", 2).await;
    let good = file(
        "0000202",
        &[(Some(l[0].1.as_str()), RENT), (Some(l[1].1.as_str()), RENT)],
        today,
    );
    let text = String::from_utf8(good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 5 (the second payment's amount item 1) one character short.
    lines[4].pop();
    let broken = lines.join("\n");
    let mut c = app.login(USER).await;
    let page = upload(&mut c, broken.into_bytes()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let err = page.text_of("#file-err");
    assert!(err.contains("Linje 5"), "{err}");
    assert_eq!(page.attr("#file", "aria-invalid").as_deref(), Some("true"));
    // An empty file: refused too.
    let empty = upload(&mut c, Vec::new()).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, IMPORTS).await, 0);
    assert_eq!(count(&app, LINES).await, 0);
    assert_eq!(count(&app, PAYMENTS).await, 0);
    assert_eq!(balance(&app, l[0].0).await, RENT);
}

/// Imports a file of `payments` and returns the queue's line paths, newest first.
async fn import_to_queue(c: &mut Client, bytes: Vec<u8>) -> Vec<String> {
    let preview = upload(c, bytes).await;
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let queue = c.get("/husleie/innbetalinger").await;
    let html = queue.html();
    let sel = scraper::Selector::parse("#ko a[href^='/husleie/innbetalinger/']").unwrap();
    html.select(&sel)
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_queued_line_is_assigned_to_a_lease_once_or_returned_with_a_reason() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "Q", 1).await;
    let lease_no: i32 = app
        .tenant(M)
        .await
        .scalar(
            "SELECT lease_no FROM leases WHERE id = $1",
            &[Arg::Id(l[0].0)],
        )
        .await;
    let mut c = app.login(USER).await;
    let paths = import_to_queue(
        &mut c,
        file(
            "0000303",
            &[(None, 300_000), (Some(unknown_kid().as_str()), 999)],
            today,
        ),
    )
    .await;
    assert_eq!(paths.len(), 2);
    let page = c.get(&paths[1]).await;
    assert_eq!(page.status, StatusCode::OK);
    let version = page
        .attr("form[action$='/tildel'] input[name=version]", "value")
        .unwrap();
    // A lease number that does not exist: refused next to the field, kept.
    let wrong = c
        .post(
            &format!("{}/tildel", paths[1]),
            &[("lease", "999999"), ("version", &version)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!wrong.text_of("#lease-err").is_empty());
    assert_eq!(wrong.attr("#lease", "value").as_deref(), Some("999999"));
    let no = lease_no.to_string();
    let ok = c
        .post(
            &format!("{}/tildel", paths[1]),
            &[("lease", &no), ("version", &version)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(balance(&app, l[0].0).await, RENT - 300_000);
    // The same submit again (or a colleague's on the old version): stale, nothing twice.
    let twice = c
        .post(
            &format!("{}/tildel", paths[1]),
            &[("lease", &no), ("version", &version)],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(balance(&app, l[0].0).await, RENT - 300_000);
    assert_eq!(
        count(&app, "SELECT count(*) FROM rent_entries WHERE kind = 'payment' AND created_by IS NOT NULL AND import_line_id IS NOT NULL").await,
        1
    );
    // Return the other: a reason is required.
    let page = c.get(&paths[0]).await;
    let version = page
        .attr("form[action$='/returner'] input[name=version]", "value")
        .unwrap();
    let bare = c
        .post(
            &format!("{}/returner", paths[0]),
            &[("reason", "  "), ("version", &version)],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bare.text_of("#reason-err").is_empty());
    let back = c
        .post(
            &format!("{}/returner", paths[0]),
            &[("reason", "Feil mottaker"), ("version", &version)],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let statuses: Vec<String> = app
        .tenant(M)
        .await
        .column("SELECT status FROM rent_import_lines ORDER BY line_no", &[])
        .await;
    assert_eq!(statuses, vec!["assigned", "returned"]);
    let queue = c.get("/husleie/innbetalinger").await;
    assert_eq!(queue.count("#ko tbody tr"), 0);
    assert!(app.audit_count("rent_import.line_assigned").await >= 1);
    assert!(app.audit_count("rent_import.line_returned").await >= 1);
}

/// Imports a file in which the bank takes `amount` back from `kid` (beside a payment to an
/// unknown KID, as a file's sums cannot be negative) and returns the reversal's queue path.
async fn import_reversal(
    c: &mut Client,
    number: &str,
    kid: &str,
    amount: i64,
    on: NaiveDate,
) -> String {
    let other = unknown_kid();
    let paths = import_to_queue(
        c,
        file(
            number,
            &[(Some(&other), amount + 100), (Some(kid), -amount)],
            on,
        ),
    )
    .await;
    for p in paths {
        let page = c.get(&p).await;
        if page.text.contains("Før reverseringen") {
            return p;
        }
    }
    panic!("no reversal in the queue");
}

/// Puts the queued line at `path` on the lease with `kid`, on the version the page shows.
async fn put_on_lease(c: &mut Client, path: &str, kid: &str) -> Page {
    let page = c.get(path).await;
    let version = page
        .attr("form[action$='/tildel'] input[name=version]", "value")
        .unwrap_or_else(|| panic!("a form to put the line on a lease: {}", page.text));
    c.post(
        &format!("{path}/tildel"),
        &[("lease", kid), ("version", &version)],
    )
    .await
}

#[tokio::test]
async fn a_bank_reversal_takes_back_the_payment_of_its_amount_once() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "V", 1).await;
    let (lease, kid) = (l[0].0, l[0].1.as_str());
    let mut c = app.login(USER).await;
    // Paid in full by the bank's file: nothing owed, nothing queued.
    let preview = upload(&mut c, file("0000401", &[(Some(kid), RENT)], today)).await;
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(balance(&app, lease).await, 0);
    let payment: Uuid = app
        .tenant(M)
        .await
        .scalar(
            "SELECT id FROM rent_entries WHERE lease_id = $1 AND kind = 'payment'",
            &[Arg::Id(lease)],
        )
        .await;
    // The bank takes it back in its next file: a reversal goes to the queue, not the ledger.
    let path = import_reversal(&mut c, "0000402", kid, RENT, today).await;
    assert_eq!(balance(&app, lease).await, 0);
    let page = c.get(&path).await;
    assert!(
        page.text_of("#tildel").contains("reverseringen"),
        "{}",
        page.text
    );
    let version = page
        .attr("form[action$='/tildel'] input[name=version]", "value")
        .unwrap();
    let ok = c
        .post(
            &format!("{path}/tildel"),
            &[("lease", kid), ("version", &version)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // The rent is owed again, through a correction of that payment; the payment stays.
    assert_eq!(balance(&app, lease).await, RENT);
    let t = app.tenant(M).await;
    let corrected: Vec<Uuid> = t
        .column(
            "SELECT corrects_id FROM rent_entries WHERE lease_id = $1 AND kind = 'correction'",
            &[Arg::Id(lease)],
        )
        .await;
    assert_eq!(corrected, vec![payment]);
    let line = Uuid::parse_str(path.rsplit('/').next().unwrap()).unwrap();
    let (status, from_line): (String, i64) = (
        t.scalar(
            "SELECT status FROM rent_import_lines WHERE id = $1",
            &[Arg::Id(line)],
        )
        .await,
        t.scalar(
            "SELECT count(*) FROM rent_entries WHERE kind = 'correction' AND import_line_id = $1",
            &[Arg::Id(line)],
        )
        .await,
    );
    assert_eq!((status.as_str(), from_line), ("reversed", 1));
    let open: i64 = t
        .scalar(
            "SELECT coalesce(sum(open), 0)::int8 FROM rent_open_items WHERE lease_id = $1",
            &[Arg::Id(lease)],
        )
        .await;
    assert_eq!(open, RENT, "what is owed is open for the arrears ladder");
    assert_eq!(app.audit_count("rent_import.line_reversed").await, 1);
    // The same form again: stale, nothing twice.
    let twice = c
        .post(
            &format!("{path}/tildel"),
            &[("lease", kid), ("version", &version)],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(balance(&app, lease).await, RENT);
    // A second reversal of the same amount finds no payment left to take back: refused
    // next to the field, the line stays queued and the ledger unchanged.
    let path = import_reversal(&mut c, "0000403", kid, RENT, today).await;
    let refused = put_on_lease(&mut c, &path, kid).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text_of("#lease-err")
        .contains("ikke allerede er reversert"));
    assert_eq!(refused.attr("#lease", "value").as_deref(), Some(kid));
    assert_eq!(balance(&app, lease).await, RENT);
    let status: String = app
        .tenant(M)
        .await
        .scalar(
            "SELECT status FROM rent_import_lines WHERE id = $1",
            &[Arg::Id(
                Uuid::parse_str(path.rsplit('/').next().unwrap()).unwrap(),
            )],
        )
        .await;
    assert_eq!(status, "unmatched");
}

#[tokio::test]
async fn two_uploads_of_one_file_confirmed_at_once_import_it_once() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "C", 4).await;
    let payments: Vec<(Option<&str>, i64)> =
        l.iter().map(|(_, k)| (Some(k.as_str()), 100_000)).collect();
    let bytes = file("0000404", &payments, today);
    let mut a = app.login(USER).await;
    let mut b = app.login(USER).await;
    let pa = confirm_path(&upload(&mut a, bytes.clone()).await);
    let pb = confirm_path(&upload(&mut b, bytes).await);
    assert_ne!(pa, pb);
    let (ra, rb) = tokio::join!(a.post(&pa, &[]), b.post(&pb, &[]));
    let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "{} / {}", ra.text, rb.text);
    assert_eq!(count(&app, PAYMENTS).await, 4);
    assert_eq!(count(&app, LINES).await, 4);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM rent_imports WHERE status = 'imported'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn only_rent_managers_of_the_municipality_see_or_change_imports_and_the_queue() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "P", 1).await;
    let mut c = app.login(USER).await;
    let preview = upload(
        &mut c,
        file(
            "0000505",
            &[
                (Some(unknown_kid().as_str()), 500),
                (Some(l[0].1.as_str()), 100),
            ],
            today,
        ),
    )
    .await;
    let confirm = confirm_path(&preview);
    let import = confirm.replace("/bekreft", "");
    // The auditor and the team may not; another municipality's caseworker finds nothing.
    for user in ["revisor", "levanger.team"] {
        let mut u = app.login(user).await;
        for p in ["/husleie/innlesing", "/husleie/innbetalinger"] {
            assert_eq!(u.get(p).await.status, StatusCode::FORBIDDEN, "{user} {p}");
        }
        assert!(matches!(
            u.get(&import).await.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
        let res = u.post(&confirm, &[]).await;
        assert!(matches!(
            res.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
    }
    let mut other = app.login("levanger.saksbehandler").await;
    assert_eq!(other.get(&import).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&confirm, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(count(&app, PAYMENTS).await, 0);
    let done = c.post(&confirm, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let line: Uuid = app
        .tenant(M)
        .await
        .scalar(
            "SELECT id FROM rent_import_lines WHERE status = 'unmatched'",
            &[],
        )
        .await;
    let line_path = format!("/husleie/innbetalinger/{line}");
    assert_eq!(other.get(&line_path).await.status, StatusCode::NOT_FOUND);
    let res = other
        .post(
            &format!("{line_path}/returner"),
            &[("reason", "x"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Levanger's queue and imports show none of Stjørdal's.
    let q = other.get("/husleie/innbetalinger").await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(!q.text.contains(&line.to_string()));
    let list = other.get("/husleie/innlesing").await;
    assert!(!list.text.contains(&import));
    // The office caseworker sees both and is asked which municipality a file is for.
    let mut office = app.login("kontor.saksbehandler").await;
    let page = office.get("/husleie/innlesing").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.count("select#municipality"), 1);
}

/// `n` lines of an import stored by SQL in `m` (the transaction sees `m`), for tests of
/// the set-based payment insert, whose payments name an import line.
pub(crate) async fn import_lines(conn: &mut sqlx::PgConnection, m: Uuid, n: usize) -> Vec<Uuid> {
    stored_import(conn, m, n).await.1
}

/// An imported file stored by SQL in `m` with `n` queued lines: (import, lines).
pub(crate) async fn stored_import(
    conn: &mut sqlx::PgConnection,
    m: Uuid,
    n: usize,
) -> (Uuid, Vec<Uuid>) {
    let import = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO rent_imports (municipality_id, id, status, transmission_no, data_sender, data_recipient,
                                   settled_on, content_hash, file_name, content, uploaded_by,
                                   imported_by, imported_at)
         SELECT $1, $2, 'imported', '9' || lpad((random() * 999999)::int::text, 6, '0'), '00008080', '00012345',
                current_date, sha256($2::text::bytea), 'test', ''::bytea, u.id, u.id, now()
           FROM users u ORDER BY u.username LIMIT 1",
    )
    .bind(m)
    .bind(import)
    .execute(&mut *conn)
    .await
    .unwrap();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "INSERT INTO rent_import_lines (municipality_id, id, import_id, line_no, assignment_account,
                                        amount, paid_on, transaction_type, transaction_no, status)
         SELECT $1, t.id, $2, t.n, '12345678903', 1, current_date, 10, t.n, 'unmatched'
           FROM unnest($3::uuid[]) WITH ORDINALITY AS t (id, n)",
    )
    .bind(m)
    .bind(import)
    .bind(&ids)
    .execute(&mut *conn)
    .await
    .unwrap();
    (import, ids)
}

/// The journey in a real browser: upload an OCR file, see the preview, confirm, and
/// resolve the unmatched line from the queue by the lease number — each page checked for
/// accessibility.
#[tokio::test]
async fn a_caseworker_imports_an_ocr_file_and_resolves_the_unmatched_line_in_a_browser() {
    use crate::common::browser::{self, assert_accessible, click, fill, text, wait_for_text};
    let _one_at_a_time = browser::BROWSER_LOCK.lock().await;
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "B", 2).await;
    let lease_no: i32 = app
        .tenant(M)
        .await
        .scalar(
            "SELECT lease_no FROM leases WHERE id = $1",
            &[Arg::Id(l[1].0)],
        )
        .await;
    let bytes = file(
        "0000606",
        &[
            (Some(l[0].1.as_str()), RENT),
            (Some(unknown_kid().as_str()), 400_000),
        ],
        today,
    );
    let dir = std::env::temp_dir().join(format!("bosak-ocr-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("OCR.D031226.txt");
    std::fs::write(&path, &bytes).unwrap();

    let c = browser::browser().await;
    browser::login(&c, &app.base, USER).await;
    c.goto(&format!("{}/husleie/innlesing", app.base))
        .await
        .unwrap();
    assert_accessible(&c, "the OCR upload page").await;
    // A malformed file first: the reason next to the field.
    let bad = dir.join("feil.txt");
    std::fs::write(&bad, b"NY000010 not a record\n").unwrap();
    fill(&c, "#file", bad.to_str().unwrap()).await;
    click(&c, "form[action='/husleie/innlesing'] button[type=submit]").await;
    assert!(wait_for_text(&c, "#file-err", "Linje 1")
        .await
        .contains("Linje 1"));
    assert_accessible(&c, "the OCR upload page with a refused file").await;

    fill(&c, "#file", path.to_str().unwrap()).await;
    click(&c, "form[action='/husleie/innlesing'] button[type=submit]").await;
    wait_for_text(&c, "#import-klar", "Ingenting er lagret").await;
    assert_eq!(
        text(&c, "[data-matched]").await.split_whitespace().next(),
        Some("1")
    );
    assert_eq!(text(&c, "[data-queued]").await, "1");
    assert_accessible(&c, "the OCR preview").await;
    click(&c, "#bekreft").await;
    wait_for_text(&c, "#melding", "Filen er importert").await;
    assert_accessible(&c, "the imported OCR file").await;
    assert_eq!(balance(&app, l[0].0).await, 0);

    c.goto(&format!("{}/husleie/innbetalinger", app.base))
        .await
        .unwrap();
    assert_accessible(&c, "the payment queue").await;
    click(&c, "#ko a[href^='/husleie/innbetalinger/']").await;
    wait_for_text(&c, "#status", "Ukjent KID").await;
    assert_accessible(&c, "a queued payment").await;
    // No lease number: the message next to the field.
    click(&c, "form[action$='/tildel'] button[type=submit]").await;
    wait_for_text(&c, "#lease-err", "leiekontrakt").await;
    assert_accessible(&c, "a queued payment with an error").await;
    fill(&c, "#lease", &lease_no.to_string()).await;
    click(&c, "form[action$='/tildel'] button[type=submit]").await;
    wait_for_text(&c, "#melding", "ført på leiekontrakten").await;
    assert!(text(&c, "#tom-ko")
        .await
        .contains("Ingen innbetalinger venter"));
    assert_eq!(balance(&app, l[1].0).await, RENT - 400_000);
    c.close().await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// Uploads `bytes` into the municipality with `number` (for users serving several).
async fn upload_into(c: &mut Client, number: &str, bytes: Vec<u8>) -> Page {
    c.post_file(
        "/husleie/innlesing",
        &[("municipality", number)],
        ("OCR.D031226.txt", "text/plain", bytes),
    )
    .await
}

#[tokio::test]
async fn a_file_imports_only_where_its_account_is_registered_and_once_in_all_of_bosak() {
    let app = TestApp::spawn().await;
    let today = app.today();
    let l = charged(&app, "K", 1).await;
    // Stjørdal's file: KIDs start at 1 everywhere, so Levanger's leases have these KIDs too.
    let bytes = file("0000301", &[(Some(l[0].1.as_str()), RENT)], today);
    let imports_in = |n: &'static str| {
        let app = &app;
        async move {
            app.tenant(n)
                .await
                .scalar::<i64>("SELECT count(*) FROM rent_imports", &[])
                .await
        }
    };
    let mut levanger = app.login("levanger.saksbehandler").await;
    let refused = upload(&mut levanger, bytes.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let err = refused.text_of("#file-err");
    assert!(err.contains(&account_text(&demo_account(M))), "{err}");
    assert!(err.contains("ikke registrert som husleiekonto"), "{err}");
    // An office user cannot put it into one of its municipalities either.
    let mut office = app.login("kontor.saksbehandler").await;
    for number in ["5037", "5038"] {
        let page = upload_into(&mut office, number, bytes.clone()).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{number}");
    }
    assert_eq!(imports_in("5037").await + imports_in("5038").await, 0);

    // Imported where it belongs.
    let mut c = app.login(USER).await;
    let preview = upload(&mut c, bytes.clone()).await;
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(count(&app, PAYMENTS).await, 1);
    // The same transmission from the same sender, paid into Levanger's account, is the same
    // file: refused in Levanger too.
    let twin = ocr::write(&payments_file(
        &demo_account("5037"),
        "0000301",
        &[(Some("1"), 100)],
        today,
    ))
    .expect("a valid file");
    let page = upload(&mut levanger, twin).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text_of("#file-err").contains("forsendelse 0000301"),
        "{}",
        page.text_of("#file-err")
    );
    assert_eq!(imports_in("5037").await, 0);

    // An account removed between the preview and the confirm: refused at the confirm, nothing
    // imported.
    let next = file("0000302", &[(Some(l[0].1.as_str()), 100)], today);
    let preview = upload(&mut c, next).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    app.tenant(M)
        .await
        .exec(
            "DELETE FROM rent_bank_accounts WHERE municipality_id = $1",
            &[Arg::Municipality],
        )
        .await;
    let late = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.text.contains("ikke registrert som husleiekonto"));
    assert_eq!(count(&app, PAYMENTS).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM rent_imports WHERE status = 'imported'"
        )
        .await,
        1
    );
}
