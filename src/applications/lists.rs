//! Case lists: all applications with filters, "My cases", search by identity number (a
//! POSTed form field, so the number never appears in a URL or a log line), CSV export.

use askama::Template;
use axum::extract::{Form, Query};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::model::{self, deadline, mask, parse_search, Deadline, NationalId, Search, Status};
use super::repo::{self, ListFilter, ListRow, Sort};
use super::views::{self, Choice};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::auth::roles::MunicipalityRef;
use crate::web::ctx::Ctx;
use crate::web::error::{urlencode, AppResult};
use crate::web::format;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{csv_export, render, render_status};

#[derive(Deserialize, Default, Clone, Debug)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub saksbehandler: String,
    #[serde(default)]
    pub kommune: String,
    #[serde(default)]
    pub forfalt: String,
    #[serde(default)]
    pub fra: String,
    #[serde(default)]
    pub til: String,
    #[serde(default)]
    pub grunn: String,
    #[serde(default)]
    pub behov: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sortering: String,
    #[serde(default)]
    pub etter: String,
}

impl ListQuery {
    /// The query string of these filters (without the cursor).
    pub fn query_string(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("saksbehandler", &self.saksbehandler),
            ("kommune", &self.kommune),
            ("forfalt", &self.forfalt),
            ("fra", &self.fra),
            ("til", &self.til),
            ("grunn", &self.grunn),
            ("behov", &self.behov),
            ("q", &self.q),
            ("sortering", &self.sortering),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub struct RowView {
    pub id: Uuid,
    pub municipality: String,
    pub case_number: String,
    pub received_on: String,
    pub applicant: String,
    pub identity: String,
    pub household: i64,
    pub status: Status,
    pub caseworker: String,
    pub due_on: String,
    pub deadline: Deadline,
}

fn row_view(r: ListRow, today: NaiveDate) -> RowView {
    RowView {
        id: r.id,
        municipality: r.municipality_name,
        case_number: r.case_number,
        received_on: format::date(r.received_on),
        identity: match (&r.applicant_national_id, r.applicant_birth_date) {
            (Some(n), _) => mask(Some(n)),
            (None, Some(b)) => format!("f. {}", format::date(b)),
            _ => String::new(),
        },
        applicant: r.applicant_name,
        household: r.household_size,
        deadline: deadline(r.status, r.interim_sent_on, r.interim_due_on, today),
        status: r.status,
        caseworker: r.caseworker_name.unwrap_or_default(),
        due_on: format::date(r.interim_due_on),
    }
}

#[derive(Template)]
#[template(path = "applications/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: ListQuery,
    pub errors: FormErrors,
    pub rows: Vec<RowView>,
    pub next: Option<String>,
    /// All the filter matches (None for the identity number search, which shows them all).
    pub total: Option<i64>,
    pub first_page: bool,
    pub show_municipality: bool,
    pub municipalities: Vec<MunicipalityRef>,
    pub caseworkers: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub fnr_search: bool,
    pub fnr_errors: FormErrors,
    pub export_query: String,
    pub v: views::Vocab,
}

struct Parsed {
    filter: ListFilter,
    sort: Sort,
    cursor: Option<(NaiveDate, Uuid)>,
    errors: FormErrors,
}

fn parse_query(ctx: &Ctx, q: &ListQuery, munis: &[MunicipalityRef]) -> Parsed {
    let mut errors = FormErrors::new();
    let mut filter = ListFilter {
        municipalities: munis.iter().map(|m| m.id).collect(),
        ..Default::default()
    };
    if !q.kommune.is_empty() {
        match munis.iter().find(|m| m.number == q.kommune) {
            Some(m) => filter.municipalities = vec![m.id],
            None => errors.add("kommune", "Velg en av kommunene i listen."),
        }
    }
    match q.status.as_str() {
        "" => {}
        "apne" => filter.open_only = true,
        "uavgjort" => filter.statuses = Status::UNDECIDED.to_vec(),
        k => match Status::from_key(k) {
            Some(s) => filter.statuses = vec![s],
            None => errors.add("status", "Ukjent status."),
        },
    }
    match q.saksbehandler.as_str() {
        "" => {}
        "meg" => filter.caseworker = Some(Some(ctx.user.id)),
        "ingen" => filter.caseworker = Some(None),
        other => match Uuid::parse_str(other) {
            Ok(id) => filter.caseworker = Some(Some(id)),
            Err(_) => errors.add("saksbehandler", "Ukjent saksbehandler."),
        },
    }
    filter.overdue_on = (!q.forfalt.is_empty()).then(|| ctx.today());
    for (field, raw, slot) in [
        ("fra", &q.fra, &mut filter.received_from),
        ("til", &q.til, &mut filter.received_to),
    ] {
        if !raw.trim().is_empty() {
            match format::parse_date(raw) {
                Some(d) => *slot = Some(d),
                None => errors.add(field, "Skriv datoen som dd.mm.åååå."),
            }
        }
    }
    if !q.grunn.is_empty() {
        match Uuid::parse_str(&q.grunn) {
            Ok(id) => filter.reason = Some(id),
            Err(_) => errors.add("grunn", "Ukjent søknadsgrunn."),
        }
    }
    if !q.behov.is_empty() {
        if model::NEEDS.iter().any(|(k, _)| *k == q.behov) {
            filter.need = Some(q.behov.clone());
        } else {
            errors.add("behov", "Ukjent behov.");
        }
    }
    match parse_search(&q.q) {
        Search::None => {}
        Search::CaseNumber { year, seq } => {
            filter.case_year = year;
            filter.case_seq = Some(seq);
        }
        Search::Name(n) => filter.name = Some(n),
        Search::LooksLikeNationalId => errors.add(
            "q",
            "Søk på fødselsnummer i feltet for fødselsnummer nedenfor, så nummeret ikke havner i nettleserhistorikken.",
        ),
    }
    let sort = Sort::from_key(&q.sortering);
    let cursor = q.etter.split_once('_').and_then(|(d, id)| {
        Some((
            NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
            Uuid::parse_str(id).ok()?,
        ))
    });
    Parsed {
        filter,
        sort,
        cursor,
        errors,
    }
}

async fn choices(
    ctx: &Ctx,
    tx: &mut crate::db::Tx,
    munis: &[MunicipalityRef],
) -> AppResult<(Vec<Choice>, Vec<Choice>)> {
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let many = munis.len() > 1;
    let name_of = |id: Uuid| {
        munis
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    };
    let mut caseworkers: Vec<Choice> = Vec::new();
    for c in repo::caseworkers(tx, &ids).await? {
        if !caseworkers.iter().any(|x| x.value == c.id.to_string()) {
            caseworkers.push(Choice::new(c.id.to_string(), c.display_name));
        }
    }
    // All municipalities' reasons in one round trip, in the order of `munis`.
    let mut reasons = Vec::new();
    for (m, r) in repo::reasons_of(tx, &ids, false).await? {
        let label = if many {
            format!("{} ({})", r.name, name_of(m))
        } else {
            r.name
        };
        reasons.push(Choice::new(r.id.to_string(), label));
    }
    let _ = ctx;
    Ok((caseworkers, reasons))
}

pub async fn list(ctx: Ctx, Query(mut q): Query<ListQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    if munis.is_empty() {
        return Err(crate::web::error::AppError::Forbidden);
    }
    let p = parse_query(&ctx, &q, &munis);
    if p.errors.has("q") {
        // Never echo what looks like an identity number back into the page or links.
        q.q.clear();
    }
    let mut rows = repo::list(&mut tx, &p.filter, p.sort, p.cursor, None).await?;
    let total = repo::count(&mut tx, &p.filter).await?;
    if !q.q.trim().is_empty() {
        // A search by name reads people: who read whom is recorded per municipality.
        for m in &munis {
            let found: Vec<Uuid> = rows
                .iter()
                .filter(|r| r.municipality_id == m.id)
                .map(|r| r.id)
                .collect();
            if !found.is_empty() {
                audit::record(
                    &mut tx,
                    &ctx,
                    Event::new("application.searched_by_name")
                        .municipality(m.id)
                        .details(serde_json::json!({ "applications": found })),
                )
                .await?;
            }
        }
    }
    let (caseworkers, reasons) = choices(&ctx, &mut tx, &munis).await?;
    tx.commit().await?;
    let next = if rows.len() as i64 > repo::PAGE_SIZE {
        rows.pop();
        rows.last().map(|r| {
            let (d, id) = repo::cursor_of(r, p.sort);
            let base = q.query_string();
            let sep = if base.is_empty() { "" } else { "&" };
            format!("{base}{sep}etter={d}_{id}")
        })
    } else {
        None
    };
    let today = ctx.today();
    let page = ListPage {
        layout: Layout::new(&ctx, "soknader"),
        export_query: q.query_string(),
        first_page: p.cursor.is_none(),
        q,
        errors: p.errors,
        rows: rows.into_iter().map(|r| row_view(r, today)).collect(),
        next,
        total: Some(total),
        show_municipality: munis.len() > 1,
        municipalities: munis,
        caseworkers,
        reasons,
        fnr_search: false,
        fnr_errors: FormErrors::new(),
        v: views::Vocab,
    };
    render(&page)
}

#[derive(Deserialize, Default)]
pub struct FnrForm {
    #[serde(default)]
    pub fnr: String,
}

/// Exact search by identity number (applicant or household member), POSTed.
pub async fn search_national_id(ctx: Ctx, Form(form): Form<FnrForm>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    if munis.is_empty() {
        return Err(crate::web::error::AppError::Forbidden);
    }
    let mut fnr_errors = FormErrors::new();
    let mut rows = Vec::new();
    match NationalId::parse(&form.fnr) {
        Ok(n) => {
            let filter = ListFilter {
                municipalities: munis.iter().map(|m| m.id).collect(),
                national_id: Some(n.as_str().to_owned()),
                ..Default::default()
            };
            rows = repo::list(&mut tx, &filter, Sort::Newest, None, Some(500)).await?;
            for m in &munis {
                audit::record(
                    &mut tx,
                    &ctx,
                    Event::new("application.searched_by_national_id")
                        .municipality(m.id)
                        .details(
                            serde_json::json!({ "national_id": n.masked(), "hits": rows.len() }),
                        ),
                )
                .await?;
            }
        }
        Err(msg) => fnr_errors.add("fnr", msg),
    }
    let (caseworkers, reasons) = choices(&ctx, &mut tx, &munis).await?;
    tx.commit().await?;
    let today = ctx.today();
    let status = if fnr_errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        layout: Layout::new(&ctx, "soknader"),
        q: ListQuery::default(),
        errors: FormErrors::new(),
        rows: rows.into_iter().map(|r| row_view(r, today)).collect(),
        next: None,
        total: None,
        first_page: true,
        show_municipality: munis.len() > 1,
        municipalities: munis,
        caseworkers,
        reasons,
        fnr_search: true,
        fnr_errors,
        export_query: String::new(),
        v: views::Vocab,
    };
    render_status(status, &page)
}

