//! Benchmark data at ARCHITECTURE §7's sizes. Factor 1 is one large municipality; factor N
//! is 5·N municipalities (factor 10 = the national shared deployment of 50) sharing offices
//! of five. Each later context adds its own entities here, so the dataset always matches
//! the schema.

use sqlx::PgPool;

use super::{
    create_municipality, create_office, grant, insert_user, MunicipalitySeed, DEMO_PASSWORD,
};
use crate::auth::{password, Role};

pub async fn scale(
    owner: &PgPool,
    factor: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<String> {
    let factor = factor.max(1);
    let count = if factor == 1 { 1 } else { 5 * factor };
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut tx = owner.begin().await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM municipalities WHERE number LIKE '9%'")
            .fetch_one(&mut *tx)
            .await?;
    if existing > 0 {
        anyhow::bail!("scale data already present; seed into an empty database");
    }
    let areas: &[&str] = &["Sentrum", "Nord", "Sør", "Øst", "Vest"];
    let mut ids = Vec::new();
    for i in 1..=count {
        let number = format!("{:04}", 9000 + i);
        let name = format!("Skala {i:03}");
        let id = create_municipality(
            &mut tx,
            &MunicipalitySeed {
                number: &number,
                name: &name,
                street_address: "Postboks 1",
                postcode: "7000",
                postal_place: "Skala",
                phone: "",
                email: "",
                areas,
            },
        )
        .await?;
        for (suffix, role) in [
            ("saksbehandler", Role::Caseworker),
            ("team", Role::Team),
            ("admin", Role::Admin),
        ] {
            let user = insert_user(
                &mut tx,
                &format!("skala{i:03}.{suffix}"),
                &format!("Skala {i:03} {suffix}"),
                &hash,
                false,
                true,
            )
            .await?;
            grant(&mut tx, user, Some(id), None, role).await?;
        }
        ids.push(id);
    }
    for (k, group) in ids.chunks(5).enumerate() {
        if group.len() < 2 {
            continue;
        }
        let office = create_office(&mut tx, &format!("Skalakontor {}", k + 1), group).await?;
        let user = insert_user(
            &mut tx,
            &format!("skalakontor{}.saksbehandler", k + 1),
            "Skalakontor saksbehandler",
            &hash,
            false,
            true,
        )
        .await?;
        grant(&mut tx, user, None, Some(office), Role::Caseworker).await?;
    }
    crate::dwellings::seed_scale(&mut tx, &ids, factor, today).await?;
    crate::applications::seed_scale(&mut tx, &ids, factor, today).await?;
    crate::leases::seed::seed_scale(&mut tx, &ids, factor, today).await?;
    let numbered: Vec<(uuid::Uuid, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, format!("{:04}", 9001 + i)))
        .collect();
    crate::rent::scale::seed_scale(&mut tx, &numbered, today).await?;
    crate::decisions::seed::seed(&mut tx, &ids, today).await?;
    crate::allocation::seed(&mut tx, &ids).await?;
    crate::meetings::seed_scale(&mut tx, &ids, today).await?;
    tx.commit().await?;
    // Fresh statistics: without them the planner guesses at a few hundred thousand
    // bulk-loaded rows, and the first pages after a seed can take seconds instead of
    // milliseconds until autovacuum gets round to analysing them.
    sqlx::query("ANALYZE").execute(owner).await?;
    Ok(format!(
        "scale factor {factor}: {count} municipalities with users (password `demo`)"
    ))
}
