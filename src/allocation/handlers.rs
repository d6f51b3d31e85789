//! HTTP: the allocation rules (versions), the waiting list with its export, and the units
//! that fit one applicant.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::candidates::{breakdown_text, household_text};
use super::commands;
use super::model::{self, field, Fields, NEW_ROWS};
use super::ranking::{self, Candidate, Household, FLAG_FACTS};
use super::repo::{self, UnitFacts, VersionRow, WaitingRow};
use crate::applications::repo::ApplicationDetail;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::db;
use crate::dwellings::repo::{self as dwellings, ListKind};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{self, Id};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

/// The municipality a page is about: `?kommune=<id>` if the user holds one of `roles`
/// there, else the current municipality, else the first one with the role.
pub fn pick_municipality(
    ctx: &Ctx,
    wanted: &str,
    permission: Permission,
) -> AppResult<MunicipalityRef> {
    let ms = ctx.visible_with_role(permission);
    if ms.is_empty() {
        return Err(AppError::Forbidden);
    }
    if !wanted.is_empty() {
        let id = extract::parse_id(wanted)?;
        return ms
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(AppError::NotFound);
    }
    if let Some(c) = ctx.current_municipality() {
        if let Some(m) = ms.iter().find(|m| m.id == c.id) {
            return Ok(m.clone());
        }
    }
    Ok(ms.into_iter().next().expect("non-empty"))
}

// ---------------------------------------------------------------------------------------
// Rules

pub struct VersionView {
    pub v: VersionRow,
    pub in_force: bool,
    pub future: bool,
}

#[derive(Template)]
#[template(path = "allocation/rules.html")]
pub struct RulesPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub municipalities: Vec<MunicipalityRef>,
    pub current: VersionView,
    pub versions: Vec<VersionView>,
    pub can_edit: bool,
    pub types: Vec<(Uuid, String)>,
    pub form: Fields,
    pub errors: FormErrors,
    pub latest_no: i32,
    /// Just saved: the confirmation names the newest version.
    pub saved: bool,
}

impl RulesPage {
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    pub fn row(&self, i: &usize, k: &str) -> &str {
        field(&self.form, &format!("c{i}_{k}"))
    }
    pub fn rows(&self) -> Vec<usize> {
        let n: usize = field(&self.form, "rows")
            .parse()
            .unwrap_or(NEW_ROWS)
            .min(60);
        (0..n).collect()
    }
    pub fn kinds(&self) -> Vec<(String, String)> {
        let mut k: Vec<(String, String)> = FLAG_FACTS
            .iter()
            .map(|f| (f.to_string(), format!("Ja/nei: {}", model::fact_label(f))))
            .collect();
        k.push(("per_child".into(), "Antall: poeng per barn".into()));
        k.push((
            "per_month".into(),
            "Tid: poeng per måned på ventelisten".into(),
        ));
        k
    }
    pub fn households(&self) -> Vec<(String, &'static str)> {
        Household::ALL
            .iter()
            .map(|h| (h.key().to_string(), model::household_label(*h)))
            .collect()
    }
    pub fn norm(&self, h: &str, which: &str) -> &str {
        field(&self.form, &format!("norm_{h}_{which}"))
    }
    pub fn lease(&self, t: &Uuid) -> &str {
        field(&self.form, &format!("lease_{t}"))
    }
    pub fn rule_text(&self, c: &ranking::Criterion) -> String {
        model::rule_text(&c.rule)
    }
    pub fn household_label(&self, n: &ranking::RoomNorm) -> &'static str {
        model::household_label(n.household)
    }
    pub fn wish_text(&self, v: &VersionRow) -> String {
        match v.wish_policy.0 {
            ranking::WishPolicy::Show => "Vises som merknad; påvirker ikke rekkefølgen".into(),
            ranking::WishPolicy::Penalty { points } => {
                format!("Trekker {points} poeng når boligen ligger utenfor ønsket område")
            }
        }
    }
    pub fn lease_text(&self, v: &VersionRow) -> String {
        let mut parts = vec![format!("{} måneder som standard", v.default_lease_months)];
        for (id, name) in &self.types {
            if let Some(m) = v.lease_months.0.get(&id.to_string()) {
                parts.push(format!("{name}: {m} måneder"));
            }
        }
        parts.join("; ")
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn stamp(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&chrono_tz::Europe::Oslo)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }
}

