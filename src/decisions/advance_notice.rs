//! Advance notice (forhåndsvarsel, forvaltningsloven § 16): before a decision that takes
//! help away from a party (a refusal or a partial grant for someone already granted; a
//! correction to the party's loss), the party is told what the municipality considers
//! and gets a deadline to respond (the municipality's setting, 2 weeks by default). The
//! decision cannot be sent before the deadline has passed unless the party has answered;
//! the answer is journaled.

use askama::Template;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use uuid::Uuid;

use super::commands;
use super::forms::{field, required_date, Fields};
use super::handlers::refused;
use super::model::Outcome;
use super::repo::{self, AdvanceNotice, Decision, Point};
use crate::applications::model::Status as AppStatus;
use crate::applications::repo::{self as apps, ApplicationDetail, Letterhead};
use crate::audit::{self, Event};
use crate::auth::policy::Permission;
use crate::db::{self, Tx};
use crate::letters::mandatory::{TextKey, Texts};
use crate::letters::{self, verbatim_lines, Block};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::extract::{version, Id, Ids};
use crate::web::forms::{text, FormErrors};
use crate::web::layout::Layout;
use crate::web::{format, render, render_status};

/// Help was granted before: the case stands granted, or the decision corrects one that
/// granted something.
pub fn previously_granted(app_status: AppStatus, replaced: &[Point]) -> bool {
    matches!(
        app_status,
        AppStatus::Approved
            | AppStatus::PartlyApproved
            | AppStatus::WaitingList
            | AppStatus::Offered
            | AppStatus::Housed
    ) || replaced.iter().any(|p| p.outcome != Outcome::Refused)
}

/// A decision takes help away when help was granted and it grants less than all.
pub fn takes_help_away(previously_granted: bool, outcomes: &[Outcome]) -> bool {
    previously_granted && outcomes.iter().any(|o| *o != Outcome::Granted)
}

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Granted => 2,
        Outcome::PartlyGranted => 1,
        Outcome::Refused => 0,
    }
}

/// A correction takes help away when, for some kind of help the corrected decision gave,
/// the new decision gives less (or drops it).
pub fn correction_takes_help_away(replaced: &[(Uuid, Outcome)], new: &[(Uuid, Outcome)]) -> bool {
    replaced.iter().any(|(kind, old)| {
        let best = new
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, o)| rank(*o))
            .max()
            .unwrap_or(0);
        best < rank(*old)
    })
}

/// Whether a notice lets the decision be sent today: answered, or its deadline passed.
pub fn notice_satisfied(n: &AdvanceNotice, today: NaiveDate) -> bool {
    n.answered_on.is_some() || today > n.respond_by
}

/// Why the decision cannot be sent yet, if it takes help away without a notice whose
/// deadline has passed or that was answered.
pub async fn send_blocked(
    tx: &mut Tx,
    d: &Decision,
    points: &[Point],
    today: NaiveDate,
) -> AppResult<Option<String>> {
    let m = d.municipality_id;
    let app = apps::application(tx, &[m], d.application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let replaced = match d.replaces_id {
        Some(r) => repo::points(tx, m, r).await?,
        None => Vec::new(),
    };
    let outcomes: Vec<Outcome> = points.iter().map(|p| p.outcome).collect();
    let takes = match d.replaces_id {
        Some(_) => correction_takes_help_away(
            &replaced
                .iter()
                .map(|p| (p.kind_id, p.outcome))
                .collect::<Vec<_>>(),
            &points
                .iter()
                .map(|p| (p.kind_id, p.outcome))
                .collect::<Vec<_>>(),
        ),
        None => takes_help_away(previously_granted(app.status, &[]), &outcomes),
    };
    if !takes {
        return Ok(None);
    }
    let notices = repo::advance_notices(tx, m, d.application_id).await?;
    Ok(match notices.first() {
        Some(n) if notice_satisfied(n, today) => None,
        Some(n) => Some(format!(
            "Vedtaket gir søkeren mindre hjelp enn før. Forhåndsvarselet ble sendt {} med svarfrist {}: vedtaket kan sendes når fristen er ute eller søkeren har svart (forvaltningsloven § 16).",
            format::date(n.sent_on),
            format::date(n.respond_by)
        )),
        None => Some(
            "Vedtaket gir søkeren mindre hjelp enn før. Send forhåndsvarsel først (forvaltningsloven § 16), under «Forhåndsvarsel» i saken; vedtaket kan sendes når svarfristen er ute eller søkeren har svart."
                .into(),
        ),
    })
}

#[derive(Template)]
#[template(path = "letters/advance_notice.txt", escape = "none")]
struct NoticeText {
    letterhead: String,
    address_lines: Vec<String>,
    date: String,
    case_number: String,
    author: String,
    recipient: String,
    recipient_address: Vec<String>,
    draft: bool,
    intended_lines: Vec<String>,
    grounds_lines: Vec<String>,
    respond_by: String,
    phone: String,
    email: String,
    access_to_documents: Vec<String>,
}

fn non_empty(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The notice letter: (blocks, recipient, the mandatory text versions it printed).
pub(crate) fn compose(
    c: &ApplicationDetail,
    head: &Letterhead,
    author: &str,
    input: &NoticeInput,
    texts: &Texts,
    date: NaiveDate,
) -> AppResult<(Vec<Block>, String, Vec<Uuid>)> {
    let recipient_address = non_empty(vec![
        c.applicant_street_address.clone(),
        format!("{} {}", c.applicant_postcode, c.applicant_postal_place),
    ]);
    let t = NoticeText {
        letterhead: head.letterhead_name.clone(),
        address_lines: non_empty(vec![
            head.street_address.clone(),
            format!("{} {}", head.postcode, head.postal_place),
        ]),
        date: format::date(date),
        case_number: c.case_number.clone(),
        author: author.to_string(),
        recipient: c.applicant_name.clone(),
        recipient_address: recipient_address.clone(),
        draft: false,
        intended_lines: verbatim_lines(&input.intended),
        grounds_lines: verbatim_lines(&input.grounds),
        respond_by: format::date(input.respond_by),
        phone: head.phone.clone(),
        email: head.email.clone(),
        access_to_documents: texts.lines(TextKey::AccessToDocuments, &head.letterhead_name),
    };
    let recipient = std::iter::once(c.applicant_name.clone())
        .chain(recipient_address)
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        letters::parse(&t.render()?),
        recipient,
        texts.ids(&[TextKey::AccessToDocuments]),
    ))
}

