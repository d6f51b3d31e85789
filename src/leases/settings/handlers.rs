//! The lease settings pages (admins): `/innstillinger/kpi`, `/innstillinger/korttidsgrunnlag`
//! and `/innstillinger/husordensregler`.

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commands;
use super::model::{month_field, month_text, parse_month, GroundForm, HouseRulesForm, KpiForm};
use super::repo::{self, GroundRow, HouseRulesRow, KpiRow};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::leases::rules::index_text;
use crate::municipalities::views::{
    admin_target_for, posted_admin_target, ChoosePage, ForMunicipality,
};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{version, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

const ADMINISTER: Permission = Permission::Administer;
const NAV: &str = "innstillinger";

/// The municipality a POST administers: the one its form was opened for.
fn target(ctx: &Ctx, q: &ForMunicipality) -> AppResult<MunicipalityRef> {
    posted_admin_target(ctx, q)
}

fn choose(ctx: &Ctx) -> AppResult<Response> {
    render(&ChoosePage {
        layout: Layout::new(ctx, NAV),
    })
}

/// A refused form again, with its messages and what was typed.
fn refused_status(refusal: Refusal) -> AppResult<(FormErrors, axum::http::StatusCode)> {
    let shown = refusal.shown()?;
    let status = shown.status();
    Ok((shown.errors, status))
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    lagret: String,
    #[serde(default)]
    rett: String,
}

// ---------------------------------------------------------------------------------------
// KPI values

#[derive(Template)]
#[template(path = "leases/settings_kpi.html")]
pub struct KpiPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub values: Vec<KpiRow>,
    pub add: KpiForm,
    pub add_errors: FormErrors,
    /// The correction form, when a value is being corrected.
    pub correct: Option<KpiForm>,
    pub correct_errors: FormErrors,
    pub saved: bool,
}

impl KpiPage {
    pub fn month(&self, v: &KpiRow) -> String {
        month_text(v.month)
    }
    pub fn month_field(&self, v: &KpiRow) -> String {
        month_field(v.month)
    }
    pub fn value(&self, v: &KpiRow) -> String {
        index_text(v.tenths)
    }
    pub fn recorded(&self, v: &KpiRow) -> String {
        format::datetime(v.recorded_at)
    }
    pub fn correcting_text(&self) -> String {
        self.correct
            .as_ref()
            .and_then(|c| parse_month(&c.month))
            .map(month_text)
            .unwrap_or_default()
    }
}

async fn kpi_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    add: (KpiForm, FormErrors),
    correct: (Option<KpiForm>, FormErrors),
    saved: bool,
) -> AppResult<KpiPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let values = repo::kpi_values(&mut tx, m.id).await?;
    tx.commit().await?;
    Ok(KpiPage {
        layout: Layout::new(ctx, NAV),
        m,
        values,
        add: add.0,
        add_errors: add.1,
        correct: correct.0,
        correct_errors: correct.1,
        saved,
    })
}

/// `GET /innstillinger/kpi` (`?rett=10.2026` opens the correction of that month).
pub async fn kpi(
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
    Query(named): Query<ForMunicipality>,
) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &named)? else {
        return choose(&ctx);
    };
    let mut correct = None;
    if let Some(month) = parse_month(&q.rett) {
        let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
        let row = repo::kpi_value(&mut tx, m.id, month).await?;
        tx.commit().await?;
        let row = row.ok_or(AppError::NotFound)?;
        correct = Some(KpiForm {
            month: month_field(row.month),
            value: index_text(row.tenths),
            source: row.source,
            version: row.version.to_string(),
        });
    }
    let add = KpiForm {
        source: "SSB tabell 03013".into(),
        ..KpiForm::default()
    };
    let page = kpi_page(
        &ctx,
        m,
        (add, FormErrors::new()),
        (correct, FormErrors::new()),
        !q.lagret.is_empty(),
    )
    .await?;
    render(&page)
}

