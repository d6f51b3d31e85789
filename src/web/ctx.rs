//! The request context of a logged-in user: who, which municipalities this request may
//! see, and transactions scoped to them.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::auth::policy::{Permission, Roles};
use crate::auth::roles::{CurrentUser, MunicipalityRef};
use crate::auth::session::{MaybeSession, SessionData};
use crate::db::{self, Tx};
use crate::web::error::{AppError, AppResult};
use crate::AppState;

#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    pub session: Arc<SessionData>,
    pub user: Arc<CurrentUser>,
    pub meta: RequestMeta,
}

/// Who makes a change: what a command needs to know of the request, and nothing that
/// would let it open transactions of its own.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub user: &'a CurrentUser,
    pub meta: &'a RequestMeta,
    pub today: chrono::NaiveDate,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Actor<'_> {
    pub fn may(&self, permission: Permission, municipality: Uuid) -> bool {
        self.user.has_any_role(municipality, permission.roles())
    }
}

/// Who asked and from where, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub path: String,
}

impl RequestMeta {
    /// The municipality number in the address's `kommune=` parameter, if it is one (four
    /// digits; settings pages carry a municipality id there, which this leaves alone).
    pub fn narrowed_to(&self) -> Option<&str> {
        let query = self.path.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("kommune="))
            .find(|v| v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()))
    }

    /// With `trust_proxy` (Bosak behind a reverse proxy) the client address is the last
    /// entry of `X-Forwarded-For`, the one our proxy added; otherwise the TCP peer.
    pub fn from_parts(parts: &Parts, trust_proxy: bool) -> Self {
        let forwarded = trust_proxy
            .then(|| {
                parts
                    .headers
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit(',').next())
                    .map(|v| v.trim().to_owned())
                    .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
            })
            .flatten();
        RequestMeta {
            ip: forwarded.or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip().to_string())
            }),
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        }
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta::from_parts(parts, state.config.trust_proxy))
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let meta = RequestMeta::from_parts(parts, state.config.trust_proxy);
        let session = parts
            .extensions
            .get::<MaybeSession>()
            .and_then(|s| s.0.clone());
        let Some(session) = session else {
            return Err(AppError::LoginRequired { next: meta.path });
        };
        let Some(user) = session.user.clone() else {
            return Err(AppError::LoginRequired { next: meta.path });
        };
        if user.must_change_password && parts.uri.path() != "/passord" {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(Ctx {
            state: state.clone(),
            session,
            user,
            meta,
        })
    }
}

impl Ctx {
    /// Today in Norway, by the program's clock (`crate::clock`).
    pub fn today(&self) -> chrono::NaiveDate {
        self.state.clock().today()
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock().now()
    }

    /// The municipality chosen in the switcher, or the only one the user has.
    /// None means "all my municipalities".
    /// A page opened with `?kommune=<number>` of one of the user's municipalities (the
    /// start page's counts link to their lists that way) shows that municipality alone,
    /// whatever the switcher says, so a count and the list it opens agree.
    pub fn current_municipality(&self) -> Option<MunicipalityRef> {
        let all = self.user.municipalities();
        if all.len() == 1 {
            return all.into_iter().next();
        }
        if let Some(number) = self.meta.narrowed_to() {
            if let Some(m) = all.iter().find(|m| m.number == number) {
                return Some(m.clone());
            }
        }
        let chosen = self.session.current_municipality_id?;
        all.into_iter().find(|m| m.id == chosen)
    }

    /// Municipalities this request reads from: the chosen one, or all of the user's.
    pub fn visible_municipalities(&self) -> Vec<MunicipalityRef> {
        match self.current_municipality() {
            Some(m) => vec![m],
            None => self.user.municipalities(),
        }
    }

    pub fn visible_ids(&self) -> Vec<Uuid> {
        self.visible_municipalities()
            .into_iter()
            .map(|m| m.id)
            .collect()
    }

    /// The municipality an admin page administers: the one in view where the user is
    /// admin. None is 403; several (a shared office in overview) is 404 until the user
    /// picks one in the switcher.
    pub fn admin_municipality(&self) -> AppResult<MunicipalityRef> {
        let mut admin = self.visible_with_role(Permission::Administer);
        match admin.len() {
            0 => Err(AppError::Forbidden),
            1 => admin.pop().ok_or(AppError::Forbidden),
            _ => Err(AppError::NotFound),
        }
    }

