//! The rent ledger's pure rules: a month's rent pro rata, settlement of debits by credits
//! (oldest first, a named charge first), and the forms' parsing and messages.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use crate::web::format::{parse_date, parse_kroner};
use crate::web::forms::FormErrors;

// ---------------------------------------------------------------------------------------
// Months and pro rata

/// The first day of the month `d` lies in.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `month`.
pub fn next_month(month: NaiveDate) -> NaiveDate {
    month_of(month)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// How many days `month` has.
pub fn days_in_month(month: NaiveDate) -> i64 {
    (next_month(month) - month_of(month)).num_days()
}

/// A change of the monthly rent (øre), in force from its effective date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RentChange {
    pub effective_on: NaiveDate,
    pub monthly_rent: i64,
}

/// A month's rent charge for one lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthCharge {
    pub amount: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
}

/// The rent a lease owes for `month`: for every day of the month the lease runs (from
/// `starts_on` to `last_day`, inclusive; None = open-ended), the monthly rent in force that
/// day (the latest change effective on or before it) divided by the days of the month;
/// summed exactly and rounded once, half up, to whole øre. A full month at one rent is
/// exactly that rent. None when the lease does not run in the month or nothing is owed.
///
/// The charge run computes the same in SQL (`repo::CHARGES`); a test checks they agree.
pub fn month_charge(
    month: NaiveDate,
    starts_on: NaiveDate,
    last_day: Option<NaiveDate>,
    changes: &[RentChange],
) -> Option<MonthCharge> {
    let first = month_of(month);
    let last = next_month(first).pred_opt()?;
    let from = first.max(starts_on);
    let to = last_day.map_or(last, |e| e.min(last));
    if from > to {
        return None;
    }
    let mut sorted = changes.to_vec();
    sorted.sort_by_key(|c| c.effective_on);
    let mut sum: i128 = 0;
    for (i, c) in sorted.iter().enumerate() {
        let seg_from = c.effective_on.max(from);
        let seg_to = sorted
            .get(i + 1)
            .and_then(|n| n.effective_on.pred_opt())
            .map_or(to, |e| e.min(to));
        if seg_from <= seg_to {
            let days = (seg_to - seg_from).num_days() + 1;
            sum += i128::from(c.monthly_rent) * i128::from(days);
        }
    }
    let dim = i128::from(days_in_month(first));
    let amount = i64::try_from((sum * 2 + dim) / (2 * dim)).ok()?;
    (amount > 0).then_some(MonthCharge {
        amount,
        period_from: from,
        period_to: to,
    })
}

// ---------------------------------------------------------------------------------------
// Settlement

/// What the tenant owes on one entry (a charge, fee or upward correction), not yet paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Debit<I> {
    pub id: I,
    pub applies_on: NaiveDate,
    pub open: i64,
}

/// What a payment, credit or downward correction has left to settle with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credit<I> {
    pub id: I,
    pub applies_on: NaiveDate,
    pub left: i64,
    /// The charge it names (by KID or by hand): settled first.
    pub names: Option<I>,
}

/// One settlement: `amount` øre of `debit` paid by `credit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement<I> {
    pub debit: I,
    pub credit: I,
    pub amount: i64,
}

