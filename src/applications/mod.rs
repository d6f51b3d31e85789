//! (stub, to be built) the applications context.

use axum::Router;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Demo content for the demo municipalities: (id, number, name). The connection is the
/// owner's, inside the demo seeding transaction; scope each municipality with
/// `crate::seed::with_tenant` before writing its rows.
pub async fn seed_demo(
    _conn: &mut PgConnection,
    _municipalities: &[(Uuid, String, String)],
) -> anyhow::Result<()> {
    Ok(())
}

/// Benchmark content at scale factor `factor` spread over `municipalities`.
pub async fn seed_scale(
    _conn: &mut PgConnection,
    _municipalities: &[Uuid],
    _factor: u32,
) -> anyhow::Result<()> {
    Ok(())
}
