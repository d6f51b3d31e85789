//! Demo cases that show each rule of lawful casework on a page, in every municipality:
//! a sent samlevedtak with a 3-week and a 4-week point and an appeal that is late on one
//! point and in time on the other, a decision whose deadline a request for grounds has
//! interrupted, a late appeal dismissed by its own decision, an advance notice awaiting
//! its answer, and a case with two interim replies. Letters are archived as the real flows archive them.

use chrono::{Duration, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::applications::model::Status as AppStatus;
use crate::applications::repo as apps;
use crate::decisions::deadline::appeal_deadline;
use crate::decisions::model::Outcome;
use crate::decisions::repo::{self, AppealInput, Dispatch, Kind, PointInput};
use crate::letters::archive::{self, Outgoing};

fn point(kind: &Kind, outcome: Outcome, description: &str) -> PointInput {
    PointInput {
        kind_id: kind.id,
        outcome: Some(outcome),
        description: description.into(),
        dwelling_type_ids: Vec::new(),
        rooms: None,
        lease_months: None,
        needs_ground_floor_or_lift: false,
        extent: String::new(),
        period_from: None,
        period_to: None,
        conditions: String::new(),
        legal_basis: kind.legal_basis.clone(),
        appeal_body: kind.appeal_body.clone(),
        appeal_weeks: kind.appeal_weeks,
        override_reason: String::new(),
    }
}

/// Undecided cases of the municipality without decisions, oldest case number first.
async fn undecided(conn: &mut PgConnection, m: Uuid, n: i64) -> anyhow::Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT a.id FROM applications a WHERE a.municipality_id = $1 AND a.status = 'under_assessment'
            AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id)
          ORDER BY a.case_number DESC LIMIT $2",
    )
    .bind(m)
    .bind(n)
    .fetch_all(conn)
    .await?)
}

/// A decision sent `days_ago` (digitally, so notified the same day), archived.
async fn sent_decision(
    conn: &mut PgConnection,
    m: Uuid,
    application: Uuid,
    author: Uuid,
    points: &[PointInput],
    sent_on: NaiveDate,
) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let id = repo::insert_decision(conn, m, application, author, None).await?;
    let mut ids = Vec::new();
    for p in points {
        ids.push(repo::insert_point(conn, m, id, p).await?);
    }
    repo::save_grounds(
        conn,
        m,
        id,
        "Kommunens tildelingsregler for kommunale boliger, lov om kommunenes ansvar på det boligsosiale feltet og helse- og omsorgstjenesteloven § 3-2.",
        "Du bor i dag midlertidig hos familie. Du har behov for praktisk bistand noen timer i uken.",
        "Behovet ditt for bolig er stort sammenlignet med andre søkere. Behovet for praktisk bistand dekkes av hjemmetjenesten i dag.",
        false,
        "",
    )
    .await?;
    repo::mark_sent(
        conn,
        m,
        id,
        &Dispatch {
            approver: author,
            decided_on: sent_on,
            dispatched_on: sent_on,
            channel: "digital",
            notified_on: sent_on,
        },
    )
    .await?;
    for (pid, p) in ids.iter().zip(points) {
        let deadline = appeal_deadline(sent_on, None, p.appeal_weeks as u32);
        repo::set_point_deadline(conn, m, *pid, deadline).await?;
    }
    let d = repo::decision(conn, &[m], id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("seeded decision"))?;
    let (l, recipient) = crate::decisions::letter::compose(conn, &d, sent_on).await?;
    archive::archive(
        conn,
        m,
        Outgoing {
            kind: archive::Kind::Decision,
            application_id: Some(application),
            entity_type: "decision",
            entity_id: id,
            title: &l.title,
            recipient: &recipient,
            channel: "digital",
            sent_on,
            sent_by: author,
            author: &l.author,
            footer: &l.footer,
            blocks: l.blocks,
            texts: l.texts,
        },
    )
    .await?;
    Ok((id, ids))
}

