//! Decisions (vedtak) and combined decisions (samlevedtak): the rules a decision must
//! satisfy before it can be approved and sent (forvaltningsloven §§ 23–25 and 27).
//! Pure rules, no I/O.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "decision_outcome", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Granted,
    PartlyGranted,
    Refused,
}

impl Outcome {
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::Granted => "granted",
            Outcome::PartlyGranted => "partly_granted",
            Outcome::Refused => "refused",
        }
    }

    pub fn from_key(k: &str) -> Option<Outcome> {
        [Outcome::Granted, Outcome::PartlyGranted, Outcome::Refused]
            .into_iter()
            .find(|o| o.key() == k)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Granted => "Innvilget",
            Outcome::PartlyGranted => "Delvis innvilget",
            Outcome::Refused => "Avslått",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "decision_status", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    ReadyForApproval,
    Sent,
}

impl Status {
    pub fn key(&self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::ReadyForApproval => "ready_for_approval",
            Status::Sent => "sent",
        }
    }
}

/// One decision point as far as the completeness rules are concerned.
#[derive(Clone, Debug, Default)]
pub struct PointFacts {
    pub outcome: Option<Outcome>,
    pub is_dwelling: bool,
    pub description: String,
    pub legal_basis: String,
    pub appeal_body: String,
    pub appeal_weeks: i32,
    /// The kind's defaults, to see whether they were changed.
    pub default_legal_basis: String,
    pub default_appeal_body: String,
    pub default_appeal_weeks: i32,
    pub override_reason: String,
    /// For a granted dwelling: rooms and lease length must be stated (Husbanken practice).
    pub rooms: Option<i32>,
    pub lease_months: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct DecisionFacts {
    pub points: Vec<PointFacts>,
    pub grounds_rules: String,
    pub grounds_facts: String,
    pub grounds_considerations: String,
    /// § 25 third paragraph: grounds may be left out when the application is granted in
    /// full and nobody is expected to be dissatisfied.
    pub no_objection_expected: bool,
}

impl DecisionFacts {
    pub fn fully_granted(&self) -> bool {
        !self.points.is_empty()
            && self
                .points
                .iter()
                .all(|p| p.outcome == Some(Outcome::Granted))
    }

