//! Demo data (`bosak seed demo`) and benchmark data (`bosak seed scale --factor N`).
//! Runs as the owner role; tenant rows are written inside transactions scoped to their
//! municipality, because row level security is forced even for the owner.

mod lawful;
mod scale;

pub use scale::scale;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::{password, Role};
use crate::db;

/// The demo password of every demo user.
pub const DEMO_PASSWORD: &str = "demo";

pub struct MunicipalitySeed<'a> {
    pub number: &'a str,
    pub name: &'a str,
    pub street_address: &'a str,
    pub postcode: &'a str,
    pub postal_place: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub areas: &'a [&'a str],
}

const LEVANGER: MunicipalitySeed = MunicipalitySeed {
    number: "5037",
    name: "Levanger",
    street_address: "Postboks 130",
    postcode: "7601",
    postal_place: "Levanger",
    phone: "74 05 27 00",
    email: "postmottak@levanger.kommune.no",
    areas: &[
        "Levanger sentrum",
        "Skogn",
        "Åsen",
        "Ekne",
        "Ytterøy",
        "Okkenhaug",
        "Nesset",
    ],
};
const VERDAL: MunicipalitySeed = MunicipalitySeed {
    number: "5038",
    name: "Verdal",
    street_address: "Postboks 24",
    postcode: "7651",
    postal_place: "Verdal",
    phone: "74 04 82 00",
    email: "postmottak@verdal.kommune.no",
    areas: &[
        "Verdalsøra",
        "Vinne",
        "Stiklestad",
        "Vuku",
        "Vera",
        "Ørmelen",
    ],
};
const STJORDAL: MunicipalitySeed = MunicipalitySeed {
    number: "5035",
    name: "Stjørdal",
    street_address: "Postboks 133",
    postcode: "7501",
    postal_place: "Stjørdal",
    phone: "74 83 45 00",
    email: "postmottak@stjordal.kommune.no",
    areas: &[
        "Stjørdal sentrum",
        "Hegra",
        "Lånke",
        "Skatval",
        "Hell",
        "Flornes",
    ],
};

/// Where a demo user works.
enum Place<'a> {
    Municipality(&'a str),
    Office,
}

