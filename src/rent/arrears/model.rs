//! The arrears follow-up's forms, the steps' database names, the legally required texts
//! of the ladder's letters, and the ageing of unpaid charges. Pure: no I/O.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::rent::ladder::{Instalment, Step};
use crate::web::format::{parse_date, parse_kroner};
use crate::web::forms::FormErrors;

/// A step's name in the database (`rent_arrears_steps.step`).
pub fn step_key(s: Step) -> &'static str {
    match s {
        Step::Reminder => "reminder",
        Step::Contact => "contact",
        Step::NavNotice => "nav_notice",
        Step::PaymentPlan => "payment_plan",
        Step::Warning => "warning",
        Step::EnforcementRequest => "enforcement_request",
        Step::EvictionDate => "eviction_date",
        Step::CarriedOut => "carried_out",
        Step::Avoided => "avoided",
    }
}

pub fn parse_step(key: &str) -> Option<Step> {
    Step::ALL.into_iter().find(|s| step_key(*s) == key)
}

/// The step as a heading or a list entry.
pub fn step_label(s: Step) -> &'static str {
    match s {
        Step::Reminder => "Purring",
        Step::Contact => "Kontakt/samtale",
        Step::NavNotice => "Varsel til NAV (husleieloven § 9-11)",
        Step::PaymentPlan => "Betalingsplan",
        Step::Warning => "Varsel om fravikelse (tvangsfullbyrdelsesloven § 4-18)",
        Step::EnforcementRequest => "Begjæring om fravikelse til namsmannen",
        Step::EvictionDate => "Dato for utkastelse",
        Step::CarriedOut => "Utkastelse gjennomført",
        Step::Avoided => "Utkastelse avverget",
    }
}

/// Whether the step sends a letter (archived as sent).
pub fn sends_letter(s: Step) -> bool {
    matches!(
        s,
        Step::Reminder
            | Step::NavNotice
            | Step::PaymentPlan
            | Step::Warning
            | Step::EnforcementRequest
    )
}

// ---------------------------------------------------------------------------------------
// The legally required texts (printed verbatim; tests look for them in the PDFs)

/// Husleieloven § 9-11 first paragraph: the notice to NAV, with a copy to the tenant.
pub const NAV_NOTICE_TEXT: &str = "Dette varselet sendes etter husleieloven § 9-11 første ledd, fordi leietakeren har misligholdt leieavtalen på en måte som kan føre til at utleier krever fravikelse. Kopi av varselet er sendt til leietakeren.";
/// Husleieloven § 9-11 second paragraph: the tenant may refuse the notice to NAV.
pub const NAV_REFUSAL_TEXT: &str = "Etter husleieloven § 9-11 kan utleier varsle NAV om misligholdet. Du kan skriftlig reservere deg mot at NAV blir varslet.";
/// Tvangsfullbyrdelsesloven § 4-18: the warning and how eviction is avoided.
pub const WARNING_TEXT: &str = "Dersom kravet ikke er betalt innen 14 dager etter at dette varselet er mottatt, vil utleier begjære tvangsfullbyrdelse (fravikelse) etter tvangsfullbyrdelsesloven § 4-18 og § 13-2 tredje ledd.";
pub const AVOID_TEXT: &str = "Fravikelse kan avverges ved at leien, renter og kostnader er betalt før fravikelsen gjennomføres.";
/// Tvangsfullbyrdelsesloven § 13-2 third paragraph (a) and § 13-6: the request.
pub const REQUEST_TEXT: &str = "Utleier begjærer fravikelse etter tvangsfullbyrdelsesloven § 13-2 tredje ledd bokstav a, fordi leien ikke er betalt. Varsel etter tvangsfullbyrdelsesloven § 4-18 er sendt, og fristen i varselet er ute.";
/// A payment plan: what happens when it is not kept.
pub const PLAN_TEXT: &str = "Betales ikke et avdrag innen forfall, er betalingsplanen brutt, og utleier kan gå videre med varsel om fravikelse etter tvangsfullbyrdelsesloven § 4-18.";

// ---------------------------------------------------------------------------------------
// The step form

