//! The real `bosak serve` binary as a child process on a test's own database, for the
//! tests that must kill it (crash), watch its memory (soak) or start it on a restored
//! database (backup). The child inherits the test's environment, so `BOSAK_TODAY` reaches
//! it; it is killed when the handle is dropped, also when the test panics.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common::{read_page, Client, Page};

pub struct Server {
    child: Option<Child>,
    db_url: String,
    port: u16,
    pool_size: u32,
    log: std::path::PathBuf,
}

/// A free loopback port: bound and released at once. The server binds it with
/// SO_REUSEADDR (tokio), so a restart after SIGKILL gets the same port back.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Server {
    /// Starts `bosak serve` on `db_url` with a pool of `pool_size` connections and waits
    /// until it answers.
    pub async fn start(db_url: &str, pool_size: u32) -> Server {
        let port = free_port();
        let log =
            std::env::temp_dir().join(format!("bosak-server-{port}-{}.log", std::process::id()));
        let mut s = Server {
            child: None,
            db_url: db_url.to_owned(),
            port,
            pool_size,
            log,
        };
        s.spawn().await;
        s
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("server log");
        let child = Command::new(env!("CARGO_BIN_EXE_bosak"))
            .arg("serve")
            .env("DATABASE_URL", &self.db_url)
            .env_remove("BOSAK_APP_DATABASE_URL")
            .env("BOSAK_ENV", "development")
            .env("BOSAK_ADDR", format!("127.0.0.1:{}", self.port))
            .env("BOSAK_DB_CONNECTIONS", self.pool_size.to_string())
            // The scheduler would write on its own; these tests count every write.
            .env("BOSAK_JOB_TICK_SECONDS", "0")
            .env("RUST_LOG", "warn,bosak=error")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start bosak serve");
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let url = format!("{}/login", self.base());
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(&url).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("bosak serve exited with {status}:\n{}", self.log_tail());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "bosak serve did not answer within a minute:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no graceful shutdown, no flushing, transactions cut where they are.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills the server (SIGKILL) and starts it again on the same port and database.
    pub async fn crash_and_restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// The server's resident memory in KiB (VmRSS of /proc/<pid>/status).
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A cookie-keeping client of this server that does not follow redirects.
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            base: self.base(),
            csrf: None,
        }
    }

    /// A client logged in as a demo user.
    pub async fn login(&self, username: &str) -> Client {
        let mut c = self.client();
        let res = c.login(username, "demo").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login as {username}");
        c
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// GET that reports a failed connection (None: the server was killed before it answered,
/// or while it sent the page) instead of panicking.
pub async fn try_get(c: &mut Client, path: &str) -> Option<Page> {
    let res = c
        .http
        .get(format!("{}{}", c.base, path))
        .send()
        .await
        .ok()?;
    let page = read_page(res).await.ok()?;
    c.keep_csrf(&page);
    Some(page)
}

/// POST of a form with the session's CSRF token; None when the connection failed, so the
/// outcome of the request is unknown.
pub async fn try_post(c: &mut Client, path: &str, fields: &[(&str, &str)]) -> Option<Page> {
    if c.csrf.is_none() {
        try_get(c, "/").await?;
    }
    let tok = c.csrf.clone().unwrap_or_default();
    let mut all = fields.to_vec();
    all.push(("csrf_token", &tok));
    let res = c
        .http
        .post(format!("{}{}", c.base, path))
        .form(&all)
        .send()
        .await
        .ok()?;
    read_page(res).await.ok()
}