/// User name, display name, and where the user works in which role.
type DemoUser<'a> = (&'a str, &'a str, &'a [(Place<'a>, Role)]);

/// Creates the demo data when the database has no municipalities. Returns whether it did.
/// Dates in the demo data are relative to `today` (the program's clock).
pub async fn demo(owner: &PgPool, today: chrono::NaiveDate) -> anyhow::Result<bool> {
    let mut tx = owner.begin().await?;
    // One seeder at a time, and never over existing data.
    sqlx::query("SELECT pg_advisory_xact_lock(4242)")
        .execute(&mut *tx)
        .await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM municipalities")
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    let mut ids = std::collections::HashMap::new();
    for m in [&LEVANGER, &VERDAL, &STJORDAL] {
        ids.insert(m.number, create_municipality(&mut tx, m).await?);
    }
    let office = create_office(
        &mut tx,
        "Innherred felles tildelingskontor",
        &[ids["5037"], ids["5038"]],
    )
    .await?;
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let users: &[DemoUser] = &[
        (
            "kontor.saksbehandler",
            "Ingrid Haugen",
            &[(Place::Office, Role::Caseworker)],
        ),
        (
            "levanger.saksbehandler",
            "Ola Nordmann",
            &[(Place::Municipality("5037"), Role::Caseworker)],
        ),
        (
            "verdal.saksbehandler",
            "Kari Vold",
            &[(Place::Municipality("5038"), Role::Caseworker)],
        ),
        (
            "stjordal.saksbehandler",
            "Per Hegre",
            &[(Place::Municipality("5035"), Role::Caseworker)],
        ),
        (
            "levanger.team",
            "Sigrid Skogn",
            &[(Place::Municipality("5037"), Role::Team)],
        ),
        (
            "levanger.admin",
            "Nils Ekne",
            &[(Place::Municipality("5037"), Role::Admin)],
        ),
        (
            "kontor.admin",
            "Astrid Vinne",
            &[(Place::Office, Role::OfficeAdmin)],
        ),
        (
            "revisor",
            "Eva Revisor",
            &[
                (Place::Municipality("5037"), Role::Auditor),
                (Place::Municipality("5038"), Role::Auditor),
                (Place::Municipality("5035"), Role::Auditor),
            ],
        ),
    ];
    for (username, name, grants) in users {
        let user_id = insert_user(&mut tx, username, name, &hash, false, true).await?;
        for (place, role) in grants.iter() {
            match place {
                Place::Municipality(n) => {
                    grant(&mut tx, user_id, Some(ids[n]), None, *role).await?
                }
                Place::Office => grant(&mut tx, user_id, None, Some(office), *role).await?,
            }
        }
    }
    let munis: Vec<(Uuid, String, String)> = [&LEVANGER, &VERDAL, &STJORDAL]
        .iter()
        .map(|m| (ids[m.number], m.number.to_string(), m.name.to_string()))
        .collect();
    let muni_ids: Vec<Uuid> = munis.iter().map(|m| m.0).collect();
    crate::dwellings::seed_demo(&mut tx, &munis, today).await?;
    crate::applications::seed_demo(&mut tx, &munis, today).await?;
    crate::leases::seed::seed_demo(&mut tx, &munis, today).await?;
    crate::rent::seed::seed_demo(&mut tx, &munis, today).await?;
    crate::decisions::seed::seed(&mut tx, &muni_ids, today).await?;
    crate::allocation::seed(&mut tx, &muni_ids).await?;
    for m in &muni_ids {
        lawful::seed(&mut tx, *m, today).await?;
    }
    crate::meetings::seed_demo(&mut tx, ids[LEVANGER.number], today).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn has_demo_users(owner: &PgPool) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE is_demo)")
            .fetch_one(owner)
            .await?,
    )
}

