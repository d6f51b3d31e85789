//! Mandatory letter texts: the appeal information of fvl. § 27 (rights under §§ 28–31),
//! access to documents (§§ 18–19), costs (§ 36) and free legal aid. Each municipality's
//! admin can reword them; every edit is a new version (the table is append-only) and every
//! sent letter records the versions it printed, so what a party was told can be shown
//! years later even after the wording changed. Version 1 is today's wording, below.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format;
use crate::web::forms::{text, FormErrors};
use crate::web::layout::Layout;
use crate::web::{render, render_status};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKey {
    AppealRights,
    AccessToDocuments,
    Costs,
    LegalAid,
}

/// The placeholder an admin may write for the sending municipality's letterhead name.
pub const SENDER: &str = "{avsender}";

impl TextKey {
    pub const ALL: [TextKey; 4] = [
        TextKey::AppealRights,
        TextKey::AccessToDocuments,
        TextKey::Costs,
        TextKey::LegalAid,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TextKey::AppealRights => "appeal_rights",
            TextKey::AccessToDocuments => "access_to_documents",
            TextKey::Costs => "costs",
            TextKey::LegalAid => "legal_aid",
        }
    }

    /// The form field that edits this text.
    pub fn field(self) -> &'static str {
        match self {
            TextKey::AppealRights => "body_appeal_rights",
            TextKey::AccessToDocuments => "body_access_to_documents",
            TextKey::Costs => "body_costs",
            TextKey::LegalAid => "body_legal_aid",
        }
    }

    pub fn parse(s: &str) -> Option<TextKey> {
        TextKey::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TextKey::AppealRights => "Klagerett (forvaltningsloven §§ 27–31)",
            TextKey::AccessToDocuments => {
                "Innsyn i saksdokumentene (forvaltningsloven §§ 18 og 19)"
            }
            TextKey::Costs => "Sakskostnader (forvaltningsloven § 36)",
            TextKey::LegalAid => "Fri rettshjelp",
        }
    }

    pub fn used_in(self) -> &'static str {
        match self {
            TextKey::AppealRights | TextKey::Costs | TextKey::LegalAid => {
                "Vedtaksbrev og vedtak om avvisning av klage"
            }
            TextKey::AccessToDocuments => {
                "Vedtaksbrev, vedtak om avvisning av klage, forhåndsvarsel og oversendelse av klage"
            }
        }
    }

    /// Version 1: the wording Bosak ships.
    pub fn default_body(self) -> &'static str {
        match self {
            TextKey::AppealRights => "Du har rett til å klage på vedtaket, jf. forvaltningsloven § 28. Klagen sendes til {avsender}, som har gjort vedtaket. Vi vurderer saken på nytt og kan endre vedtaket. Hvis vi ikke endrer vedtaket, sender vi klagen videre til klageinstansen.\n\nKlagen må være skriftlig og underskrevet. Skriv hvilket vedtak og hvilket vedtakspunkt du klager på, og hvilken endring du ønsker. Du bør begrunne klagen og legge ved opplysninger som kan ha betydning. Klagen må være postlagt eller levert før klagefristen går ut, jf. forvaltningsloven § 30. Har du klaget for sent, kan klagen likevel bli behandlet hvis det er særlige grunner til det, men ikke hvis det har gått mer enn ett år siden vedtaket ble gjort (§ 31).\n\nDu kan be om at vedtaket ikke blir satt i verk før klagen er avgjort, jf. forvaltningsloven § 42.",
            TextKey::AccessToDocuments => "Du har rett til å se dokumentene i saken din, jf. forvaltningsloven §§ 18 og 19.",
            TextKey::Costs => "Hvis vedtaket blir endret til gunst for deg etter klage, kan du ha rett til å få dekket vesentlige kostnader som har vært nødvendige for å få vedtaket endret, jf. forvaltningsloven § 36. Kravet må settes fram innen tre uker etter at du har fått melding om det nye vedtaket.",
            TextKey::LegalAid => "Du kan ha rett til fri rettshjelp etter lov om fri rettshjelp. Om du har rett til det, avhenger blant annet av inntekten og formuen din. En advokat eller Statsforvalteren kan gi deg mer informasjon.",
        }
    }
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Version {
    pub id: Uuid,
    pub key: String,
    pub version: i32,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
}