/// A dwelling refusal sent on a day, and an appeal of it.
struct Refusal<'a> {
    m: Uuid,
    case: Uuid,
    author: Uuid,
    dwelling: &'a Kind,
    sent_on: NaiveDate,
}

/// Sends the refusal (the case becomes rejected) and registers the appeal of its point.
/// Returns the decision and the appeal.
async fn appealed_refusal(
    conn: &mut PgConnection,
    r: &Refusal<'_>,
    mut appeal: AppealInput,
) -> anyhow::Result<(Uuid, Uuid)> {
    let (d, pts) = sent_decision(
        conn,
        r.m,
        r.case,
        r.author,
        &[point(
            r.dwelling,
            Outcome::Refused,
            "Søknaden om kommunal bolig avslås.",
        )],
        r.sent_on,
    )
    .await?;
    let v = current_version(conn, r.m, r.case).await?;
    apps::set_status(conn, r.m, r.case, v, AppStatus::Rejected, "", r.sent_on).await?;
    appeal.points = pts;
    let id = repo::insert_appeal(conn, r.m, d, &appeal, r.author).await?;
    Ok((d, id))
}

pub async fn seed(conn: &mut PgConnection, m: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    crate::seed::with_tenant(conn, m).await?;
    let Some(author) = crate::decisions::seed::some_caseworker(conn, m).await? else {
        return Ok(());
    };
    let kinds = repo::kinds(conn, m).await?;
    let (Some(dwelling), Some(health)) = (
        kinds.iter().find(|k| k.is_dwelling),
        kinds.iter().find(|k| k.appeal_weeks == 4),
    ) else {
        return Ok(());
    };
    let cases = undecided(conn, m, 5).await?;
    let [samle, grounds, interim, dismissed] = cases[..cases.len().min(4)] else {
        return Ok(());
    };
    let waiting: Option<Uuid> = sqlx::query_scalar(
        "SELECT a.id FROM applications a WHERE a.municipality_id = $1 AND a.status = 'waiting_list'
          ORDER BY a.case_number DESC LIMIT 1",
    )
    .bind(m)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(notice) = waiting else {
        return Ok(());
    };
    let day = |n: i64| today - Duration::days(n);

    // 1. A samlevedtak sent on a working day about three and a half weeks ago, so that
    //    the 3-week point's deadline passed before yesterday and the 4-week point's has
    //    not; an appeal of both, received yesterday.
    let samle_sent = (22..=30)
        .map(day)
        .find(|&s| {
            crate::decisions::calendar::is_working_day(s)
                && appeal_deadline(s, None, 3) < day(1)
                && appeal_deadline(s, None, 4) >= today
        })
        .unwrap_or(day(24));
    let (d, pts) = sent_decision(
        conn,
        m,
        samle,
        author,
        &[
            point(dwelling, Outcome::Granted, "Du får kommunal utleiebolig."),
            point(
                health,
                Outcome::Refused,
                "Søknaden om praktisk bistand i hjemmet avslås.",
            ),
        ],
        samle_sent,
    )
    .await?;
    let v = current_version(conn, m, samle).await?;
    apps::set_status(conn, m, samle, v, AppStatus::WaitingList, "", samle_sent).await?;
    repo::insert_appeal(
        conn,
        m,
        d,
        &AppealInput {
            received_on: day(1),
            posted_on: None,
            received_how: "Brev".into(),
            appellant: "Verge for søkeren".into(),
            summary:
                "Mener at boligen er for liten og at behovet for bistand er større enn vurdert."
                    .into(),
            late_reason: String::new(),
            points: pts,
        },
        author,
    )
    .await?;

    // 2. A refusal sent 10 days ago whose deadline a request for grounds interrupted.
    let (d, _) = sent_decision(
        conn,
        m,
        grounds,
        author,
        &[point(
            dwelling,
            Outcome::Refused,
            "Søknaden om kommunal bolig avslås.",
        )],
        day(10),
    )
    .await?;
    let v = current_version(conn, m, grounds).await?;
    apps::set_status(conn, m, grounds, v, AppStatus::Rejected, "", day(10)).await?;
    let v: i32 =
        sqlx::query_scalar("SELECT version FROM decisions WHERE municipality_id = $1 AND id = $2")
            .bind(m)
            .bind(d)
            .fetch_one(&mut *conn)
            .await?;
    repo::request_grounds(conn, m, d, v, day(5)).await?;

    // 2b. A refusal sent seven weeks ago, appealed a month late and dismissed (§ 31).
    let (d, appeal) = appealed_refusal(
        conn,
        &Refusal {
            m,
            case: dismissed,
            author,
            dwelling,
            sent_on: day(49),
        },
        AppealInput {
            received_on: day(3),
            posted_on: None,
            received_how: "Brev".into(),
            appellant: "Søkerens advokat".into(),
            summary: "Mener søkeren burde fått bolig.".into(),
            late_reason: String::new(),
            points: Vec::new(),
        },
    )
    .await?;
    let a = repo::appeal(conn, &[m], appeal)
        .await?
        .ok_or_else(|| anyhow::anyhow!("seeded appeal"))?;
    let decision = repo::decision(conn, &[m], d)
        .await?
        .ok_or_else(|| anyhow::anyhow!("seeded decision"))?;
    let points = repo::points(conn, m, d).await?;
    let author_name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(author)
        .fetch_one(&mut *conn)
        .await?;
    let assessment = "Klagen kom nesten fire uker etter fristen. Det er ikke opplyst noen grunn til forsinkelsen, og saken kan tas opp igjen ved en ny søknad.";
    crate::decisions::late_appeals::dismiss(
        conn,
        &a,
        &decision,
        &points,
        &repo::LateAssessment {
            on: day(1),
            by: author,
            reason: "",
            interest: "Søkeren har fortsatt behov for bolig, men kan søke på nytt.",
            assessment,
        },
        &crate::decisions::forms::DispatchInput {
            dispatched_on: day(1),
            channel: crate::decisions::deadline::Channel::Digital,
            notified_on: None,
        },
        &author_name,
    )
    .await?;

    // 2c. A refusal appealed in time six weeks ago, still with us: an interim reply
    //     (§ 11a) sent twelve days ago promises an answer in two weeks.
    if let Some(&slow) = cases.get(4) {
        let (_, appeal) = appealed_refusal(
            conn,
            &Refusal {
                m,
                case: slow,
                author,
                dwelling,
                sent_on: day(56),
            },
            AppealInput {
                received_on: day(44),
                posted_on: None,
                received_how: "E-post".into(),
                appellant: "Søker selv".into(),
                summary: "Mener at helseopplysningene ikke er vurdert.".into(),
                late_reason: String::new(),
                points: Vec::new(),
            },
        )
        .await?;
        let a = repo::appeal(conn, &[m], appeal)
            .await?
            .ok_or_else(|| anyhow::anyhow!("seeded appeal"))?;
        crate::decisions::appeal_interim::send_reply(
            conn,
            &a,
            &crate::decisions::appeal_interim::NewReply {
                reason: "Vi har bedt fastlegen om en uttalelse om helsesituasjonen din og venter på den.",
                expected: Some(today + Duration::days(14)),
                today: day(12),
                by: author,
                author: &author_name,
            },
        )
        .await?;
    }

    // 3. An advance notice awaiting its answer, for a case on the waiting list.
    let c = apps::application(conn, &[m], notice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("seeded case"))?;
    let head = apps::letterhead(conn, m).await?;
    let input = crate::decisions::advance_notice::NoticeInput {
        intended: "Vi vurderer å fjerne deg fra ventelisten for kommunal bolig.".into(),
        grounds: "Vi har ikke fått kontakt med deg på tre måneder, og opplysningene i søknaden er ikke oppdatert.".into(),
        respond_by: today + Duration::days(11),
    };
    let author_name = c
        .caseworker_name
        .clone()
        .unwrap_or_else(|| head.letterhead_name.clone());
    let texts = crate::letters::mandatory::current(conn, m).await?;
    let (blocks, recipient, text_ids) =
        crate::decisions::advance_notice::compose(&c, &head, &author_name, &input, &texts, day(3))?;
    let notice_id = Uuid::now_v7();
    let letter_id = archive::archive(
        conn,
        m,
        Outgoing {
            kind: archive::Kind::AdvanceNotice,
            application_id: Some(notice),
            entity_type: "advance_notice",
            entity_id: notice_id,
            title: "Forhåndsvarsel om vedtak",
            recipient: &recipient,
            channel: "letter",
            sent_on: day(3),
            sent_by: author,
            author: &head.letterhead_name,
            footer: &format!("{} · Saksnummer {}", head.letterhead_name, c.case_number),
            blocks,
            texts: text_ids,
        },
    )
    .await?;
    repo::insert_advance_notice(
        conn,
        m,
        &repo::NewAdvanceNotice {
            id: notice_id,
            application_id: notice,
            intended: &input.intended,
            grounds: &input.grounds,
            sent_on: day(3),
            respond_by: input.respond_by,
            sent_by: author,
            letter_id,
        },
    )
    .await?;

    // 4. A case received 50 days ago with two interim replies: the first promised a
    //    decision by five days ago; the second, sent four days ago, promises one later.
    sqlx::query(
        "UPDATE applications SET received_on = $3, interim_reason = $4, interim_expected_on = $5
          WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(interim)
    .bind(day(50))
    .bind("Vi venter på opplysninger fra NAV om inntekten din.")
    .bind(day(5))
    .execute(&mut *conn)
    .await?;
    for (sent_on, reason, expected, earlier) in [
        (
            day(19),
            "Vi venter på opplysninger fra NAV om inntekten din.",
            day(5),
            0,
        ),
        (
            day(4),
            "Vi har fått opplysningene fra NAV og trenger en samtale med deg før vi avgjør saken.",
            today + Duration::days(25),
            1,
        ),
    ] {
        sqlx::query(
            "UPDATE applications SET interim_reason = $3, interim_expected_on = $4, interim_sent_on = $5
              WHERE municipality_id = $1 AND id = $2",
        )
        .bind(m)
        .bind(interim)
        .bind(reason)
        .bind(expected)
        .bind(sent_on)
        .execute(&mut *conn)
        .await?;
        let c = apps::application(conn, &[m], interim)
            .await?
            .ok_or_else(|| anyhow::anyhow!("seeded case"))?;
        let name = c
            .caseworker_name
            .clone()
            .unwrap_or_else(|| head.letterhead_name.clone());
        let (blocks, letterhead, footer, recipient) =
            crate::applications::interim::compose(&c, &head, &name, sent_on, earlier, false)?;
        archive::archive(
            conn,
            m,
            Outgoing {
                kind: archive::Kind::InterimReply,
                application_id: Some(interim),
                entity_type: "application",
                entity_id: interim,
                title: "Foreløpig svar på søknaden",
                recipient: &recipient,
                channel: "letter",
                sent_on,
                sent_by: author,
                author: &letterhead,
                footer: &footer,
                blocks,
                texts: Vec::new(),
            },
        )
        .await?;
    }
    // The second reply is due from the first one's promised date.
    sqlx::query(
        "UPDATE applications SET interim_due_on = $3 WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(interim)
    .bind(day(5))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn current_version(conn: &mut PgConnection, m: Uuid, id: Uuid) -> anyhow::Result<i32> {
    Ok(sqlx::query_scalar(
        "SELECT version FROM applications WHERE municipality_id = $1 AND id = $2",
    )
    .bind(m)
    .bind(id)
    .fetch_one(conn)
    .await?)
}