pub async fn create_municipality(
    conn: &mut PgConnection,
    m: &MunicipalitySeed<'_>,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO municipalities (id, number, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(m.number)
        .bind(m.name)
        .execute(&mut *conn)
        .await?;
    with_tenant(conn, id).await?;
    sqlx::query(
        "INSERT INTO municipality_settings
           (municipality_id, letterhead_name, street_address, postcode, postal_place, phone, email)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(format!("{} kommune", m.name))
    .bind(m.street_address)
    .bind(m.postcode)
    .bind(m.postal_place)
    .bind(m.phone)
    .bind(m.email)
    .execute(&mut *conn)
    .await?;
    for area in m.areas {
        sqlx::query("INSERT INTO areas (municipality_id, id, name) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(Uuid::now_v7())
            .bind(area)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Makes the rest of this transaction see (and write) only `municipality`.
pub async fn with_tenant(conn: &mut PgConnection, municipality: Uuid) -> Result<(), sqlx::Error> {
    // SET LOCAL, not set_config: Citus sends only SET commands on to the workers
    // (db::scoped_tx). A Uuid's text is hex digits and dashes, safe to inline.
    sqlx::raw_sql(&format!(
        "SET LOCAL bosak.municipalities = '{{{municipality}}}'"
    ))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn create_office(
    conn: &mut PgConnection,
    name: &str,
    municipalities: &[Uuid],
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO offices (id, name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    for m in municipalities {
        sqlx::query(
            "INSERT INTO office_municipalities (office_id, municipality_id) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(m)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

pub async fn insert_user(
    conn: &mut PgConnection,
    username: &str,
    name: &str,
    password_hash: &str,
    must_change_password: bool,
    is_demo: bool,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, must_change_password, is_demo)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(username)
    .bind(name)
    .bind(password_hash)
    .bind(must_change_password)
    .bind(is_demo)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn grant(
    conn: &mut PgConnection,
    user: Uuid,
    municipality: Option<Uuid>,
    office: Option<Uuid>,
    role: Role,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO memberships (id, user_id, municipality_id, office_id, role) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(user)
    .bind(municipality)
    .bind(office)
    .bind(role)
    .execute(conn)
    .await?;
    Ok(())
}

/// `bosak municipality add`: a real tenant with default settings and lists, no demo content.
pub async fn add_municipality(owner: &PgPool, number: &str, name: &str) -> anyhow::Result<Uuid> {
    if !(number.len() == 4 && number.chars().all(|c| c.is_ascii_digit())) {
        anyhow::bail!("the municipality number must be four digits");
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        anyhow::bail!("the name must be 1–100 characters");
    }
    let mut tx = owner.begin().await?;
    let id = create_municipality(
        &mut tx,
        &MunicipalitySeed {
            number,
            name,
            street_address: "",
            postcode: "",
            postal_place: "",
            phone: "",
            email: "",
            areas: &[],
        },
    )
    .await?;
    ensure_context_defaults(&mut tx, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Default lists every municipality needs (dwelling types, application reasons, decision
/// kinds, allocation criteria …). Idempotent.
pub async fn ensure_context_defaults(
    conn: &mut PgConnection,
    municipality: Uuid,
) -> anyhow::Result<()> {
    crate::dwellings::repo::ensure_defaults(conn, municipality).await?;
    crate::applications::ensure_defaults(conn, municipality).await?;
    crate::decisions::ensure_defaults(conn, municipality).await?;
    crate::allocation::ensure_defaults(conn, municipality).await?;
    crate::letters::mandatory::ensure_defaults(conn, municipality).await?;
    crate::leases::settings::ensure_defaults(conn, municipality).await?;
    Ok(())
}

/// `bosak user add`: the first administrator of a real deployment comes from here.
pub async fn add_user(
    owner: &PgPool,
    username: &str,
    name: &str,
    municipality_number: &str,
    role: Role,
    password_plain: &str,
) -> anyhow::Result<()> {
    let hash = password::hash(password_plain.to_string()).await?;
    let mut tx = owner.begin().await?;
    let municipality: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM municipalities WHERE number = $1")
            .bind(municipality_number)
            .fetch_optional(&mut *tx)
            .await?;
    let municipality = municipality
        .ok_or_else(|| anyhow::anyhow!("no municipality numbered {municipality_number}"))?;
    let user = insert_user(&mut tx, &username.to_lowercase(), name, &hash, true, false).await?;
    grant(&mut tx, user, Some(municipality), None, role).await?;
    tx.commit().await?;
    Ok(())
}

/// `bosak user grant`: gives an existing user a role in a municipality. The auditor role
/// is granted only here, by the deployment's operator (see `AdminScope::grantable_roles`).
/// Audited as done from the command line.
pub async fn grant_role(
    owner: &PgPool,
    username: &str,
    municipality_number: &str,
    role: Role,
) -> anyhow::Result<()> {
    let mut tx = owner.begin().await?;
    let municipality: Uuid = sqlx::query_scalar("SELECT id FROM municipalities WHERE number = $1")
        .bind(municipality_number)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no municipality numbered {municipality_number}"))?;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username.to_lowercase())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {username}"))?;
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND municipality_id = $2 AND role = $3)",
    )
    .bind(user)
    .bind(municipality)
    .bind(role)
    .fetch_one(&mut *tx)
    .await?;
    if !held {
        grant(&mut tx, user, Some(municipality), None, role).await?;
    }
    crate::audit::record_as(
        &mut tx,
        None,
        &crate::web::ctx::RequestMeta::default(),
        crate::audit::Event::new("user.role_granted_by_operator")
            .municipality(municipality)
            .entity("user", user)
            .details(serde_json::json!({ "username": username, "role": role.key(), "already_held": held })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Used by tests and the scale seeder: the owner pool scoped to nothing.
pub async fn owner_tx(owner: &PgPool) -> Result<db::Tx, sqlx::Error> {
    db::scoped_tx(owner, &[]).await
}
