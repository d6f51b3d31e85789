//! HTTP for one lease: writing it (from an accepted offer or for a unit), its page with
//! every step as a form, the steps themselves, and the contract as HTML and PDF.

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::commands::{self, lease_path, ActionForm, Source};
use super::letters::{self, LetterKind, Particulars};
use super::model::{self, LeaseForm, Status};
use super::repo::{self, Ground, LeaseRow, Party, RentChange, Review};
use super::rules::{self, OpenEnded};
use crate::allocation::repo::OfferRow;
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db;
use crate::dwellings::repo::UnitRow;
use crate::letters::archive::Summary;
use crate::letters::Block;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{parse_id, Id};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};

const READ: Permission = Permission::ReadCases;
const WRITE: Permission = Permission::ManageLeases;

// ---------------------------------------------------------------------------------------
// Writing a lease

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// An accepted offer.
    pub tilbud: String,
    /// A unit, for a tenancy without an offer.
    pub bolig: String,
}

#[derive(Template)]
#[template(path = "leases/form.html")]
pub struct FormPage {
    pub layout: Layout,
    /// None for a new lease.
    pub id: Option<Uuid>,
    pub action: String,
    pub unit: UnitRow,
    /// The accepted offer it is written from; None for a direct lease or a saved draft.
    pub offer: Option<OfferRow>,
    /// Ask for the parties (a direct lease, not yet saved).
    pub ask_parties: bool,
    pub grounds: Vec<Ground>,
    pub form: LeaseForm,
    pub errors: FormErrors,
    /// The role choices of the household rows (`applications/_member_row.html`).
    pub v: PartyRoles,
}

/// The codes the shared household row asks for: here the roles on a lease.
pub struct PartyRoles;

impl PartyRoles {
    pub fn relations(&self) -> &'static [(&'static str, &'static str)] {
        &model::PARTY_ROLES
    }
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

impl FormPage {
    pub fn ground_options(&self) -> Vec<(String, String)> {
        std::iter::once((String::new(), "Ikke kortere enn tre år".to_string()))
            .chain(
                self.grounds
                    .iter()
                    .filter(|g| g.active || self.form.short_term_ground_id == g.id.to_string())
                    .map(|g| (g.id.to_string(), g.label.clone())),
            )
            .collect()
    }

    pub fn deposit_options(&self) -> Vec<(&'static str, &'static str)> {
        model::DEPOSIT_KINDS.to_vec()
    }

    pub fn includes(&self) -> &'static [(&'static str, &'static str)] {
        &model::INCLUDES
    }

    pub fn unit_rent(&self) -> String {
        self.unit
            .monthly_rent
            .map(format::kroner)
            .unwrap_or_default()
    }
}

/// The unit and, from an offer, the offer a new lease is written for.
async fn origin(ctx: &Ctx, q: &NewQuery) -> AppResult<(db::Tx, UnitRow, Option<OfferRow>)> {
    if !q.tilbud.trim().is_empty() {
        let (mut tx, offer) = ctx
            .load_for_write::<OfferRow>(READ, WRITE, parse_id(&q.tilbud)?)
            .await?;
        let unit =
            crate::dwellings::repo::unit(&mut tx, &[offer.municipality_id], offer.dwelling_id)
                .await?
                .ok_or(AppError::NotFound)?;
        return Ok((tx, unit, Some(offer)));
    }
    let (tx, unit) = ctx
        .load_for_write::<UnitRow>(READ, WRITE, parse_id(&q.bolig)?)
        .await?;
    Ok((tx, unit, None))
}

fn new_action(q: &NewQuery, offer: &Option<OfferRow>, unit: &UnitRow) -> String {
    match offer {
        Some(o) => format!("/leiekontrakter/ny?tilbud={}", o.id),
        None if q.bolig.is_empty() => format!("/leiekontrakter/ny?bolig={}", unit.id),
        None => format!("/leiekontrakter/ny?bolig={}", unit.id),
    }
}