pub const NO_STEP: &str = "Velg trinnet som skal registreres.";
pub const NO_DATE: &str = "Skriv datoen som dd.mm.åååå.";
pub const FUTURE_DATE: &str = "Datoen kan ikke være etter i dag.";
/// The ladder's periods run from the day a letter is sent, and Bosak sends it the day the
/// step is recorded: a letter step dated earlier would start its period before the tenant
/// had the letter.
pub const LETTER_TODAY: &str =
    "Et trinn som sender brev, får dagens dato: fristene regnes fra dagen brevet sendes.";
pub const NO_EVICTION_DATE: &str =
    "Skriv datoen namsmannen har berammet utkastelsen til (dd.mm.åååå).";
pub const EVICTION_BEFORE: &str =
    "Utkastelsen kan ikke være berammet før datoen trinnet registreres.";
pub const LONG_NOTE: &str = "Merknaden kan være høyst 2000 tegn.";
pub const BAD_INSTALMENT: &str =
    "Skriv ett avdrag per linje som «dd.mm.åååå beløp», for eksempel «01.02.2027 2 500,00».";
pub const TOO_MANY_INSTALMENTS: &str = "En betalingsplan kan ha høyst 120 avdrag.";
pub const NO_REFUSAL_DATE: &str = "Skriv datoen leietakeren reserverte seg (dd.mm.åååå).";
pub const STEP_TAKEN: &str = "Dette trinnet er allerede registrert i saken.";
pub const OUT_OF_ORDER: &str = "Trinnet forutsetter et tidligere trinn i saken.";
pub const NOT_IN_ARREARS: &str = "Leieforholdet har ingen restanse å følge opp.";

/// The step form as typed.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub taken_on: String,
    #[serde(default)]
    pub eviction_on: String,
    /// One instalment per line: "dd.mm.åååå beløp".
    #[serde(default)]
    pub instalments: String,
    /// Checked ("1") to charge the municipality's reminder fee with a reminder.
    #[serde(default)]
    pub fee: String,
    #[serde(default)]
    pub note: String,
    /// The case's version when the form was shown ("" when there was no case).
    #[serde(default)]
    pub version: String,
}

#[derive(Clone, Debug)]
pub struct StepInput {
    pub step: Step,
    pub taken_on: NaiveDate,
    pub eviction_on: Option<NaiveDate>,
    pub instalments: Vec<Instalment>,
    pub fee: bool,
    pub note: String,
    pub version: Option<i32>,
}

fn day(e: &mut FormErrors, field: &'static str, input: &str, today: NaiveDate) -> NaiveDate {
    match parse_date(input.trim()) {
        None => {
            e.add(field, NO_DATE);
            today
        }
        Some(d) if d > today => {
            e.add(field, FUTURE_DATE);
            today
        }
        Some(d) => d,
    }
}

/// "01.02.2027 2 500,00" per line; blank lines are skipped.
pub fn parse_instalments(input: &str) -> Result<Vec<Instalment>, &'static str> {
    let mut out = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (d, a) = line.split_once(char::is_whitespace).ok_or(BAD_INSTALMENT)?;
        let due = parse_date(d.trim()).ok_or(BAD_INSTALMENT)?;
        let amount_ore = parse_kroner(a.trim())
            .filter(|o| *o <= crate::rent::model::MAX_AMOUNT)
            .ok_or(BAD_INSTALMENT)?;
        out.push(Instalment { due, amount_ore });
    }
    if out.len() > 120 {
        return Err(TOO_MANY_INSTALMENTS);
    }
    Ok(out)
}

