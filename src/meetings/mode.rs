//! Meeting mode: one item at a time in large type for a projector, with the facts the
//! team needs, the privacy switch, and the secretary's conclusion form.

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::commands::{self, Done};
use super::handlers::{item_views, read_meeting};
use super::model::{self, Conclusion, ConclusionForm, ItemKind};
use super::repo::{self, MeetingRow};
use super::views::{self, ItemView};
use crate::allocation::candidates::{self, breakdown_text, household_text};
use crate::allocation::repo::UnitFacts;
use crate::applications::model as app_model;
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::{self, Tx};
use crate::decisions::repo::Appeal;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{Id, Ids};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::refusal::Refusal;
use crate::web::{format, render, render_status};

/// How many ranked candidates meeting mode shows for a unit.
const CANDIDATES_SHOWN: usize = 10;

pub struct AppFacts {
    pub c: apps::ApplicationDetail,
    pub age: String,
    pub household: Vec<(String, &'static str, String)>,
    pub reasons: Vec<String>,
    pub areas: Vec<String>,
    pub needs: Vec<&'static str>,
    pub assessment: Option<apps::Assessment>,
}

pub struct CandidateRow {
    pub rank: usize,
    pub application_id: Uuid,
    pub case_number: String,
    pub name: String,
    pub household: String,
    pub total: i32,
    pub breakdown: String,
    pub wish_mismatch: bool,
}

pub struct UnitView {
    pub u: UnitFacts,
    pub candidates: Vec<CandidateRow>,
    pub total: usize,
    pub excluded: usize,
    pub rules_no: i32,
}

#[derive(Template)]
#[template(path = "meetings/mode.html")]
pub struct ModePage {
    pub layout: Layout,
    pub m: MeetingRow,
    pub items: Vec<ItemView>,
    pub current: usize,
    pub private: bool,
    pub app: Option<AppFacts>,
    pub unit: Option<UnitView>,
    pub appeal: Option<Appeal>,
    /// The appealed decision points: (position, kind, outcome, what was decided).
    pub appealed: Vec<(i32, String, &'static str, String)>,
    /// The people of the current item, whose names free text shows as initials while the
    /// privacy switch is on.
    pub names: Vec<String>,
    pub form: ConclusionForm,
    pub errors: FormErrors,
    pub notice: String,
}

impl ModePage {
    pub fn item(&self) -> Option<&ItemView> {
        self.items.get(self.current)
    }
    fn privacy_param(&self, private: bool) -> &'static str {
        if private {
            "1"
        } else {
            "0"
        }
    }
    pub fn href(&self, index: &usize) -> String {
        self.link(self.items.get(*index), self.private)
    }
    fn link(&self, item: Option<&ItemView>, private: bool) -> String {
        let which = item.map(|i| format!("sak={}&", i.r.id)).unwrap_or_default();
        format!(
            "/moter/{}/motemodus?{which}personvern={}",
            self.m.id,
            self.privacy_param(private)
        )
    }
    pub fn prev(&self) -> Option<String> {
        (self.current > 0).then(|| self.href(&(self.current - 1)))
    }
    pub fn next(&self) -> Option<String> {
        (self.current + 1 < self.items.len()).then(|| self.href(&(self.current + 1)))
    }
    pub fn toggle_href(&self) -> String {
        self.link(self.item(), !self.private)
    }
    pub fn privacy_value(&self) -> &'static str {
        self.privacy_param(self.private)
    }
    pub fn name(&self, full: &str) -> String {
        views::name(full, self.private)
    }
    /// Free text (notes, assessment, the appeal) as projected.
    pub fn free(&self, text: &str) -> String {
        if self.private {
            model::mask_names(text, &self.names)
        } else {
            text.to_string()
        }
    }
    pub fn identity(&self, id: &Option<String>) -> String {
        match id {
            _ if self.private => "Skjult".into(),
            Some(n) => n.clone(),
            None => "Ikke registrert".into(),
        }
    }
    pub fn subject(&self, i: &ItemView) -> String {
        i.subject(self.private)
    }
    pub fn summary(&self, i: &ItemView) -> String {
        i.conclusion_summary(self.private)
    }
    pub fn when(&self) -> String {
        views::when(self.m.starts_at)
    }
    pub fn day(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn val<'a>(&'a self, k: &str) -> &'a str {
        match k {
            "conclusion" => &self.form.conclusion,
            "text" => &self.form.text,
            "chosen" => &self.form.chosen,
            "justification" => &self.form.justification,
            _ => "",
        }
    }
    pub fn picked(&self, c: &Conclusion) -> bool {
        self.form.conclusion == c.key()
    }
    pub fn chosen(&self, id: &Uuid) -> bool {
        self.form.chosen == id.to_string()
    }
    pub fn conclusions(&self) -> &'static [Conclusion] {
        self.item().map(|i| i.r.kind.conclusions()).unwrap_or(&[])
    }
    pub fn rent(&self, u: &UnitFacts) -> String {
        u.monthly_rent
            .map(format::kroner)
            .unwrap_or_else(|| "Ikke satt".into())
    }
    pub fn label(&self, list: &'static [(&'static str, &'static str)], k: &str) -> &'static str {
        app_model::label_of(list, k)
    }
    pub fn situations(&self) -> &'static [(&'static str, &'static str)] {
        app_model::SITUATIONS
    }
    pub fn levels(&self) -> &'static [(&'static str, &'static str)] {
        app_model::INDEPENDENCE_LEVELS
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ModeQuery {
    #[serde(default)]
    pub sak: String,
    #[serde(default)]
    pub punkt: String,
    #[serde(default)]
    pub personvern: String,
    #[serde(default)]
    pub melding: String,
}