/// The form prefilled from the offer (tenant, unit, rent, the granted length) or the unit.
fn prefilled(ctx: &Ctx, unit: &UnitRow, offer: &Option<OfferRow>) -> LeaseForm {
    let start = ctx
        .today()
        .max(unit.expected_vacant_from.unwrap_or(ctx.today()));
    let months = offer.as_ref().map(|o| o.lease_months).unwrap_or(36).max(1) as u32;
    let rent = offer
        .as_ref()
        .and_then(|o| o.monthly_rent)
        .or(unit.monthly_rent);
    LeaseForm {
        starts_on: start.to_string(),
        ends_on: rules::end_after(start, months).to_string(),
        monthly_rent: rent.map(kroner_input).unwrap_or_default(),
        deposit_kind: "guarantee".into(),
        eviction_clause: true,
        members: vec![Default::default(); crate::applications::model::MEMBER_ROWS],
        ..Default::default()
    }
}

/// Øre as a form value in kroner ("8500" or "8500,50").
fn kroner_input(ore: i64) -> String {
    if ore % 100 == 0 {
        (ore / 100).to_string()
    } else {
        format!("{},{:02}", ore / 100, ore % 100)
    }
}

pub async fn new_page(ctx: Ctx, Query(q): Query<NewQuery>) -> AppResult<Response> {
    let (mut tx, unit, offer) = origin(&ctx, &q).await?;
    if let Some(o) = &offer {
        if let Some(existing) = commands::lease_of_offer(&mut tx, o).await? {
            tx.commit().await?;
            return Ok(Redirect::to(&lease_path(existing)).into_response());
        }
    }
    let grounds = repo::grounds(&mut tx, unit.municipality_id).await?;
    tx.commit().await?;
    let form = prefilled(&ctx, &unit, &offer);
    render(&FormPage {
        layout: Layout::new(&ctx, "leiekontrakter"),
        id: None,
        action: new_action(&q, &offer, &unit),
        ask_parties: offer.is_none(),
        unit,
        offer,
        grounds,
        form,
        errors: FormErrors::new(),
        v: PartyRoles,
    })
}

pub async fn create(
    ctx: Ctx,
    Query(q): Query<NewQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (mut tx, unit, offer) = origin(&ctx, &q).await?;
    let form = LeaseForm::from_pairs(&pairs);
    let source = match &offer {
        Some(o) => Source::Offer(o),
        None => Source::Unit(&unit),
    };
    let outcome = commands::create(&mut tx, ctx.actor(), source, &unit, &form).await;
    match db::commit(tx, outcome).await {
        Ok(commands::Written { id, existed: false }) => {
            Ok(Redirect::to(&lease_path(id)).into_response())
        }
        Ok(commands::Written { id, existed: true }) => {
            Ok(Redirect::to(&format!("{}?melding=utkast", lease_path(id))).into_response())
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let (mut tx, _) = ctx.read_tx(READ).await?;
            let grounds = repo::grounds(&mut tx, unit.municipality_id).await?;
            tx.commit().await?;
            render_status(
                shown.status(),
                &FormPage {
                    layout: Layout::new(&ctx, "leiekontrakter"),
                    id: None,
                    action: new_action(&q, &offer, &unit),
                    ask_parties: offer.is_none(),
                    unit,
                    offer,
                    grounds,
                    form,
                    errors: shown.errors,
                    v: PartyRoles,
                },
            )
        }
    }
}

fn form_of(l: &LeaseRow) -> LeaseForm {
    let d = l.deposit();
    LeaseForm {
        version: l.version.to_string(),
        starts_on: l.starts_on.to_string(),
        ends_on: l.ends_on.map(|e| e.to_string()).unwrap_or_default(),
        monthly_rent: kroner_input(l.monthly_rent),
        includes: l.includes.clone(),
        deposit_kind: d.kind().into(),
        deposit_amount: if d.amount() > 0 {
            kroner_input(d.amount())
        } else {
            String::new()
        },
        deposit_bank: l.deposit_bank.clone(),
        deposit_account: l.deposit_account.clone(),
        guarantor: l.guarantor.clone(),
        guarantee_reference: l.guarantee_reference.clone(),
        eviction_clause: l.eviction_clause,
        short_term_ground_id: l
            .short_term_ground_id
            .map(|g| g.to_string())
            .unwrap_or_default(),
        ..Default::default()
    }
}