fn kpi_saved() -> Response {
    Redirect::to("/innstillinger/kpi?lagret=1").into_response()
}

/// `POST /innstillinger/kpi`: a new month's value.
pub async fn record_kpi(
    ctx: Ctx,
    Query(named): Query<ForMunicipality>,
    Form(f): Form<KpiForm>,
) -> AppResult<Response> {
    let m = target(&ctx, &named)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse() {
        Ok(x) => commands::record_kpi(&mut tx, ctx.actor(), m.id, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(kpi_saved()),
        Err(r) => {
            let (errors, status) = refused_status(r)?;
            let page = kpi_page(&ctx, m, (f, errors), (None, FormErrors::new()), false).await?;
            render_status(status, &page)
        }
    }
}

/// `POST /innstillinger/kpi/rett`: a correction of a recorded value.
pub async fn correct_kpi(
    ctx: Ctx,
    Query(named): Query<ForMunicipality>,
    Form(f): Form<KpiForm>,
) -> AppResult<Response> {
    let m = target(&ctx, &named)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse() {
        Ok(x) => commands::correct_kpi(&mut tx, ctx.actor(), m.id, x, version(&f.version)).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(kpi_saved()),
        Err(r) => {
            let (errors, status) = refused_status(r)?;
            let add = (KpiForm::default(), FormErrors::new());
            let page = kpi_page(&ctx, m, add, (Some(f), errors), false).await?;
            render_status(status, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------
// § 11-1 grounds

#[derive(Template)]
#[template(path = "leases/settings_grounds.html")]
pub struct GroundsPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub grounds: Vec<GroundRow>,
    pub form: GroundForm,
    pub errors: FormErrors,
    pub saved: bool,
}

async fn grounds_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    form: GroundForm,
    errors: FormErrors,
    saved: bool,
) -> AppResult<GroundsPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    repo::ensure_defaults(&mut tx, m.id).await?;
    let grounds = repo::grounds(&mut tx, m.id).await?;
    tx.commit().await?;
    Ok(GroundsPage {
        layout: Layout::new(ctx, NAV),
        m,
        grounds,
        form,
        errors,
        saved,
    })
}

/// `GET /innstillinger/korttidsgrunnlag`
pub async fn grounds(
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
    Query(named): Query<ForMunicipality>,
) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &named)? else {
        return choose(&ctx);
    };
    let page = grounds_page(
        &ctx,
        m,
        GroundForm::default(),
        FormErrors::new(),
        !q.lagret.is_empty(),
    )
    .await?;
    render(&page)
}

