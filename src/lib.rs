//! Bosak: case management for Norwegian municipal housing offices.

pub mod admin;
pub mod allocation;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod decisions;
pub mod dwellings;
pub mod jobs;
pub mod leases;
pub mod letters;
pub mod meetings;
pub mod municipalities;
pub mod privacy;
pub mod rent;
pub mod reporting;
pub mod seed;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Router};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;

#[derive(Clone)]
pub struct AppState {
    /// Connections acting as the request role `bosak_app` (row level security applies).
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// The waiting applicants' facts per municipality (`allocation::cache`).
    pub waiting_cache: Arc<allocation::cache::WaitingCache>,
    /// The key of pre-session CSRF tokens (`auth::pre_session`), from `app_secrets`.
    pub pre_session_key: Arc<Vec<u8>>,
}

impl AppState {
    pub fn clock(&self) -> &clock::Clock {
        &self.config.clock
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub fn build_app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    // Secure cookies mean Bosak is served over TLS (behind a proxy): browsers must then
    // never try plain HTTP for this host again.
    let hsts = state
        .config
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let static_dir = std::env::var("BOSAK_STATIC_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string());
    let pages = Router::new()
        .merge(auth::routes())
        .merge(dashboard::routes())
        .merge(municipalities::routes())
        .merge(admin::routes())
        .merge(dwellings::routes())
        .merge(applications::routes())
        .merge(decisions::routes())
        .merge(allocation::routes())
        .merge(meetings::routes())
        .merge(leases::routes())
        .merge(rent::routes())
        .merge(reporting::routes())
        .merge(jobs::routes())
        .merge(letters::archive::routes())
        .merge(letters::mandatory::routes())
        .merge(privacy::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            web::csrf::verify,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session::load_session,
        ))
        .layer(middleware::from_fn(web::no_store));

    Router::new()
        .merge(pages)
        .route("/healthz", get(healthz))
        .nest_service(
            "/static",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ))
                .service(ServeDir::new(static_dir)),
        )
        .fallback(fallback)
        .with_state(state)
        .layer(middleware::from_fn(web::request_id_on_errors))
        .layer(CatchPanicLayer::new())
        .layer(RequestBodyLimitLayer::new(web::csrf::UPLOAD_LIMIT + 64 * 1024))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Runs first: the request id is always ours, never one a client sent (it goes into
        // the audit log and the logs, where a forged one would mislead).
        .layer(middleware::map_request(web::strip_client_request_id))
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await;
    match check {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn fallback() -> web::error::AppError {
    web::error::AppError::NotFound
}

/// Serves on `listener` until `shutdown` resolves; tests pass a port-0 listener.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let scheduler = state
        .config
        .job_tick
        .map(|tick| jobs::spawn(state.clone(), tick));
    let app = build_app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    if let Some(s) = scheduler {
        s.abort();
    }
    Ok(())
}