    /// Municipalities in view where the user holds one of `roles`.
    pub fn visible_with_role(&self, roles: impl Roles) -> Vec<MunicipalityRef> {
        self.visible_municipalities()
            .into_iter()
            .filter(|m| self.user.has_any_role(m.id, roles.roles()))
            .collect()
    }

    /// A read transaction over the municipalities in view where the user has one of `roles`;
    /// 403 when there is none, so a page the user's roles do not cover is refused rather
    /// than shown empty (`auth::policy`).
    pub async fn read_tx(&self, roles: impl Roles) -> AppResult<(Tx, Vec<MunicipalityRef>)> {
        let (tx, munis) = self.read_tx_or_empty(roles).await?;
        if munis.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok((tx, munis))
    }

    /// Like [`Ctx::read_tx`], but an empty set is fine (the start page shows what there is).
    pub async fn read_tx_or_empty(
        &self,
        roles: impl Roles,
    ) -> AppResult<(Tx, Vec<MunicipalityRef>)> {
        let munis = self.visible_with_role(roles);
        let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
        let tx = db::scoped_tx(&self.state.pool, &ids).await?;
        Ok((tx, munis))
    }

    /// A write transaction that can see and change only `municipality`, after checking
    /// that the user holds one of `roles` there. Unknown or foreign municipalities are 404
    /// so ids of other tenants reveal nothing.
    pub async fn write_tx(&self, municipality: Uuid, roles: impl Roles) -> AppResult<Tx> {
        if !self.user.can_see(municipality) {
            return Err(AppError::NotFound);
        }
        if !self.user.has_any_role(municipality, roles.roles()) {
            return Err(AppError::Forbidden);
        }
        Ok(db::scoped_tx(&self.state.pool, &[municipality]).await?)
    }

    /// A write transaction over several municipalities (a shared office's meeting), after
    /// checking that the user holds one of `roles` in every one of them.
    pub async fn write_tx_all(&self, municipalities: &[Uuid], roles: impl Roles) -> AppResult<Tx> {
        if municipalities.is_empty() {
            return Err(AppError::NotFound);
        }
        for m in municipalities {
            if !self.user.can_see(*m) {
                return Err(AppError::NotFound);
            }
            if !self.user.has_any_role(*m, roles.roles()) {
                return Err(AppError::Forbidden);
            }
        }
        Ok(db::scoped_tx(&self.state.pool, municipalities).await?)
    }

    /// A read transaction over every municipality where the user holds one of `roles`,
    /// whatever the switcher shows: for records that span municipalities (meetings).
    pub async fn all_roles_tx(&self, roles: impl Roles) -> AppResult<(Tx, Vec<Uuid>)> {
        let ids: Vec<Uuid> = self
            .user
            .municipalities()
            .into_iter()
            .filter(|m| self.user.has_any_role(m.id, roles.roles()))
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return Err(AppError::Forbidden);
        }
        let tx = db::scoped_tx(&self.state.pool, &ids).await?;
        Ok((tx, ids))
    }

    /// A transaction for global tables only (no tenant rows visible).
    pub async fn global_tx(&self) -> AppResult<Tx> {
        Ok(db::scoped_tx(&self.state.pool, &[]).await?)
    }

    /// Does the user hold `permission` in `municipality`?
    pub fn may(&self, permission: Permission, municipality: Uuid) -> bool {
        self.user.has_any_role(municipality, permission.roles())
    }

    /// Does the user hold `permission` in some municipality in view (the menu's test)?
    pub fn may_in_view(&self, permission: Permission) -> bool {
        !self.visible_with_role(permission).is_empty()
    }

    /// Who acts, for commands: the user, where from, and the program's clock.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user: &self.user,
            meta: &self.meta,
            today: self.today(),
            now: self.now(),
        }
    }

    /// The CSRF token for a form on this response (masked afresh each time).
    pub fn csrf(&self) -> String {
        crate::web::csrf::mask(&self.session.csrf_token)
    }
}