/// The whole filtered list as CSV (identity numbers masked), up to 50 000 rows.
pub async fn export(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    if munis.is_empty() {
        return Err(crate::web::error::AppError::Forbidden);
    }
    let p = parse_query(&ctx, &q, &munis);
    let rows = repo::list(&mut tx, &p.filter, p.sort, None, Some(50_000)).await?;
    for m in &munis {
        if p.filter.municipalities.contains(&m.id) {
            audit::record(
                &mut tx,
                &ctx,
                Event::new("application.list_exported")
                    .municipality(m.id)
                    .details(serde_json::json!({
                        "filter": q.query_string(),
                        "rows": rows.len(),
                        "applications": rows.iter().filter(|r| r.municipality_id == m.id)
                            .map(|r| r.id).collect::<Vec<_>>(),
                    })),
            )
            .await?;
        }
    }
    tx.commit().await?;
    let today = ctx.today();
    let out = rows.into_iter().map(|r| {
        let v = row_view(r, today);
        vec![
            v.case_number,
            v.municipality,
            v.received_on,
            v.applicant,
            v.identity,
            v.household.to_string(),
            v.status.label().to_string(),
            v.caseworker,
            v.due_on,
            match v.deadline {
                Deadline::Overdue => "Forfalt".into(),
                Deadline::Due => "Forfaller i dag".into(),
                Deadline::DueSoon => "Forfaller snart".into(),
                _ => String::new(),
            },
        ]
    });
    Ok(csv_export::response(
        &format!("soknader-{}.csv", today.format("%Y-%m-%d")),
        &[
            "Saksnummer",
            "Kommune",
            "Mottatt",
            "Søker",
            "Fødselsnummer (maskert)",
            "Personer i husstanden",
            "Status",
            "Saksbehandler",
            "Frist foreløpig svar",
            "Frist",
        ],
        out,
    ))
}