async fn edit_page_of(
    ctx: &Ctx,
    l: &LeaseRow,
    form: LeaseForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let (mut tx, unit) = ctx.load::<UnitRow>(READ, l.dwelling_id).await?;
    let grounds = repo::grounds(&mut tx, l.municipality_id).await?;
    tx.commit().await?;
    render_status(
        status,
        &FormPage {
            layout: Layout::new(ctx, "leiekontrakter"),
            id: Some(l.id),
            action: format!("/leiekontrakter/{}/rediger", l.id),
            unit,
            offer: None,
            // A lease written directly names its parties here; one from an offer has them
            // from its case.
            ask_parties: l.offer_id.is_none(),
            grounds,
            form,
            errors,
            v: PartyRoles,
        },
    )
}

pub async fn edit_page(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (mut tx, l) = ctx.load_for_write::<LeaseRow>(READ, WRITE, id).await?;
    if l.status != Status::Draft {
        tx.commit().await?;
        return Ok(Redirect::to(&lease_path(id)).into_response());
    }
    let mut form = form_of(&l);
    if l.offer_id.is_none() {
        let people = repo::party_people(&mut tx, l.municipality_id, l.id).await?;
        fill_parties(&mut form, &people);
        audit::record(
            &mut tx,
            &ctx,
            Event::new("lease.parties_viewed")
                .municipality(l.municipality_id)
                .entity("lease", l.id),
        )
        .await?;
    }
    tx.commit().await?;
    edit_page_of(&ctx, &l, form, FormErrors::new(), StatusCode::OK).await
}

/// The draft's tenant and other parties into the form, as typed when it was written.
fn fill_parties(form: &mut LeaseForm, people: &[repo::PartyPerson]) {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let rows_wanted = crate::applications::model::MEMBER_ROWS.max(people.len());
    form.members.resize(rows_wanted, Default::default());
    let mut rows = form.members.iter_mut();
    for p in people {
        if p.role == "tenant" {
            form.tenant_person = p.person_id.to_string();
            form.tenant_name = p.name.clone();
            form.tenant_national_id = p.national_id.clone().unwrap_or_default();
            form.tenant_birth_date = date(p.birth_date);
            form.tenant_phone = p.phone.clone();
            form.tenant_email = p.email.clone();
        } else if let Some(row) = rows.next() {
            row.person = p.person_id.to_string();
            row.name = p.name.clone();
            row.national_id = p.national_id.clone().unwrap_or_default();
            row.birth_date = date(p.birth_date);
            row.relation = p.role.clone();
        }
    }
}

