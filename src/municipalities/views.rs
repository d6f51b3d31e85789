//! Pages other contexts' settings share: which municipality an admin page administers,
//! and the page that asks the user to choose one.

use askama::Template;
use serde::Deserialize;

use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// Asks an administrator of several municipalities to choose one in the switcher.
#[derive(Template)]
#[template(path = "municipalities/choose.html")]
pub struct ChoosePage {
    pub layout: crate::web::layout::Layout,
}

/// The municipality whose settings are edited: the one in view, or the only one the user
/// administers; None when several are in view (the page asks to choose), 403 when none.
pub fn admin_target(ctx: &Ctx) -> AppResult<Option<MunicipalityRef>> {
    let mut candidates = ctx.visible_with_role(Permission::Administer);
    match candidates.len() {
        0 => Err(AppError::Forbidden),
        1 => Ok(candidates.pop()),
        _ => Ok(None),
    }
}

/// `?kommune=<id>` in a settings page's address and in its forms' actions: the municipality
/// the page was opened for. A form names it so that switching municipality in another tab
/// cannot make the form save into the municipality now in view.
#[derive(Deserialize, Default)]
pub struct ForMunicipality {
    #[serde(default)]
    kommune: String,
}

/// The municipality a settings page or form is for: the one it names, when the user
/// administers it (404 otherwise), else the one in view as in [`admin_target`].
pub fn admin_target_for(ctx: &Ctx, q: &ForMunicipality) -> AppResult<Option<MunicipalityRef>> {
    let named = q.kommune.trim();
    if named.is_empty() {
        return admin_target(ctx);
    }
    let id = uuid::Uuid::parse_str(named).map_err(|_| AppError::NotFound)?;
    let admin = Permission::Administer.roles();
    ctx.user
        .municipalities()
        .into_iter()
        .find(|m| m.id == id && ctx.user.has_any_role(m.id, admin))
        .map(Some)
        .ok_or(AppError::NotFound)
}

/// As [`admin_target_for`], for a form: a municipality must be known (404 when several are
/// in view and the form names none).
pub fn posted_admin_target(ctx: &Ctx, q: &ForMunicipality) -> AppResult<MunicipalityRef> {
    admin_target_for(ctx, q)?.ok_or(AppError::NotFound)
}