/// `POST /innstillinger/korttidsgrunnlag`: a new ground.
pub async fn add_ground(
    ctx: Ctx,
    Query(named): Query<ForMunicipality>,
    Form(f): Form<GroundForm>,
) -> AppResult<Response> {
    let m = target(&ctx, &named)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse(true) {
        Ok(x) => commands::add_ground(&mut tx, ctx.actor(), m.id, x).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(_) => Ok(Redirect::to("/innstillinger/korttidsgrunnlag?lagret=1").into_response()),
        Err(r) => {
            let (errors, status) = refused_status(r)?;
            render_status(status, &grounds_page(&ctx, m, f, errors, false).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "leases/settings_ground.html")]
pub struct GroundPage {
    pub layout: Layout,
    pub ground: GroundRow,
    pub form: GroundForm,
    pub errors: FormErrors,
}

impl GroundPage {
    pub fn active(&self) -> bool {
        self.form.active.as_deref().is_some_and(|v| v != "0")
    }
}

/// The ground being edited, in a write transaction on the administered municipality:
/// another municipality's ground is a 404.
async fn ground_of(ctx: &Ctx, id: uuid::Uuid) -> AppResult<(db::Tx, GroundRow)> {
    // The ground's id names its municipality: one not in view is not found.
    let m = target(ctx, &ForMunicipality::default())?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let g = repo::ground(&mut tx, &[m.id], id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, g))
}

/// `GET /innstillinger/korttidsgrunnlag/{id}`
pub async fn ground(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (tx, g) = ground_of(&ctx, id).await?;
    tx.commit().await?;
    let form = GroundForm {
        label: g.label.clone(),
        notice_text: g.notice_text.clone(),
        sort_order: g.sort_order.to_string(),
        active: g.active.then(|| "1".to_owned()),
        version: g.version.to_string(),
    };
    render(&GroundPage {
        layout: Layout::new(&ctx, NAV),
        ground: g,
        form,
        errors: FormErrors::new(),
    })
}

/// `POST /innstillinger/korttidsgrunnlag/{id}`: edit, deactivate or activate.
pub async fn update_ground(ctx: Ctx, Id(id): Id, Form(f): Form<GroundForm>) -> AppResult<Response> {
    let (mut tx, g) = ground_of(&ctx, id).await?;
    let outcome = match f.parse(false) {
        Ok(x) => commands::update_ground(&mut tx, ctx.actor(), &g, x, version(&f.version)).await,
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/innstillinger/korttidsgrunnlag?lagret=1").into_response()),
        Err(r) => {
            let (errors, status) = refused_status(r)?;
            render_status(
                status,
                &GroundPage {
                    layout: Layout::new(&ctx, NAV),
                    ground: g,
                    form: f,
                    errors,
                },
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// House rules

#[derive(Template)]
#[template(path = "leases/settings_house_rules.html")]
pub struct HouseRulesPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub versions: Vec<HouseRulesRow>,
    pub form: HouseRulesForm,
    pub errors: FormErrors,
    pub saved: bool,
}

impl HouseRulesPage {
    pub fn created(&self, v: &HouseRulesRow) -> String {
        format::datetime(v.created_at)
    }
}

async fn house_rules_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    typed: Option<HouseRulesForm>,
    errors: FormErrors,
    saved: bool,
) -> AppResult<HouseRulesPage> {
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    repo::ensure_defaults(&mut tx, m.id).await?;
    let versions = repo::house_rules_versions(&mut tx, m.id).await?;
    tx.commit().await?;
    let form = typed.unwrap_or_else(|| {
        versions
            .first()
            .map(|v| HouseRulesForm {
                title: v.title.clone(),
                body: v.body.clone(),
                based_on: v.version_no.to_string(),
            })
            .unwrap_or_else(|| HouseRulesForm {
                based_on: "0".into(),
                ..HouseRulesForm::default()
            })
    });
    Ok(HouseRulesPage {
        layout: Layout::new(ctx, NAV),
        m,
        versions,
        form,
        errors,
        saved,
    })
}

/// `GET /innstillinger/husordensregler`
pub async fn house_rules(
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
    Query(named): Query<ForMunicipality>,
) -> AppResult<Response> {
    let Some(m) = admin_target_for(&ctx, &named)? else {
        return choose(&ctx);
    };
    let page = house_rules_page(&ctx, m, None, FormErrors::new(), !q.lagret.is_empty()).await?;
    render(&page)
}

/// `POST /innstillinger/husordensregler`: a new version.
pub async fn add_house_rules(
    ctx: Ctx,
    Query(named): Query<ForMunicipality>,
    Form(f): Form<HouseRulesForm>,
) -> AppResult<Response> {
    let m = target(&ctx, &named)?;
    let mut tx = ctx.write_tx(m.id, ADMINISTER).await?;
    let outcome = match f.parse() {
        Ok(x) => commands::add_house_rules(&mut tx, ctx.actor(), m.id, x, version(&f.based_on))
            .await
            .map(|_| ()),
        Err(e) => Err(Refusal::Invalid(e)),
    };
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to("/innstillinger/husordensregler?lagret=1").into_response()),
        Err(r) => {
            let (errors, status) = refused_status(r)?;
            render_status(
                status,
                &house_rules_page(&ctx, m, Some(f), errors, false).await?,
            )
        }
    }
}