pub async fn update(
    ctx: Ctx,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (mut tx, l) = ctx.load_for_write::<LeaseRow>(READ, WRITE, id).await?;
    let mut form = LeaseForm::from_pairs(&pairs);
    let outcome = commands::update(&mut tx, ctx.actor(), &l, &form).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?melding=lagret", lease_path(id))).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            if shown.status() == StatusCode::CONFLICT {
                // Saving again must be a deliberate overwrite of the colleague's version.
                form.version = l.version.to_string();
            }
            let status = shown.status();
            edit_page_of(&ctx, &l, form, shown.errors, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The lease's page

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageQuery {
    pub melding: String,
    /// The step whose form is open.
    pub steg: String,
}

#[derive(Template)]
#[template(path = "leases/show.html")]
pub struct LeasePage {
    pub layout: Layout,
    pub l: LeaseRow,
    pub municipality: String,
    pub show_municipality: bool,
    pub rent_now: i64,
    /// A renewal case is under way or granted.
    pub renewal_pending: bool,
    pub parties: Vec<Party>,
    pub rents: Vec<RentChange>,
    pub reviews: Vec<Review>,
    pub letters: Vec<Summary>,
    pub can_write: bool,
    pub today: chrono::NaiveDate,
    pub message: String,
    /// The step whose form is open (chosen, or refused with its input and messages).
    pub open: &'static str,
    pub form: ActionForm,
    pub errors: FormErrors,
}

impl LeasePage {
    pub fn d(&self, d: &chrono::NaiveDate) -> String {
        format::date(*d)
    }
    pub fn od(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn kr(&self, ore: &i64) -> String {
        format::kroner(*ore)
    }
    pub fn term(&self) -> String {
        match self.l.ends_on {
            Some(e) => format!("{}–{}", format::date(self.l.starts_on), format::date(e)),
            None => format!("Fra {} (tidsubestemt)", format::date(self.l.starts_on)),
        }
    }
    pub fn warning(&self) -> Option<OpenEnded> {
        if !self.l.status.is_running() {
            return None;
        }
        let settled = self.l.status == Status::NoticeGiven || self.renewal_pending;
        rules::open_ended_warning(
            self.l.ends_on,
            self.l.demand_to_move_on.is_some(),
            settled,
            self.today,
        )
    }
    pub fn includes_text(&self) -> String {
        self.l
            .includes
            .iter()
            .map(|k| model::include_label(k))
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn deposit_text(&self) -> String {
        match self.l.deposit() {
            model::Deposit::None => "Ingen".into(),
            model::Deposit::Account {
                amount,
                bank,
                account,
            } => {
                format!(
                    "Depositum {} på depositumskonto i {bank} ({account})",
                    format::kroner(amount)
                )
            }
            model::Deposit::Guarantee {
                amount,
                guarantor,
                reference,
            } => format!(
                "Garanti {} fra {guarantor}{}",
                format::kroner(amount),
                if reference.is_empty() {
                    String::new()
                } else {
                    format!(", ref. {reference}")
                }
            ),
        }
    }
    pub fn role_label(&self, role: &str) -> &'static str {
        if role == "co_tenant" {
            "Medleietaker (solidarisk ansvarlig)"
        } else {
            "Husstandsmedlem"
        }
    }
    pub fn rent_reason(&self, r: &str) -> &'static str {
        match r {
            "initial" => "Avtalt ved signering",
            "cpi" => "Regulert etter konsumprisindeksen (§ 4-2)",
            _ => "Annen endring",
        }
    }
    /// What the user typed into the open form, or the field's default.
    pub fn val(&self, field: &str, default: &str) -> String {
        if self.errors.is_empty() {
            return default.to_string();
        }
        let typed: &str = match field {
            "on" => &self.form.on,
            "respond_by" => &self.form.respond_by,
            "effective_on" => &self.form.effective_on,
            "by" => &self.form.by,
            "reasons" => &self.form.reasons,
            "situation" => &self.form.situation,
            "outcome" => &self.form.outcome,
            "reason" => &self.form.reason,
            "notes" => &self.form.notes,
            "settlement" => &self.form.settlement,
            "withheld" => &self.form.withheld,
            "settlement_reason" => &self.form.settlement_reason,
            _ => default,
        };
        typed.to_string()
    }
    pub fn checked(&self, point: &str) -> bool {
        self.form.checklist.iter().any(|c| c == point)
    }
    pub fn today_text(&self) -> String {
        self.today.to_string()
    }
    pub fn notice_default(&self) -> String {
        rules::notice_effective_on(self.today).to_string()
    }
    pub fn respond_default(&self) -> String {
        (self.today + chrono::Duration::days(21)).to_string()
    }
    pub fn end_default(&self) -> String {
        self.l
            .notice_effective_on
            .or(self.l.ends_on)
            .map(|d| d.min(self.today))
            .unwrap_or(self.today)
            .to_string()
    }
    pub fn may_sign(&self) -> bool {
        self.l.status == Status::Draft
    }
    pub fn needs_notice(&self) -> bool {
        self.l.status == Status::Draft
            && self.l.is_short_term()
            && self.l.short_term_notice_on.is_none()
    }
    pub fn end_reasons(&self) -> Vec<(&'static str, &'static str)> {
        model::END_REASONS.to_vec()
    }
    pub fn outcomes(&self) -> Vec<(&'static str, &'static str)> {
        model::REVIEW_OUTCOMES.to_vec()
    }
    pub fn outcome_label(&self, k: &str) -> String {
        model::review_outcome_label(k).to_string()
    }
    pub fn end_reason_label(&self) -> String {
        self.l
            .end_reason
            .as_deref()
            .map(model::end_reason_label)
            .unwrap_or_default()
            .to_string()
    }
    pub fn checklist(&self) -> &'static [(&'static str, &'static str)] {
        &model::CHECKLIST
    }
    pub fn done(&self, point: &str) -> bool {
        self.l.move_out_checklist.0.iter().any(|c| c == point)
    }
    pub fn notice_by_label(&self) -> &'static str {
        match self.l.notice_by.as_deref() {
            Some("landlord") => "utleier",
            _ => "leietaker",
        }
    }
    pub fn protest_due(&self) -> String {
        self.l
            .notice_given_on
            .map(|g| format::date(rules::add_months(g, 1)))
            .unwrap_or_default()
    }
    pub fn who_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![("tenant", "Leietaker"), ("landlord", "Utleier (kommunen)")]
    }
    pub fn settlement_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("returned", "Frigitt i sin helhet"),
            ("partly_withheld", "Delvis holdt tilbake"),
            ("withheld", "Holdt tilbake i sin helhet"),
        ]
    }
    pub fn settlement_label(&self) -> &'static str {
        match self.l.deposit_settlement.as_deref() {
            Some("returned") => "Frigitt i sin helhet",
            Some("partly_withheld") => "Delvis holdt tilbake",
            Some("withheld") => "Holdt tilbake i sin helhet",
            _ => "",
        }
    }
}