/// Settles one lease's open debits with its unspent credits: the debits a credit names
/// come first, then the oldest (by date, then id); the credits are spent oldest first.
/// Laid end to end, each debit and each credit is an interval of øre; a settlement is the
/// overlap of a debit's interval with a credit's — so the SQL in `repo::settle` is the
/// same computation with window sums. What is left of the credits stays as credit.
pub fn settle<I: Ord + Copy>(debits: &[Debit<I>], credits: &[Credit<I>]) -> Vec<Settlement<I>> {
    let named: Vec<I> = credits
        .iter()
        .filter(|c| c.left > 0)
        .filter_map(|c| c.names)
        .collect();
    let mut d: Vec<&Debit<I>> = debits.iter().filter(|d| d.open > 0).collect();
    d.sort_by_key(|x| (!named.contains(&x.id), x.applies_on, x.id));
    let mut c: Vec<&Credit<I>> = credits.iter().filter(|c| c.left > 0).collect();
    c.sort_by_key(|x| (x.applies_on, x.id));
    let mut out = Vec::new();
    let (mut di, mut ci) = (0, 0);
    let (mut d_used, mut c_used) = (0i64, 0i64);
    while di < d.len() && ci < c.len() {
        let take = (d[di].open - d_used).min(c[ci].left - c_used);
        out.push(Settlement {
            debit: d[di].id,
            credit: c[ci].id,
            amount: take,
        });
        d_used += take;
        c_used += take;
        if d_used == d[di].open {
            di += 1;
            d_used = 0;
        }
        if c_used == c[ci].left {
            ci += 1;
            c_used = 0;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Entries as pages show them

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    Tenant,
    Nav,
    Bostotte,
    Other,
}

impl Payer {
    pub const ALL: [Payer; 4] = [Payer::Tenant, Payer::Nav, Payer::Bostotte, Payer::Other];

    pub fn key(self) -> &'static str {
        match self {
            Payer::Tenant => "tenant",
            Payer::Nav => "nav",
            Payer::Bostotte => "bostotte",
            Payer::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Payer::Tenant => "Leietaker",
            Payer::Nav => "NAV",
            Payer::Bostotte => "Bostøtte",
            Payer::Other => "Annen",
        }
    }
}

/// An entry kind's Norwegian name.
pub fn kind_label(kind: &str, charge_kind: Option<&str>) -> &'static str {
    match (kind, charge_kind) {
        ("charge", Some("rent")) => "Husleie",
        ("charge", _) => "Annet krav",
        ("payment", _) => "Innbetaling",
        ("credit", _) => "Kreditering",
        ("fee", _) => "Gebyr",
        ("correction", _) => "Korrigering",
        _ => "Post",
    }
}

pub const NO_AMOUNT: &str = "Skriv beløpet i kroner, for eksempel 6 250,00.";
pub const ZERO_AMOUNT: &str = "Beløpet må være større enn 0.";
pub const TOO_LARGE: &str = "Beløpet er for stort.";
pub const NO_DATE: &str = "Skriv datoen som dd.mm.åååå.";
pub const FUTURE_DATE: &str = "Datoen kan ikke være etter i dag.";
pub const NO_PAYER: &str = "Velg hvem som betalte.";
pub const NO_REASON: &str = "Skriv hvorfor.";
pub const LONG_NOTE: &str = "Teksten kan være høyst 2000 tegn.";
pub const NO_ENTRY: &str = "Velg posten som skal korrigeres.";
pub const NO_DIRECTION: &str = "Velg om leietakeren skal skylde mer eller mindre.";
pub const NO_MONTH: &str = "Velg en måned.";
pub const MONTH_RUN: &str = "Terminen for denne måneden er allerede kjørt.";
pub const NO_TOKEN: &str =
    "Skjemaet manglet sin engangsnøkkel, så ingenting ble lagret. Kontroller verdiene og send på nytt.";
pub const DRAFT_LEASE: &str =
    "Leiekontrakten er et utkast. Innbetalinger og justeringer føres når den er signert.";

/// The largest amount a form takes: ten million kroner.
pub const MAX_AMOUNT: i64 = 1_000_000_000;

fn amount(errors: &mut FormErrors, field: &'static str, input: &str) -> i64 {
    match parse_kroner(input) {
        None => {
            errors.add(field, NO_AMOUNT);
            0
        }
        Some(0) => {
            errors.add(field, ZERO_AMOUNT);
            0
        }
        Some(a) if a > MAX_AMOUNT => {
            errors.add(field, TOO_LARGE);
            0
        }
        Some(a) => a,
    }
}

fn day(errors: &mut FormErrors, field: &'static str, input: &str, today: NaiveDate) -> NaiveDate {
    match parse_date(input) {
        None => {
            errors.add(field, NO_DATE);
            today
        }
        Some(d) if d > today => {
            errors.add(field, FUTURE_DATE);
            today
        }
        Some(d) => d,
    }
}

fn note(errors: &mut FormErrors, input: &str) -> String {
    let n = input.trim().to_string();
    if n.chars().count() > 2000 {
        errors.add("note", LONG_NOTE);
    }
    n
}

/// The form's one-time token, required: without it a double submit would record twice.
fn token(e: &mut FormErrors, field: &'static str, input: &str) -> Uuid {
    Uuid::parse_str(input.trim()).unwrap_or_else(|_| {
        e.add(field, NO_TOKEN);
        Uuid::nil()
    })
}

/// The payment form as typed.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct PaymentForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub paid_on: String,
    #[serde(default)]
    pub payer: String,
    #[serde(default)]
    pub note: String,
    /// The form's one-time token: the same token twice records one payment.
    #[serde(default)]
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct PaymentInput {
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub payer: Payer,
    pub note: String,
    pub token: Uuid,
}