#[derive(serde::Deserialize, Default)]
pub struct MuniQuery {
    #[serde(default)]
    pub kommune: String,
    /// Set by the redirect after saving a version: the page confirms it.
    #[serde(default)]
    pub lagret: String,
}

async fn rules_page(
    ctx: &Ctx,
    m: MunicipalityRef,
    form: Option<Fields>,
    errors: FormErrors,
) -> AppResult<RulesPage> {
    let mut tx = ctx.write_tx(m.id, Permission::ReadAllocationRules).await?;
    let today = ctx.today();
    let current = repo::rules_now(&mut tx, m.id, today).await?;
    let all = repo::versions(&mut tx, m.id).await?;
    let types: Vec<(Uuid, String)> =
        dwellings::list_items(&mut tx, ListKind::Types, &[m.id], false)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
    tx.commit().await?;
    let latest_no = all.first().map(|v| v.version_no).unwrap_or(0);
    let form = form.unwrap_or_else(|| model::fields_of(&current.rules(), today));
    let current_id = current.id;
    Ok(RulesPage {
        layout: Layout::new(ctx, "innstillinger"),
        can_edit: ctx.may(Permission::Administer, m.id),
        municipalities: ctx.visible_with_role(Permission::ReadAllocationRules),
        m,
        current: VersionView {
            v: current,
            in_force: true,
            future: false,
        },
        versions: all
            .into_iter()
            .map(|v| VersionView {
                in_force: v.id == current_id,
                future: v.effective_from > today,
                v,
            })
            .collect(),
        types,
        form,
        errors,
        latest_no,
        saved: false,
    })
}

pub async fn rules_show(ctx: Ctx, Query(q): Query<MuniQuery>) -> AppResult<Response> {
    let m = pick_municipality(&ctx, &q.kommune, Permission::ReadAllocationRules)?;
    let mut page = rules_page(&ctx, m, None, FormErrors::new()).await?;
    page.saved = !q.lagret.is_empty();
    render(&page)
}