/// The privacy switch is on unless this screen turned it off (`personvern=0`).
pub fn is_private(param: &str) -> bool {
    param != "0"
}

async fn app_facts(
    tx: &mut Tx,
    muni: Uuid,
    id: Uuid,
    today: chrono::NaiveDate,
) -> AppResult<Option<AppFacts>> {
    let Some(c) = apps::application(tx, &[muni], id).await? else {
        return Ok(None);
    };
    let household = apps::members(tx, muni, id)
        .await?
        .into_iter()
        .map(|p| {
            let age = p
                .birth_date
                .map(|b| format!("{} år", app_model::age(b, today)))
                .unwrap_or_default();
            (
                p.name,
                app_model::label_of(app_model::RELATIONS, &p.relation),
                age,
            )
        })
        .collect();
    let reasons = apps::reason_names(tx, muni, id).await?;
    let areas = apps::area_names(tx, muni, &c.wished_area_ids).await?;
    let assessment = apps::assessments(tx, muni, id).await?.into_iter().next();
    let mut needs = Vec::new();
    if c.needs_wheelchair {
        needs.push("Rullestoltilgjengelig bolig");
    }
    if c.needs_ground_floor {
        needs.push("Bolig på bakkeplan eller med heis");
    }
    if c.needs_home_followup {
        needs.push("Oppfølging i hjemmet");
    }
    if !c.care_level.is_empty() && c.care_level != "none" {
        needs.push(app_model::label_of(app_model::CARE_LEVELS, &c.care_level));
    }
    let age = c
        .applicant_birth_date
        .map(|b| format!("{} år", app_model::age(b, today)))
        .unwrap_or_default();
    Ok(Some(AppFacts {
        c,
        age,
        household,
        reasons,
        areas,
        needs,
        assessment,
    }))
}

/// The unit with its ranked candidates now (the same ranking as the candidates page).
async fn unit_view(tx: &mut Tx, ctx: &Ctx, muni: Uuid, id: Uuid) -> AppResult<Option<UnitView>> {
    let Some(u) = crate::allocation::repo::unit(tx, &[muni], id).await? else {
        return Ok(None);
    };
    let (rules, cands, excl, rows) =
        candidates::rank_for_reading(tx, &ctx.state.waiting_cache, &u, ctx.today()).await?;
    let total = cands.len();
    let candidates = cands
        .into_iter()
        .take(CANDIDATES_SHOWN)
        .enumerate()
        .map(|(i, c)| {
            let name = rows
                .iter()
                .find(|r| r.id == c.applicant.application_id)
                .map(|r| r.applicant_name.clone())
                .unwrap_or_default();
            let a = &c.applicant;
            CandidateRow {
                rank: i + 1,
                application_id: a.application_id,
                case_number: a.case_number.clone(),
                name,
                household: household_text(a.household(), a.adults, a.children, a.visiting_children),
                total: c.total,
                breakdown: breakdown_text(&c.breakdown),
                wish_mismatch: c.wish_mismatch,
            }
        })
        .collect();
    Ok(Some(UnitView {
        u,
        candidates,
        total,
        excluded: excl.len(),
        rules_no: rules.version_no,
    }))
}

/// Which item meeting mode shows: by id (links, after saving: stable when the agenda is
/// reordered), by number (typed by hand), or the first.
#[derive(Clone, Copy)]
pub enum Target {
    Item(Uuid),
    Number(i32),
    First,
}