impl PaymentForm {
    pub fn parse(&self, today: NaiveDate) -> Result<PaymentInput, FormErrors> {
        let mut e = FormErrors::new();
        let amount = amount(&mut e, "amount", &self.amount);
        let paid_on = day(&mut e, "paid_on", &self.paid_on, today);
        let payer = Payer::parse(self.payer.trim());
        if payer.is_none() {
            e.add("payer", NO_PAYER);
        }
        let note = note(&mut e, &self.note);
        let token = token(&mut e, "token", &self.token);
        match payer {
            Some(payer) if e.is_empty() => Ok(PaymentInput {
                amount,
                paid_on,
                payer,
                note,
                token,
            }),
            _ => Err(e),
        }
    }
}

/// The adjustment form as typed: a credit (no entry named; the tenant owes less) or a
/// correction of a named entry, either way. Its fields have their own names, so they never
/// share an id with the payment form's on the same page.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct AdjustForm {
    #[serde(default)]
    pub adj_amount: String,
    #[serde(default)]
    pub adj_on: String,
    /// "more" or "less".
    #[serde(default)]
    pub direction: String,
    /// The entry corrected; empty for a credit.
    #[serde(default)]
    pub corrects: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub adj_token: String,
}

#[derive(Clone, Debug)]
pub struct AdjustInput {
    /// Signed: positive = the tenant owes more.
    pub amount: i64,
    pub applies_on: NaiveDate,
    /// None: a credit.
    pub corrects: Option<Uuid>,
    pub note: String,
    pub token: Uuid,
}

impl AdjustForm {
    pub fn parse(&self, today: NaiveDate) -> Result<AdjustInput, FormErrors> {
        let mut e = FormErrors::new();
        let a = amount(&mut e, "adj_amount", &self.adj_amount);
        let applies_on = day(&mut e, "adj_on", &self.adj_on, today);
        let corrects = match self.corrects.trim() {
            "" => None,
            s => match Uuid::parse_str(s) {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add("corrects", NO_ENTRY);
                    None
                }
            },
        };
        let sign = match self.direction.trim() {
            "more" if corrects.is_some() => 1,
            // Owing more without naming an entry is a new charge, not a correction.
            "more" => {
                e.add("corrects", NO_ENTRY);
                1
            }
            "less" => -1,
            _ => {
                e.add("direction", NO_DIRECTION);
                0
            }
        };
        let note = self.reason.trim().to_string();
        if note.is_empty() {
            e.add("reason", NO_REASON);
        } else if note.chars().count() > 2000 {
            e.add("reason", LONG_NOTE);
        }
        let token = token(&mut e, "adj_token", &self.adj_token);
        ok_if_empty(e).map(|()| AdjustInput {
            amount: sign * a,
            applies_on,
            corrects,
            note,
            token,
        })
    }
}

fn ok_if_empty(e: FormErrors) -> Result<(), FormErrors> {
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

/// The charge-run form: a month as `yyyy-mm`.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct RunForm {
    #[serde(default)]
    pub month: String,
}

impl RunForm {
    pub fn parse(&self) -> Result<NaiveDate, FormErrors> {
        let mut e = FormErrors::new();
        match parse_month(&self.month) {
            Some(m) => Ok(m),
            None => {
                e.add("month", NO_MONTH);
                Err(e)
            }
        }
    }
}

/// `yyyy-mm` → the first day of that month.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.trim().split_once('-')?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// The first day of a month → `yyyy-mm`.
pub fn month_field(m: NaiveDate) -> String {
    format!("{:04}-{:02}", m.year(), m.month())
}