impl Version {
    pub fn label(&self) -> &'static str {
        TextKey::parse(&self.key).map_or("", TextKey::label)
    }
    pub fn created(&self) -> String {
        format::datetime(self.created_at)
    }
    pub fn author(&self) -> &str {
        self.created_by_name
            .as_deref()
            .unwrap_or("Bosak (standardtekst)")
    }
}

/// The current version of each mandatory text of one municipality.
#[derive(Clone, Debug)]
pub struct Texts {
    current: HashMap<TextKey, Version>,
}

impl Texts {
    fn get(&self, key: TextKey) -> Option<&Version> {
        self.current.get(&key)
    }

    /// The text as printed: the sender filled in, as verbatim lines for the letter markup
    /// (an admin's wording is never read as headings or list items).
    pub fn lines(&self, key: TextKey, sender: &str) -> Vec<String> {
        let body = self
            .get(key)
            .map_or(key.default_body(), |v| v.body.as_str());
        super::verbatim_lines(&body.replace(SENDER, sender))
    }

    /// The version ids of `keys`, to record on the sent letter.
    pub fn ids(&self, keys: &[TextKey]) -> Vec<Uuid> {
        keys.iter()
            .filter_map(|k| self.get(*k).map(|v| v.id))
            .collect()
    }
}

pub use super::repo::{ensure_defaults, of_letter, record_on_letter};

/// The texts a letter composed now would print (seeding version 1 where missing).
pub async fn current(conn: &mut PgConnection, municipality: Uuid) -> sqlx::Result<Texts> {
    let rows = super::repo::current_texts(conn, municipality).await?;
    Ok(Texts {
        current: rows
            .into_iter()
            .filter_map(|v| TextKey::parse(&v.key).map(|k| (k, v)))
            .collect(),
    })
}

/// Refuses placeholders other than [`SENDER`]: a misspelt one would be printed as is.
pub(super) fn check_placeholders(errors: &mut FormErrors, field: &'static str, body: &str) {
    let mut rest = body;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            errors.add(
                field,
                "Teksten har en { uten }. Bruk {avsender} for kommunens navn, og ellers ingen klammeparenteser.",
            );
            return;
        };
        let candidate = &after[..=end];
        if candidate != SENDER {
            errors.add(
                field,
                format!("Ukjent plassholder {candidate}. Bare {SENDER} (kommunens navn i brevhodet) kan brukes."),
            );
            return;
        }
        rest = &after[end + 1..];
    }
}

#[derive(Template)]
#[template(path = "letters/mandatory_texts.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub texts: Vec<TextBlock>,
    pub errors: FormErrors,
    pub saved: Option<String>,
}

pub struct TextBlock {
    pub key: &'static str,
    pub label: &'static str,
    pub used_in: &'static str,
    pub current: Version,
    pub earlier: Vec<Version>,
    /// What the form shows: the typed text after a refusal, else the current text.
    pub value: String,
}

impl TextBlock {
    pub fn field(&self) -> &'static str {
        TextKey::parse(self.key).map_or("", TextKey::field)
    }
}

impl AdminPage {
    pub fn error_for(&self, b: &TextBlock) -> Option<&str> {
        self.errors.get(b.field())
    }
}

