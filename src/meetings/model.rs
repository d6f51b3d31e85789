//! Allocation team meetings: item kinds, conclusions, participants and the forms that
//! plan a meeting and record a conclusion. Pure rules, no I/O.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::web::format::parse_date;
use crate::web::forms::{text, FormErrors};

/// A posted form as ordered pairs: checkbox groups post the same name several times.
pub type Pairs = Vec<(String, String)>;

pub fn first<'a>(p: &'a Pairs, k: &str) -> &'a str {
    p.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub fn all<'a>(p: &'a Pairs, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    p.iter()
        .filter(move |(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

#[derive(sqlx::Type, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[sqlx(type_name = "meeting_item_kind", rename_all = "snake_case")]
pub enum ItemKind {
    Application,
    Dwelling,
    Appeal,
    Other,
}

impl ItemKind {
    pub fn key(self) -> &'static str {
        match self {
            ItemKind::Application => "application",
            ItemKind::Dwelling => "dwelling",
            ItemKind::Appeal => "appeal",
            ItemKind::Other => "other",
        }
    }
    pub fn from_key(k: &str) -> Option<Self> {
        [
            ItemKind::Application,
            ItemKind::Dwelling,
            ItemKind::Appeal,
            ItemKind::Other,
        ]
        .into_iter()
        .find(|x| x.key() == k)
    }
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Application => "Søknad",
            ItemKind::Dwelling => "Ledig bolig",
            ItemKind::Appeal => "Klage",
            ItemKind::Other => "Annen sak",
        }
    }
    /// The conclusions the team can reach on this kind of item, in the order offered.
    pub fn conclusions(self) -> &'static [Conclusion] {
        use Conclusion::*;
        match self {
            ItemKind::Application => &[
                RecommendGrant,
                RecommendPartial,
                RecommendRefuse,
                Postponed,
                Noted,
            ],
            ItemKind::Dwelling => &[CandidateChosen, NotAllocated, Postponed],
            ItemKind::Appeal => &[RecommendUphold, RecommendReverse, Postponed],
            ItemKind::Other => &[Noted, Postponed],
        }
    }
}

#[derive(sqlx::Type, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[sqlx(type_name = "meeting_conclusion", rename_all = "snake_case")]
pub enum Conclusion {
    RecommendGrant,
    RecommendPartial,
    RecommendRefuse,
    CandidateChosen,
    NotAllocated,
    RecommendUphold,
    RecommendReverse,
    Postponed,
    Noted,
}

impl Conclusion {
    pub const ALL: [Conclusion; 9] = [
        Conclusion::RecommendGrant,
        Conclusion::RecommendPartial,
        Conclusion::RecommendRefuse,
        Conclusion::CandidateChosen,
        Conclusion::NotAllocated,
        Conclusion::RecommendUphold,
        Conclusion::RecommendReverse,
        Conclusion::Postponed,
        Conclusion::Noted,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Conclusion::RecommendGrant => "recommend_grant",
            Conclusion::RecommendPartial => "recommend_partial",
            Conclusion::RecommendRefuse => "recommend_refuse",
            Conclusion::CandidateChosen => "candidate_chosen",
            Conclusion::NotAllocated => "not_allocated",
            Conclusion::RecommendUphold => "recommend_uphold",
            Conclusion::RecommendReverse => "recommend_reverse",
            Conclusion::Postponed => "postponed",
            Conclusion::Noted => "noted",
        }
    }
    pub fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == k)
    }
    pub fn label(self) -> &'static str {
        match self {
            Conclusion::RecommendGrant => "Anbefales innvilget",
            Conclusion::RecommendPartial => "Anbefales delvis innvilget",
            Conclusion::RecommendRefuse => "Anbefales avslått",
            Conclusion::CandidateChosen => "Tildeles kandidat",
            Conclusion::NotAllocated => "Tildeles ikke nå",
            Conclusion::RecommendUphold => "Anbefaler å opprettholde vedtaket",
            Conclusion::RecommendReverse => "Anbefaler å omgjøre vedtaket",
            Conclusion::Postponed => "Utsatt",
            Conclusion::Noted => "Tatt til orientering",
        }
    }
    /// A single key for the meeting-mode shortcut (shown next to the choice).
    pub fn shortcut(self) -> &'static str {
        match self {
            Conclusion::RecommendGrant => "i",
            Conclusion::RecommendPartial => "d",
            Conclusion::RecommendRefuse => "a",
            Conclusion::CandidateChosen => "t",
            Conclusion::NotAllocated => "x",
            Conclusion::RecommendUphold => "o",
            Conclusion::RecommendReverse => "m",
            Conclusion::Postponed => "u",
            Conclusion::Noted => "r",
        }
    }
    /// A recommendation the caseworker should see on the case when writing the decision.
    pub fn is_recommendation(self) -> bool {
        matches!(
            self,
            Conclusion::RecommendGrant
                | Conclusion::RecommendPartial
                | Conclusion::RecommendRefuse
                | Conclusion::RecommendUphold
                | Conclusion::RecommendReverse
        )
    }
}

