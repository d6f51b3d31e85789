//! Settings from the environment, with defaults for local use.

use std::net::SocketAddr;
use std::time::Duration;

use crate::clock::Clock;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`; when absent the binary starts a private cluster under `./data/pg`.
    pub database_url: Option<String>,
    /// `BOSAK_APP_DATABASE_URL`: the login of request connections. When absent, the owner
    /// provisions the login role `bosak_request` (`db::request_login`).
    pub app_database_url: Option<String>,
    pub addr: SocketAddr,
    pub env: Environment,
    /// Set the `Secure` flag and the `__Host-` prefix on the session cookie. On by default
    /// in production; TLS is terminated by the reverse proxy in front of Bosak.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub db_max_connections: u32,
    pub local_pg_dir: String,
    pub local_pg_port: u16,
    /// The program's clock (`crate::clock`): the system clock, or in development a clock
    /// on the date `BOSAK_TODAY` names.
    pub clock: Clock,
    /// How often the scheduler looks for due jobs (`crate::jobs`); None runs no jobs.
    pub job_tick: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let env = match std::env::var("BOSAK_ENV").as_deref() {
            Ok("production") => Environment::Production,
            Ok("development") | Err(_) => Environment::Development,
            Ok(other) => {
                anyhow::bail!("BOSAK_ENV must be 'production' or 'development', not {other:?}")
            }
        };
        let addr = std::env::var("BOSAK_ADDR")
            .unwrap_or_else(|_| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e| anyhow::anyhow!("BOSAK_ADDR: {e}"))?;
        let secure_cookies = match std::env::var("BOSAK_SECURE_COOKIES").as_deref() {
            Ok("1") | Ok("true") => true,
            Ok("0") | Ok("false") => false,
            _ => env == Environment::Production,
        };
        let clock = Clock::from_env()?;
        if clock.is_shifted() && env == Environment::Production {
            anyhow::bail!(
                "BOSAK_TODAY is for development and demos; production runs on the real date"
            );
        }
        let job_tick = match std::env::var("BOSAK_JOB_TICK_SECONDS").as_deref() {
            Ok("0") => None,
            Ok(v) => Some(Duration::from_secs(v.parse().map_err(|_| {
                anyhow::anyhow!("BOSAK_JOB_TICK_SECONDS must be a number of seconds")
            })?)),
            Err(_) => Some(Duration::from_secs(60)),
        };
        Ok(Self {
            clock,
            job_tick,
            database_url: std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()),
            app_database_url: std::env::var("BOSAK_APP_DATABASE_URL")
                .ok()
                .filter(|s| !s.is_empty()),
            addr,
            env,
            secure_cookies,
            trust_proxy: matches!(
                std::env::var("BOSAK_TRUST_PROXY").as_deref(),
                Ok("1") | Ok("true")
            ),
            session_idle: Duration::from_secs(
                minutes_from_env("BOSAK_SESSION_IDLE_MINUTES", 30)? * 60,
            ),
            session_absolute: Duration::from_secs(
                minutes_from_env("BOSAK_SESSION_ABSOLUTE_MINUTES", 10 * 60)? * 60,
            ),
            db_max_connections: std::env::var("BOSAK_DB_CONNECTIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(16),
            local_pg_dir: std::env::var("BOSAK_LOCAL_PG_DIR").unwrap_or_else(|_| "data/pg".into()),
            local_pg_port: std::env::var("BOSAK_LOCAL_PG_PORT")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5433),
        })
    }

    /// Defaults for tests: development mode, short timeouts are set by the tests themselves.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            database_url: Some(database_url),
            app_database_url: None,
            addr: "127.0.0.1:0".parse().expect("static address"),
            env: Environment::Development,
            secure_cookies: false,
            trust_proxy: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(10 * 3600),
            db_max_connections: 8,
            local_pg_dir: "data/pg".into(),
            local_pg_port: 5433,
            // The suite runs a second time with `BOSAK_TODAY` set (scripts/test).
            clock: Clock::from_env().expect("BOSAK_TODAY"),
            // Tests run jobs themselves, or start a server with a scheduler on purpose.
            job_tick: None,
        }
    }

    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-bosak_session"
        } else {
            "bosak_session"
        }
    }
}

fn minutes_from_env(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number of minutes")),
        Err(_) => Ok(default),
    }
}
