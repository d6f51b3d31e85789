//! Changes to the letters' texts: a new version of a mandatory text. (Letters themselves
//! are archived by the command that sends them, in its transaction: see
//! [`super::archive::archive`].)

use uuid::Uuid;

use super::mandatory::TextKey;
use super::repo;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::web::ctx::Actor;
use crate::web::refusal::{Outcome, Refusal};

/// A new wording of one text, checked, and the version and municipality the form edited.
pub struct SaveText {
    pub key: TextKey,
    pub body: String,
    pub version: Option<i32>,
    /// Another municipality in view now (the switcher was used in another tab) makes the
    /// form stale, not a save into the wrong municipality.
    pub municipality: Option<Uuid>,
}

/// Saves a new version of the text in municipality `m`; false when the wording is
/// unchanged (nothing saved). Every edit is a new version: the table is append-only.
pub async fn save_text(tx: &mut Tx, actor: Actor<'_>, m: Uuid, input: SaveText) -> Outcome<bool> {
    let key = input.key;
    repo::ensure_defaults(tx, m).await?;
    // The newest version; two admins saving at once are told apart by the unique key on
    // (municipality, key, version) below (no row locks on an append-only table).
    let (latest, latest_body) = repo::latest_text(tx, m, key).await?;
    if input.version != Some(latest) || input.municipality != Some(m) {
        return Err(Refusal::Stale);
    }
    if latest_body.trim() == input.body {
        return Ok(false);
    }
    let id = Uuid::now_v7();
    if let Err(err) =
        repo::insert_text_version(tx, m, id, key, latest + 1, &input.body, actor.user.id).await
    {
        // Two admins saving the same version at once: the unique key lets one win.
        if crate::db::is_unique_violation(&err, "mandatory_texts_municipality_id_key_version_key") {
            return Err(Refusal::Stale);
        }
        return Err(err.into());
    }
    audit::record(
        tx,
        &actor,
        Event::new("mandatory_text.versioned")
            .municipality(m)
            .entity("mandatory_text", id)
            .details(serde_json::json!({ "key": key.key(), "version": latest + 1 })),
    )
    .await?;
    Ok(true)
}