/// Someone invited to the meeting: a Bosak user, or an external participant by name and
/// organisation (NAV, the refugee service …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub user_id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub attended: bool,
}

impl Participant {
    pub fn describe(&self) -> String {
        if self.organisation.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.organisation)
        }
    }
}

/// "Kari Nordmann Vold" → "K. N. V." (the privacy switch while projecting).
pub fn initials(name: &str) -> String {
    let parts: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect();
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join(" ")
    }
}

/// Free text with the given people's names replaced by initials (the privacy switch):
/// a full name becomes its initials, and each part of a name (three letters or more) its
/// first letter, matched as whole words. Text about other people stays as written.
pub fn mask_names(text: &str, names: &[String]) -> String {
    let mut words: Vec<(String, String)> = Vec::new();
    for n in names {
        let n = n.trim();
        if n.is_empty() {
            continue;
        }
        words.push((n.to_string(), initials(n)));
        for part in n.split(|c: char| c.is_whitespace() || c == '-') {
            if part.chars().count() >= 3 {
                words.push((part.to_string(), initials(part)));
            }
        }
    }
    // Longest first, so "Kari Nordmann" goes before "Kari"; equal words side by side.
    words.sort_by_key(|w| (std::cmp::Reverse(w.0.chars().count()), w.0.clone()));
    words.dedup_by(|a, b| a.0 == b.0);
    let mut out = text.to_string();
    for (word, short) in &words {
        out = replace_word(&out, word, short);
    }
    out
}

/// Replaces `word` where it stands as a whole word (case-insensitive).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let lower = text.to_lowercase();
    let needle = word.to_lowercase();
    // Lower-casing can change byte lengths (rare letters); then leave the text as it is.
    if lower.len() != text.len() || needle.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = lower[i..].find(&needle) {
        let start = i + found;
        let end = start + needle.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let bounded =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&text[i..start]);
        out.push_str(if bounded { with } else { &text[start..end] });
        i = end;
    }
    out.push_str(&text[i..]);
    out
}

/// A single-line field: line breaks and runs of spaces become one space, so a title cannot
/// start a new line (or a heading) in the printed agenda and minutes.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// External participants typed one per line as "Name, organisation".
pub fn parse_external(lines: &str) -> Result<Vec<Participant>, String> {
    let mut out = Vec::new();
    for (i, line) in lines.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (name, org) = match line.split_once(',') {
            Some((n, o)) => (n.trim(), o.trim()),
            None => (line, ""),
        };
        if name.is_empty() {
            return Err(format!("Linje {} mangler navn før kommaet.", i + 1));
        }
        if name.chars().count() > 200 || org.chars().count() > 200 {
            return Err(format!(
                "Linje {}: navn og organisasjon kan ha høyst 200 tegn hver.",
                i + 1
            ));
        }
        out.push(Participant {
            user_id: None,
            name: name.to_string(),
            organisation: org.to_string(),
            attended: false,
        });
    }
    if out.len() > 40 {
        return Err("Høyst 40 eksterne deltakere.".into());
    }
    Ok(out)
}