#[derive(Template)]
#[template(path = "applications/mine.html")]
pub struct MinePage {
    pub layout: Layout,
    pub counts: repo::MyCounts,
    /// Undecided cases without an interim reply, nearest deadline first.
    pub awaiting: Vec<RowView>,
    /// More are waiting than `awaiting` shows.
    pub awaiting_more: bool,
    /// The other open cases, newest first.
    pub rows: Vec<RowView>,
    pub next: Option<String>,
    pub show_municipality: bool,
}

#[derive(Deserialize, Default)]
pub struct MineQuery {
    #[serde(default)]
    etter: String,
}

/// "My cases": the user's open cases; those where the interim reply deadline runs first.
/// How many cases awaiting a decision or interim reply "Mine saker" lists on top.
const AWAITING_SHOWN: i64 = 50;

pub async fn mine(ctx: Ctx, Query(q): Query<MineQuery>) -> AppResult<Response> {
    let (mut tx, munis) = ctx.read_tx(Permission::ReadCases).await?;
    if munis.is_empty() {
        return Err(crate::web::error::AppError::Forbidden);
    }
    let ids: Vec<Uuid> = munis.iter().map(|m| m.id).collect();
    let mine = ListFilter {
        municipalities: ids.clone(),
        caseworker: Some(Some(ctx.user.id)),
        open_only: true,
        ..Default::default()
    };
    let cursor = q.etter.split_once('_').and_then(|(d, id)| {
        Some((
            NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
            Uuid::parse_str(id).ok()?,
        ))
    });
    let awaiting = if cursor.is_none() {
        let f = ListFilter {
            awaiting_interim: Some(true),
            ..mine.clone()
        };
        // The nearest deadlines; the full list is one click away, sorted the same way.
        repo::list(&mut tx, &f, Sort::Deadline, None, Some(AWAITING_SHOWN + 1)).await?
    } else {
        Vec::new()
    };
    let others = ListFilter {
        awaiting_interim: Some(false),
        ..mine
    };
    let mut rows = repo::list(&mut tx, &others, Sort::Newest, cursor, None).await?;
    let counts = repo::my_counts(
        &mut tx,
        &ids,
        ctx.user.id,
        model::DUE_SOON_DAYS as i32,
        ctx.today(),
    )
    .await?;
    tx.commit().await?;
    let next = if rows.len() as i64 > repo::PAGE_SIZE {
        rows.pop();
        rows.last().map(|r| {
            let (d, id) = repo::cursor_of(r, Sort::Newest);
            format!("etter={d}_{id}")
        })
    } else {
        None
    };
    let today = ctx.today();
    let awaiting_more = awaiting.len() as i64 > AWAITING_SHOWN;
    render(&MinePage {
        layout: Layout::new(&ctx, "mine"),
        counts,
        awaiting_more,
        awaiting: awaiting
            .into_iter()
            .take(AWAITING_SHOWN as usize)
            .map(|r| row_view(r, today))
            .collect(),
        rows: rows.into_iter().map(|r| row_view(r, today)).collect(),
        next,
        show_municipality: munis.len() > 1,
    })
}
