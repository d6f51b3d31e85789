//! Display helpers for templates: Norwegian formats of the rows the repo returns.

use uuid::Uuid;

use super::model::{format_area, format_opt_date, Status};
use super::repo::{AssessmentRow, MoveRow, PropertyRow, StatusChangeRow, UnitRow};
use crate::auth::roles::MunicipalityRef;
use crate::web::format::{date, kroner};

/// A keyset cursor from the URL: "<sort value>~<id>". None for the first page.
pub fn parse_cursor(raw: &str) -> Option<(&str, Uuid)> {
    raw.rsplit_once('~')
        .and_then(|(k, id)| Some((k, Uuid::parse_str(id).ok()?)))
}

pub fn municipality_name(munis: &[MunicipalityRef], id: Uuid) -> String {
    munis
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.name.clone())
        .unwrap_or_default()
}

impl UnitRow {
    pub fn rent_text(&self) -> String {
        self.monthly_rent.map(kroner).unwrap_or_default()
    }

    pub fn area_text(&self) -> String {
        format_area(self.area)
    }

    pub fn floor_text(&self) -> String {
        match self.floor {
            Some(f) if f < 0 => format!("Kjeller ({f})"),
            Some(f) => f.to_string(),
            None => String::new(),
        }
    }

    pub fn address(&self) -> String {
        format!(
            "{}, {} {}",
            self.street_address, self.postcode, self.postal_place
        )
    }

    pub fn condition_text(&self) -> &'static str {
        self.condition.map(|c| c.label()).unwrap_or("Ikke vurdert")
    }

    pub fn condition_date(&self) -> String {
        format_opt_date(self.condition_assessed_on)
    }

    pub fn expected_text(&self) -> String {
        format_opt_date(self.expected_vacant_from)
    }

    pub fn status_since_text(&self) -> String {
        date(self.status_since)
    }

    /// "Ledig nå" or the date it becomes vacant, for the vacancy overview.
    pub fn available_text(&self) -> String {
        if self.status == Status::Vacant {
            format!("Ledig nå (siden {})", date(self.status_since))
        } else {
            self.expected_vacant_from
                .map(|d| format!("Fra {}", date(d)))
                .unwrap_or_default()
        }
    }

    pub fn area_name_text(&self) -> &str {
        self.area_name.as_deref().unwrap_or("")
    }

    pub fn may_mark_for_sale(&self) -> bool {
        self.status.can_become(Status::ToBeSold)
    }
}

impl PropertyRow {
    pub fn cadastral(&self) -> String {
        match (self.gnr, self.bnr) {
            (Some(g), Some(b)) => format!("{g}/{b}"),
            _ => String::new(),
        }
    }

    pub fn agreement_text(&self) -> String {
        format_opt_date(self.agreement_ends)
    }

    pub fn area_name_text(&self) -> &str {
        self.area_name.as_deref().unwrap_or("")
    }
}

impl StatusChangeRow {
    pub fn changed_text(&self) -> String {
        self.changed_at
            .with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    pub fn effective_text(&self) -> String {
        date(self.effective_on)
    }

    pub fn from_text(&self) -> &'static str {
        self.from_status.map(|s| s.label()).unwrap_or("Registrert")
    }

    pub fn by_text(&self) -> &str {
        self.changed_by.as_deref().unwrap_or("")
    }
}

impl AssessmentRow {
    pub fn date_text(&self) -> String {
        date(self.assessed_on)
    }

    pub fn cost_text(&self) -> String {
        self.cost_estimate.map(kroner).unwrap_or_default()
    }

    pub fn by_text(&self) -> &str {
        self.recorded_by.as_deref().unwrap_or("")
    }
}

impl MoveRow {
    pub fn date_text(&self) -> String {
        date(self.moved_on)
    }

    pub fn direction_text(&self) -> &'static str {
        if self.direction == "in" {
            "Innflytting"
        } else {
            "Utflytting"
        }
    }
}
