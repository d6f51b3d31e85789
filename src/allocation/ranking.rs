//! Ranking applicants for a dwelling: criteria points with their breakdown, room norms,
//! needs, wishes, and a deterministic tie-break. Pure rules, no I/O — the same function
//! ranks the waiting list and the candidates for one vacant unit.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Yes/no facts of an application that criteria can award points for.
pub const FLAG_FACTS: &[&str] = &[
    "without_home",
    "at_risk",
    "unsuitable",
    "has_children",
    "health_or_care_need",
    "refugee",
    "needs_wheelchair",
    "home_followup",
];

/// How a criterion applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// `points` when the application has the fact.
    Flag { fact: String, points: i32 },
    /// `points_each` per child in the household, up to `max`.
    PerChild { points_each: i32, max: i32 },
    /// `points_each` per whole month on the waiting list, up to `max`.
    PerMonthWaiting { points_each: i32, max: i32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    #[serde(flatten)]
    pub rule: Rule,
}

impl Criterion {
    pub fn points_for(&self, a: &Applicant, today: NaiveDate) -> i32 {
        match &self.rule {
            Rule::Flag { fact, points } => {
                if a.flags.iter().any(|f| f == fact) {
                    *points
                } else {
                    0
                }
            }
            Rule::PerChild { points_each, max } => {
                (points_each.saturating_mul(a.children)).min(*max)
            }
            Rule::PerMonthWaiting { points_each, max } => {
                (points_each.saturating_mul(months_between(a.waiting_since, today))).min(*max)
            }
        }
    }
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    use chrono::Datelike;
    if to <= from {
        return 0;
    }
    let mut m = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        m -= 1;
    }
    m.max(0)
}

/// Household composition for the room norms (DOMAIN.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Household {
    Single,
    SingleWithVisitingChildren,
    SingleWithOneChild,
    Couple,
    CoupleWithOneChild,
    TwoOrMoreChildren,
}

impl Household {
    pub const ALL: [Household; 6] = [
        Household::Single,
        Household::SingleWithVisitingChildren,
        Household::SingleWithOneChild,
        Household::Couple,
        Household::CoupleWithOneChild,
        Household::TwoOrMoreChildren,
    ];

    pub fn of(adults: i32, children: i32, visiting_children: i32) -> Household {
        match (adults.max(1), children) {
            (_, c) if c >= 2 => Household::TwoOrMoreChildren,
            (1, 1) => Household::SingleWithOneChild,
            (1, _) if visiting_children > 0 => Household::SingleWithVisitingChildren,
            (1, _) => Household::Single,
            (_, 1) => Household::CoupleWithOneChild,
            _ => Household::Couple,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Household::Single => "single",
            Household::SingleWithVisitingChildren => "single_visiting_children",
            Household::SingleWithOneChild => "single_one_child",
            Household::Couple => "couple",
            Household::CoupleWithOneChild => "couple_one_child",
            Household::TwoOrMoreChildren => "two_or_more_children",
        }
    }

