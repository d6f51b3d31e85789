//! What the shared page layout needs: the user, the municipality switcher and navigation
//! fitting the user's roles.

use crate::auth::policy::Permission;
use crate::auth::roles::{MunicipalityRef, Role};
use crate::web::ctx::Ctx;

pub struct Layout {
    pub display_name: String,
    pub username: String,
    pub csrf: String,
    /// Roles in the municipality in view (all roles across municipalities when viewing all).
    pub roles: Vec<Role>,
    pub municipalities: Vec<MunicipalityRef>,
    /// None when viewing all municipalities.
    pub current: Option<MunicipalityRef>,
    pub show_switcher: bool,
    pub active: &'static str,
    pub return_to: String,
    pub nav: Nav,
}

pub struct Nav {
    pub applications: bool,
    pub dwellings: bool,
    pub meetings: bool,
    pub leases: bool,
    pub rent: bool,
    /// Reports: figures, KOSTRA, mapping, need overview (`reporting`).
    pub reports: bool,
    pub users: bool,
    pub settings: bool,
    pub audit: bool,
    pub jobs: bool,
}

impl Layout {
    pub fn new(ctx: &Ctx, active: &'static str) -> Self {
        let municipalities = ctx.user.municipalities();
        let current = ctx.current_municipality();
        let mut roles: Vec<Role> = match &current {
            Some(m) => ctx.user.roles_in(m.id),
            None => ctx.user.grants.iter().map(|g| g.role).collect(),
        };
        roles.sort();
        roles.dedup();
        // Each entry asks the permission its route asks (`auth::policy`).
        let nav = Nav {
            applications: ctx.may_in_view(Permission::ReadCases),
            dwellings: ctx.may_in_view(Permission::ReadRegister),
            meetings: ctx.may_in_view(Permission::ReadCases),
            leases: ctx.may_in_view(Permission::ReadCases),
            rent: ctx.may_in_view(Permission::ManageRent),
            reports: ctx.may_in_view(Permission::ReadCases),
            users: !ctx.user.admin_scopes().is_empty(),
            settings: ctx.may_in_view(Permission::Administer),
            audit: ctx.may_in_view(Permission::ReadAudit),
            jobs: !ctx.user.admin_scopes().is_empty(),
        };
        Layout {
            display_name: ctx.user.display_name.clone(),
            username: ctx.user.username.clone(),
            csrf: ctx.csrf(),
            roles,
            show_switcher: municipalities.len() > 1,
            municipalities,
            current,
            active,
            return_to: ctx.meta.path.clone(),
            nav,
        }
    }

    pub fn is_current(&self, m: &MunicipalityRef) -> bool {
        self.current.as_ref().is_some_and(|c| c.id == m.id)
    }
}
