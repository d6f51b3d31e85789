//! Pages other contexts' settings share: which municipality an admin page administers,
//! and the page that asks the user to choose one.

use askama::Template;

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