pub struct NoticeInput {
    pub intended: String,
    pub grounds: String,
    pub respond_by: NaiveDate,
}

pub fn parse_notice(
    f: &Fields,
    today: NaiveDate,
    min_days: i64,
) -> Result<NoticeInput, FormErrors> {
    let mut e = FormErrors::new();
    let intended = text(
        &mut e,
        "intended",
        field(f, "intended"),
        true,
        4000,
        "Hva kommunen vurderer å gjøre",
    );
    let grounds = text(
        &mut e,
        "grounds",
        field(f, "grounds"),
        true,
        10000,
        "Begrunnelsen",
    );
    let respond_by = required_date(&mut e, "respond_by", field(f, "respond_by"), "Svarfristen");
    if let Some(d) = respond_by {
        if (d - today).num_days() < min_days {
            e.add(
                "respond_by",
                format!(
                    "Svarfristen må være minst {min_days} dager fram i tid (tidligst {}).",
                    format::date(today + chrono::Duration::days(min_days))
                ),
            );
        }
    }
    match respond_by {
        Some(respond_by) if e.is_empty() => Ok(NoticeInput {
            intended,
            grounds,
            respond_by,
        }),
        _ => Err(e),
    }
}

/// The shortest response time a notice may give.
pub const MIN_DAYS: i64 = 7;

#[derive(Template)]
#[template(path = "decisions/advance_notice.html")]
pub struct NoticePage {
    pub layout: Layout,
    pub c: ApplicationDetail,
    pub notices: Vec<AdvanceNotice>,
    pub can_write: bool,
    pub form: Fields,
    pub errors: FormErrors,
    /// The notice whose answer form failed, with its input.
    pub answer_for: Option<Uuid>,
    pub notice: String,
    pub today: NaiveDate,
    pub no_errors: FormErrors,
}

impl NoticePage {
    pub fn day(&self, d: &NaiveDate) -> String {
        format::date(*d)
    }
    pub fn opt_day(&self, d: &Option<NaiveDate>) -> String {
        d.map(format::date).unwrap_or_default()
    }
    pub fn val(&self, k: &str) -> &str {
        field(&self.form, k)
    }
    /// The errors of the new-notice form (none when an answer form failed).
    pub fn new_notice_errors(&self) -> &FormErrors {
        if self.answer_for.is_none() {
            &self.errors
        } else {
            &self.no_errors
        }
    }
    pub fn answering(&self, n: &AdvanceNotice) -> bool {
        self.answer_for == Some(n.id)
    }
    pub fn open(&self, n: &AdvanceNotice) -> bool {
        n.answered_on.is_none() && self.today <= n.respond_by
    }
}

