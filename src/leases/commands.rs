//! Changes to leases, one function each. A command takes the write transaction on the
//! lease's municipality, the actor and a typed input; it checks the rules (husleieloven,
//! forvaltningsloven § 16) and the version, makes the change, keeps the unit's status and
//! the case in step, writes the letters, the journal entry and the audit event, and
//! returns an outcome or a [`Refusal`]. It never commits.

use chrono::NaiveDate;
use uuid::Uuid;

use super::letters::{self, LetterKind, Particulars};
use super::model::{self, LeaseForm, Status, Terms};
use super::repo::{self, LeaseRow, Origin, Step};
use super::rules;
use crate::allocation::model::OfferStatus;
use crate::allocation::repo::OfferRow;
use crate::applications::model::{PersonInput, Status as AppStatus};
use crate::applications::repo as apps;
use crate::audit::{self, Event};
use crate::db::Tx;
use crate::dwellings::model::{Status as UnitStatus, StatusChange};
use crate::dwellings::repo::{self as dwellings, UnitRow};
use crate::web::ctx::Actor;
use crate::web::error::AppError;
use crate::web::format;
use crate::web::forms::{self, FormErrors};
use crate::web::refusal::{on_constraint, Outcome, Refusal};

pub fn lease_path(id: Uuid) -> String {
    format!("/leiekontrakter/{id}")
}

/// The database's lease rules as messages next to their fields.
const LEASE_CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("leases_no_overlap", "starts_on", model::OVERLAP),
    (
        "leases_short_term_basis",
        "short_term_ground_id",
        model::SHORT_TERM_REQUIRED,
    ),
    (
        "leases_short_term_notice",
        "on",
        model::SHORT_TERM_NOTICE_FIRST,
    ),
    (
        "leases_deposit_max",
        "deposit_amount",
        model::DEPOSIT_TOO_HIGH,
    ),
    (
        "leases_offer_key",
        "general",
        "Det er allerede skrevet en leiekontrakt for dette tilbudet.",
    ),
    ("leases_direct_draft_key", "general", model::DRAFT_EXISTS),
];

fn refused(e: sqlx::Error) -> Refusal {
    match on_constraint(e, LEASE_CONSTRAINTS) {
        Refusal::Invalid(mut errors) if errors.has("general") => {
            errors.general = errors.get("general").map(str::to_string);
            Refusal::Invalid(errors)
        }
        r => r,
    }
}

