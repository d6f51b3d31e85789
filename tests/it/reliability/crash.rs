//! Crash safety (ARCHITECTURE §8): concurrent writers over real HTTP against the real
//! `bosak serve` binary, which is killed with SIGKILL at random moments (a seeded RNG; the
//! seed is printed, `BOSAK_CRASH_SEED` replays the intervals between kills) and started again, while the writers
//! carry on. Then: every write that got its success answer is in the database, and no
//! write is partial, also those the kill cut off before the answer: each registration
//! has its household and audit event and the case numbers have no gap; each payment its
//! ledger entry, its settlement and its audit event; each charge run its charges and
//! audit event; each sent decision its archived letter (PDF and checksum) and audit
//! event. The ledgers balance: every open item is what its entry and settlements leave.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use uuid::Uuid;

use super::server::{try_get, try_post, Server};
use crate::applications::{fnr, registration};
use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};

const M: &str = "5037";
const USER: &str = "levanger.saksbehandler";
const KILLS: usize = 5;

/// What the server answered with success, per kind of write.
#[derive(Default)]
struct Acks {
    registrations: Vec<Uuid>,
    payments: Vec<(Uuid, Uuid)>,
    runs: Vec<NaiveDate>,
    drafts: Vec<Uuid>,
    sent: Vec<Uuid>,
    offers: Vec<Uuid>,
    /// Answers that were neither success nor a failed connection: each fails the test.
    unexpected: Vec<String>,
    /// Requests that got no answer: cut off by a kill, or refused while the server was
    /// down (the writers try again every 30 ms).
    lost: usize,
}

impl Acks {
    fn total(&self) -> usize {
        self.registrations.len()
            + self.payments.len()
            + self.runs.len()
            + self.drafts.len()
            + self.sent.len()
            + self.offers.len()
    }
}

type Shared = Arc<Mutex<Acks>>;

fn unexpected(acks: &Shared, what: &str, p: &Page) {
    let summary = p.text_of(".ds-error-summary, .ds-alert, h1");
    acks.lock()
        .unwrap()
        .unexpected
        .push(format!("{what}: {} {summary}", p.status));
}

/// Counts a request whose answer the kill took, and waits a moment: the server is being
/// restarted.
async fn lost(acks: &Shared) {
    acks.lock().unwrap().lost += 1;
    tokio::time::sleep(Duration::from_millis(30)).await;
}

/// Registers applications, one after another; hands each acknowledged case on to the
/// decision writer.
async fn register(
    mut c: Client,
    writer: u32,
    stop: Arc<AtomicBool>,
    acks: Shared,
    cases: tokio::sync::mpsc::UnboundedSender<Uuid>,
) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        // A birth date per write, so every applicant is a new person.
        let born = format!("{:02}{:02}{}", 1 + n % 28, 1 + (n / 28) % 12, 60 + writer);
        let fields = registration(&format!("Krasj {writer}-{n}"), &fnr(&born, n));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match try_post(&mut c, "/soknader/ny", &refs).await {
            Some(p) if p.status == StatusCode::SEE_OTHER => {
                let loc = p.location.clone().unwrap_or_default();
                let id = crate::applications::id_from(&loc);
                acks.lock().unwrap().registrations.push(id);
                let _ = cases.send(id);
            }
            Some(p) => unexpected(&acks, "registration", &p),
            None => lost(&acks).await,
        }
    }
}

