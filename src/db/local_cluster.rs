//! A private PostgreSQL cluster under `./data/pg`, so `cargo run` works on a fresh machine
//! without any database set up. Used only when `DATABASE_URL` is not set.
//!
//! The cluster listens on 127.0.0.1 only and authenticates with scram; the application
//! connects as `bosak_owner`, a non-superuser that owns the database (as a managed
//! PostgreSQL service would give you), so local runs exercise the same privileges as
//! production. `initdb` and `pg_ctl` refuse to run as root, so as root they run as the
//! `postgres` system user.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use rand::RngCore;

pub struct LocalCluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

const OWNER: &str = "bosak_owner";

impl LocalCluster {
    pub fn new(dir: impl AsRef<Path>, port: u16) -> anyhow::Result<Self> {
        let dir = absolute(dir.as_ref())?;
        let bin = find_bin_dir().or_else(|_| {
            install_postgres()?;
            find_bin_dir()
        })?;
        Ok(Self { dir, port, bin })
    }

    fn pgdata(&self) -> PathBuf {
        self.dir.join("cluster")
    }

    fn password_file(&self) -> PathBuf {
        self.dir.join("owner-password")
    }

    /// Initialises the cluster if needed, starts it if it is not running, makes sure the
    /// owner role and the database exist, and returns the owner's connection URL.
    pub fn ensure_running(&self, database: &str) -> anyhow::Result<String> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        if !self.pgdata().join("PG_VERSION").exists() {
            self.init()?;
        }
        if !self.is_running() {
            self.start()?;
        }
        let password = fs::read_to_string(self.password_file())
            .context("reading the local cluster's owner password")?
            .trim()
            .to_string();
        self.psql(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}') THEN \
             CREATE ROLE {OWNER} LOGIN CREATEDB CREATEROLE PASSWORD '{password}'; END IF; END $$;"
        ))?;
        let exists = self.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{}'",
            database.replace('\'', "''")
        ))?;
        if exists.trim() != "1" {
            self.psql(&format!("CREATE DATABASE \"{database}\" OWNER {OWNER}"))?;
        }
        Ok(format!(
            "postgres://{OWNER}:{password}@127.0.0.1:{}/{database}",
            self.port
        ))
    }

    fn init(&self) -> anyhow::Result<()> {
        let pgdata = self.pgdata();
        fs::create_dir_all(&pgdata)?;
        let mut secret = [0u8; 18];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let password: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&self.password_file(), &password)?;
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&pgdata))?;
        }
        // Local socket connections are trusted only for the cluster's own system user
        // (the socket lives inside the 0700 data directory); TCP needs a password.
        run(self
            .as_cluster_user(&self.bin.join("initdb"))
            .arg("-D")
            .arg(&pgdata)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--locale=C.UTF-8"]))
        .context("initdb failed")?;
        Ok(())
    }

    fn is_running(&self) -> bool {
        self.as_cluster_user(&self.bin.join("pg_ctl"))
            .arg("status")
            .arg("-D")
            .arg(self.pgdata())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn start(&self) -> anyhow::Result<()> {
        let pgdata = self.pgdata();
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200 -c shared_buffers=256MB -c fsync=on",
            self.port,
            pgdata.display()
        );
        run(self
            .as_cluster_user(&self.bin.join("pg_ctl"))
            .arg("start")
            .arg("-w")
            .arg("-D")
            .arg(&pgdata)
            .arg("-l")
            .arg(pgdata.join("server.log"))
            .arg("-o")
            .arg(opts))
        .with_context(|| {
            format!(
                "could not start PostgreSQL; see {}",
                pgdata.join("server.log").display()
            )
        })?;
        Ok(())
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        if self.is_running() {
            run(self
                .as_cluster_user(&self.bin.join("pg_ctl"))
                .arg("stop")
                .arg("-m")
                .arg("fast")
                .arg("-D")
                .arg(self.pgdata()))?;
        }
        Ok(())
    }

    fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let out = self
            .as_cluster_user(&self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
            ])
            .arg("-h")
            .arg(self.pgdata())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", "postgres", "-c", sql])
            .output()?;
        if !out.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn as_cluster_user(&self, program: &Path) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    })
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The newest PostgreSQL (15 or later) installed from the distribution's packages.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let Ok(v) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let bin = e.path().join("bin");
            if v >= 15 && bin.join("initdb").exists() && best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, bin));
            }
        }
    }
    best.map(|(_, p)| p)
        .context("PostgreSQL 15 or newer is not installed (looked in /usr/lib/postgresql)")
}

fn install_postgres() -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "PostgreSQL is not installed. Install it with `sudo apt-get install -y postgresql`, \
             or set DATABASE_URL to a server you have."
        );
    }
    tracing::info!("installing PostgreSQL from the distribution's packages");
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "postgresql"]))?;
    Ok(())
}