    pub fn from_key(k: &str) -> Option<Household> {
        Household::ALL.into_iter().find(|h| h.key() == k)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomNorm {
    pub household: Household,
    pub min_rooms: i32,
    pub max_rooms: i32,
}

/// Levanger's "Normer ved tildeling" (single 1–2, visiting children 2, one child 2–3,
/// two or more children 3–4); couples are not in Levanger's table and default to 1–2 and
/// 2–3 with one child.
pub fn default_room_norms() -> Vec<RoomNorm> {
    use Household::*;
    vec![
        RoomNorm {
            household: Single,
            min_rooms: 1,
            max_rooms: 2,
        },
        RoomNorm {
            household: SingleWithVisitingChildren,
            min_rooms: 2,
            max_rooms: 2,
        },
        RoomNorm {
            household: SingleWithOneChild,
            min_rooms: 2,
            max_rooms: 3,
        },
        RoomNorm {
            household: Couple,
            min_rooms: 1,
            max_rooms: 2,
        },
        RoomNorm {
            household: CoupleWithOneChild,
            min_rooms: 2,
            max_rooms: 3,
        },
        RoomNorm {
            household: TwoOrMoreChildren,
            min_rooms: 3,
            max_rooms: 4,
        },
    ]
}

/// What the ranking needs to know about an approved applicant.
#[derive(Clone, Debug, PartialEq)]
pub struct Applicant {
    pub application_id: Uuid,
    pub case_number: String,
    pub received_on: NaiveDate,
    pub waiting_since: NaiveDate,
    pub flags: Vec<String>,
    pub adults: i32,
    pub children: i32,
    pub visiting_children: i32,
    /// Dwelling type codes granted in the decision.
    pub granted_types: Vec<String>,
    pub needs_wheelchair: bool,
    pub needs_ground_floor: bool,
    pub wished_areas: Vec<Uuid>,
}

impl Applicant {
    pub fn household(&self) -> Household {
        Household::of(self.adults, self.children, self.visiting_children)
    }
}

/// What the ranking needs to know about a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub dwelling_type: String,
    pub rooms: i32,
    pub wheelchair_accessible: bool,
    /// Ground floor, or a lift in the building.
    pub step_free: bool,
    pub area_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum WishPolicy {
    /// A unit outside the wished areas is only flagged.
    Show,
    /// A unit outside the wished areas costs `points`.
    Penalty { points: i32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exclusion {
    TypeNotGranted,
    RoomsOutsideNorm { min: i32, max: i32 },
    NotWheelchairAccessible,
    NotStepFree,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub applicant: Applicant,
    pub total: i32,
    /// (criterion name, points) for every criterion, zeros included, in criteria order;
    /// the wish penalty (if any) is the last line.
    pub breakdown: Vec<(String, i32)>,
    pub wish_mismatch: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Excluded {
    pub applicant: Applicant,
    pub reasons: Vec<Exclusion>,
}

pub fn score(criteria: &[Criterion], a: &Applicant, today: NaiveDate) -> (i32, Vec<(String, i32)>) {
    let breakdown: Vec<(String, i32)> = criteria
        .iter()
        .map(|c| (c.name.clone(), c.points_for(a, today)))
        .collect();
    (breakdown.iter().map(|(_, p)| p).sum(), breakdown)
}

/// Whether the unit may go to the applicant, and if not, every reason why.
pub fn exclusions(unit: &Unit, a: &Applicant, norms: &[RoomNorm]) -> Vec<Exclusion> {
    let mut out = Vec::new();
    if !a.granted_types.iter().any(|t| t == &unit.dwelling_type) {
        out.push(Exclusion::TypeNotGranted);
    }
    if let Some(n) = norms.iter().find(|n| n.household == a.household()) {
        if unit.rooms < n.min_rooms || unit.rooms > n.max_rooms {
            out.push(Exclusion::RoomsOutsideNorm {
                min: n.min_rooms,
                max: n.max_rooms,
            });
        }
    }
    if a.needs_wheelchair && !unit.wheelchair_accessible {
        out.push(Exclusion::NotWheelchairAccessible);
    }
    if a.needs_ground_floor && !unit.step_free {
        out.push(Exclusion::NotStepFree);
    }
    out
}

/// Deterministic order: higher score first, then earlier application, then case number.
pub fn order(a: &Candidate, b: &Candidate) -> Ordering {
    b.total
        .cmp(&a.total)
        .then(a.applicant.received_on.cmp(&b.applicant.received_on))
        .then(a.applicant.case_number.cmp(&b.applicant.case_number))
        .then(a.applicant.application_id.cmp(&b.applicant.application_id))
}

/// Ranks applicants by criteria alone (the waiting list).
pub fn rank_waiting_list(
    criteria: &[Criterion],
    applicants: Vec<Applicant>,
    today: NaiveDate,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = applicants
        .into_iter()
        .map(|a| {
            let (total, breakdown) = score(criteria, &a, today);
            Candidate {
                applicant: a,
                total,
                breakdown,
                wish_mismatch: false,
            }
        })
        .collect();
    out.sort_by(order);
    out
}

/// Ranks the applicants who may get `unit`, and lists everyone else with the reasons.
pub fn rank_for_unit(
    unit: &Unit,
    criteria: &[Criterion],
    norms: &[RoomNorm],
    wishes: WishPolicy,
    applicants: Vec<Applicant>,
    today: NaiveDate,
) -> (Vec<Candidate>, Vec<Excluded>) {
    let mut candidates = Vec::new();
    let mut excluded = Vec::new();
    for a in applicants {
        let reasons = exclusions(unit, &a, norms);
        if !reasons.is_empty() {
            excluded.push(Excluded {
                applicant: a,
                reasons,
            });
            continue;
        }
        let (mut total, mut breakdown) = score(criteria, &a, today);
        let wish_mismatch = !a.wished_areas.is_empty()
            && unit
                .area_id
                .is_none_or(|area| !a.wished_areas.contains(&area));
        if let (true, WishPolicy::Penalty { points }) = (wish_mismatch, wishes) {
            total -= points;
            breakdown.push(("Utenfor ønsket område".to_string(), -points));
        }
        candidates.push(Candidate {
            applicant: a,
            total,
            breakdown,
            wish_mismatch,
        });
    }
    candidates.sort_by(order);
    excluded.sort_by(|x, y| x.applicant.case_number.cmp(&y.applicant.case_number));
    (candidates, excluded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn criteria() -> Vec<Criterion> {
        vec![
            Criterion {
                name: "Uten bolig".into(),
                rule: Rule::Flag {
                    fact: "without_home".into(),
                    points: 30,
                },
            },
            Criterion {
                name: "Barn".into(),
                rule: Rule::PerChild {
                    points_each: 5,
                    max: 15,
                },
            },
            Criterion {
                name: "Ventetid".into(),
                rule: Rule::PerMonthWaiting {
                    points_each: 1,
                    max: 24,
                },
            },
        ]
    }

    fn applicant(n: u32) -> Applicant {
        Applicant {
            application_id: Uuid::from_u128(n as u128),
            case_number: format!("2026/{n:04}"),
            received_on: d(2026, 1, 1),
            waiting_since: d(2026, 2, 1),
            flags: vec![],
            adults: 1,
            children: 0,
            visiting_children: 0,
            granted_types: vec!["ordinary".into()],
            needs_wheelchair: false,
            needs_ground_floor: false,
            wished_areas: vec![],
        }
    }

    fn unit(rooms: i32) -> Unit {
        Unit {
            dwelling_type: "ordinary".into(),
            rooms,
            wheelchair_accessible: false,
            step_free: false,
            area_id: None,
        }
    }

    #[test]
    fn score_breakdown() {
        let mut a = applicant(1);
        a.flags = vec!["without_home".into()];
        a.children = 4;
        let (total, b) = score(&criteria(), &a, d(2026, 11, 24));
        assert_eq!(
            b,
            vec![
                ("Uten bolig".into(), 30),
                ("Barn".into(), 15),
                ("Ventetid".into(), 9)
            ]
        );
        assert_eq!(total, 54);
    }

    #[test]
    fn months() {
        assert_eq!(months_between(d(2026, 1, 31), d(2026, 2, 28)), 0);
        assert_eq!(months_between(d(2026, 1, 15), d(2026, 2, 15)), 1);
        assert_eq!(months_between(d(2026, 3, 1), d(2026, 1, 1)), 0);
    }

    #[test]
    fn households_follow_levangers_norms() {
        assert_eq!(Household::of(1, 0, 0), Household::Single);
        assert_eq!(
            Household::of(1, 0, 2),
            Household::SingleWithVisitingChildren
        );
        assert_eq!(Household::of(1, 1, 0), Household::SingleWithOneChild);
        assert_eq!(Household::of(2, 3, 0), Household::TwoOrMoreChildren);
        assert_eq!(Household::of(2, 0, 0), Household::Couple);
        let norms = default_room_norms();
        let a = applicant(1);
        assert!(exclusions(&unit(2), &a, &norms).is_empty());
        assert_eq!(
            exclusions(&unit(3), &a, &norms),
            vec![Exclusion::RoomsOutsideNorm { min: 1, max: 2 }]
        );
    }

    #[test]
    fn needs_and_types_exclude_with_every_reason() {
        let mut a = applicant(1);
        a.needs_wheelchair = true;
        a.needs_ground_floor = true;
        a.granted_types = vec!["care_home".into()];
        let r = exclusions(&unit(5), &a, &default_room_norms());
        assert_eq!(
            r,
            vec![
                Exclusion::TypeNotGranted,
                Exclusion::RoomsOutsideNorm { min: 1, max: 2 },
                Exclusion::NotWheelchairAccessible,
                Exclusion::NotStepFree
            ]
        );
    }

    #[test]
    fn wish_mismatch_is_shown_or_penalised() {
        let area = Uuid::from_u128(99);
        let mut a = applicant(1);
        a.wished_areas = vec![area];
        let u = unit(1);
        let (c, _) = rank_for_unit(
            &u,
            &criteria(),
            &default_room_norms(),
            WishPolicy::Show,
            vec![a.clone()],
            d(2026, 11, 24),
        );
        assert!(c[0].wish_mismatch);
        assert_eq!(c[0].total, 9);
        let (c, _) = rank_for_unit(
            &u,
            &criteria(),
            &default_room_norms(),
            WishPolicy::Penalty { points: 10 },
            vec![a],
            d(2026, 11, 24),
        );
        assert_eq!(c[0].total, -1);
        assert_eq!(c[0].breakdown.last().unwrap().1, -10);
    }

    #[test]
    fn ties_break_by_application_date_then_case_number() {
        let mut a = applicant(2);
        let mut b = applicant(1);
        let mut c = applicant(3);
        a.received_on = d(2026, 1, 1);
        b.received_on = d(2026, 1, 1);
        c.received_on = d(2025, 12, 1);
        let ranked = rank_waiting_list(&criteria(), vec![a, b, c], d(2026, 11, 24));
        let order: Vec<&str> = ranked
            .iter()
            .map(|c| c.applicant.case_number.as_str())
            .collect();
        assert_eq!(order, vec!["2026/0003", "2026/0001", "2026/0002"]);
    }

    fn arb_applicant() -> impl Strategy<Value = Applicant> {
        (
            0u32..10_000,
            0i32..4,
            0i32..5,
            0i32..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            0i64..700,
            0i64..400,
        )
            .prop_map(
                |(n, adults, children, visiting, homeless, wheel, ground, recv, wait)| {
                    let mut a = applicant(n);
                    a.adults = adults;
                    a.children = children;
                    a.visiting_children = visiting;
                    if homeless {
                        a.flags.push("without_home".into());
                    }
                    a.needs_wheelchair = wheel;
                    a.needs_ground_floor = ground;
                    a.received_on = d(2024, 1, 1) + chrono::Duration::days(recv);
                    a.waiting_since = a.received_on + chrono::Duration::days(wait);
                    if n % 3 == 0 {
                        a.granted_types = vec!["care_home".into()];
                    }
                    a
                },
            )
    }

    proptest! {
        #[test]
        fn ranking_properties(
            applicants in prop::collection::vec(arb_applicant(), 0..60),
            rooms in 1i32..6, wheel in any::<bool>(), step in any::<bool>()
        ) {
            let today = d(2026, 11, 24);
            let norms = default_room_norms();
            let u = Unit { dwelling_type: "ordinary".into(), rooms, wheelchair_accessible: wheel, step_free: step, area_id: None };
            let (cands, excl) = rank_for_unit(&u, &criteria(), &norms, WishPolicy::Show, applicants.clone(), today);
            // Everyone is either a candidate or excluded, never both.
            prop_assert_eq!(cands.len() + excl.len(), applicants.len());
            for c in &cands {
                // The score is the sum of its parts.
                prop_assert_eq!(c.total, c.breakdown.iter().map(|(_, p)| p).sum::<i32>());
                // Nobody outside the room norms is a candidate.
                let n = norms.iter().find(|n| n.household == c.applicant.household()).unwrap();
                prop_assert!(rooms >= n.min_rooms && rooms <= n.max_rooms);
                prop_assert!(!c.applicant.needs_wheelchair || wheel);
            }
            for e in &excl {
                prop_assert!(!e.reasons.is_empty());
            }
            // Sorted by score, then date, then case number.
            for w in cands.windows(2) {
                prop_assert_ne!(order(&w[0], &w[1]), Ordering::Greater);
            }
            // Deterministic: the input order does not matter.
            let mut reversed = applicants.clone();
            reversed.reverse();
            let (again, _) = rank_for_unit(&u, &criteria(), &norms, WishPolicy::Show, reversed, today);
            let ids = |v: &Vec<Candidate>| v.iter().map(|c| c.applicant.application_id).collect::<Vec<_>>();
            prop_assert_eq!(ids(&cands), ids(&again));
        }
    }
}