async fn page(
    ctx: &Ctx,
    id: Uuid,
    message: String,
    open: &'static str,
    form: ActionForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let (mut tx, l) = ctx.load::<LeaseRow>(READ, id).await?;
    let m = l.municipality_id;
    let rent_now = repo::rent_in_force(&mut tx, m, &l, ctx.today()).await?;
    let parties = repo::parties(&mut tx, m, id).await?;
    let rents = repo::rent_history(&mut tx, m, id).await?;
    let reviews = repo::reviews(&mut tx, m, id).await?;
    let renewal_pending = repo::renewal_pending(&mut tx, m, id).await?;
    let letters = crate::letters::repo::of_entity(&mut tx, m, id).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("lease.viewed")
            .municipality(m)
            .entity("lease", id),
    )
    .await?;
    tx.commit().await?;
    let munis = ctx.visible_municipalities();
    render_status(
        status,
        &LeasePage {
            layout: Layout::new(ctx, "leiekontrakter"),
            municipality: munis
                .iter()
                .find(|x| x.id == m)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            show_municipality: munis.len() > 1,
            rent_now,
            renewal_pending,
            parties,
            rents,
            reviews,
            letters,
            can_write: ctx.may(WRITE, m),
            today: ctx.today(),
            message,
            open,
            form,
            errors,
            l,
        },
    )
}

pub async fn show(ctx: Ctx, Id(id): Id, Query(q): Query<MessageQuery>) -> AppResult<Response> {
    let message = match q.melding.as_str() {
        "lagret" => "Endringene er lagret.",
        "utkast" => "Utkastet var allerede lagret: dette er det samme utkastet, ikke et nytt.",
        "signert" => "Leiekontrakten er signert og arkivert. Boligen er registrert som utleid.",
        "orientering" => "Orienteringen etter § 11-1 er sendt og arkivert.",
        "vurdert" => "Vurderingen er registrert.",
        "fornyelse" => "Vurderingen er registrert, og en sak om fornyelse er opprettet.",
        "varsel" => "Brevet er sendt og arkivert.",
        "oppsagt" => "Oppsigelsen er registrert.",
        "protest" => "Protesten er registrert.",
        "avsluttet" => "Leieforholdet er avsluttet.",
        _ => "",
    };
    let open = Step::ALL
        .iter()
        .map(|s| s.key())
        .find(|k| *k == q.steg)
        .unwrap_or("");
    page(
        &ctx,
        id,
        message.into(),
        open,
        ActionForm::default(),
        FormErrors::new(),
        StatusCode::OK,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Steps

#[derive(Clone, Copy)]
enum Step {
    Notice11,
    Sign,
    Review,
    Demand,
    Advance,
    Notice,
    Protest,
    End,
}

impl Step {
    const ALL: [Step; 8] = [
        Step::Notice11,
        Step::Sign,
        Step::Review,
        Step::Demand,
        Step::Advance,
        Step::Notice,
        Step::Protest,
        Step::End,
    ];

    fn key(self) -> &'static str {
        match self {
            Step::Notice11 => "orientering",
            Step::Sign => "signer",
            Step::Review => "vurdering",
            Step::Demand => "fraflyttingsvarsel",
            Step::Advance => "forhandsvarsel",
            Step::Notice => "oppsigelse",
            Step::Protest => "protest",
            Step::End => "avslutt",
        }
    }
}

fn action_form(pairs: &[(String, String)]) -> ActionForm {
    let single: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "checklist")
        .cloned()
        .collect();
    let mut form: ActionForm =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&single).unwrap_or_default())
            .unwrap_or_default();
    form.checklist = pairs
        .iter()
        .filter(|(k, _)| k == "checklist")
        .map(|(_, v)| v.clone())
        .collect();
    form
}