    pub fn is_combined(&self) -> bool {
        self.points.len() >= 2
    }
}

/// Everything that stops the decision from being sent, in Norwegian, in reading order.
/// Empty means complete.
pub fn missing_for_dispatch(d: &DecisionFacts) -> Vec<String> {
    let mut out = Vec::new();
    if d.points.is_empty() {
        out.push("Vedtaket må ha minst ett vedtakspunkt.".to_string());
    }
    for (i, p) in d.points.iter().enumerate() {
        let n = i + 1;
        if p.outcome.is_none() {
            out.push(format!(
                "Vedtakspunkt {n}: velg utfall (innvilget, delvis innvilget eller avslått)."
            ));
        }
        if p.description.trim().is_empty() {
            out.push(format!("Vedtakspunkt {n}: beskriv hva vedtaket gjelder."));
        }
        if p.legal_basis.trim().is_empty() {
            out.push(format!("Vedtakspunkt {n}: hjemmel mangler."));
        }
        if p.appeal_body.trim().is_empty() {
            out.push(format!("Vedtakspunkt {n}: klageinstans mangler."));
        }
        if !(1..=52).contains(&p.appeal_weeks) {
            out.push(format!(
                "Vedtakspunkt {n}: klagefristen må være mellom 1 og 52 uker."
            ));
        }
        let changed = p.legal_basis.trim() != p.default_legal_basis.trim()
            || p.appeal_body.trim() != p.default_appeal_body.trim()
            || p.appeal_weeks != p.default_appeal_weeks;
        if changed && p.override_reason.trim().is_empty() {
            out.push(format!(
                "Vedtakspunkt {n}: hjemmel, klageinstans eller klagefrist er endret fra standard. Skriv begrunnelse for endringen."
            ));
        }
        if p.is_dwelling
            && matches!(
                p.outcome,
                Some(Outcome::Granted) | Some(Outcome::PartlyGranted)
            )
        {
            if p.rooms.is_none() {
                out.push(format!(
                    "Vedtakspunkt {n}: oppgi antall rom for boligen som tildeles."
                ));
            }
            if p.lease_months.is_none() {
                out.push(format!("Vedtakspunkt {n}: oppgi lengden på leieforholdet."));
            }
        }
    }
    let grounds_optional = d.fully_granted() && d.no_objection_expected;
    if !grounds_optional {
        if d.grounds_rules.trim().is_empty() {
            out.push(
                "Begrunnelsen må vise til reglene vedtaket bygger på (fvl. § 25 første ledd)."
                    .to_string(),
            );
        }
        if d.grounds_facts.trim().is_empty() {
            out.push("Begrunnelsen må nevne de faktiske forholdene vedtaket bygger på (fvl. § 25 andre ledd).".to_string());
        }
        if d.grounds_considerations.trim().is_empty() {
            out.push(
                "Begrunnelsen må nevne hovedhensynene i skjønnsutøvelsen (fvl. § 25 tredje ledd)."
                    .to_string(),
            );
        }
    }
    out
}

/// Fills `{placeholders}` of a standard paragraph from the case. Unknown placeholders are
/// left visible so the caseworker notices them.
pub fn fill_placeholders(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(outcome: Outcome) -> PointFacts {
        PointFacts {
            outcome: Some(outcome),
            is_dwelling: false,
            description: "Hjelp til å skaffe bolig".into(),
            legal_basis: "Boligsosial lov § 6".into(),
            appeal_body: "Statsforvalteren".into(),
            appeal_weeks: 3,
            default_legal_basis: "Boligsosial lov § 6".into(),
            default_appeal_body: "Statsforvalteren".into(),
            default_appeal_weeks: 3,
            ..Default::default()
        }
    }

    fn grounds(mut d: DecisionFacts) -> DecisionFacts {
        d.grounds_rules = "Regler".into();
        d.grounds_facts = "Fakta".into();
        d.grounds_considerations = "Hensyn".into();
        d
    }

    #[test]
    fn a_refusal_needs_all_three_parts_of_the_grounds() {
        let d = DecisionFacts {
            points: vec![point(Outcome::Refused)],
            no_objection_expected: true,
            ..Default::default()
        };
        let missing = missing_for_dispatch(&d);
        assert_eq!(missing.len(), 3, "{missing:?}");
        assert!(missing[0].contains("reglene"));
        assert!(missing[1].contains("faktiske"));
        assert!(missing[2].contains("hovedhensynene"));
        assert!(missing_for_dispatch(&grounds(d)).is_empty());
    }

    #[test]
    fn a_full_grant_may_omit_grounds_only_when_nobody_is_expected_to_object() {
        let mut d = DecisionFacts {
            points: vec![point(Outcome::Granted)],
            ..Default::default()
        };
        assert_eq!(missing_for_dispatch(&d).len(), 3);
        d.no_objection_expected = true;
        assert!(missing_for_dispatch(&d).is_empty());
        // A partial grant is not a full grant.
        d.points.push(point(Outcome::PartlyGranted));
        assert_eq!(missing_for_dispatch(&d).len(), 3);
        assert!(d.is_combined());
    }

    #[test]
    fn changed_defaults_need_a_reason() {
        let mut p = point(Outcome::Refused);
        p.appeal_weeks = 4;
        let d = grounds(DecisionFacts {
            points: vec![p.clone()],
            ..Default::default()
        });
        assert!(missing_for_dispatch(&d)[0].contains("endret fra standard"));
        p.override_reason = "Gjelder helse- og omsorgstjenester".into();
        assert!(missing_for_dispatch(&grounds(DecisionFacts {
            points: vec![p],
            ..Default::default()
        }))
        .is_empty());
    }

    #[test]
    fn granted_dwelling_states_rooms_and_lease_length() {
        let mut p = point(Outcome::Granted);
        p.is_dwelling = true;
        let d = grounds(DecisionFacts {
            points: vec![p.clone()],
            ..Default::default()
        });
        assert_eq!(missing_for_dispatch(&d).len(), 2);
        p.rooms = Some(2);
        p.lease_months = Some(36);
        assert!(missing_for_dispatch(&grounds(DecisionFacts {
            points: vec![p],
            ..Default::default()
        }))
        .is_empty());
    }

    #[test]
    fn every_point_needs_legal_basis_and_appeal_body() {
        let mut p = point(Outcome::Refused);
        p.legal_basis.clear();
        p.appeal_body.clear();
        p.default_legal_basis.clear();
        p.default_appeal_body.clear();
        let m = missing_for_dispatch(&grounds(DecisionFacts {
            points: vec![p],
            ..Default::default()
        }));
        assert!(m.iter().any(|s| s.contains("hjemmel")));
        assert!(m.iter().any(|s| s.contains("klageinstans")));
        assert!(!missing_for_dispatch(&DecisionFacts::default()).is_empty());
    }

    #[test]
    fn placeholders() {
        let t = fill_placeholders(
            "Søker {navn} bor i {kommune}. {ukjent}",
            &[("navn", "Kari".into()), ("kommune", "Levanger".into())],
        );
        assert_eq!(t, "Søker Kari bor i Levanger. {ukjent}");
    }
}
