//! Small helpers shared by the applications templates.

use chrono::{DateTime, Utc};

use super::model::{self, Status};

/// An option of a select or checkbox group.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
        }
    }
}

type Codes = &'static [(&'static str, &'static str)];

/// The code lists and their labels, for templates (`v.channel(..)`, `v.channels()`).
#[derive(Clone, Copy, Default)]
pub struct Vocab;

impl Vocab {
    pub fn channels(&self) -> Codes {
        model::CHANNELS
    }
    pub fn situations(&self) -> Codes {
        model::SITUATIONS
    }
    pub fn dwelling_types(&self) -> Codes {
        model::DWELLING_TYPES
    }
    pub fn services(&self) -> Codes {
        model::SERVICES
    }
    pub fn care_levels(&self) -> Codes {
        model::CARE_LEVELS
    }
    pub fn relations(&self) -> Codes {
        model::RELATIONS
    }
    pub fn contact_kinds(&self) -> Codes {
        model::CONTACT_KINDS
    }
    pub fn independence_levels(&self) -> Codes {
        model::INDEPENDENCE_LEVELS
    }
    pub fn needs(&self) -> Codes {
        model::NEEDS
    }
    pub fn statuses(&self) -> [Status; 11] {
        Status::ALL
    }
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
    pub fn relation(&self, k: &str) -> &'static str {
        model::label_of(model::RELATIONS, k)
    }
    pub fn channel(&self, k: &str) -> &'static str {
        model::label_of(model::CHANNELS, k)
    }
    pub fn situation(&self, k: &str) -> &'static str {
        model::label_of(model::SITUATIONS, k)
    }
    pub fn dwelling_type(&self, k: &str) -> &'static str {
        model::label_of(model::DWELLING_TYPES, k)
    }
    pub fn service(&self, k: &str) -> &'static str {
        model::label_of(model::SERVICES, k)
    }
    pub fn care_level(&self, k: &str) -> &'static str {
        model::label_of(model::CARE_LEVELS, k)
    }
    pub fn independence(&self, k: &str) -> &'static str {
        model::label_of(model::INDEPENDENCE_LEVELS, k)
    }
}

/// "12,3 MB", "840 kB".
pub fn file_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

/// A moment as Norwegians read it, in Oslo time: "03.11.2026 kl. 14.05".
pub fn date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Oslo)
        .format("%d.%m.%Y kl. %H.%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(file_size(500), "1 kB");
        assert_eq!(file_size(3 * 1024 * 1024 / 2), "1,5 MB");
    }
}
