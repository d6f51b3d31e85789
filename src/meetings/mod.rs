//! Allocation team meetings: planning, the agenda Bosak proposes, meeting mode for the
//! projector, conclusions that feed the cases and offers, and minutes that lock.

pub mod commands;
pub mod handlers;
pub mod minutes;
pub mod mode;
pub mod model;
pub mod repo;
pub mod views;

use axum::routing::{get, post};
use axum::Router;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/moter", get(handlers::list).post(handlers::create))
        .route("/moter/ny", get(handlers::new_form))
        .route("/moter/{id}", get(handlers::show))
        .route(
            "/moter/{id}/endre",
            get(handlers::edit_form).post(handlers::update),
        )
        .route("/moter/{id}/saksliste", post(handlers::add_items))
        .route("/moter/{id}/saksliste/utskrift", get(minutes::agenda_print))
        .route("/moter/{id}/saksliste.pdf", get(minutes::agenda_pdf))
        .route("/moter/{id}/send-saksliste", post(handlers::send_agenda))
        .route("/moter/{id}/avlys", post(handlers::cancel))
        .route(
            "/moter/{id}/punkter/{item}/flytt",
            post(handlers::move_item),
        )
        .route(
            "/moter/{id}/punkter/{item}/fjern",
            post(handlers::remove_item),
        )
        .route(
            "/moter/{id}/punkter/{item}/konklusjon",
            post(mode::conclude),
        )
        .route("/moter/{id}/motemodus", get(mode::mode))
        .route(
            "/moter/{id}/protokoll",
            get(minutes::minutes).post(minutes::save_minutes),
        )
        .route("/moter/{id}/protokoll/godkjenn", post(minutes::approve))
        .route(
            "/moter/{id}/protokoll/utskrift",
            get(minutes::minutes_print),
        )
        .route("/moter/{id}/protokoll.pdf", get(minutes::minutes_pdf))
}

/// Demo data: next week's allocation meeting in the first municipality, with the cases
/// marked ready and the vacant units already on the agenda.
pub async fn seed_demo(
    conn: &mut PgConnection,
    municipality: Uuid,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let people = repo::demo_people(conn).await?;
    let Some(organiser) = people.iter().find(|p| p.2 == "levanger.team").map(|p| p.0) else {
        return Ok(());
    };
    let mut participants: Vec<model::Participant> = people
        .into_iter()
        .map(|(id, name, _)| model::Participant {
            user_id: Some(id),
            name,
            organisation: String::new(),
            attended: false,
        })
        .collect();
    participants.push(model::Participant {
        user_id: None,
        name: "Line Berg".into(),
        organisation: "NAV Levanger".into(),
        attended: false,
    });
    seed_meeting(conn, municipality, organiser, &participants, 6, 3, today).await
}

/// Scale data: one upcoming meeting per municipality with a full agenda (benchmarks).
pub async fn seed_scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    for m in municipalities {
        let organiser = repo::first_caseworker(conn, *m).await?;
        let Some((organiser, name)) = organiser else {
            continue;
        };
        let participants = [model::Participant {
            user_id: Some(organiser),
            name,
            organisation: String::new(),
            attended: false,
        }];
        seed_meeting(conn, *m, organiser, &participants, 25, 15, today).await?;
    }
    Ok(())
}

async fn seed_meeting(
    conn: &mut PgConnection,
    municipality: Uuid,
    organiser: Uuid,
    participants: &[model::Participant],
    cases: usize,
    units: usize,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    crate::seed::with_tenant(conn, municipality).await?;
    let day = today + chrono::Duration::days(7);
    let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let starts_at = model::oslo_instant(day, nine).unwrap_or_else(chrono::Utc::now);
    let id = Uuid::now_v7();
    repo::insert_meeting(
        conn,
        &repo::NewMeeting {
            id,
            covers: &[municipality],
            office_id: None,
            title: "Tildelingsmøte",
            starts_at,
            place: "Møterom Trones, rådhuset",
            participants,
            created_by: organiser,
        },
    )
    .await?;
    let ready = repo::ready_applications(conn, &[municipality], id).await?;
    for c in ready.into_iter().take(cases) {
        let item = repo::NewItem {
            municipality_id: municipality,
            kind: model::ItemKind::Application,
            subject: Some(c.id),
            title: "",
            reason: "Klar for møte",
        };
        repo::insert_item(conn, id, &item, organiser).await?;
    }
    let (vacant, _) =
        crate::allocation::repo::available_units_page(conn, municipality, &[], units as i64)
            .await?;
    for u in vacant {
        let reason = views::unit_reason(&u);
        let item = repo::NewItem {
            municipality_id: municipality,
            kind: model::ItemKind::Dwelling,
            subject: Some(u.id),
            title: "",
            reason: &reason,
        };
        repo::insert_item(conn, id, &item, organiser).await?;
    }
    Ok(())
}