/// Records small payments on the leases, each with a fresh one-time token from the ledger
/// page (a token whose answer was lost is not used again: that payment may or may not
/// exist, and the check looks at both).
async fn pay(mut c: Client, leases: Vec<Uuid>, today: String, stop: Arc<AtomicBool>, acks: Shared) {
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let lease = leases[i % leases.len()];
        i += 1;
        let path = format!("/leiekontrakter/{lease}/husleie");
        let Some(page) = try_get(&mut c, &path).await else {
            lost(&acks).await;
            continue;
        };
        let Some(token) = page.attr("input[name=token]", "value") else {
            unexpected(&acks, "ledger page", &page);
            continue;
        };
        let amount = format!("{},{:02}", 100 + i % 900, i % 100);
        let fields = [
            ("amount", amount.as_str()),
            ("paid_on", today.as_str()),
            ("payer", "nav"),
            ("note", "Krasjtest"),
            ("token", token.as_str()),
        ];
        match try_post(&mut c, &format!("{path}/innbetaling"), &fields).await {
            Some(p) if p.status == StatusCode::SEE_OTHER => {
                let token: Uuid = token.parse().expect("a uuid token");
                acks.lock().unwrap().payments.push((lease, token));
            }
            Some(p) => unexpected(&acks, "payment", &p),
            None => lost(&acks).await,
        }
    }
}

/// Offers each vacant unit to its first candidate. A request whose answer was lost is
/// sent again for the same applicant: an offer made then is found open and answered as
/// made.
async fn offers(mut c: Client, units: Vec<Uuid>, stop: Arc<AtomicBool>, acks: Shared) {
    for unit in units {
        let mut tried: Option<String> = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let applicant = match tried.clone() {
                Some(a) => a,
                None => {
                    let path = format!("/boliger/{unit}/kandidater");
                    let Some(page) = try_get(&mut c, &path).await else {
                        lost(&acks).await;
                        continue;
                    };
                    if page.status != StatusCode::OK {
                        unexpected(&acks, "candidates", &page);
                        break;
                    }
                    match page.attr("tr.bosak-candidate", "data-application") {
                        Some(a) => a,
                        None => break,
                    }
                }
            };
            let path = format!("/boliger/{unit}/tilbud");
            // New grants can outrank the applicant between the page and the offer: the
            // justification keeps a rank change from refusing it.
            let fields = [
                ("application_id", applicant.as_str()),
                (
                    "justification",
                    "Krasjtest: første kandidat da siden ble lest.",
                ),
            ];
            match try_post(&mut c, &path, &fields).await {
                Some(p) if p.status == StatusCode::SEE_OTHER => {
                    let loc = p.location.clone().unwrap_or_default();
                    let id = loc
                        .strip_prefix("/tilbud/")
                        .and_then(|r| Uuid::parse_str(r.get(..36)?).ok());
                    match id {
                        Some(id) => acks.lock().unwrap().offers.push(id),
                        None => unexpected(&acks, "offer (not to the offer)", &p),
                    }
                    break;
                }
                Some(p) => {
                    unexpected(&acks, "offer", &p);
                    break;
                }
                None => {
                    tried = Some(applicant);
                    lost(&acks).await;
                }
            }
        }
    }
}

