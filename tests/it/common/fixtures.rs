//! The fixture kit: what many tests set up or look at, written once.
//! - [`Tenant`]: SQL as the owner inside one municipality (row level security is forced
//!   even for the owner, so every direct look at tenant data goes through this).
//! - [`CaseQuery`]: a demo case in the state a test needs (`app.case("5037")
//!   .ready_for_meeting().without_decision().pick()`).

use sqlx::postgres::PgArguments;
use sqlx::query::{Query, QueryScalar};
use sqlx::{Decode, Postgres, Type};
use uuid::Uuid;

use super::TestApp;

/// A value bound to a query: `Arg::Municipality` is the tenant's own id.
#[derive(Clone, Debug)]
pub enum Arg {
    Municipality,
    Id(Uuid),
    Date(chrono::NaiveDate),
    Text(String),
    Int(i64),
}

impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Id(v)
    }
}
impl From<chrono::NaiveDate> for Arg {
    fn from(v: chrono::NaiveDate) -> Self {
        Arg::Date(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

pub struct Tenant<'a> {
    pub app: &'a TestApp,
    pub id: Uuid,
}

macro_rules! bind_args {
    ($q:expr, $m:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Municipality => q.bind($m),
                Arg::Id(v) => q.bind(*v),
                Arg::Date(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}

fn bound<'q>(
    q: Query<'q, Postgres, PgArguments>,
    m: Uuid,
    args: &[Arg],
) -> Query<'q, Postgres, PgArguments> {
    bind_args!(q, m, args)
}

fn bound_scalar<'q, T>(
    q: QueryScalar<'q, Postgres, T, PgArguments>,
    m: Uuid,
    args: &[Arg],
) -> QueryScalar<'q, Postgres, T, PgArguments> {
    bind_args!(q, m, args)
}

impl Tenant<'_> {
    /// One value.
    pub async fn scalar<T>(&self, sql: &str, args: &[Arg]) -> T
    where
        T: Send + Unpin + for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        let mut tx = self.tx().await;
        let v = bound_scalar(sqlx::query_scalar(sql), self.id, args)
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        tx.commit().await.unwrap();
        v
    }

    /// The first column of every row.
    pub async fn column<T>(&self, sql: &str, args: &[Arg]) -> Vec<T>
    where
        T: Send + Unpin + for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        let mut tx = self.tx().await;
        let v = bound_scalar(sqlx::query_scalar(sql), self.id, args)
            .fetch_all(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        tx.commit().await.unwrap();
        v
    }

    /// A change; the number of rows it touched.
    pub async fn exec(&self, sql: &str, args: &[Arg]) -> u64 {
        let mut tx = self.tx().await;
        let n = bound(sqlx::query(sql), self.id, args)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected();
        tx.commit().await.unwrap();
        n
    }

    /// An owner transaction scoped to the tenant, for tests that need several statements.
    pub async fn tx(&self) -> sqlx::Transaction<'static, Postgres> {
        let mut tx = self.app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, self.id).await.unwrap();
        tx
    }
}

/// What the database answered a statement: None when it went through, else the SQLSTATE
/// and the message. In a savepoint, so the caller's transaction goes on either way.
pub async fn refused(
    tx: &mut sqlx::PgConnection,
    sql: &str,
    args: &[Uuid],
) -> Option<(String, String)> {
    sqlx::query("SAVEPOINT refused")
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(*a);
    }
    let outcome = q.execute(&mut *tx).await;
    let after = if outcome.is_ok() {
        "RELEASE SAVEPOINT refused"
    } else {
        "ROLLBACK TO SAVEPOINT refused"
    };
    sqlx::query(after).execute(&mut *tx).await.unwrap();
    outcome.err().map(|e| {
        let db = e
            .as_database_error()
            .unwrap_or_else(|| panic!("{sql}: {e}"));
        (
            db.code().unwrap_or_default().into_owned(),
            db.message().to_owned(),
        )
    })
}

/// Makes `municipalities` visible for the rest of the transaction, as a job or an office
/// user sees several: a check that leans on row level security alone shows up.
pub async fn see_all(tx: &mut sqlx::PgConnection, municipalities: &[Uuid]) {
    sqlx::query("SELECT set_config('bosak.municipalities', $1, true)")
        .bind(format!(
            "{{{}}}",
            municipalities
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ))
        .execute(tx)
        .await
        .unwrap();
}

/// Which demo case a test wants.
pub struct CaseQuery<'a> {
    tenant: Tenant<'a>,
    statuses: Vec<&'static str>,
    without_decision: bool,
    without_open_offer: bool,
}

impl<'a> CaseQuery<'a> {
    /// Ready for the allocation meeting (or still being assessed).
    pub fn ready_for_meeting(mut self) -> Self {
        self.statuses = vec!["ready_for_meeting", "under_assessment"];
        self
    }

    pub fn status(mut self, status: &'static str) -> Self {
        self.statuses = vec![status];
        self
    }

    pub fn without_decision(mut self) -> Self {
        self.without_decision = true;
        self
    }

    /// No offer waiting for an answer.
    pub fn without_open_offer(mut self) -> Self {
        self.without_open_offer = true;
        self
    }

    /// The first such case by case number; panics when the demo data has none.
    pub async fn pick(self) -> Uuid {
        let mut sql =
            String::from("SELECT a.id FROM applications a WHERE a.status::text = ANY($1)");
        if self.without_decision {
            sql.push_str(
                " AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.municipality_id = a.municipality_id AND d.application_id = a.id)",
            );
        }
        if self.without_open_offer {
            sql.push_str(
                " AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.municipality_id = a.municipality_id AND o.application_id = a.id AND o.status = 'open')",
            );
        }
        sql.push_str(" ORDER BY a.case_number LIMIT 1");
        let mut tx = self.tenant.tx().await;
        let statuses: Vec<String> = self.statuses.iter().map(|s| s.to_string()).collect();
        let id = sqlx::query_scalar(&sql)
            .bind(&statuses)
            .fetch_optional(&mut *tx)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the demo data has no case in {statuses:?}"));
        tx.commit().await.unwrap();
        id
    }
}

impl TestApp {
    /// SQL inside the municipality with this number.
    pub async fn tenant(&self, number: &str) -> Tenant<'_> {
        Tenant {
            app: self,
            id: self.municipality_id(number).await,
        }
    }

    /// A demo case of the municipality with this number.
    pub async fn case(&self, number: &str) -> CaseQuery<'_> {
        CaseQuery {
            tenant: self.tenant(number).await,
            statuses: vec![
                "received",
                "under_assessment",
                "ready_for_meeting",
                "approved",
                "partly_approved",
                "waiting_list",
            ],
            without_decision: false,
            without_open_offer: false,
        }
    }
}