async fn page(
    ctx: &Ctx,
    id: Uuid,
    form: Option<Fields>,
    errors: FormErrors,
    answer_for: Option<Uuid>,
    notice: &str,
) -> AppResult<NoticePage> {
    let (mut tx, c) = ctx
        .load::<ApplicationDetail>(Permission::ReadCases, id)
        .await?;
    let m = c.municipality_id;
    let notices = repo::advance_notices(&mut tx, m, id).await?;
    let days = repo::advance_notice_days(&mut tx, m).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.viewed")
            .municipality(m)
            .entity("application", id)
            .details(serde_json::json!({ "case_number": c.case_number, "page": "advance_notice" })),
    )
    .await?;
    tx.commit().await?;
    let today = ctx.today();
    let mut form = form.unwrap_or_default();
    form.entry("respond_by".into())
        .or_insert_with(|| format::date(today + chrono::Duration::days(i64::from(days))));
    Ok(NoticePage {
        layout: Layout::new(ctx, "soknader"),
        can_write: ctx.may(Permission::WriteDecisions, m),
        c,
        notices,
        form,
        errors,
        answer_for,
        notice: notice.to_string(),
        today,
        no_errors: FormErrors::new(),
    })
}

pub(crate) fn notice_path(id: Uuid) -> String {
    format!("/soknader/{id}/forhandsvarsel")
}

pub async fn show(ctx: Ctx, Id(id): Id) -> AppResult<Response> {
    let notice = match ctx.meta.path.split("melding=").nth(1).unwrap_or("") {
        "sendt" => "Forhåndsvarselet er sendt og arkivert.",
        "svar" => "Svaret er registrert i journalen.",
        _ => "",
    };
    render(&page(&ctx, id, None, FormErrors::new(), None, notice).await?)
}

/// The case and its write transaction: only those who write decisions find it here.
async fn load(ctx: &Ctx, id: Uuid) -> AppResult<(Tx, ApplicationDetail)> {
    ctx.load_for_write::<ApplicationDetail>(
        Permission::WriteDecisions,
        Permission::WriteDecisions,
        id,
    )
    .await
}

/// Sends a notice: the letter is archived as sent in the same transaction. The form is
/// checked before the case is looked up.
pub async fn send(ctx: Ctx, Id(id): Id, Form(f): Form<Fields>) -> AppResult<Response> {
    let input = match parse_notice(&f, ctx.today(), MIN_DAYS) {
        Ok(i) => i,
        Err(e) => {
            let p = page(&ctx, id, Some(f), e, None, "").await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let (mut tx, c) = load(&ctx, id).await?;
    let outcome = commands::notices::send(&mut tx, ctx.actor(), &c, &input).await;
    db::commit(tx, outcome).await.map_err(refused)?;
    Ok(Redirect::to(&format!("{}?melding=sendt", notice_path(id))).into_response())
}

/// Records the party's answer (journaled); then the decision may be sent.
pub async fn answer(
    ctx: Ctx,
    Ids(id, notice_id): Ids,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let (mut tx, c) = load(&ctx, id).await?;
    let input = commands::notices::Answer {
        version: version(field(&f, "version")),
        answered_on: field(&f, "answered_on"),
        how: field(&f, "answer_how"),
        summary: field(&f, "answer_summary"),
    };
    let outcome = commands::notices::answer(&mut tx, ctx.actor(), &c, notice_id, input).await;
    match db::commit(tx, outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?melding=svar", notice_path(id))).into_response()),
        Err(refusal) => {
            let shown = refusal.shown()?;
            let status = shown.status();
            let p = page(&ctx, id, Some(f), shown.errors, Some(notice_id), "").await?;
            render_status(status, &p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_less_help_for_someone_granted_needs_a_notice() {
        use Outcome::*;
        assert!(
            !takes_help_away(false, &[Refused]),
            "a first refusal takes nothing away"
        );
        assert!(!takes_help_away(true, &[Granted, Granted]));
        assert!(takes_help_away(true, &[Granted, Refused]));
        assert!(takes_help_away(true, &[PartlyGranted]));
    }

    #[test]
    fn a_correction_needs_a_notice_only_when_it_gives_less() {
        use Outcome::*;
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(
            !correction_takes_help_away(&[(a, Refused)], &[(a, Granted)]),
            "reversed in the party's favour"
        );
        assert!(!correction_takes_help_away(
            &[(a, Granted), (b, Refused)],
            &[(a, Granted), (b, Refused)]
        ));
        assert!(correction_takes_help_away(
            &[(a, Granted)],
            &[(a, PartlyGranted)]
        ));
        assert!(
            correction_takes_help_away(&[(a, Granted), (b, Granted)], &[(a, Granted)]),
            "a point dropped"
        );
    }

    #[test]
    fn the_response_deadline_is_at_least_a_week() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut f = Fields::new();
        f.insert("intended".into(), "Fjerne deg fra ventelisten".into());
        f.insert("grounds".into(), "Du har takket nei til tre tilbud.".into());
        f.insert("respond_by".into(), "05.12.2026".into());
        let e = parse_notice(&f, today, MIN_DAYS).err().unwrap();
        assert!(e.get("respond_by").unwrap().contains("minst 7 dager"));
        f.insert("respond_by".into(), "15.12.2026".into());
        assert!(parse_notice(&f, today, MIN_DAYS).is_ok());
    }
}
