//! How meetings and their items read on screen, in print and with the privacy switch on.

use chrono::{DateTime, Datelike, Utc, Weekday};
use chrono_tz::Europe::Oslo;
use uuid::Uuid;

use super::model::{initials, Conclusion, ItemKind};
use super::repo::ItemRow;

pub fn weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "mandag",
        Weekday::Tue => "tirsdag",
        Weekday::Wed => "onsdag",
        Weekday::Thu => "torsdag",
        Weekday::Fri => "fredag",
        Weekday::Sat => "lørdag",
        Weekday::Sun => "søndag",
    }
}

/// "tirsdag 08.12.2026 kl. 09.00" (the one time format, as `applications::views::date_time`)
pub fn when(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Oslo);
    format!(
        "{} {} kl. {}",
        weekday(local.weekday()),
        local.format("%d.%m.%Y"),
        local.format("%H.%M")
    )
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.with_timezone(&Oslo)
        .format("%d.%m.%Y kl. %H.%M")
        .to_string()
}

pub fn meeting_path(id: Uuid) -> String {
    format!("/moter/{id}")
}

pub fn item_anchor(meeting: Uuid, item: Uuid) -> String {
    format!("/moter/{meeting}#punkt-{item}")
}

/// A name as shown: initials while the privacy switch is on.
pub fn name(full: &str, private: bool) -> String {
    if private {
        initials(full)
    } else {
        full.to_string()
    }
}

pub struct ItemView {
    pub r: ItemRow,
    /// May this user record the conclusion (a participant in the item's municipality, the
    /// minutes not approved)?
    pub can_conclude: bool,
    /// May this user act on the conclusion (make the offer), also after approval?
    pub may_act: bool,
    /// The offer made after the team chose a candidate: (id, status label).
    pub offer: Option<(Uuid, &'static str)>,
}

impl ItemView {
    pub fn number(&self) -> i32 {
        self.r.position
    }
    pub fn kind_label(&self) -> &'static str {
        self.r.kind.label()
    }
    pub fn is_kind(&self, k: &str) -> bool {
        self.r.kind.key() == k
    }
    /// What the item is about, one line.
    pub fn subject(&self, private: bool) -> String {
        match self.r.kind {
            ItemKind::Application => format!(
                "Søknad {} – {}",
                self.r.case_number.as_deref().unwrap_or(""),
                name(self.r.person_name.as_deref().unwrap_or(""), private)
            ),
            ItemKind::Dwelling => format!(
                "Tildeling av {}",
                self.r.unit_address.as_deref().unwrap_or("bolig")
            ),
            ItemKind::Appeal => format!(
                "Klage i sak {} – {}",
                self.r.case_number.as_deref().unwrap_or(""),
                name(self.r.person_name.as_deref().unwrap_or(""), private)
            ),
            // A lease review's title names the tenant after the dash.
            ItemKind::Other if private && self.r.lease_id.is_some() => self
                .r
                .title
                .split(" – ")
                .next()
                .unwrap_or_default()
                .to_string(),
            ItemKind::Other => self.r.title.clone(),
        }
    }
    /// Where the item's case or unit lives in Bosak.
    pub fn link(&self) -> Option<String> {
        match self.r.kind {
            ItemKind::Application => self.r.application_id.map(|a| format!("/soknader/{a}")),
            ItemKind::Dwelling => self.r.dwelling_id.map(|d| format!("/boliger/{d}")),
            ItemKind::Appeal => self.r.appeal_id.map(|a| format!("/klager/{a}")),
            ItemKind::Other => self.r.lease_id.map(|l| format!("/leiekontrakter/{l}")),
        }
    }
    pub fn concluded(&self) -> bool {
        self.r.conclusion.is_some()
    }
    pub fn conclusion_is(&self, c: &Conclusion) -> bool {
        self.r.conclusion == Some(*c)
    }
    pub fn conclusion_label(&self) -> &'static str {
        self.r.conclusion.map(|c| c.label()).unwrap_or("")
    }
    /// The conclusion in one sentence, for lists, the timeline and the minutes.
    pub fn conclusion_summary(&self, private: bool) -> String {
        let Some(c) = self.r.conclusion else {
            return "Ingen konklusjon registrert".into();
        };
        let mut s = c.label().to_string();
        if c == Conclusion::CandidateChosen {
            s.push_str(&format!(
                ": sak {} – {}",
                self.r.chosen_case_number.as_deref().unwrap_or(""),
                name(self.r.chosen_name.as_deref().unwrap_or(""), private)
            ));
            if let Some(r) = self.r.chosen_rank {
                s.push_str(&format!(" (nr. {r} på listen)"));
            }
        }
        s
    }
    pub fn chosen_is(&self, id: &Uuid) -> bool {
        self.r.chosen_application_id == Some(*id)
    }
    pub fn concluded_by(&self) -> String {
        match (&self.r.concluded_by_name, self.r.concluded_at) {
            (Some(n), Some(t)) => format!("Registrert av {n} {}", stamp(t)),
            _ => String::new(),
        }
    }
    pub fn can_offer(&self) -> bool {
        self.r.conclusion == Some(Conclusion::CandidateChosen) && self.offer.is_none()
    }
    /// The justification sent with the one-click offer: the team's own. If the ranking has
    /// changed since the meeting so that someone now stands before the chosen candidate,
    /// the offer form then asks for one (the rule of the allocation issue).
    pub fn offer_justification(&self) -> &str {
        &self.r.justification
    }
}

/// Why a unit is proposed for the agenda: vacant now, or when it becomes vacant.
pub fn unit_reason(u: &crate::allocation::repo::UnitFacts) -> String {
    use crate::dwellings::model::Status;
    match (u.status, u.expected_vacant_from) {
        (Status::Vacant, _) => "Ledig nå".into(),
        (_, Some(d)) => format!("Blir ledig {}", crate::web::format::date(d)),
        (s, None) => format!("{} – ledig dato ikke satt", s.label()),
    }
}

/// The agenda title of a lease to review before it ends.
pub fn lease_review_title(l: &crate::leases::repo::ReviewDue) -> String {
    format!(
        "Vurdering før utløp: leiekontrakt nr. {} – {}, {}",
        l.lease_no, l.tenant_name, l.unit_label
    )
}