pub fn external_text(ps: &[Participant]) -> String {
    ps.iter()
        .filter(|p| p.user_id.is_none())
        .map(|p| {
            if p.organisation.is_empty() {
                p.name.clone()
            } else {
                format!("{}, {}", p.name, p.organisation)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The meeting's planning form as the user typed it.
#[derive(Clone, Debug, Default)]
pub struct MeetingForm {
    pub title: String,
    pub date: String,
    pub time: String,
    pub place: String,
    pub municipalities: Vec<String>,
    pub users: Vec<String>,
    pub external: String,
    pub version: String,
}

impl MeetingForm {
    pub fn from_pairs(p: &Pairs) -> Self {
        MeetingForm {
            title: first(p, "title").to_string(),
            date: first(p, "date").to_string(),
            time: first(p, "time").to_string(),
            place: first(p, "place").to_string(),
            municipalities: all(p, "municipality").map(str::to_string).collect(),
            users: all(p, "user").map(str::to_string).collect(),
            external: first(p, "external").to_string(),
            version: first(p, "version").to_string(),
        }
    }
    pub fn has_user(&self, id: &Uuid) -> bool {
        let s = id.to_string();
        self.users.contains(&s)
    }
    pub fn has_municipality(&self, id: &Uuid) -> bool {
        let s = id.to_string();
        self.municipalities.contains(&s)
    }
}

pub struct ValidMeeting {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub municipalities: Vec<Uuid>,
    pub users: Vec<Uuid>,
    pub external: Vec<Participant>,
}

/// Validates the planning form. `allowed` are the municipalities the user may plan for;
/// `users` the people who can be invited (id → known).
pub fn validate_meeting(
    f: &MeetingForm,
    allowed: &[Uuid],
    known_user: impl Fn(Uuid) -> bool,
) -> Result<ValidMeeting, FormErrors> {
    let mut e = FormErrors::new();
    let title = text(
        &mut e,
        "title",
        &one_line(&f.title),
        true,
        200,
        "Navn på møtet",
    );
    let place = text(&mut e, "place", &one_line(&f.place), false, 300, "Sted");
    let date = parse_date(&f.date);
    if f.date.trim().is_empty() {
        e.add("date", "Skriv inn datoen for møtet.");
    } else if date.is_none() {
        e.add(
            "date",
            "Skriv datoen som dd.mm.åååå, for eksempel 08.12.2026.",
        );
    }
    let time = parse_time(&f.time);
    if f.time.trim().is_empty() {
        e.add("time", "Skriv inn klokkeslettet, for eksempel 09:00.");
    } else if time.is_none() {
        e.add("time", "Skriv klokkeslettet som tt:mm, for eksempel 09:00.");
    }
    let mut municipalities = Vec::new();
    for m in &f.municipalities {
        match Uuid::parse_str(m) {
            Ok(id) if allowed.contains(&id) => {
                if !municipalities.contains(&id) {
                    municipalities.push(id)
                }
            }
            _ => e.add(
                "municipality",
                "Du kan bare planlegge møter for kommuner der du har tilgang.",
            ),
        }
    }
    if municipalities.is_empty() {
        e.add("municipality", "Velg minst én kommune møtet gjelder.");
    }
    let mut users = Vec::new();
    for u in &f.users {
        match Uuid::parse_str(u) {
            Ok(id) if known_user(id) => {
                if !users.contains(&id) {
                    users.push(id)
                }
            }
            _ => e.add(
                "users",
                "En av deltakerne finnes ikke lenger. Velg på nytt.",
            ),
        }
    }
    let external = match parse_external(&f.external) {
        Ok(x) => x,
        Err(msg) => {
            e.add("external", msg);
            Vec::new()
        }
    };
    let starts_at = match (date, time) {
        (Some(d), Some(t)) => oslo_instant(d, t),
        _ => None,
    };
    if date.is_some() && time.is_some() && starts_at.is_none() {
        e.add("time", "Klokkeslettet finnes ikke denne dagen (sommertid).");
    }
    match (e.is_empty(), starts_at) {
        (true, Some(starts_at)) => Ok(ValidMeeting {
            title,
            starts_at,
            place,
            municipalities,
            users,
            external,
        }),
        _ => Err(e),
    }
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim().replace('.', ":");
    NaiveTime::parse_from_str(&s, "%H:%M").ok()
}

/// Local time in Norway to an instant; None in the hour skipped by daylight saving.
pub fn oslo_instant(d: NaiveDate, t: NaiveTime) -> Option<DateTime<Utc>> {
    Oslo.from_local_datetime(&d.and_time(t))
        .earliest()
        .map(|x| x.with_timezone(&Utc))
}

pub fn oslo_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Oslo).date_naive()
}

pub fn oslo_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Oslo).format("%H:%M").to_string()
}