async fn mode_page(
    ctx: &Ctx,
    id: Uuid,
    target: Target,
    private: bool,
    form: Option<ConclusionForm>,
    errors: FormErrors,
    notice: &str,
) -> AppResult<ModePage> {
    let (mut tx, _) = read_meeting(ctx).await?;
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let items = item_views(&mut tx, ctx, &m).await?;
    let current = match target {
        Target::Item(x) => items.iter().position(|i| i.r.id == x),
        Target::Number(n) => items.iter().position(|i| i.r.position == n),
        Target::First => None,
    }
    .unwrap_or(0);
    let (mut app, mut unit, mut appeal) = (None, None, None);
    let mut appealed = Vec::new();
    if let Some(i) = items.get(current) {
        let muni = i.r.municipality_id;
        match (i.r.kind, i.r.application_id, i.r.dwelling_id, i.r.appeal_id) {
            (ItemKind::Application, Some(a), _, _) => {
                app = app_facts(&mut tx, muni, a, ctx.today()).await?
            }
            (ItemKind::Dwelling, _, Some(d), _) => unit = unit_view(&mut tx, ctx, muni, d).await?,
            (ItemKind::Appeal, _, _, Some(a)) => {
                appeal = crate::decisions::repo::appeal(&mut tx, &[muni], a).await?;
                if let Some(ap) = &appeal {
                    appealed = crate::decisions::repo::points(&mut tx, muni, ap.decision_id)
                        .await?
                        .into_iter()
                        .filter(|p| ap.point_ids.contains(&p.id))
                        .map(|p| (p.position, p.kind_name, p.outcome.label(), p.description))
                        .collect();
                }
            }
            _ => {}
        }
        audit::record(
            &mut tx,
            ctx,
            Event::new("meeting.item_viewed")
                .municipality(muni)
                .entity("meeting_item", i.r.id)
                .details(serde_json::json!({ "meeting": id, "privacy": private })),
        )
        .await?;
    }
    tx.commit().await?;
    let mut names: Vec<String> = Vec::new();
    if let Some(i) = items.get(current) {
        names.extend(i.r.person_name.clone());
        names.extend(i.r.chosen_name.clone());
    }
    if let Some(a) = &app {
        names.push(a.c.applicant_name.clone());
        names.extend(a.household.iter().map(|h| h.0.clone()));
    }
    if let Some(u) = &unit {
        names.extend(u.candidates.iter().map(|c| c.name.clone()));
    }
    if let Some(ap) = &appeal {
        names.push(ap.appellant.clone());
    }
    let form = form.unwrap_or_else(|| match items.get(current) {
        Some(i) => ConclusionForm {
            conclusion: i
                .r
                .conclusion
                .map(|c| c.key().to_string())
                .unwrap_or_default(),
            text: i.r.conclusion_text.clone(),
            chosen: i
                .r
                .chosen_application_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            justification: i.r.justification.clone(),
            version: i.r.version.to_string(),
        },
        None => ConclusionForm::default(),
    });
    Ok(ModePage {
        layout: Layout::new(ctx, "moter"),
        m,
        items,
        current,
        private,
        app,
        unit,
        appeal,
        appealed,
        names,
        form,
        errors,
        notice: notice.chars().take(40).collect(),
    })
}

pub async fn mode(ctx: Ctx, Id(id): Id, Query(q): Query<ModeQuery>) -> AppResult<Response> {
    let target = match (Uuid::parse_str(q.sak.trim()), q.punkt.trim().parse()) {
        (Ok(item), _) => Target::Item(item),
        (_, Ok(n)) => Target::Number(n),
        _ => Target::First,
    };
    let page = mode_page(
        &ctx,
        id,
        target,
        is_private(&q.personvern),
        None,
        FormErrors::new(),
        &q.melding,
    )
    .await?;
    render(&page)
}

/// The conclusion form as posted, with the privacy switch of the screen it came from.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ConcludeForm {
    pub conclusion: String,
    pub text: String,
    pub chosen: String,
    pub justification: String,
    pub version: String,
    pub personvern: String,
}

/// Records the team's conclusion on one item; back to the same item in meeting mode.
pub async fn conclude(
    ctx: Ctx,
    Ids(id, item): Ids,
    Form(p): Form<ConcludeForm>,
) -> AppResult<Response> {
    let private = is_private(&p.personvern);
    let muni = {
        let (mut tx, _) = read_meeting(&ctx).await?;
        let row = repo::item(&mut tx, id, item)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        row.municipality_id
    };
    // A conclusion is the item's municipality's: recorded by whoever takes part there.
    let mut tx = ctx.write_tx(muni, Permission::OrganiseMeetings).await?;
    let m = repo::meeting(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = repo::item(&mut tx, id, item)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = ConclusionForm {
        conclusion: p.conclusion,
        text: p.text,
        chosen: p.chosen,
        justification: p.justification,
        version: p.version,
    };
    let outcome = commands::conclude(&mut tx, ctx.actor(), &m, &row, &f).await;
    let (shown, stale) = match db::commit(tx, outcome).await {
        Ok(Done::Changed | Done::Already) => {
            let privacy = if private { "1" } else { "0" };
            return Ok(Redirect::to(&format!(
                "/moter/{id}/motemodus?sak={item}&personvern={privacy}&melding=lagret#konklusjon"
            ))
            .into_response());
        }
        Err(refusal) => {
            let stale = matches!(refusal, Refusal::Stale);
            (refusal.shown()?, stale)
        }
    };
    // Keep what the secretary typed; after a colleague's conclusion, against the item as
    // it is now: saving again after looking at it replaces it on purpose.
    let f = if stale {
        ConclusionForm {
            version: row.version.to_string(),
            ..f
        }
    } else {
        f
    };
    let status = shown.status();
    let page = mode_page(
        &ctx,
        id,
        Target::Item(item),
        private,
        Some(f),
        shown.errors,
        "",
    )
    .await?;
    render_status(status, &page)
}