/// Where a lease is written from.
pub enum Source<'a> {
    /// An accepted offer: tenant, household, unit and length come from the case.
    Offer(&'a OfferRow),
    /// A tenancy from before Bosak, or one without a case: the form names the parties.
    Unit(&'a UnitRow),
}

/// A unit can be let from `start` when nothing else holds it then: it is vacant (or
/// reserved for this offer), or it is becoming vacant before the start, and no signed
/// lease of it overlaps the term.
async fn unit_free(
    tx: &mut Tx,
    unit: &UnitRow,
    lease: Uuid,
    offer: Option<Uuid>,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> Outcome<()> {
    let m = unit.municipality_id;
    let blocked = match unit.status {
        UnitStatus::Vacant => None,
        // Reserved for an accepted offer: only that offer's lease may have it.
        UnitStatus::Reserved => match offer {
            Some(o)
                if crate::allocation::repo::offer(tx, &[m], o)
                    .await?
                    .is_some_and(|x| x.dwelling_id == unit.id) =>
            {
                None
            }
            _ => Some(
                "Boligen er reservert for et akseptert tilbud. Skriv leiekontrakten fra tilbudet."
                    .to_string(),
            ),
        },
        UnitStatus::Let | UnitStatus::NoticeGiven => match unit.expected_vacant_from {
            Some(free) if start >= free => None,
            Some(free) => Some(format!(
                "Boligen er ikke ledig før {}. Leieforholdet kan tidligst starte da.",
                format::date(free)
            )),
            None if unit.status == UnitStatus::Let => {
                // Let through a lease in Bosak: the overlap check below decides.
                let known = repo::leases_of_unit(tx, m, unit.id)
                    .await?
                    .iter()
                    .any(|l| l.id != lease && l.status.is_running());
                (!known).then(|| {
                    "Boligen er utleid uten kjent dato for når den blir ledig. Registrer når den blir ledig i boligregisteret først.".to_string()
                })
            }
            None => None,
        },
        UnitStatus::Maintenance | UnitStatus::ToBeSold | UnitStatus::Sold => Some(format!(
            "Boligen kan ikke leies ut nå (status: {}). Endre statusen i boligregisteret først.",
            unit.status.label().to_lowercase()
        )),
    };
    if let Some(message) = blocked {
        return Err(Refusal::field("starts_on", message));
    }
    if let Some(no) = repo::overlapping(tx, m, unit.id, lease, start, end).await? {
        return Err(Refusal::field(
            "starts_on",
            format!("{} (leiekontrakt nr. {no})", model::OVERLAP),
        ));
    }
    // A lease past its end date still holds the unit while it runs, until notice or a
    // demand to move fixes when it is released (husleieloven § 9-2).
    if let Some(no) = repo::holding(tx, m, unit.id, lease, start).await? {
        return Err(Refusal::field(
            "starts_on",
            format!(
                "Leiekontrakt nr. {no} løper fortsatt uten oppsigelse eller fraflyttingsvarsel som frigjør boligen før denne datoen."
            ),
        ));
    }
    Ok(())
}

async fn person_of(
    tx: &mut Tx,
    m: Uuid,
    p: &model::PartyInput,
    phone: &str,
    email: &str,
) -> sqlx::Result<Uuid> {
    apps::upsert_person(
        tx,
        m,
        &PersonInput {
            name: p.name.clone(),
            national_id: p.national_id.clone(),
            birth_date: p.birth_date,
            phone: phone.to_string(),
            email: email.to_string(),
            street_address: String::new(),
            postcode: String::new(),
            postal_place: String::new(),
        },
        false,
    )
    .await
}

/// The unit's status follows the lease (stale when a colleague changed the unit).
async fn move_unit(
    tx: &mut Tx,
    actor: &Actor<'_>,
    unit: &UnitRow,
    change: &StatusChange,
) -> Outcome<()> {
    let m = unit.municipality_id;
    if !dwellings::change_status(
        tx,
        m,
        unit.id,
        unit.status,
        change,
        unit.version,
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// The audit event of a step of lease `l`.
async fn audited(
    tx: &mut Tx,
    actor: &Actor<'_>,
    l: &LeaseRow,
    action: &str,
    details: serde_json::Value,
) -> Outcome<()> {
    audit::record(
        tx,
        actor,
        Event::new(action)
            .municipality(l.municipality_id)
            .entity("lease", l.id)
            .details(details),
    )
    .await?;
    Ok(())
}

fn offer_of(source: &Source<'_>) -> Option<Uuid> {
    match source {
        Source::Offer(o) => Some(o.id),
        Source::Unit(_) => None,
    }
}

/// A lease written by [`create`], or the draft that was there already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub id: Uuid,
    /// The same form was submitted before (same unit, tenant and start, still a draft):
    /// nothing new was written.
    pub existed: bool,
}

/// Writes a draft lease. A second submit of a lease written directly for a unit lands on
/// the draft the first one wrote.
pub async fn create(
    tx: &mut Tx,
    actor: Actor<'_>,
    source: Source<'_>,
    unit: &UnitRow,
    form: &LeaseForm,
) -> Outcome<Written> {
    let m = unit.municipality_id;
    let grounds: Vec<Uuid> = repo::grounds(tx, m)
        .await?
        .iter()
        .filter(|g| g.active)
        .map(|g| g.id)
        .collect();
    let mut errors = FormErrors::new();
    let terms = form.terms(&grounds, &mut errors);
    let parties = match source {
        Source::Unit(_) => form.parties(actor.today, &mut errors),
        Source::Offer(_) => None,
    };
    Refusal::unless_empty(errors)?;
    let terms = terms.ok_or(AppError::BadRequest)?;
    if let (Source::Unit(u), Some(p)) = (&source, &parties) {
        // Under the unit's lock a concurrent submit waits for this one and then finds
        // its draft here.
        repo::lock_direct_drafts(tx, u.id).await?;
        if let Some(id) = repo::direct_draft(tx, m, u.id, terms.starts_on, &p.tenant).await? {
            return Ok(Written { id, existed: true });
        }
    }
    unit_free(
        tx,
        unit,
        Uuid::nil(),
        offer_of(&source),
        terms.starts_on,
        terms.ends_on,
    )
    .await?;
    let house_rules_id = repo::house_rules(tx, m, None).await?.map(|h| h.id);
    let (origin, members) = match source {
        Source::Offer(o) => {
            if o.status() != OfferStatus::Accepted {
                return Err(Refusal::general(
                    "Bare et akseptert tilbud kan bli en leiekontrakt.",
                ));
            }
            if let Some(existing) = repo::lease_of_offer(tx, m, o.id).await? {
                return Err(Refusal::general(format!(
                    "Det er allerede skrevet en leiekontrakt for dette tilbudet: {}",
                    lease_path(existing)
                )));
            }
            let app = apps::application(tx, &[m], o.application_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let members = apps::members(tx, m, app.id).await?;
            (
                Origin {
                    dwelling_id: o.dwelling_id,
                    application_id: Some(app.id),
                    offer_id: Some(o.id),
                    tenant_id: app.applicant_id,
                    house_rules_id,
                },
                members
                    .into_iter()
                    .map(|p| {
                        let role = if matches!(p.relation.as_str(), "spouse") {
                            "co_tenant"
                        } else {
                            "household"
                        };
                        (p.person_id, role)
                    })
                    .collect::<Vec<_>>(),
            )
        }
        Source::Unit(u) => {
            let p = parties.ok_or(AppError::BadRequest)?;
            let tenant = person_of(tx, m, &p.tenant, &p.phone, &p.email).await?;
            let mut members = Vec::new();
            for x in &p.members {
                members.push((apps::upsert_person(tx, m, &x.person, false).await?, x.role));
            }
            (
                Origin {
                    dwelling_id: u.id,
                    application_id: None,
                    offer_id: None,
                    tenant_id: tenant,
                    house_rules_id,
                },
                members,
            )
        }
    };
    let (id, no) = repo::insert_lease(tx, m, &origin, &terms, actor.user.id)
        .await
        .map_err(refused)?;
    for (person, role) in members {
        if person != origin.tenant_id {
            repo::add_party(tx, m, id, person, role).await?;
        }
    }
    if let Some(app) = origin.application_id {
        apps::record_event(
            tx,
            m,
            app,
            Some(actor.user.id),
            "lease",
            &format!("Utkast til leiekontrakt nr. {no}: {}", unit.unit_number),
            &term_text(&terms),
            Some(&lease_path(id)),
        )
        .await?;
    }
    audit::record(
        tx,
        &actor,
        Event::new("lease.created")
            .municipality(m)
            .entity("lease", id)
            .details(serde_json::json!({
                "lease_no": no, "dwelling": unit.id, "offer": origin.offer_id,
                "starts_on": terms.starts_on, "ends_on": terms.ends_on,
                "monthly_rent": terms.monthly_rent, "deposit": terms.deposit.amount(),
                "short_term_ground": terms.short_term_ground_id,
            })),
    )
    .await?;
    Ok(Written { id, existed: false })
}

fn term_text(t: &Terms) -> String {
    format!(
        "Fra {}{}, leie {} per måned.",
        format::date(t.starts_on),
        t.ends_on
            .map(|e| format!(" til {}", format::date(e)))
            .unwrap_or_else(|| ", tidsubestemt".into()),
        format::kroner(t.monthly_rent)
    )
}

/// Saves the terms of a draft.
pub async fn update(tx: &mut Tx, actor: Actor<'_>, l: &LeaseRow, form: &LeaseForm) -> Outcome<()> {
    let m = l.municipality_id;
    if l.status != Status::Draft {
        return Err(Refusal::general(
            "Bare et utkast kan endres. En signert kontrakt endres ved en ny avtale.",
        ));
    }
    let grounds: Vec<Uuid> = repo::grounds(tx, m)
        .await?
        .iter()
        .filter(|g| g.active || Some(g.id) == l.short_term_ground_id)
        .map(|g| g.id)
        .collect();
    let mut errors = FormErrors::new();
    let terms = form.terms(&grounds, &mut errors);
    // A lease written directly names its parties on the form; one from an offer takes them
    // from its case.
    let parties = match l.offer_id {
        None => form.parties(actor.today, &mut errors),
        Some(_) => None,
    };
    Refusal::unless_empty(errors)?;
    let terms = terms.ok_or(AppError::BadRequest)?;
    let unit = dwellings::unit(tx, &[m], l.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    unit_free(tx, &unit, l.id, l.offer_id, terms.starts_on, terms.ends_on).await?;
    if !repo::update_terms(tx, m, l.id, form.version(), &terms, actor.user.id)
        .await
        .map_err(refused)?
    {
        return Err(Refusal::Stale);
    }
    let mut named = serde_json::Value::Null;
    if let Some(p) = &parties {
        let before = repo::party_people(tx, m, l.id).await?;
        let t = &p.tenant;
        // The form showed the tenant's phone and e-mail: what it sends back is what they are.
        let tenant = match same_person(tx, m, &before, p.tenant_shown, t).await? {
            Some(id) => id,
            None => person_of(tx, m, t, &p.phone, &p.email).await?,
        };
        repo::set_contact(tx, m, tenant, &p.phone, &p.email).await?;
        let mut members = Vec::new();
        for x in &p.members {
            let who = &x.person;
            let typed = model::PartyInput {
                name: who.name.clone(),
                national_id: who.national_id.clone(),
                birth_date: who.birth_date,
            };
            let id = match same_person(tx, m, &before, x.shown, &typed).await? {
                Some(id) => id,
                None => apps::upsert_person(tx, m, who, false).await?,
            };
            members.push((id, x.role));
        }
        repo::replace_parties(tx, m, l.id, tenant, &members)
            .await
            .map_err(refused)?;
        named = serde_json::json!({
            "tenant": tenant,
            "before": before.iter().map(|b| (b.person_id, b.role.clone())).collect::<Vec<_>>(),
            "after": members,
        });
    }
    audited(
        tx,
        &actor,
        l,
        "lease.updated",
        serde_json::json!({
            "starts_on": terms.starts_on, "ends_on": terms.ends_on,
            "monthly_rent": terms.monthly_rent, "deposit": terms.deposit.amount(),
            "version": form.version() + 1, "parties": named,
        }),
    )
    .await?;
    Ok(())
}

/// The person a row of a saved draft's form is, when it is one already on the draft
/// without a national id: the one the row was filled from, when the row still has their
/// date of birth (typed, or in a national id typed now) — a typo fixed in the name, or the
/// number they got, corrects them; another date is another person typed over the row —
/// or one of the same name and date of birth (a form without the hidden ids). None: look
/// the person up by national id or add them.
async fn same_person(
    tx: &mut Tx,
    m: Uuid,
    before: &[repo::PartyPerson],
    shown: Option<Uuid>,
    typed: &model::PartyInput,
) -> Result<Option<Uuid>, Refusal> {
    let national_id = typed.national_id.as_ref();
    let born = typed
        .birth_date
        .or_else(|| national_id.and_then(|n| n.birth_date()));
    let shown = shown.and_then(|id| before.iter().find(|b| b.person_id == id));
    if let Some(b) = shown.filter(|b| born.is_some() && b.birth_date == born) {
        let corrected = repo::correct_person(
            tx,
            m,
            b.person_id,
            &typed.name,
            national_id.map(|n| n.as_str()),
            typed.birth_date,
        )
        .await
        .map_err(refused)?;
        if corrected {
            return Ok(Some(b.person_id));
        }
    }
    Ok(known(before, &typed.name, national_id, typed.birth_date))
}

/// A person already on the draft with this name and date of birth and no national id:
/// kept as the same person (one without a number cannot be looked up by it, and saving
/// the draft again must not make a second of them).
fn known(
    before: &[repo::PartyPerson],
    name: &str,
    national_id: Option<&crate::applications::model::NationalId>,
    birth_date: Option<NaiveDate>,
) -> Option<Uuid> {
    if national_id.is_some() {
        return None;
    }
    before
        .iter()
        .find(|b| {
            b.national_id.is_none()
                && b.birth_date == birth_date
                && b.name.trim().eq_ignore_ascii_case(name.trim())
        })
        .map(|b| b.person_id)
}

/// A dated action typed on the lease page.
#[derive(serde::Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ActionForm {
    pub version: String,
    pub on: String,
    pub respond_by: String,
    pub effective_on: String,
    pub by: String,
    pub reasons: String,
    pub situation: String,
    pub outcome: String,
    pub reason: String,
    pub notes: String,
    pub settlement: String,
    pub withheld: String,
    pub settlement_reason: String,
    /// Move-out checklist points, comma-joined by the handler.
    #[serde(skip)]
    pub checklist: Vec<String>,
}

impl ActionForm {
    pub fn version(&self) -> i32 {
        crate::web::extract::version(&self.version)
    }
}

fn still(l: &LeaseRow, form: &ActionForm) -> Outcome<()> {
    if form.version() != l.version {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// Husleieloven § 11-1: the written notice before signing that the dwelling is let on a
/// shorter term and gives fewer rights. Bosak writes and archives it.
pub async fn send_short_term_notice(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<Uuid> {
    still(l, form)?;
    if l.status != Status::Draft || !l.is_short_term() || l.short_term_ground_id.is_none() {
        return Err(Refusal::general(
            "Orienteringen etter § 11-1 sendes for et utkast til kortere leieforhold med et valgt grunnlag.",
        ));
    }
    // Bosak writes and archives the notice now: it is dated today, whatever was typed.
    let on = actor.today;
    let letter = letters::send(
        tx,
        l,
        LetterKind::ShortTermNotice,
        on,
        actor.user.id,
        &Particulars::default(),
    )
    .await?;
    let m = l.municipality_id;
    if !repo::step(
        tx,
        m,
        l.id,
        l.version,
        &Step::ShortTermNotice { on, letter },
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    audited(
        tx,
        &actor,
        l,
        "lease.short_term_notice_sent",
        serde_json::json!({ "on": on, "letter": letter }),
    )
    .await?;
    Ok(letter)
}

/// Signs the lease: the terms are checked once more against the unit and the law, the
/// contract is archived as signed, the rent history starts, the unit is let and the case
/// closes as housed.
pub async fn sign(tx: &mut Tx, actor: Actor<'_>, l: &LeaseRow, form: &ActionForm) -> Outcome<()> {
    still(l, form)?;
    let m = l.municipality_id;
    if l.status != Status::Draft {
        return Err(Refusal::general("Leiekontrakten er allerede signert."));
    }
    let mut errors = FormErrors::new();
    let on = model::past_date(&mut errors, "on", &form.on, "Signeringsdatoen", actor.today);
    Refusal::unless_empty(errors)?;
    let on = on.ok_or(AppError::BadRequest)?;
    if l.is_short_term() {
        match l.short_term_notice_on {
            None => {
                return Err(Refusal::field("on", model::SHORT_TERM_NOTICE_FIRST))
            }
            Some(n) if n >= on => {
                return Err(Refusal::field(
                    "on",
                    format!(
                        "Orienteringen etter § 11-1 ble gitt {}. Kontrakten kan tidligst signeres dagen etter.",
                        format::date(n)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let unit = dwellings::unit(tx, &[m], l.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    unit_free(tx, &unit, l.id, l.offer_id, l.starts_on, l.ends_on).await?;
    let letter = letters::send(
        tx,
        l,
        LetterKind::Contract,
        on,
        actor.user.id,
        &Particulars::default(),
    )
    .await?;
    let status = if l.starts_on <= actor.today {
        Status::Active
    } else {
        Status::Signed
    };
    if !repo::step(
        tx,
        m,
        l.id,
        l.version,
        &Step::Signed { on, status, letter },
        actor.user.id,
    )
    .await
    .map_err(refused)?
    {
        return Err(Refusal::Stale);
    }
    repo::insert_initial_rent(tx, m, l, on, actor.user.id).await?;
    let reason = format!("Leiekontrakt nr. {} signert", l.lease_no);
    // A lease that starts later reserves the unit (the activation job lets it on the
    // first day); a unit still let or on notice to the previous tenant stays so until
    // that lease ends.
    let to = if l.starts_on > actor.today {
        UnitStatus::Reserved
    } else {
        UnitStatus::Let
    };
    if matches!(unit.status, UnitStatus::Vacant | UnitStatus::Reserved) && unit.status != to {
        let change = StatusChange {
            to,
            effective_on: actor.today.max(unit.status_since),
            expected_vacant_from: None,
            reason: reason.clone(),
        };
        move_unit(tx, &actor, &unit, &change).await?;
    }
    if let Some(app_id) = l.application_id {
        let app = apps::application(tx, &[m], app_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if matches!(app.status, AppStatus::Offered | AppStatus::WaitingList)
            && !apps::set_status(
                tx,
                m,
                app.id,
                app.version,
                AppStatus::Housed,
                &reason,
                actor.today,
            )
            .await?
        {
            return Err(Refusal::Stale);
        }
        apps::record_event(
            tx,
            m,
            app_id,
            Some(actor.user.id),
            "lease",
            &format!("{reason}: {}", l.unit_label),
            "Saken er avsluttet som bosatt.",
            Some(&lease_path(l.id)),
        )
        .await?;
    }
    audit::record(
        tx,
        &actor,
        Event::new("lease.signed")
            .municipality(m)
            .entity("lease", l.id)
            .details(
                serde_json::json!({ "signed_on": on, "status": status.key(), "letter": letter }),
            ),
    )
    .await?;
    Ok(())
}

/// The review before a time-limited lease ends. Renewal is a decision with appeal rights,
/// so it opens a renewal case for the tenant, decided in the decisions module.
pub async fn review(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<Option<Uuid>> {
    still(l, form)?;
    let m = l.municipality_id;
    if !l.status.is_running() {
        return Err(Refusal::general(
            "Bare et løpende leieforhold kan vurderes.",
        ));
    }
    let mut errors = FormErrors::new();
    let situation = forms::text(
        &mut errors,
        "situation",
        &form.situation,
        true,
        4000,
        "Leietakers situasjon",
    );
    let outcome = form.outcome.trim();
    if !model::REVIEW_OUTCOMES.iter().any(|(k, _)| *k == outcome) {
        errors.add("outcome", "Velg utfallet av vurderingen.");
    }
    Refusal::unless_empty(errors)?;
    let renewal = if outcome == "renew" {
        let (id, _) = apps::insert_renewal(
            tx,
            m,
            l.id,
            l.tenant_id,
            l.application_id,
            actor.today,
            &situation,
            actor.user.id,
        )
        .await?;
        for p in repo::parties(tx, m, l.id).await? {
            let relation = if p.role == "co_tenant" {
                "spouse"
            } else {
                "other_adult"
            };
            apps::add_member(tx, m, id, p.person_id, relation).await?;
        }
        apps::record_event(
            tx,
            m,
            id,
            Some(actor.user.id),
            "lease",
            &format!("Søknad om fornyelse av leiekontrakt nr. {}", l.lease_no),
            &situation,
            Some(&lease_path(l.id)),
        )
        .await?;
        Some(id)
    } else {
        None
    };
    let record = repo::NewReview {
        lease: l.id,
        on: actor.today,
        situation: &situation,
        outcome,
        renewal,
        by: actor.user.id,
    };
    repo::insert_review(tx, m, &record).await?;
    if !repo::touch(tx, m, l.id, l.version).await? {
        return Err(Refusal::Stale);
    }
    audited(
        tx,
        &actor,
        l,
        "lease.reviewed",
        serde_json::json!({ "outcome": outcome, "renewal_application": renewal }),
    )
    .await?;
    Ok(renewal)
}

/// Husleieloven § 9-2 third paragraph: the written demand to move when a time-limited
/// lease ends, so that it does not become open-ended.
pub async fn demand_to_move(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<Uuid> {
    still(l, form)?;
    let m = l.municipality_id;
    let Some(end) = l.ends_on else {
        return Err(Refusal::general(
            "Leieforholdet er tidsubestemt: det avsluttes ved oppsigelse, ikke ved fraflyttingsvarsel.",
        ));
    };
    if !l.status.is_running() {
        return Err(Refusal::general(
            "Bare et løpende leieforhold kan få fraflyttingsvarsel.",
        ));
    }
    // Written and archived now, so dated today: the § 9-2 deadline is met or missed by
    // the day it is actually sent.
    let on = actor.today;
    if on >= rules::open_ended_on(end) {
        return Err(Refusal::field(
            "on",
            format!(
                "Fristen for fraflyttingsvarsel gikk ut {}: leieforholdet er blitt tidsubestemt (husleieloven § 9-2) og må sies opp.",
                format::date(rules::open_ended_on(end))
            ),
        ));
    }
    let move_by = if on > end {
        on + chrono::Duration::days(14)
    } else {
        end
    };
    let extra = Particulars {
        move_by: Some(move_by),
        ..Default::default()
    };
    let letter = letters::send(tx, l, LetterKind::DemandToMove, on, actor.user.id, &extra).await?;
    if !repo::step(
        tx,
        m,
        l.id,
        l.version,
        &Step::DemandToMove { on, letter },
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    audited(
        tx,
        &actor,
        l,
        "lease.demand_to_move_sent",
        serde_json::json!({ "on": on, "move_by": move_by, "letter": letter }),
    )
    .await?;
    Ok(letter)
}

/// Forvaltningsloven § 16: before the landlord gives notice, the tenant is told what is
/// intended and why, with a deadline to respond.
pub async fn advance_notice(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<Uuid> {
    still(l, form)?;
    let m = l.municipality_id;
    if !matches!(l.status, Status::Signed | Status::Active) {
        return Err(Refusal::general(
            "Forhåndsvarsel sendes for et løpende leieforhold.",
        ));
    }
    let mut errors = FormErrors::new();
    let on = Some(actor.today);
    let respond_by = model::any_date(&mut errors, "respond_by", &form.respond_by, "Svarfristen");
    let reasons = forms::text(
        &mut errors,
        "reasons",
        &form.reasons,
        true,
        10_000,
        "Begrunnelsen",
    );
    if let (Some(o), Some(r)) = (on, respond_by) {
        if r < o + chrono::Duration::days(14) {
            errors.add("respond_by", "Gi leietaker minst to uker til å uttale seg.");
        }
    }
    Refusal::unless_empty(errors)?;
    let (on, respond_by) = (
        on.ok_or(AppError::BadRequest)?,
        respond_by.ok_or(AppError::BadRequest)?,
    );
    let extra = Particulars {
        reasons: reasons.clone(),
        respond_by: Some(respond_by),
        ..Default::default()
    };
    let letter = letters::send(tx, l, LetterKind::AdvanceNotice, on, actor.user.id, &extra).await?;
    if !repo::step(
        tx,
        m,
        l.id,
        l.version,
        &Step::AdvanceNotice {
            on,
            respond_by,
            letter,
        },
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    audited(
        tx,
        &actor,
        l,
        "lease.advance_notice_sent",
        serde_json::json!({ "on": on, "respond_by": respond_by, "letter": letter }),
    )
    .await?;
    Ok(letter)
}

/// Notice by the tenant, or by the landlord with the § 9-7 content after the § 16
/// advance notice. The unit becomes vacant from the day after the effective date.
pub async fn give_notice(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<()> {
    still(l, form)?;
    let m = l.municipality_id;
    if !matches!(l.status, Status::Signed | Status::Active) {
        return Err(Refusal::general(
            "Leieforholdet er allerede sagt opp eller avsluttet.",
        ));
    }
    let mut errors = FormErrors::new();
    let by = form.by.trim();
    if !matches!(by, "tenant" | "landlord") {
        errors.add("by", "Velg hvem som sier opp.");
    }
    // The landlord's notice is the letter Bosak sends now; the tenant's is recorded as
    // received on the day typed.
    let on = if by == "landlord" {
        Some(actor.today)
    } else {
        model::past_date(
            &mut errors,
            "on",
            &form.on,
            "Datoen for oppsigelsen",
            actor.today,
        )
    };
    let effective = model::any_date(
        &mut errors,
        "effective_on",
        &form.effective_on,
        "Fraflyttingsdatoen",
    );
    let reasons = forms::text(
        &mut errors,
        "reasons",
        &form.reasons,
        by == "landlord",
        10_000,
        "Begrunnelsen",
    );
    if let (Some(o), Some(e)) = (on, effective) {
        // § 9-6 binds both parties; an earlier end is an agreement, recorded by ending the
        // lease on the agreed day.
        if e < rules::notice_effective_on(o) {
            errors.add(
                "effective_on",
                format!(
                    "Oppsigelsesfristen er tre måneder regnet fra utløpet av måneden (husleieloven § 9-6): tidligst {}. Er partene enige om en tidligere dato, avslutt leieforholdet på den datoen i stedet.",
                    format::date(rules::notice_effective_on(o))
                ),
            );
        }
        if e < o || e < l.starts_on {
            errors.add(
                "effective_on",
                "Fraflyttingsdatoen må være etter oppsigelsen og leiestart.",
            );
        }
        if by == "landlord" {
            match l.advance_respond_by {
                None => errors.add(
                    "by",
                    "Utleiers oppsigelse krever først et forhåndsvarsel med frist til å uttale seg (forvaltningsloven § 16).",
                ),
                Some(r) if o <= r => errors.add(
                    "on",
                    format!(
                        "Leietaker har frist til {} med å uttale seg til forhåndsvarselet. Oppsigelsen kan tidligst gis dagen etter.",
                        format::date(r)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    Refusal::unless_empty(errors)?;
    let (on, effective) = (
        on.ok_or(AppError::BadRequest)?,
        effective.ok_or(AppError::BadRequest)?,
    );
    let letter = if by == "landlord" {
        let extra = Particulars {
            reasons: reasons.clone(),
            effective_on: Some(effective),
            ..Default::default()
        };
        Some(letters::send(tx, l, LetterKind::Notice, on, actor.user.id, &extra).await?)
    } else {
        None
    };
    let step = Step::Notice {
        by,
        on,
        effective,
        reasons: &reasons,
        letter,
    };
    if !repo::step(tx, m, l.id, l.version, &step, actor.user.id)
        .await
        .map_err(refused)?
    {
        return Err(Refusal::Stale);
    }
    let unit = dwellings::unit(tx, &[m], l.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if unit.status == UnitStatus::Let {
        let change = StatusChange {
            to: UnitStatus::NoticeGiven,
            effective_on: on.max(unit.status_since),
            expected_vacant_from: effective.succ_opt(),
            reason: format!("Leiekontrakt nr. {} sagt opp", l.lease_no),
        };
        move_unit(tx, &actor, &unit, &change).await?;
    }
    audited(
        tx,
        &actor,
        l,
        "lease.notice_given",
        serde_json::json!({ "by": by, "on": on, "effective_on": effective, "letter": letter }),
    )
    .await?;
    Ok(())
}

/// Husleieloven § 9-8: the tenant's written protest against the landlord's notice.
pub async fn protest(
    tx: &mut Tx,
    actor: Actor<'_>,
    l: &LeaseRow,
    form: &ActionForm,
) -> Outcome<()> {
    still(l, form)?;
    let m = l.municipality_id;
    if l.status != Status::NoticeGiven || l.notice_by.as_deref() != Some("landlord") {
        return Err(Refusal::general(
            "Protest registreres på en oppsigelse fra utleier.",
        ));
    }
    let mut errors = FormErrors::new();
    let on = model::past_date(&mut errors, "on", &form.on, "Datoen", actor.today);
    let text = forms::text(
        &mut errors,
        "reasons",
        &form.reasons,
        true,
        10_000,
        "Protesten",
    );
    if let (Some(o), Some(given)) = (on, l.notice_given_on) {
        if o < given {
            errors.add("on", "Protesten kan ikke være før oppsigelsen.");
        }
    }
    Refusal::unless_empty(errors)?;
    let on = on.ok_or(AppError::BadRequest)?;
    if !repo::step(
        tx,
        m,
        l.id,
        l.version,
        &Step::Protest { on, text: &text },
        actor.user.id,
    )
    .await?
    {
        return Err(Refusal::Stale);
    }
    let in_time = l
        .notice_given_on
        .is_some_and(|g| on <= rules::add_months(g, 1));
    audited(
        tx,
        &actor,
        l,
        "lease.protest_recorded",
        serde_json::json!({ "on": on, "in_time": in_time }),
    )
    .await?;
    Ok(())
}

/// Ends the lease: the date and reason, the move-out inspection and the deposit
/// settlement. The unit becomes vacant unless another lease of it has begun.
pub async fn end(tx: &mut Tx, actor: Actor<'_>, l: &LeaseRow, form: &ActionForm) -> Outcome<()> {
    still(l, form)?;
    let m = l.municipality_id;
    if !l.status.is_running() {
        return Err(Refusal::general(
            "Leieforholdet er ikke signert, eller allerede avsluttet.",
        ));
    }
    let mut errors = FormErrors::new();
    let on = model::past_date(&mut errors, "on", &form.on, "Sluttdatoen", actor.today);
    if on.is_some_and(|o| o < l.starts_on) {
        errors.add("on", "Sluttdatoen kan ikke være før leiestart.");
    }
    let reason = form.reason.trim();
    if !model::END_REASONS.iter().any(|(k, _)| *k == reason) {
        errors.add("reason", "Velg hvorfor leieforholdet sluttet.");
    }
    let notes = forms::text(
        &mut errors,
        "notes",
        &form.notes,
        reason == "other",
        4000,
        "Merknaden",
    );
    let settlement = match (l.deposit_amount, form.settlement.trim()) {
        (0, _) => None,
        (_, s @ ("returned" | "withheld" | "partly_withheld")) => Some(s),
        _ => {
            errors.add(
                "settlement",
                "Velg hvordan depositumet eller garantien er gjort opp.",
            );
            None
        }
    };
    let withheld = match settlement {
        Some("withheld") => l.deposit_amount,
        Some("partly_withheld") => match format::parse_kroner(&form.withheld) {
            Some(w) if w > 0 && w < l.deposit_amount => w,
            _ => {
                errors.add(
                    "withheld",
                    format!(
                        "Skriv beløpet som holdes tilbake, mellom 0 og {}.",
                        format::kroner(l.deposit_amount)
                    ),
                );
                0
            }
        },
        _ => 0,
    };
    let settlement_reason = forms::text(
        &mut errors,
        "settlement_reason",
        &form.settlement_reason,
        withheld > 0,
        4000,
        "Begrunnelsen for å holde tilbake",
    );
    Refusal::unless_empty(errors)?;
    let on = on.ok_or(AppError::BadRequest)?;
    let checklist: serde_json::Map<String, serde_json::Value> = model::CHECKLIST
        .iter()
        .map(|(k, _)| {
            (
                k.to_string(),
                serde_json::Value::Bool(form.checklist.iter().any(|c| c == k)),
            )
        })
        .collect();
    let step = Step::Ended {
        on,
        reason,
        notes: &notes,
        checklist: serde_json::Value::Object(checklist),
        settlement,
        withheld,
        settlement_reason: &settlement_reason,
    };
    if !repo::step(tx, m, l.id, l.version, &step, actor.user.id)
        .await
        .map_err(refused)?
    {
        return Err(Refusal::Stale);
    }
    let unit = dwellings::unit(tx, &[m], l.dwelling_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The next lease of the unit decides what it becomes: let when it has begun,
    // reserved when it begins later, vacant when there is none.
    let others = repo::leases_of_unit(tx, m, unit.id).await?;
    let next: Vec<_> = others
        .iter()
        .filter(|x| x.id != l.id && x.status.is_running())
        .collect();
    let to = if next.iter().any(|x| x.starts_on <= actor.today) {
        UnitStatus::Let
    } else if next.is_empty() {
        UnitStatus::Vacant
    } else {
        UnitStatus::Reserved
    };
    if matches!(unit.status, UnitStatus::Let | UnitStatus::NoticeGiven) && unit.status != to {
        let change = StatusChange {
            to,
            effective_on: on.max(unit.status_since),
            expected_vacant_from: None,
            reason: format!(
                "Leiekontrakt nr. {} avsluttet: {}",
                l.lease_no,
                model::end_reason_label(reason).to_lowercase()
            ),
        };
        move_unit(tx, &actor, &unit, &change).await?;
    }
    audited(
        tx,
        &actor,
        l,
        "lease.ended",
        serde_json::json!({
            "ended_on": on, "reason": reason, "deposit_settlement": settlement,
            "deposit_withheld": withheld,
        }),
    )
    .await?;
    Ok(())
}

/// The one lease of an accepted offer, if written.
pub async fn lease_of_offer(tx: &mut Tx, o: &OfferRow) -> sqlx::Result<Option<Uuid>> {
    repo::lease_of_offer(tx, o.municipality_id, o.id).await
}

/// Signed leases whose start has come become active, in every municipality (the
/// scheduled job).
pub async fn activate_started(pool: &sqlx::PgPool, today: NaiveDate) -> anyhow::Result<u64> {
    let municipalities = crate::municipalities::repo::all_ids(pool).await?;
    let mut tx = crate::db::scoped_tx(pool, &municipalities).await?;
    let n = repo::activate_started(&mut tx, today).await?;
    tx.commit().await?;
    Ok(n)
}