impl StepForm {
    pub fn parse(&self, today: NaiveDate) -> Result<StepInput, FormErrors> {
        let mut e = FormErrors::new();
        let step = parse_step(self.step.trim());
        if step.is_none() {
            e.add("step", NO_STEP);
        }
        let taken_on = day(&mut e, "taken_on", &self.taken_on, today);
        let mut eviction_on = None;
        if step == Some(Step::EvictionDate) {
            match parse_date(self.eviction_on.trim()) {
                None => e.add("eviction_on", NO_EVICTION_DATE),
                Some(d) if d < taken_on => e.add("eviction_on", EVICTION_BEFORE),
                Some(d) => eviction_on = Some(d),
            }
        }
        let mut instalments = Vec::new();
        if step == Some(Step::PaymentPlan) {
            match parse_instalments(&self.instalments) {
                Ok(i) => instalments = i,
                Err(m) => e.add("instalments", m),
            }
        }
        let note = self.note.trim().to_string();
        if note.chars().count() > 2000 {
            e.add("note", LONG_NOTE);
        }
        match step {
            Some(step) if e.is_empty() => Ok(StepInput {
                step,
                taken_on,
                eviction_on,
                instalments,
                fee: matches!(self.fee.trim(), "1" | "ja" | "on"),
                note,
                version: self.version.trim().parse().ok(),
            }),
            _ => Err(e),
        }
    }
}

/// The tenant's written refusal of the notice to NAV.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct RefusalForm {
    #[serde(default)]
    pub refused_on: String,
    #[serde(default)]
    pub version: String,
}

impl RefusalForm {
    pub fn parse(&self, today: NaiveDate) -> Result<(NaiveDate, Option<i32>), FormErrors> {
        let mut e = FormErrors::new();
        let d = match parse_date(self.refused_on.trim()) {
            None => {
                e.add("refused_on", NO_REFUSAL_DATE);
                today
            }
            Some(d) if d > today => {
                e.add("refused_on", FUTURE_DATE);
                today
            }
            Some(d) => d,
        };
        if e.is_empty() {
            Ok((d, self.version.trim().parse().ok()))
        } else {
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ageing

/// The ageing bucket of an unpaid charge `age_days` after its due date: 0–30, 31–60,
/// 61–90, over 90 days (0..=3).
pub fn bucket(age_days: i64) -> usize {
    match age_days {
        i64::MIN..=30 => 0,
        31..=60 => 1,
        61..=90 => 2,
        _ => 3,
    }
}

/// Months of rent owed, one decimal ("2,5"), from øre owed and the monthly rent.
pub fn months_owed(owed: i64, monthly_rent: i64) -> String {
    if monthly_rent <= 0 {
        return "–".into();
    }
    let tenths = (owed as i128 * 10 + monthly_rent as i128 / 2) / monthly_rent as i128;
    format!("{},{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn steps_round_trip_their_keys() {
        for s in Step::ALL {
            assert_eq!(parse_step(step_key(s)), Some(s));
        }
        assert_eq!(parse_step("nothing"), None);
    }

    #[test]
    fn buckets_split_at_30_60_90_days() {
        assert_eq!(
            [0, 30, 31, 60, 61, 90, 91, 400].map(bucket),
            [0, 0, 1, 1, 2, 2, 3, 3]
        );
    }

    #[test]
    fn months_owed_rounds_to_a_tenth() {
        assert_eq!(months_owed(1_250_000, 500_000), "2,5");
        assert_eq!(months_owed(1, 500_000), "0,0");
        assert_eq!(months_owed(1, 0), "–");
    }

    #[test]
    fn instalments_parse_one_per_line_and_refuse_garbage() {
        let i = parse_instalments("01.02.2027 2 500,00\n\n01.03.2027 100").unwrap();
        assert_eq!(
            i,
            vec![
                Instalment {
                    due: d(2027, 2, 1),
                    amount_ore: 250_000
                },
                Instalment {
                    due: d(2027, 3, 1),
                    amount_ore: 10_000
                },
            ]
        );
        assert_eq!(parse_instalments("1.2. mye"), Err(BAD_INSTALMENT));
        assert_eq!(parse_instalments("01.02.2027"), Err(BAD_INSTALMENT));
        // More than the ledger takes in one amount: refused by the field, not by the database.
        assert_eq!(
            parse_instalments("01.02.2027 999999999999999"),
            Err(BAD_INSTALMENT)
        );
    }

    #[test]
    fn the_form_refuses_a_future_date_and_a_missing_step() {
        let today = d(2027, 1, 10);
        let f = StepForm {
            taken_on: "11.01.2027".into(),
            ..Default::default()
        };
        let e = f.parse(today).unwrap_err();
        assert_eq!(e.get("step"), Some(NO_STEP));
        assert_eq!(e.get("taken_on"), Some(FUTURE_DATE));
    }
}