/// A conclusion as recorded by the secretary.
#[derive(Clone, Debug, Default)]
pub struct ConclusionForm {
    pub conclusion: String,
    pub text: String,
    pub chosen: String,
    pub justification: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValidConclusion {
    pub conclusion: Conclusion,
    pub text: String,
    /// The chosen candidate and their place in the ranking now.
    pub chosen: Option<(Uuid, i32)>,
    pub justification: String,
}

/// Checks a conclusion for an item of `kind`. `rank_of` gives a candidate's place in the
/// current ranking of the unit (None when not a candidate).
pub fn validate_conclusion(
    kind: ItemKind,
    f: &ConclusionForm,
    rank_of: impl Fn(Uuid) -> Option<i32>,
) -> Result<ValidConclusion, FormErrors> {
    let mut e = FormErrors::new();
    let conclusion =
        Conclusion::from_key(f.conclusion.trim()).filter(|c| kind.conclusions().contains(c));
    if conclusion.is_none() {
        e.add("conclusion", "Velg hva teamet konkluderte med.");
    }
    let body = text(&mut e, "text", &f.text, false, 10000, "Merknaden");
    let justification = text(
        &mut e,
        "justification",
        &f.justification,
        false,
        4000,
        "Begrunnelsen",
    );
    let mut chosen = None;
    match conclusion {
        Some(Conclusion::Postponed) if body.is_empty() => {
            e.add("text", "Skriv hvorfor saken utsettes.");
        }
        Some(Conclusion::NotAllocated) if body.is_empty() => {
            e.add("text", "Skriv hvorfor boligen ikke tildeles nå.");
        }
        Some(Conclusion::CandidateChosen) => match Uuid::parse_str(f.chosen.trim()) {
            Err(_) => e.add("chosen", "Velg kandidaten teamet tildeler boligen."),
            Ok(id) => match rank_of(id) {
                None => e.add(
                    "chosen",
                    "Søkeren står ikke lenger på listen over kandidater til boligen.",
                ),
                Some(rank) => {
                    if rank > 1 && justification.is_empty() {
                        e.add(
                            "justification",
                            format!(
                                "Kandidaten er nummer {rank} på listen. Skriv hvorfor teamet går forbi de som står foran."
                            ),
                        );
                    }
                    chosen = Some((id, rank));
                }
            },
        },
        _ => {}
    }
    match (e.is_empty(), conclusion) {
        (true, Some(conclusion)) => Ok(ValidConclusion {
            conclusion,
            text: body,
            chosen,
            justification,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_hide_the_name_but_keep_its_shape() {
        assert_eq!(initials("Kari Nordmann"), "K. N.");
        assert_eq!(initials("Ola Nordmann-Vold"), "O. N. V.");
        assert_eq!(initials("  åse   øyen "), "Å. Ø.");
        assert_eq!(initials(""), "–");
    }

    #[test]
    fn names_in_free_text_become_initials() {
        let names = vec!["Kari Nordmann".to_string(), "Ola Nordmann-Vold".to_string()];
        assert_eq!(
            mask_names(
                "Kari Nordmann bor hos Ola. KARI har barn; Karin er venninne.",
                &names
            ),
            "K. N. bor hos O.. K. har barn; Karin er venninne."
        );
        assert_eq!(mask_names("Vold i nærmiljøet", &names), "V. i nærmiljøet");
        assert_eq!(mask_names("Ingen navn her", &names), "Ingen navn her");
        assert_eq!(mask_names("Åse Øyen", &["Åse Øyen".to_string()]), "Å. Ø.");
    }

    #[test]
    fn single_line_fields_cannot_start_a_new_line() {
        assert_eq!(
            one_line("Møte\n## Til stede\r\n- Ordfører"),
            "Møte ## Til stede - Ordfører"
        );
        assert_eq!(one_line("  Rådhuset   rom 2 "), "Rådhuset rom 2");
    }

    #[test]
    fn external_participants_are_read_one_per_line() {
        let ps =
            parse_external("Line Berg, NAV Levanger\n\n  Ali Hassan ,Flyktningtjenesten \nPer")
                .unwrap();
        assert_eq!(ps.len(), 3);
        assert_eq!(ps[0].name, "Line Berg");
        assert_eq!(ps[0].organisation, "NAV Levanger");
        assert_eq!(ps[1].organisation, "Flyktningtjenesten");
        assert_eq!(ps[2].describe(), "Per");
        assert!(parse_external(", NAV").is_err());
        assert_eq!(
            external_text(&ps),
            "Line Berg, NAV Levanger\nAli Hassan, Flyktningtjenesten\nPer"
        );
    }

    fn form(date: &str, time: &str, munis: Vec<String>) -> MeetingForm {
        MeetingForm {
            title: "Tildelingsmøte".into(),
            date: date.into(),
            time: time.into(),
            municipalities: munis,
            ..Default::default()
        }
    }

    #[test]
    fn a_meeting_needs_a_date_a_time_and_an_allowed_municipality() {
        let m = Uuid::now_v7();
        let other = Uuid::now_v7();
        let ok = validate_meeting(
            &form("08.12.2026", "09.30", vec![m.to_string()]),
            &[m],
            |_| true,
        )
        .unwrap();
        assert_eq!(oslo_time(ok.starts_at), "09:30");
        assert_eq!(
            oslo_date(ok.starts_at),
            NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
        );
        let e = validate_meeting(&form("8/12", "9", vec![other.to_string()]), &[m], |_| true)
            .err()
            .unwrap();
        assert!(e.has("date") && e.has("time") && e.has("municipality"));
        let e = validate_meeting(&form("08.12.2026", "09:00", vec![]), &[m], |_| true)
            .err()
            .unwrap();
        assert!(e.has("municipality"));
        // 02:30 on the last Sunday of March does not exist in Norway.
        let e = validate_meeting(
            &form("28.03.2027", "02:30", vec![m.to_string()]),
            &[m],
            |_| true,
        )
        .err()
        .unwrap();
        assert!(e.has("time"));
    }

    #[test]
    fn a_conclusion_must_fit_the_item_and_explain_itself() {
        let top = Uuid::now_v7();
        let third = Uuid::now_v7();
        let rank = |id: Uuid| {
            if id == top {
                Some(1)
            } else if id == third {
                Some(3)
            } else {
                None
            }
        };
        let f = |c: &str, chosen: &Uuid, just: &str, text: &str| ConclusionForm {
            conclusion: c.into(),
            chosen: chosen.to_string(),
            justification: just.into(),
            text: text.into(),
            version: "1".into(),
        };
        // The top candidate needs no justification; the third does.
        let ok = validate_conclusion(
            ItemKind::Dwelling,
            &f("candidate_chosen", &top, "", ""),
            rank,
        )
        .unwrap();
        assert_eq!(ok.chosen, Some((top, 1)));
        let e = validate_conclusion(
            ItemKind::Dwelling,
            &f("candidate_chosen", &third, "", ""),
            rank,
        )
        .err()
        .unwrap();
        assert!(e.has("justification"));
        assert!(validate_conclusion(
            ItemKind::Dwelling,
            &f("candidate_chosen", &third, "Nær skole", ""),
            rank
        )
        .is_ok());
        // Someone who is not a candidate cannot be chosen.
        let e = validate_conclusion(
            ItemKind::Dwelling,
            &f("candidate_chosen", &Uuid::now_v7(), "x", ""),
            rank,
        )
        .err()
        .unwrap();
        assert!(e.has("chosen"));
        // Postponing needs a reason; a conclusion of another kind of item is refused.
        let e = validate_conclusion(ItemKind::Application, &f("postponed", &top, "", " "), rank)
            .err()
            .unwrap();
        assert!(e.has("text"));
        let e = validate_conclusion(
            ItemKind::Application,
            &f("candidate_chosen", &top, "", ""),
            rank,
        )
        .err()
        .unwrap();
        assert!(e.has("conclusion"));
        let ok = validate_conclusion(
            ItemKind::Application,
            &f("recommend_grant", &top, "", "Enig"),
            rank,
        )
        .unwrap();
        assert_eq!(ok.conclusion, Conclusion::RecommendGrant);
        assert_eq!(ok.chosen, None);
    }

    #[test]
    fn every_conclusion_has_a_distinct_key_and_shortcut() {
        let mut keys: Vec<_> = Conclusion::ALL.iter().map(|c| c.key()).collect();
        keys.dedup();
        assert_eq!(keys.len(), Conclusion::ALL.len());
        for c in Conclusion::ALL {
            assert_eq!(Conclusion::from_key(c.key()), Some(c));
        }
        for k in [
            ItemKind::Application,
            ItemKind::Dwelling,
            ItemKind::Appeal,
            ItemKind::Other,
        ] {
            let mut s: Vec<_> = k.conclusions().iter().map(|c| c.shortcut()).collect();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), k.conclusions().len());
        }
    }
}