pub async fn rules_save(ctx: Ctx, Form(f): Form<Fields>) -> AppResult<Response> {
    let m = pick_municipality(&ctx, field(&f, "kommune"), Permission::ReadAllocationRules)?;
    let mut tx = ctx.write_tx(m.id, Permission::Administer).await?;
    let input = commands::SaveRules {
        latest_no: field(&f, "latest_no").parse().unwrap_or(-1),
        fields: f,
    };
    let outcome = commands::save_rules(&mut tx, ctx.actor(), m.id, &input).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/innstillinger/tildeling?kommune={}&lagret=1#lagret",
            m.id
        ))
        .into_response()),
        Err(refusal) => {
            let refusal_was_stale = matches!(refusal, Refusal::Stale);
            let shown = refusal.shown()?;
            let mut f = input.fields;
            if refusal_was_stale {
                // Saving again builds on the version that is there now.
                f.remove("latest_no");
            }
            let status = shown.status();
            let page = rules_page(&ctx, m, Some(f), shown.errors).await?;
            render_status(status, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Waiting list

pub struct WaitingView {
    pub rank: usize,
    pub c: Candidate,
    pub row: WaitingRow,
    pub household: String,
    pub types: String,
    pub needs: Vec<&'static str>,
    pub wishes: String,
    pub months: i32,
    pub review: bool,
}

impl WaitingView {
    pub fn breakdown(&self) -> String {
        breakdown_text(&self.c.breakdown)
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct WaitingQuery {
    #[serde(default)]
    pub kommune: String,
    #[serde(default)]
    pub boligtype: String,
    #[serde(default)]
    pub rom: String,
    #[serde(default)]
    pub behov: String,
    #[serde(default)]
    pub sorter: String,
    #[serde(default)]
    pub etter: String,
}

#[derive(Template)]
#[template(path = "allocation/waiting.html")]
pub struct WaitingPage {
    pub layout: Layout,
    pub m: MunicipalityRef,
    pub municipalities: Vec<MunicipalityRef>,
    pub rules_no: i32,
    pub rows: Vec<WaitingView>,
    pub total: usize,
    pub matching: usize,
    pub q: WaitingQuery,
    pub types: Vec<(Uuid, String)>,
    pub next: Option<String>,
    pub export: String,
}

pub const PAGE_SIZE: usize = 50;

pub const NEEDS: &[(&str, &str)] = &[
    ("wheelchair", "Rullestoltilpasset"),
    ("ground_floor", "Bakkeplan eller heis"),
    ("care", "Helse- eller omsorgsbehov"),
    ("followup", "Oppfølging i hjemmet"),
];

fn needs_of(r: &WaitingRow) -> Vec<&'static str> {
    let mut n = Vec::new();
    if r.needs_wheelchair {
        n.push("Rullestoltilpasset");
    }
    if r.needs_ground_floor || r.granted_ground_floor {
        n.push("Bakkeplan eller heis");
    }
    if r.care_level != "none" {
        n.push("Helse- eller omsorgsbehov");
    }
    if r.needs_home_followup {
        n.push("Oppfølging i hjemmet");
    }
    n
}

/// The whole ranked waiting list of one municipality, as views.
pub async fn ranked_waiting(
    ctx: &Ctx,
    m: &MunicipalityRef,
) -> AppResult<(VersionRow, Vec<WaitingView>, Vec<(Uuid, String)>)> {
    let mut tx = ctx.write_tx(m.id, Permission::Allocate).await?;
    let today = ctx.today();
    let rules = repo::rules_now(&mut tx, m.id, today).await?;
    let rows = super::cache::waiting(&mut tx, &ctx.state.waiting_cache, m.id).await?;
    let types: Vec<(Uuid, String)> = dwellings::list_items(&mut tx, ListKind::Types, &[m.id], true)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let areas: HashMap<Uuid, String> = crate::applications::repo::areas(&mut tx, m.id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    tx.commit().await?;
    let type_names: HashMap<Uuid, String> = types.iter().cloned().collect();
    let mut by_id: HashMap<Uuid, WaitingRow> = rows.iter().map(|r| (r.id, r.clone())).collect();
    let ranked = ranking::rank_waiting_list(
        &rules.criteria.0,
        rows.iter().map(WaitingRow::applicant).collect(),
        today,
    );
    let limit = rules.decline_limit;
    let views = ranked
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let row = by_id.remove(&c.applicant.application_id)?;
            let a = &c.applicant;
            Some(WaitingView {
                rank: i + 1,
                household: household_text(a.household(), a.adults, a.children, a.visiting_children),
                types: row
                    .dwelling_type_ids
                    .iter()
                    .filter_map(|t| type_names.get(t).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
                needs: needs_of(&row),
                wishes: row
                    .wished_area_ids
                    .iter()
                    .filter_map(|t| areas.get(t).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
                months: ranking::months_between(row.decided_on, today),
                review: limit > 0 && row.declines >= limit as i64,
                c,
                row,
            })
        })
        .collect();
    Ok((rules, views, types))
}

fn filter(v: &WaitingView, q: &WaitingQuery) -> bool {
    if !q.boligtype.is_empty()
        && !v
            .row
            .dwelling_type_ids
            .iter()
            .any(|t| t.to_string() == q.boligtype)
    {
        return false;
    }
    if let Ok(rooms) = q.rom.trim().parse::<i32>() {
        if v.row.granted_rooms != Some(rooms) {
            return false;
        }
    }
    let r = &v.row;
    match q.behov.as_str() {
        "wheelchair" => r.needs_wheelchair,
        "ground_floor" => r.needs_ground_floor || r.granted_ground_floor,
        "care" => r.care_level != "none",
        "followup" => r.needs_home_followup,
        _ => true,
    }
}

fn sort_views(views: &mut [WaitingView], sort: &str) {
    match sort {
        "ventetid" => views.sort_by(|a, b| {
            a.row
                .decided_on
                .cmp(&b.row.decided_on)
                .then(a.rank.cmp(&b.rank))
        }),
        "saksnummer" => views.sort_by(|a, b| a.row.case_number.cmp(&b.row.case_number)),
        _ => {}
    }
}

fn query_string(q: &WaitingQuery) -> String {
    let mut s = url_pairs(&[
        ("kommune", &q.kommune),
        ("boligtype", &q.boligtype),
        ("rom", &q.rom),
        ("behov", &q.behov),
        ("sorter", &q.sorter),
    ]);
    if s.is_empty() {
        s.push('?');
    } else {
        s.push('&');
    }
    s
}

fn url_pairs(pairs: &[(&str, &str)]) -> String {
    let p: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if p.is_empty() {
        String::new()
    } else {
        format!("?{}", p.join("&"))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn waiting_list(ctx: Ctx, Query(q): Query<WaitingQuery>) -> AppResult<Response> {
    let m = pick_municipality(&ctx, &q.kommune, Permission::Allocate)?;
    let (rules, views, types) = ranked_waiting(&ctx, &m).await?;
    let total = views.len();
    let mut views: Vec<WaitingView> = views.into_iter().filter(|v| filter(v, &q)).collect();
    let matching = views.len();
    sort_views(&mut views, &q.sorter);
    // Keyset on the position in the chosen order (the list is computed, not stored).
    let after: usize = q.etter.parse().unwrap_or(0);
    let mut page: Vec<WaitingView> = views.into_iter().skip(after).take(PAGE_SIZE + 1).collect();
    let next = if page.len() > PAGE_SIZE {
        page.truncate(PAGE_SIZE);
        Some(format!(
            "/venteliste{}etter={}",
            query_string(&q),
            after + PAGE_SIZE
        ))
    } else {
        None
    };
    // The page names applicants: who read whom is recorded.
    let mut tx = ctx.write_tx(m.id, Permission::Allocate).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("allocation.waiting_list_viewed")
            .municipality(m.id)
            .details(serde_json::json!({
                "applications": page.iter().map(|v| v.row.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let export = format!(
        "/venteliste/eksport.csv{}",
        url_pairs(&[
            ("kommune", &q.kommune),
            ("boligtype", &q.boligtype),
            ("rom", &q.rom),
            ("behov", &q.behov),
            ("sorter", &q.sorter),
        ])
    );
    render(&WaitingPage {
        layout: Layout::new(&ctx, "venteliste"),
        municipalities: ctx.visible_with_role(Permission::Allocate),
        m,
        rules_no: rules.version_no,
        rows: page,
        total,
        matching,
        q,
        types,
        next,
        export,
    })
}

pub async fn waiting_export(ctx: Ctx, Query(q): Query<WaitingQuery>) -> AppResult<Response> {
    let m = pick_municipality(&ctx, &q.kommune, Permission::Allocate)?;
    let (rules, views, _) = ranked_waiting(&ctx, &m).await?;
    let mut views: Vec<WaitingView> = views.into_iter().filter(|v| filter(v, &q)).collect();
    sort_views(&mut views, &q.sorter);
    let mut tx = ctx.write_tx(m.id, Permission::Allocate).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("allocation.waiting_list_exported")
            .municipality(m.id)
            .details(serde_json::json!({
                "rows": views.len(),
                "rules_version": rules.version_no,
                "applications": views.iter().map(|v| v.row.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let rows = views.into_iter().map(|v| {
        vec![
            v.rank.to_string(),
            v.row.case_number.clone(),
            v.row.applicant_name.clone(),
            v.c.total.to_string(),
            v.breakdown(),
            format::date(v.row.decided_on),
            v.months.to_string(),
            v.household.clone(),
            v.types.clone(),
            v.row
                .granted_rooms
                .map(|r| r.to_string())
                .unwrap_or_default(),
            v.needs.join(", "),
            v.wishes.clone(),
            v.row.declines.to_string(),
            if v.review { "Ja".into() } else { String::new() },
        ]
    });
    Ok(crate::web::csv_export::response(
        &format!("venteliste-{}.csv", m.number),
        &[
            "Plass",
            "Saksnummer",
            "Søker",
            "Poeng",
            "Poeng fordelt",
            "På venteliste fra",
            "Måneder på venteliste",
            "Husstand",
            "Innvilget boligtype",
            "Rom",
            "Behov",
            "Ønsket område",
            "Avslåtte tilbud",
            "Må vurderes på nytt",
        ],
        rows,
    ))
}

// ---------------------------------------------------------------------------------------
// Units that fit one applicant

pub struct FitView {
    pub u: UnitFacts,
    pub rank: usize,
    pub of: usize,
    pub total: i32,
    pub wish_mismatch: bool,
}

#[derive(Template)]
#[template(path = "allocation/applicant_units.html")]
pub struct ApplicantUnitsPage {
    pub layout: Layout,
    pub row: Option<WaitingRow>,
    pub application_id: Uuid,
    pub case_number: String,
    pub fits: Vec<FitView>,
    pub misfits: Vec<(UnitFacts, String)>,
    pub review: bool,
    pub offers: Vec<repo::OfferRow>,
}

impl ApplicantUnitsPage {
    pub fn status_label(&self, o: &repo::OfferRow) -> &'static str {
        o.status().label()
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
}

pub async fn applicant_units(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, app) = ctx
        .load_for_write::<ApplicationDetail>(Permission::Allocate, Permission::Allocate, id)
        .await?;
    let m = app.municipality_id;
    let today = ctx.today();
    let rules = repo::rules_now(&mut tx, m, today).await?;
    let row = repo::waiting(&mut tx, &[m], Some(id))
        .await?
        .into_iter()
        .next();
    let units = repo::available_units(&mut tx, m).await?;
    let offers = repo::offers_of_application(&mut tx, m, id).await?;
    let mut fits = Vec::new();
    let mut misfits = Vec::new();
    if let Some(r) = &row {
        let all = repo::waiting(&mut tx, &[m], None).await?;
        let me = r.applicant();
        for u in units {
            let unit = u.unit();
            let reasons = ranking::exclusions(&unit, &me, &rules.room_norms.0);
            if !reasons.is_empty() {
                let why = reasons
                    .iter()
                    .map(model::exclusion_label)
                    .collect::<Vec<_>>()
                    .join("; ");
                misfits.push((u, why));
                continue;
            }
            // Where would the applicant stand for this unit?
            let mut others: Vec<ranking::Applicant> = all
                .iter()
                .filter(|w| w.id != id)
                .map(WaitingRow::applicant)
                .collect();
            others.push(me.clone());
            let (cands, _) = ranking::rank_for_unit(
                &unit,
                &rules.criteria.0,
                &rules.room_norms.0,
                rules.wish_policy.0,
                others,
                today,
            );
            if let Some((i, c)) = cands
                .iter()
                .enumerate()
                .find(|(_, c)| c.applicant.application_id == id)
            {
                fits.push(FitView {
                    rank: i + 1,
                    of: cands.len(),
                    total: c.total,
                    wish_mismatch: c.wish_mismatch,
                    u,
                });
            }
        }
    }
    audit::record(
        &mut tx,
        &ctx,
        Event::new("allocation.applicant_units_viewed")
            .municipality(m)
            .entity("application", id),
    )
    .await?;
    tx.commit().await?;
    fits.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(a.u.street_address.cmp(&b.u.street_address))
    });
    let review = row
        .as_ref()
        .is_some_and(|r| rules.decline_limit > 0 && r.declines >= rules.decline_limit as i64);
    render(&ApplicantUnitsPage {
        layout: Layout::new(&ctx, "venteliste"),
        row,
        application_id: id,
        case_number: app.case_number,
        fits,
        misfits,
        review,
        offers,
    })
}