/// Runs the charge run of each month in turn; a month whose answer was lost is tried again
/// (then it is either done, "already run", or not, and runs now).
async fn charge_runs(mut c: Client, months: Vec<NaiveDate>, stop: Arc<AtomicBool>, acks: Shared) {
    for month in months {
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let field = bosak::rent::model::month_field(month);
            match try_post(&mut c, "/husleie/terminer", &[("month", &field)]).await {
                Some(p) if p.status == StatusCode::SEE_OTHER => {
                    acks.lock().unwrap().runs.push(month);
                    break;
                }
                Some(p)
                    if p.status == StatusCode::UNPROCESSABLE_ENTITY
                        && p.text_of("#month-err").contains("allerede kjørt") =>
                {
                    break
                }
                Some(p) => {
                    unexpected(&acks, "charge run", &p);
                    break;
                }
                None => lost(&acks).await,
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn option_value(p: &Page, select: &str, label_contains: &str) -> Option<String> {
    let html = p.html();
    let sel = scraper::Selector::parse(&format!("{select} option")).unwrap();
    html.select(&sel)
        .find(|o| o.text().collect::<String>().contains(label_contains))
        .and_then(|o| o.value().attr("value").map(str::to_owned))
}

fn decision_version(p: &Page) -> Option<String> {
    p.attr(
        "form[action$='/punkter'] input[name=version], form[action$='/send'] input[name=version], \
         form[action$='/begrunnelse'] input[name=version]",
        "value",
    )
}

/// What one step of a decision came to: the page (a 303 for a form), None when the
/// connection was lost, Err for an answer that is neither (recorded).
type Step = Result<Option<Page>, ()>;

async fn post_step(c: &mut Client, path: &str, fields: &[(&str, &str)], acks: &Shared) -> Step {
    match try_post(c, path, fields).await {
        Some(p) if p.status == StatusCode::SEE_OTHER => Ok(Some(p)),
        Some(p) => {
            unexpected(acks, path, &p);
            Err(())
        }
        None => Ok(None),
    }
}

/// The decision page and the version its forms carry.
async fn version_step(
    c: &mut Client,
    path: &str,
    acks: &Shared,
) -> Result<Option<(Page, String)>, ()> {
    let Some(page) = try_get(c, path).await else {
        return Ok(None);
    };
    match decision_version(&page) {
        Some(v) => Ok(Some((page, v))),
        None => {
            unexpected(acks, path, &page);
            Err(())
        }
    }
}

/// Posts `fields` to the decision's form `action` with the version the page has now:
/// Ok(false) when a connection was lost.
async fn post_versioned(
    c: &mut Client,
    path: &str,
    action: &str,
    fields: &[(&str, &str)],
    acks: &Shared,
) -> Result<bool, ()> {
    let Some((_, v)) = version_step(c, path, acks).await? else {
        return Ok(false);
    };
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    Ok(post_step(c, &format!("{path}/{action}"), &all, acks)
        .await?
        .is_some())
}

/// A decision from draft to sent: Ok(true) sent, Ok(false) a connection was lost (the
/// case is tried again from the start: a second draft request lands on the same draft),
/// Err an answer that is neither.
///
/// `draft` is the decision an earlier attempt started: when a kill took the answer to its
/// sending, it is sent already (its page has no forms left), and a new draft request would
/// start a second decision.
async fn decide(
    c: &mut Client,
    application: Uuid,
    draft: &mut Option<Uuid>,
    today: &str,
    acks: &Shared,
) -> Result<bool, ()> {
    if let Some(id) = *draft {
        let Some(page) = try_get(c, &format!("/vedtak/{id}")).await else {
            return Ok(false);
        };
        if page.status == StatusCode::OK && decision_version(&page).is_none() {
            return Ok(true);
        }
    }
    let Some(p) = post_step(c, &format!("/soknader/{application}/vedtak"), &[], acks).await? else {
        return Ok(false);
    };
    let path = p.location.clone().unwrap_or_default();
    let id: Uuid = path
        .trim_start_matches("/vedtak/")
        .get(..36)
        .and_then(|s| s.parse().ok())
        .ok_or(())?;
    *draft = Some(id);
    {
        // A retry lands on the same draft: it counts once.
        let mut a = acks.lock().unwrap();
        if !a.drafts.contains(&id) {
            a.drafts.push(id);
        }
    }
    let Some((page, v)) = version_step(c, &path, acks).await? else {
        return Ok(false);
    };
    // A point already saved by an earlier attempt (whose answer was lost) is enough.
    if page.count("article.bosak-point") == 0 {
        let (Some(kind), Some(type_box)) = (
            option_value(&page, "#kind_id", "Kommunal bolig"),
            page.attr("#dwelling_types input[type=checkbox]", "name"),
        ) else {
            unexpected(acks, "decision page", &page);
            return Err(());
        };
        let fields = [
            ("version", v.as_str()),
            ("kind_id", kind.as_str()),
            ("outcome", "granted"),
            ("description", "Du får kommunal utleiebolig."),
            (type_box.as_str(), "1"),
            ("rooms", "2"),
            ("lease_months", "36"),
        ];
        if post_step(c, &format!("{path}/punkter"), &fields, acks)
            .await?
            .is_none()
        {
            return Ok(false);
        }
    }
    // The grounds (fvl. § 25), saved again on a retry: a save of the same text is harmless.
    let grounds = [
        (
            "grounds_rules",
            "Kommunen tildeler boliger etter sine tildelingsregler.",
        ),
        (
            "grounds_facts",
            "Du bor i dag hos venner og har ikke egen bolig.",
        ),
        ("grounds_considerations", "Behovet ditt for bolig er stort."),
        ("representative", ""),
    ];
    if !post_versioned(c, &path, "begrunnelse", &grounds, acks).await? {
        return Ok(false);
    }
    let send = [("dispatched_on", today), ("channel", "digital")];
    if !post_versioned(c, &path, "send", &send, acks).await? {
        return Ok(false);
    }
    acks.lock().unwrap().sent.push(id);
    Ok(true)
}

/// Decides the registered cases as they come: a draft, a granted point, sent digitally
/// (the letter is archived in the sending transaction).
async fn decisions(
    mut c: Client,
    today: String,
    stop: Arc<AtomicBool>,
    acks: Shared,
    mut cases: tokio::sync::mpsc::UnboundedReceiver<Uuid>,
) {
    while let Some(application) = cases.recv().await {
        let mut draft = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match decide(&mut c, application, &mut draft, &today, &acks).await {
                Ok(true) | Err(()) => break,
                Ok(false) => lost(&acks).await,
            }
        }
    }
}

/// What is in the database before the writers start: the checks look at what came after.
struct Before {
    case_seq: i32,
    payments: Vec<Uuid>,
    runs: Vec<Uuid>,
    sent: Vec<Uuid>,
    offers: Vec<Uuid>,
}

async fn before(app: &TestApp, year: i32) -> Before {
    let t = app.tenant(M).await;
    Before {
        case_seq: t
            .scalar(
                "SELECT coalesce(max(case_seq), 0) FROM applications WHERE case_year = $1",
                &[Arg::Int(year.into())],
            )
            .await,
        payments: t
            .column("SELECT id FROM rent_entries WHERE kind = 'payment'", &[])
            .await,
        runs: t.column("SELECT id FROM rent_charge_runs", &[]).await,
        sent: t
            .column("SELECT id FROM decisions WHERE status = 'sent'", &[])
            .await,
        offers: t.column("SELECT id FROM offers", &[]).await,
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_and_no_write_is_partial() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    let seed: u64 = std::env::var("BOSAK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash: seed {seed} (BOSAK_CRASH_SEED={seed} replays the intervals between kills)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let today = app.today();
    let year = today.year();
    let t = app.tenant(M).await;
    // Leases with a ledger (not drafts), and the months after the last one charged.
    let leases: Vec<Uuid> = t
        .column(
            "SELECT l.id FROM leases l WHERE l.status::text NOT IN ('draft')
              AND EXISTS (SELECT 1 FROM rent_entries e WHERE e.lease_id = l.id)
              ORDER BY l.id LIMIT 6",
            &[],
        )
        .await;
    assert!(
        leases.len() >= 2,
        "the demo has Levanger leases with ledgers"
    );
    let last_run: Option<NaiveDate> = t
        .scalar("SELECT max(month) FROM rent_charge_runs", &[])
        .await;
    let first = bosak::rent::model::next_month(last_run.unwrap_or(today).max(today));
    let months: Vec<NaiveDate> = (0..3)
        .map(|k| first.checked_add_months(chrono::Months::new(k)).unwrap())
        .collect();
    // Vacant units, each offered to its first candidate.
    let vacant: Vec<Uuid> = t
        .column(
            "SELECT id FROM dwellings WHERE status = 'vacant' ORDER BY id",
            &[],
        )
        .await;
    let before = before(&app, year).await;

    println!(
        "crash: database ready after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut server = Server::start(&app.db_url, 8).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acks: Shared = Default::default();
    let day = app.day(0);
    let mut writers = tokio::task::JoinSet::new();
    // Two registration writers, each handing its cases to a decision writer of its own.
    for w in 0..2 {
        let (cases_tx, cases_rx) = tokio::sync::mpsc::unbounded_channel();
        let c = server.login(USER).await;
        writers.spawn(register(c, w, stop.clone(), acks.clone(), cases_tx));
        let c = server.login(USER).await;
        writers.spawn(decisions(
            c,
            day.clone(),
            stop.clone(),
            acks.clone(),
            cases_rx,
        ));
    }
    for half in leases.chunks(leases.len().div_ceil(2)) {
        let c = server.login(USER).await;
        writers.spawn(pay(
            c,
            half.to_vec(),
            day.clone(),
            stop.clone(),
            acks.clone(),
        ));
    }
    let c = server.login(USER).await;
    writers.spawn(charge_runs(c, months, stop.clone(), acks.clone()));
    let c = server.login(USER).await;
    writers.spawn(offers(c, vacant, stop.clone(), acks.clone()));

    // Kills at random moments while the writers work, each after the server has been up
    // between 0.5 and 2.5 s.
    let mut kills = 0;
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(500..2500))).await;
        let done = acks.lock().unwrap().total();
        let down = Instant::now();
        server.crash_and_restart().await;
        kills += 1;
        println!(
            "crash: kill {kills} after {done} acknowledged writes; up again in {} ms",
            down.elapsed().as_millis()
        );
    }
    // The writers work on after the last restart, then stop.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(r) = writers.join_next().await {
        r.expect("a writer panicked");
    }
    drop(server);

    let acks = Arc::try_unwrap(acks)
        .ok()
        .expect("writers done")
        .into_inner()
        .unwrap();
    assert!(
        acks.unexpected.is_empty(),
        "answers that were neither success nor a lost connection:\n{}",
        acks.unexpected.join("\n")
    );
    let verified = verify(&app, &acks, &before, year).await;
    println!(
        "crash: writes acknowledged {} (registrations {}, payments {}, charge runs {}, drafts {}, \
         decisions sent {}, offers {}), writes verified {verified}, requests without an answer (cut off \
         by a kill or refused while down) {}, kills survived {kills}, {:.1} s",
        acks.total(),
        acks.registrations.len(),
        acks.payments.len(),
        acks.runs.len(),
        acks.drafts.len(),
        acks.sent.len(),
        acks.offers.len(),
        acks.lost,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(verified, acks.total());
    assert_eq!(kills, KILLS);
    for (what, n) in [
        ("registrations", acks.registrations.len()),
        ("payments", acks.payments.len()),
        ("charge runs", acks.runs.len()),
        ("decisions sent", acks.sent.len()),
        ("offers", acks.offers.len()),
    ] {
        assert!(
            n > 0,
            "no {what} acknowledged: the load did not reach every path"
        );
    }
}

/// Checks every acknowledged write and the completeness of every write since `before`;
/// returns how many acknowledged writes were found.
async fn verify(app: &TestApp, acks: &Acks, before: &Before, year: i32) -> usize {
    let t = app.tenant(M).await;
    let mut verified = 0;
    let ids = |v: &[Uuid]| {
        Arg::Text(format!(
            "{{{}}}",
            v.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
        ))
    };

    // Registrations: there, with household and audit event; numbers without a gap.
    let found: i64 = t
        .scalar(
            "SELECT count(*) FROM applications WHERE id = ANY($1::uuid[])",
            &[ids(&acks.registrations)],
        )
        .await;
    assert_eq!(
        found as usize,
        acks.registrations.len(),
        "acknowledged registrations lost"
    );
    verified += found as usize;
    let seqs: Vec<i32> = t
        .column(
            "SELECT case_seq FROM applications WHERE case_year = $1 AND case_seq > $2 ORDER BY case_seq",
            &[Arg::Int(year.into()), Arg::Int(before.case_seq.into())],
        )
        .await;
    let expected: Vec<i32> = (before.case_seq + 1..=before.case_seq + seqs.len() as i32).collect();
    assert_eq!(seqs, expected, "case numbers with a gap");
    let counter: i32 = t
        .scalar(
            "SELECT last_number FROM case_number_counters WHERE municipality_id = $1 AND year = $2",
            &[Arg::Municipality, Arg::Int(year.into())],
        )
        .await;
    assert_eq!(
        counter,
        before.case_seq + seqs.len() as i32,
        "the counter and the cases agree"
    );
    let partial: i64 = t
        .scalar(
            "SELECT count(*) FROM applications a
              WHERE a.case_year = $1 AND a.case_seq > $2
                AND (NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'application.registered'
                                    AND e.entity_id = a.id::text)
                     OR (SELECT count(*) FROM application_members m WHERE m.application_id = a.id) <> 2)",
            &[Arg::Int(year.into()), Arg::Int(before.case_seq.into())],
        )
        .await;
    assert_eq!(
        partial, 0,
        "registrations without their audit event or household"
    );

    // Payments: each acknowledged token has its entry; every new payment its audit event.
    let tokens: Vec<Uuid> = acks.payments.iter().map(|(_, t)| *t).collect();
    let found: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_entries WHERE kind = 'payment' AND idempotency_key = ANY($1::uuid[])",
            &[ids(&tokens)],
        )
        .await;
    assert_eq!(found as usize, tokens.len(), "acknowledged payments lost");
    verified += found as usize;
    let partial: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_entries p
              WHERE p.kind = 'payment' AND NOT (p.id = ANY($1::uuid[]))
                AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'rent.payment_recorded'
                                   AND e.details->>'entry' = p.id::text)",
            &[ids(&before.payments)],
        )
        .await;
    assert_eq!(partial, 0, "payments without their audit event");

    // Charge runs: each acknowledged month run once; every new run has all its charges
    // (the count and total it recorded) and its audit event.
    let months: Vec<NaiveDate> = t
        .column(
            "SELECT month FROM rent_charge_runs WHERE NOT (id = ANY($1::uuid[]))",
            &[ids(&before.runs)],
        )
        .await;
    for m in &acks.runs {
        assert!(months.contains(m), "acknowledged charge run of {m} lost");
        verified += 1;
    }
    let partial: i64 = t
        .scalar(
            "SELECT count(*) FROM rent_charge_runs r
              WHERE NOT (r.id = ANY($1::uuid[]))
                AND (r.charges <> (SELECT count(*) FROM rent_entries e WHERE e.charge_run_id = r.id)
                  OR r.total <> (SELECT coalesce(sum(amount), 0) FROM rent_entries e WHERE e.charge_run_id = r.id)
                  OR r.charges = 0
                  OR NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'rent_run.started'
                                    AND a.entity_id = r.id::text))",
            &[ids(&before.runs)],
        )
        .await;
    assert_eq!(
        partial, 0,
        "charge runs without their charges or audit event"
    );

    // Decisions: drafts there with their audit event; each sent one with its archived
    // letter, whose checksum is its PDF's, and its audit event.
    let found: i64 = t
        .scalar(
            "SELECT count(*) FROM decisions d WHERE d.id = ANY($1::uuid[])
                AND EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'decision.created'
                               AND e.entity_id = d.id::text)",
            &[ids(&acks.drafts)],
        )
        .await;
    assert_eq!(
        found as usize,
        acks.drafts.len(),
        "acknowledged drafts lost"
    );
    verified += found as usize;
    let found: i64 = t
        .scalar(
            "SELECT count(*) FROM decisions WHERE id = ANY($1::uuid[]) AND status = 'sent'",
            &[ids(&acks.sent)],
        )
        .await;
    assert_eq!(
        found as usize,
        acks.sent.len(),
        "acknowledged sent decisions lost"
    );
    verified += found as usize;
    let partial: i64 = t
        .scalar(
            "SELECT count(*) FROM decisions d
              WHERE d.status = 'sent' AND NOT (d.id = ANY($1::uuid[]))
                AND (NOT EXISTS (SELECT 1 FROM sent_letters l
                                  WHERE l.entity_id = d.id AND l.kind = 'decision'
                                    AND length(l.pdf) > 0
                                    AND l.sha256 = encode(sha256(l.pdf), 'hex'))
                  OR NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'decision.sent'
                                    AND e.entity_id = d.id::text))",
            &[ids(&before.sent)],
        )
        .await;
    assert_eq!(
        partial, 0,
        "sent decisions without their archived letter or audit event"
    );

    // Offers: each acknowledged one is there; every new one reserved its unit, moved its
    // case to "offered", and has its archived letter and audit event.
    let found: i64 = t
        .scalar(
            "SELECT count(*) FROM offers WHERE id = ANY($1::uuid[])",
            &[ids(&acks.offers)],
        )
        .await;
    assert_eq!(
        found as usize,
        acks.offers.len(),
        "acknowledged offers lost"
    );
    verified += found as usize;
    let partial: i64 = t
        .scalar(
            "SELECT count(*) FROM offers o
              WHERE NOT (o.id = ANY($1::uuid[]))
                AND (NOT EXISTS (SELECT 1 FROM dwellings d WHERE d.id = o.dwelling_id AND d.status = 'reserved')
                  OR NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = o.application_id AND a.status = 'offered')
                  OR NOT EXISTS (SELECT 1 FROM sent_letters l
                                  WHERE l.entity_id = o.id AND l.kind = 'offer' AND length(l.pdf) > 0
                                    AND l.sha256 = encode(sha256(l.pdf), 'hex'))
                  OR NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'offer.created'
                                    AND e.entity_id = o.id::text))",
            &[ids(&before.offers)],
        )
        .await;
    assert_eq!(
        partial, 0,
        "offers without their reserved unit, offered case, archived letter or audit event"
    );
    let twice: i64 = t
        .scalar(
            "SELECT count(*) FROM (SELECT dwelling_id FROM offers WHERE status = 'open'
                                     GROUP BY dwelling_id HAVING count(*) > 1) x",
            &[],
        )
        .await;
    assert_eq!(twice, 0, "a unit with two open offers");

    // The ledgers balance: every open item is its entry less its settlements, each
    // lease's balance (the sum of its entries) is the sum of its open items, and no lease
    // has money unspent while a debit is open (payments settle at once).
    crate::rent::assert_open_items_agree(app, M).await;
    let unbalanced: i64 = t
        .scalar(
            "SELECT count(*) FROM (
               SELECT e.lease_id, sum(e.amount) AS balance FROM rent_entries e GROUP BY e.lease_id) b
               LEFT JOIN (SELECT lease_id, sum(open) AS open FROM rent_open_items GROUP BY lease_id) o
                 USING (lease_id)
              WHERE b.balance <> coalesce(o.open, 0)",
            &[],
        )
        .await;
    assert_eq!(
        unbalanced, 0,
        "a lease's balance is not the sum of its open items"
    );
    let leases: Vec<Uuid> = acks.payments.iter().map(|(l, _)| *l).collect();
    let unsettled: i64 = t
        .scalar(
            "SELECT count(DISTINCT lease_id) FROM rent_open_items o
              WHERE o.lease_id = ANY($1::uuid[]) AND o.open < 0
                AND EXISTS (SELECT 1 FROM rent_open_items d WHERE d.lease_id = o.lease_id AND d.open > 0)",
            &[ids(&leases)],
        )
        .await;
    assert_eq!(
        unsettled, 0,
        "a payment left unsettled while a charge is open"
    );
    verified
}