async fn page(
    ctx: &Ctx,
    typed: Option<(TextKey, String)>,
    errors: FormErrors,
    saved: Option<String>,
) -> AppResult<AdminPage> {
    let m = ctx.admin_municipality()?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    ensure_defaults(&mut tx, m.id).await?;
    let all = super::repo::text_history(&mut tx, m.id).await?;
    tx.commit().await?;
    let mut texts = Vec::new();
    for key in TextKey::ALL {
        let mut versions: Vec<Version> =
            all.iter().filter(|v| v.key == key.key()).cloned().collect();
        if versions.is_empty() {
            continue;
        }
        let current = versions.remove(0);
        let value = match &typed {
            Some((k, v)) if *k == key => v.clone(),
            _ => current.body.clone(),
        };
        texts.push(TextBlock {
            key: key.key(),
            label: key.label(),
            used_in: key.used_in(),
            current,
            earlier: versions,
            value,
        });
    }
    Ok(AdminPage {
        layout: Layout::new(ctx, "innstillinger"),
        m,
        texts,
        errors,
        saved,
    })
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    lagret: String,
}

/// `/innstillinger/brevtekster`
pub async fn show(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> AppResult<Response> {
    let saved = TextKey::parse(&q.lagret).map(|k| k.label().to_owned());
    render(&page(&ctx, None, FormErrors::new(), saved).await?)
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    body: String,
    /// The version the admin edited: a newer one means a colleague changed it meanwhile.
    #[serde(default)]
    version: String,
    /// The municipality whose text was edited: another one in view now (the switcher was
    /// used in another tab) is a stale form, not a save into the wrong municipality.
    #[serde(default)]
    municipality: String,
}

async fn refuse(
    ctx: &Ctx,
    key: TextKey,
    typed: &str,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    render_status(
        status,
        &page(ctx, Some((key, typed.to_owned())), errors, None).await?,
    )
}

/// `POST /innstillinger/brevtekster/{key}`: a new version of one text.
pub async fn save(
    ctx: Ctx,
    Path(raw): Path<String>,
    Form(f): Form<EditForm>,
) -> AppResult<Response> {
    let key = TextKey::parse(&raw).ok_or(AppError::NotFound)?;
    let m = ctx.admin_municipality()?;
    let field = key.field();
    let mut e = FormErrors::new();
    let body = text(&mut e, field, &f.body, true, 5000, "Teksten");
    if !crate::web::forms::acceptable_text(&body) {
        e.add(field, "Teksten inneholder et tegn som ikke kan brukes.");
    }
    check_placeholders(&mut e, field, &body);
    if !e.is_empty() {
        return refuse(&ctx, key, &f.body, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let input = super::commands::SaveText {
        key,
        body,
        version: f.version.trim().parse().ok(),
        municipality: Uuid::parse_str(f.municipality.trim()).ok(),
    };
    let outcome = super::commands::save_text(&mut tx, ctx.actor(), m.id, input).await;
    match db::commit(tx, outcome).await {
        Ok(false) => Ok(Redirect::to("/innstillinger/brevtekster").into_response()),
        Ok(true) => Ok(Redirect::to(&format!(
            "/innstillinger/brevtekster?lagret={}#{}",
            key.key(),
            key.key()
        ))
        .into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            // Each text has its own form: the message goes next to the one saved.
            let mut e = shown.errors;
            if let Some(general) = e.general.take() {
                e.add(field, general);
            }
            refuse(&ctx, key, &f.body, e, status).await
        }
    }
}

pub fn routes() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/innstillinger/brevtekster", get(show))
        .route("/innstillinger/brevtekster/{key}", post(save))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sender_placeholder_is_accepted() {
        let check = |s: &str| {
            let mut e = FormErrors::new();
            check_placeholders(&mut e, "body", s);
            e.is_empty()
        };
        assert!(check("Klagen sendes til {avsender}."));
        assert!(check("Ingen plassholdere."));
        assert!(!check("Klagen sendes til {kommune}."));
        assert!(!check("Klagen sendes til {avsender"));
        assert!(!check("{avsender} og {telefon}"));
    }

    #[test]
    fn the_sender_is_filled_in_and_text_stays_verbatim() {
        let t = Texts {
            current: HashMap::new(),
        };
        let lines = t.lines(TextKey::AppealRights, "Levanger kommune");
        assert!(lines
            .iter()
            .any(|l| l.contains("Klagen sendes til Levanger kommune")));
        assert!(lines.iter().all(|l| !l.contains(SENDER)));
    }
}
