//! The `bosak` command line: parse arguments, call into the library.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use bosak::auth::Role;
use bosak::config::{Config, Environment};
use bosak::db::{self, local_cluster::LocalCluster};
use bosak::{seed, AppState};

#[derive(Parser)]
#[command(name = "bosak", about = "Saksbehandling for kommunale boliger")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default). Migrates first; seeds demo data into an empty
    /// database unless BOSAK_ENV=production.
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Fill the database with data.
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// Manage municipalities (tenants).
    Municipality {
        #[command(subcommand)]
        what: MunicipalityCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// The private PostgreSQL cluster used when DATABASE_URL is not set.
    Pg {
        #[command(subcommand)]
        what: PgCommand,
    },
    /// A Citus cluster (scripts/citus start; docs/SCALING.md, "Citus: verified").
    Citus {
        #[command(subcommand)]
        what: CitusCommand,
    },
    /// Measure set-based runs on the data at hand (scripts/bench-rent; docs/BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The month's charge run and one payment per charge in one batch, for every running
    /// lease of a municipality, each run rolled back.
    Rent {
        /// The municipality's number, e.g. 5037.
        #[arg(long)]
        municipality: String,
        /// A user of that municipality the runs are attributed to.
        #[arg(long)]
        username: String,
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Times the confirm of a bank OCR import of many payments (each run rolled back).
    OcrImport {
        /// The municipality number.
        #[arg(long, default_value = "5037")]
        municipality: String,
        #[arg(long, default_value_t = 100_000)]
        lines: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

#[derive(Subcommand)]
enum CitusCommand {
    /// Distribute every tenant table by municipality_id (co-located) and make every global
    /// table a reference table, in foreign-key order. Idempotent.
    Distribute {
        /// Print the SQL without running it.
        #[arg(long)]
        print: bool,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// Demo municipalities, office, users (password `demo`) and content.
    Demo,
    /// A dataset at scale factor N (ARCHITECTURE §7) for benchmarks.
    Scale {
        #[arg(long, default_value_t = 1)]
        factor: u32,
    },
}

#[derive(Subcommand)]
enum MunicipalityCommand {
    /// Add a municipality with its default settings and lists (dwelling types, reasons,
    /// decision kinds, …). Then add its first administrator with `bosak user add`.
    Add {
        /// The four-digit municipality number, e.g. 5037.
        #[arg(long)]
        number: String,
        /// The name without "kommune", e.g. Levanger.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with a role in a municipality (by number) and a password read from
    /// standard input; the user must change it at first login.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        municipality: String,
        #[arg(long, value_parser = ["caseworker", "team", "admin", "auditor"])]
        role: String,
    },
    /// Give an existing user a role in a municipality (by number). The auditor role is
    /// granted only this way: no administrator can grant it in Bosak (separation of duties).
    Grant {
        #[arg(long)]
        username: String,
        #[arg(long)]
        municipality: String,
        #[arg(long, value_parser = ["caseworker", "team", "admin", "auditor"])]
        role: String,
    },
}

#[derive(Subcommand)]
enum PgCommand {
    /// Start (initialising if needed) and print the DATABASE_URL of the named database.
    Start {
        #[arg(long, default_value = "bosak")]
        database: String,
    },
    /// Stop the cluster.
    Stop,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Bench {
            what:
                BenchCommand::OcrImport {
                    municipality,
                    lines,
                    runs,
                },
        } => {
            let owner = db::owner_pool(&database_url(&config)?).await?;
            bosak::rent::import::bench::run(
                &owner,
                &municipality,
                lines,
                runs,
                config.clock.today(),
            )
            .await
        }
        Command::Migrate => {
            let url = database_url(&config)?;
            let owner = db::owner_pool(&url).await?;
            db::migrate(&owner).await?;
            println!("migrations applied");
            // Provisions (or checks) the request login now, so a deployment learns of a
            // missing BOSAK_APP_DATABASE_URL before any server starts.
            let pool = request_pool(&config, &owner, &url, 1).await?;
            let user: String = sqlx::query_scalar("SELECT session_user::text")
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            println!("requests log in as {user}");
            Ok(())
        }
        Command::Seed { what } => {
            let url = database_url(&config)?;
            let owner = db::owner_pool(&url).await?;
            db::migrate(&owner).await?;
            match what {
                SeedCommand::Demo => {
                    if seed::demo(&owner, config.clock.today()).await? {
                        println!("demo data created");
                    } else {
                        println!("the database already has data; nothing seeded");
                    }
                }
                SeedCommand::Scale { factor } => {
                    let summary = seed::scale(&owner, factor, config.clock.today()).await?;
                    println!("{summary}");
                }
            }
            Ok(())
        }
        Command::Municipality { what } => match what {
            MunicipalityCommand::Add { number, name } => {
                let url = database_url(&config)?;
                let owner = db::owner_pool(&url).await?;
                db::migrate(&owner).await?;
                seed::add_municipality(&owner, &number, &name).await?;
                println!("municipality {number} {name} added");
                Ok(())
            }
        },
        Command::User { what } => match what {
            UserCommand::Add {
                username,
                name,
                municipality,
                role,
            } => {
                let url = database_url(&config)?;
                let owner = db::owner_pool(&url).await?;
                db::migrate(&owner).await?;
                let role = Role::from_key(&role).context("unknown role")?;
                let mut password = String::new();
                std::io::stdin().read_line(&mut password)?;
                let password = password.trim_end_matches(['\n', '\r']).to_string();
                if let Err(msg) =
                    bosak::auth::password::check_policy(&password, &[&username, &name])
                {
                    anyhow::bail!(msg);
                }
                seed::add_user(&owner, &username, &name, &municipality, role, &password).await?;
                println!("user {username} added; the password must be changed at first login");
                Ok(())
            }
            UserCommand::Grant {
                username,
                municipality,
                role,
            } => {
                let url = database_url(&config)?;
                let owner = db::owner_pool(&url).await?;
                db::migrate(&owner).await?;
                let role = Role::from_key(&role).context("unknown role")?;
                seed::grant_role(&owner, &username, &municipality, role).await?;
                println!("{username} has the role {} in {municipality}", role.key());
                Ok(())
            }
        },
        Command::Pg { what } => {
            let cluster = LocalCluster::new(&config.local_pg_dir, config.local_pg_port)?;
            match what {
                PgCommand::Start { database } => println!("{}", cluster.ensure_running(&database)?),
                PgCommand::Stop => cluster.stop()?,
            }
            Ok(())
        }
        Command::Citus {
            what: CitusCommand::Distribute { print },
        } => {
            let url = database_url(&config)?;
            let owner = db::owner_pool(&url).await?;
            citus_distribute(&owner, print).await
        }
        Command::Bench {
            what:
                BenchCommand::Rent {
                    municipality,
                    username,
                    runs,
                },
        } => {
            let url = database_url(&config)?;
            let owner = db::owner_pool(&url).await?;
            let (m, by): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
                "SELECT mu.id, u.id FROM municipalities mu, users u
                  WHERE mu.number = $1 AND u.username = $2",
            )
            .bind(&municipality)
            .bind(&username)
            .fetch_optional(&owner)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no municipality {municipality} or user {username}"))?;
            let pool = request_pool(&config, &owner, &url, 1).await?;
            let report = bosak::rent::bench::rent(&pool, m, by, config.clock.today(), runs).await?;
            println!(
                "KIDs issued first (kept): {} in {:.0} ms",
                report.kids_issued,
                report.kid_issue.as_secs_f64() * 1000.0
            );
            for t in report.runs {
                println!(
                    "month {}: charge run {} charges {:.0} ms; payments {} in {:.0} ms",
                    t.month,
                    t.charges,
                    t.charge_run.as_secs_f64() * 1000.0,
                    t.payments,
                    t.payment_batch.as_secs_f64() * 1000.0
                );
            }
            Ok(())
        }
    }
}

/// `bosak citus distribute [--print]`: the plan of `db::citus`, printed or run step by step.
async fn citus_distribute(owner: &sqlx::PgPool, print: bool) -> anyhow::Result<()> {
    use db::citus::{self, Step};
    if !citus::has_citus(owner).await? {
        anyhow::bail!(
            "the database has no Citus extension; start a cluster with scripts/citus start \
             and point DATABASE_URL at its coordinator"
        );
    }
    let steps = citus::plan(&citus::tables(owner).await?)?;
    if print {
        println!("BEGIN;\n{}\n{}", citus::SESSION_SETTINGS, citus::POLICIES);
    } else {
        citus::run(owner, &steps).await?;
    }
    for step in &steps {
        match step.sql() {
            Some(sql) => println!("{sql}"),
            None => {
                let how = match step {
                    Step::AlreadyReference(_) => "a reference table",
                    Step::AlreadyCoordinatorLocal(_) => "kept on the coordinator",
                    _ => "distributed by municipality_id",
                };
                println!("-- {} is already {how}", step.table());
            }
        }
    }
    if print {
        let database: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(owner)
            .await?;
        println!("COMMIT;\n{}", citus::database_settings(&database));
    }
    if !print {
        let (distributed, reference, other) = citus::counts(owner).await?;
        println!(
            "-- {distributed} distributed (co-located by municipality_id), {reference} reference, {other} other Citus tables"
        );
    }
    Ok(())
}

/// DATABASE_URL, or the private local cluster when it is not set.
fn database_url(config: &Config) -> anyhow::Result<String> {
    if let Some(url) = &config.database_url {
        return Ok(url.clone());
    }
    if config.env == Environment::Production {
        anyhow::bail!("DATABASE_URL must be set when BOSAK_ENV=production");
    }
    tracing::info!(dir = %config.local_pg_dir, port = config.local_pg_port, "DATABASE_URL not set; using the private PostgreSQL cluster");
    let cluster = LocalCluster::new(&config.local_pg_dir, config.local_pg_port)?;
    cluster.ensure_running("bosak")
}

/// The pool for requests, logging in as BOSAK_APP_DATABASE_URL or the provisioned role.
async fn request_pool(
    config: &Config,
    owner: &sqlx::PgPool,
    owner_url: &str,
    max_connections: u32,
) -> anyhow::Result<sqlx::PgPool> {
    let options =
        db::request_login::request_options(owner, owner_url, config.app_database_url.as_deref())
            .await?;
    db::app_pool(options, max_connections).await
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.clock.is_shifted() {
        tracing::warn!(today = %config.clock.today(), "BOSAK_TODAY: running on a fixed date (development only)");
    }
    let url = database_url(&config)?;
    let owner = db::owner_pool(&url).await?;
    db::migrate(&owner).await?;
    if config.env == Environment::Production {
        if seed::has_demo_users(&owner).await? {
            anyhow::bail!(
                "refusing to start: demo users (password `demo`) exist and BOSAK_ENV=production. \
                 Remove them or use a database without demo data."
            );
        }
    } else if seed::demo(&owner, config.clock.today()).await? {
        tracing::info!(
            "empty database: demo data created (users listed in README.md, password `demo`)"
        );
    }
    let pre_session_key = bosak::auth::pre_session::load_key(&owner).await?;
    let pool = request_pool(&config, &owner, &url, config.db_max_connections).await?;
    // From here on requests and jobs use `pool` (see the retention job below).
    owner.close().await;
    // The retention job alone connects as the owning role, briefly, to run the one
    // anonymising function only the owner may execute (src/privacy/retention.rs); the
    // URL is kept also when it came from the private local cluster.
    let mut config = config;
    config.database_url = Some(url.clone());
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    tracing::info!("Bosak serving on http://{}", listener.local_addr()?);
    let state = AppState {
        pool,
        config: Arc::new(config),
        waiting_cache: Default::default(),
        pre_session_key: Arc::new(pre_session_key),
    };
    bosak::serve(state, listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