/// "januar 2027".
pub fn month_text(m: NaiveDate) -> String {
    const NAMES: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    format!("{} {}", NAMES[m.month0() as usize], m.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rent(on: NaiveDate, r: i64) -> RentChange {
        RentChange {
            effective_on: on,
            monthly_rent: r,
        }
    }

    #[test]
    fn a_full_month_is_the_rent_and_partial_months_count_days() {
        let ch = [rent(d(2026, 1, 1), 900_000)];
        let full = month_charge(d(2027, 2, 1), d(2026, 1, 1), None, &ch).unwrap();
        assert_eq!(full.amount, 900_000);
        assert_eq!(
            (full.period_from, full.period_to),
            (d(2027, 2, 1), d(2027, 2, 28))
        );
        // Moving in on 15 February 2027: 14 of 28 days.
        let start = month_charge(d(2027, 2, 1), d(2027, 2, 15), None, &ch).unwrap();
        assert_eq!(start.amount, 450_000);
        assert_eq!(start.period_from, d(2027, 2, 15));
        // Moving out on 10 March: 10 of 31 days, 290 322.58… → 290 323.
        let end = month_charge(d(2027, 3, 1), d(2026, 1, 1), Some(d(2027, 3, 10)), &ch).unwrap();
        assert_eq!(end.amount, 290_323);
        assert_eq!(end.period_to, d(2027, 3, 10));
        // Leap February: 29 days.
        let leap = month_charge(d(2028, 2, 1), d(2028, 2, 29), None, &ch).unwrap();
        assert_eq!(leap.amount, 31_034);
        // Not running in the month, or ended before it.
        assert_eq!(month_charge(d(2027, 2, 1), d(2027, 3, 1), None, &ch), None);
        assert_eq!(
            month_charge(d(2027, 2, 1), d(2026, 1, 1), Some(d(2027, 1, 31)), &ch),
            None
        );
    }

    #[test]
    fn a_rent_change_counts_from_its_effective_date() {
        let ch = [rent(d(2026, 1, 1), 600_000), rent(d(2027, 4, 16), 900_000)];
        // April 2027: 15 days at 6 000, 15 days at 9 000 → 7 500.
        let c = month_charge(d(2027, 4, 1), d(2026, 1, 1), None, &ch).unwrap();
        assert_eq!(c.amount, 750_000);
        // A change before the month only: the new rent all month.
        let may = month_charge(d(2027, 5, 1), d(2026, 1, 1), None, &ch).unwrap();
        assert_eq!(may.amount, 900_000);
        // No rent before the first change: the days before it cost nothing.
        let late = [rent(d(2027, 4, 16), 900_000)];
        let c = month_charge(d(2027, 4, 1), d(2027, 4, 1), None, &late).unwrap();
        assert_eq!(c.amount, 450_000);
    }

    fn ids(s: &[Settlement<u32>]) -> Vec<(u32, u32, i64)> {
        s.iter().map(|x| (x.debit, x.credit, x.amount)).collect()
    }

    #[test]
    fn oldest_first_a_named_charge_first_and_overpayment_stays() {
        let debits = [
            Debit {
                id: 2,
                applies_on: d(2027, 2, 1),
                open: 500,
            },
            Debit {
                id: 1,
                applies_on: d(2027, 1, 1),
                open: 500,
            },
            Debit {
                id: 3,
                applies_on: d(2027, 3, 1),
                open: 500,
            },
        ];
        let pay = |left, names| Credit {
            id: 10,
            applies_on: d(2027, 3, 5),
            left,
            names,
        };
        assert_eq!(
            ids(&settle(&debits, &[pay(700, None)])),
            vec![(1, 10, 500), (2, 10, 200)]
        );
        assert_eq!(
            ids(&settle(&debits, &[pay(700, Some(3))])),
            vec![(3, 10, 500), (1, 10, 200)]
        );
        // Overpayment: everything settled, 300 left as credit.
        let s = settle(&debits, &[pay(1800, None)]);
        assert_eq!(s.iter().map(|x| x.amount).sum::<i64>(), 1500);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Charge(i64),
        Pay(i64, bool),
        Correct(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..2_000_000).prop_map(Op::Charge),
            (1i64..3_000_000, any::<bool>()).prop_map(|(a, n)| Op::Pay(a, n)),
            (-1_000_000i64..1_000_000)
                .prop_filter("non-zero", |a| *a != 0)
                .prop_map(Op::Correct),
        ]
    }

    proptest! {
        /// A ledger under any sequence of charges, payments and corrections, settled after
        /// each entry as the commands do: the balance is the sum of the entries and equals
        /// the open debits minus the unspent credits; never both are left; no øre is lost
        /// or made; open charges are the newest ones (oldest first), unless named.
        #[test]
        fn no_lost_ore_under_any_sequence(ops in prop::collection::vec(op(), 1..40)) {
            // (id, signed amount, day)
            let mut entries: Vec<(u32, i64, NaiveDate)> = Vec::new();
            let mut names: Vec<Option<u32>> = Vec::new();
            let mut settled: Vec<Settlement<u32>> = Vec::new();
            let mut day = d(2027, 1, 1);
            for (i, o) in ops.iter().enumerate() {
                let id = i as u32;
                day = day.succ_opt().unwrap();
                let (amount, named) = match o {
                    Op::Charge(a) => (*a, None),
                    Op::Pay(a, n) => {
                        // Name the newest charge that is still open, when asked to.
                        let newest = entries.iter().rev().find(|e| e.1 > 0).map(|e| e.0);
                        (-a, if *n { newest } else { None })
                    }
                    Op::Correct(a) => (*a, None),
                };
                entries.push((id, amount, day));
                names.push(named);
                fn used_in(settled: &[Settlement<u32>], e: u32, debit: bool) -> i64 {
                    settled.iter().filter(|s| if debit { s.debit == e } else { s.credit == e }).map(|s| s.amount).sum()
                }
                let used = |e: u32, debit: bool| used_in(&settled, e, debit);
                let debits: Vec<Debit<u32>> = entries.iter().filter(|e| e.1 > 0)
                    .map(|e| Debit { id: e.0, applies_on: e.2, open: e.1 - used(e.0, true) }).collect();
                let credits: Vec<Credit<u32>> = entries.iter().filter(|e| e.1 < 0)
                    .map(|e| Credit { id: e.0, applies_on: e.2, left: -e.1 - used(e.0, false), names: names[e.0 as usize] }).collect();
                let new = settle(&debits, &credits);
                for s in &new {
                    prop_assert!(s.amount > 0);
                }
                settled.extend(new);
                let used = |e: u32, debit: bool| used_in(&settled, e, debit);
                let open: i64 = entries.iter().filter(|e| e.1 > 0).map(|e| e.1 - used(e.0, true)).sum();
                let unspent: i64 = entries.iter().filter(|e| e.1 < 0).map(|e| -e.1 - used(e.0, false)).sum();
                let balance: i64 = entries.iter().map(|e| e.1).sum();
                prop_assert!(entries.iter().filter(|e| e.1 > 0).all(|e| used(e.0, true) <= e.1));
                prop_assert!(entries.iter().filter(|e| e.1 < 0).all(|e| used(e.0, false) <= -e.1));
                prop_assert_eq!(balance, open - unspent);
                prop_assert!(open == 0 || unspent == 0, "open {} and unspent {}", open, unspent);
            }
        }

        /// Without named charges the open debits are a suffix of the debits by date: an older
        /// one is never open while a newer one is (partly) paid.
        #[test]
        fn settlement_is_oldest_first(opens in prop::collection::vec(1i64..10_000, 1..20), pay in 1i64..200_000) {
            let debits: Vec<Debit<u32>> = opens.iter().enumerate()
                .map(|(i, &o)| Debit { id: i as u32, applies_on: d(2027, 1, 1) + chrono::Days::new(i as u64), open: o }).collect();
            let s = settle(&debits, &[Credit { id: 999, applies_on: d(2028, 1, 1), left: pay, names: None }]);
            let paid: Vec<i64> = debits.iter().map(|x| s.iter().filter(|y| y.debit == x.id).map(|y| y.amount).sum()).collect();
            let total: i64 = paid.iter().sum();
            prop_assert_eq!(total, pay.min(opens.iter().sum()));
            for i in 1..paid.len() {
                if paid[i] > 0 {
                    prop_assert_eq!(paid[i - 1], opens[i - 1]);
                }
            }
        }

        /// Pro rata never loses øre across a split month: the two parts of a month split at
        /// any day add up to the full month's rent within one øre of rounding each.
        #[test]
        fn pro_rata_parts_add_up(rent_ore in 0i64..10_000_000, split in 1u32..28, feb in any::<bool>()) {
            let month = if feb { d(2028, 2, 1) } else { d(2027, 7, 1) };
            let ch = [RentChange { effective_on: d(2020, 1, 1), monthly_rent: rent_ore }];
            let split_day = month.with_day(split).unwrap();
            let a = month_charge(month, d(2020, 1, 1), Some(split_day), &ch).map_or(0, |c| c.amount);
            let b = month_charge(month, split_day.succ_opt().unwrap(), None, &ch).map_or(0, |c| c.amount);
            let full = month_charge(month, d(2020, 1, 1), None, &ch).map_or(0, |c| c.amount);
            prop_assert_eq!(full, rent_ore);
            prop_assert!((a + b - full).abs() <= 1);
        }
    }
}