async fn act(ctx: Ctx, id: Uuid, pairs: Vec<(String, String)>, step: Step) -> AppResult<Response> {
    let form = action_form(&pairs);
    let (mut tx, l) = ctx.load_for_write::<LeaseRow>(READ, WRITE, id).await?;
    let actor = ctx.actor();
    let outcome = match step {
        Step::Notice11 => commands::send_short_term_notice(&mut tx, actor, &l, &form)
            .await
            .map(|_| "orientering"),
        Step::Sign => commands::sign(&mut tx, actor, &l, &form)
            .await
            .map(|_| "signert"),
        Step::Review => commands::review(&mut tx, actor, &l, &form).await.map(|r| {
            if r.is_some() {
                "fornyelse"
            } else {
                "vurdert"
            }
        }),
        Step::Demand => commands::demand_to_move(&mut tx, actor, &l, &form)
            .await
            .map(|_| "varsel"),
        Step::Advance => commands::advance_notice(&mut tx, actor, &l, &form)
            .await
            .map(|_| "varsel"),
        Step::Notice => commands::give_notice(&mut tx, actor, &l, &form)
            .await
            .map(|_| "oppsagt"),
        Step::Protest => commands::protest(&mut tx, actor, &l, &form)
            .await
            .map(|_| "protest"),
        Step::End => commands::end(&mut tx, actor, &l, &form)
            .await
            .map(|_| "avsluttet"),
    };
    match db::commit(tx, outcome).await {
        Ok(message) => {
            Ok(Redirect::to(&format!("{}?melding={message}", lease_path(id))).into_response())
        }
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            page(
                &ctx,
                id,
                String::new(),
                step.key(),
                form,
                shown.errors,
                status,
            )
            .await
        }
    }
}

macro_rules! step_handler {
    ($name:ident, $step:expr) => {
        pub async fn $name(
            ctx: Ctx,
            Id(id): Id,
            Form(pairs): Form<Vec<(String, String)>>,
        ) -> AppResult<Response> {
            act(ctx, id, pairs, $step).await
        }
    };
}

step_handler!(short_term_notice, Step::Notice11);
step_handler!(sign, Step::Sign);
step_handler!(review, Step::Review);
step_handler!(demand_to_move, Step::Demand);
step_handler!(advance_notice, Step::Advance);
step_handler!(give_notice, Step::Notice);
step_handler!(protest, Step::Protest);
step_handler!(end, Step::End);

// ---------------------------------------------------------------------------------------
// The contract

#[derive(Template)]
#[template(path = "leases/contract.html")]
pub struct ContractPage {
    pub id: Uuid,
    pub title: String,
    pub blocks: Vec<Block>,
    /// Not signed yet (a signed one without an archived copy is from before Bosak).
    pub draft: bool,
}

enum Contract {
    Archived(Uuid),
    Live(String, String, Vec<Block>, bool),
}

async fn contract_of(ctx: &Ctx, id: Uuid) -> AppResult<Contract> {
    let (mut tx, l) = ctx.load::<LeaseRow>(READ, id).await?;
    if let Some(a) = l.contract_letter_id {
        tx.commit().await?;
        return Ok(Contract::Archived(a));
    }
    let (author, footer, blocks, _) = letters::compose(
        &mut tx,
        &l,
        LetterKind::Contract,
        ctx.today(),
        &Particulars::default(),
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("lease.contract_viewed")
            .municipality(l.municipality_id)
            .entity("lease", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Contract::Live(
        author,
        footer,
        blocks,
        l.status == Status::Draft,
    ))
}

pub async fn contract_html(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    match contract_of(&ctx, id).await? {
        Contract::Archived(a) => Ok(Redirect::to(&format!("/brev/{a}")).into_response()),
        Contract::Live(_, _, blocks, draft) => render(&ContractPage {
            id,
            title: LetterKind::Contract.title().into(),
            blocks,
            draft,
        }),
    }
}

pub async fn contract_pdf(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let (author, footer, blocks) = match contract_of(&ctx, id).await? {
        Contract::Archived(a) => return Ok(Redirect::to(&format!("/brev/{a}.pdf")).into_response()),
        Contract::Live(author, footer, blocks, _) => (author, footer, blocks),
    };
    let pdf = tokio::task::spawn_blocking(move || {
        crate::letters::pdf::render(LetterKind::Contract.title(), &author, &footer, &blocks)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"leiekontrakt-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
