//! Test harness: a real server on a random port over a fresh database, and a
//! cookie-keeping HTTP client that parses HTML.

pub mod browser;
pub mod catalog;
pub mod crawl;
pub mod db;
pub mod fixtures;
pub mod routes;

use std::sync::Arc;

use reqwest::redirect::Policy;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sqlx::PgPool;
use tokio::sync::oneshot;

use bosak::{AppState, Config};

pub struct TestApp {
    pub base: String,
    /// Owner connection: bypasses nothing (RLS is forced) but may write any table.
    pub owner: PgPool,
    pub state: AppState,
    pub db_url: String,
    _shutdown: oneshot::Sender<()>,
}

impl TestApp {
    /// A server with the demo municipalities and users.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server with the demo data of the date its clock says (from a template database).
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        // Server errors (a 500's cause) appear in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("bosak=error")
            .with_test_writer()
            .try_init();
        let mut config = Config::for_tests(String::new());
        configure(&mut config);
        let db_url = db::fresh_database(config.clock.today()).await;
        config.database_url = Some(db_url.clone());
        let owner = bosak::db::owner_pool(&db_url).await.expect("owner pool");
        Self::serve(db_url, owner, config).await
    }

    /// A second server process on the same database (its own pool, cache and clock).
    pub async fn attach(other: &TestApp, configure: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(other.db_url.clone());
        configure(&mut config);
        let owner = bosak::db::owner_pool(&other.db_url)
            .await
            .expect("owner pool");
        Self::serve(other.db_url.clone(), owner, config).await
    }

    async fn serve(db_url: String, owner: PgPool, config: Config) -> TestApp {
        // Requests log in as the request role, exactly as `bosak serve` does.
        let login = bosak::db::request_login::request_options(&owner, &db_url, None)
            .await
            .expect("request login");
        let pool = bosak::db::app_pool(login, 8).await.expect("app pool");
        let pre_session_key = bosak::auth::pre_session::load_key(&owner)
            .await
            .expect("pre-session key");
        let state = AppState {
            pool,
            config: Arc::new(config),
            waiting_cache: Default::default(),
            pre_session_key: Arc::new(pre_session_key),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            bosak::serve(serve_state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        TestApp {
            base,
            owner,
            state,
            db_url,
            _shutdown: tx,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            csrf: None,
        }
    }

    /// A client logged in as a demo user (password `demo`).
    pub async fn login(&self, username: &str) -> Client {
        let mut c = self.client();
        let res = c.login(username, "demo").await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login as {username} failed: {}",
            res.text
        );
        c
    }

    /// A server whose clock says today is `date` (demo data relative to it).
    pub async fn spawn_on(date: chrono::NaiveDate) -> TestApp {
        Self::spawn_with(|c| c.clock = bosak::clock::Clock::on(date)).await
    }

    /// Today by the server's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.state.clock().today()
    }

    /// Moves the server's clock (and the test's idea of today) to `date`.
    pub fn set_today(&self, date: chrono::NaiveDate) {
        self.state.clock().set_today(date);
    }

    /// `today + days`, as the forms write dates (dd.mm.yyyy).
    pub fn day(&self, days: i64) -> String {
        (self.today() + chrono::Duration::days(days))
            .format("%d.%m.%Y")
            .to_string()
    }

    pub async fn municipality_id(&self, number: &str) -> uuid::Uuid {
        sqlx::query_scalar("SELECT id FROM municipalities WHERE number = $1")
            .bind(number)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }

    pub async fn user_id(&self, username: &str) -> uuid::Uuid {
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = $1")
            .bind(action)
            .fetch_one(&self.owner)
            .await
            .unwrap()
    }
}

/// The Norwegian name of a date's weekday, written out here rather than taken from the
/// code under test.
pub fn weekday_nb(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    [
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    ][d.weekday().num_days_from_monday() as usize]
}

/// A response read into a [`Page`]; an error when the body could not be read (the server
/// went away while sending it).
pub async fn read_page(res: reqwest::Response) -> reqwest::Result<Page> {
    let status = res.status();
    let headers = res.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = res.text().await?;
    Ok(Page {
        status,
        location,
        text,
        headers,
    })
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    /// The CSRF token from the last page that had one.
    pub csrf: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.text)
    }

    /// Texts of every element matching `selector`, whitespace-collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn text_of(&self, selector: &str) -> String {
        self.texts(selector).join(" | ")
    }

    pub fn count(&self, selector: &str) -> usize {
        let sel = Selector::parse(selector).expect("selector");
        self.html().select(&sel).count()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> Option<String> {
        let sel = Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    }
}

impl Client {
    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("GET");
        self.page(res).await
    }

    /// GET that follows redirects (a sent letter's address leads to the archived copy).
    pub async fn follow(&mut self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match (page.status.is_redirection(), page.location.clone()) {
                (true, Some(next)) => page = self.get(&next).await,
                _ => break,
            }
        }
        page
    }

    async fn page(&mut self, res: reqwest::Response) -> Page {
        let page = read_page(res).await.expect("response body");
        self.keep_csrf(&page);
        page
    }

    /// Keeps the CSRF token of a page that has one.
    pub fn keep_csrf(&mut self, page: &Page) {
        if let Some(tok) = page.attr("input[name=csrf_token]", "value") {
            self.csrf = Some(tok);
        }
    }

    /// POSTs a form with the session's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        if self.csrf.is_none() {
            self.get("/").await;
        }
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let tok = self.csrf.clone().unwrap_or_default();
        all.push(("csrf_token", &tok));
        self.post_raw(path, &all).await
    }

    /// POSTs a multipart form of `fields` and one file (with the session's CSRF token) and
    /// follows a redirect; a page that does not redirect is returned as it is.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
    ) -> Page {
        if self.csrf.is_none() {
            self.get(path).await;
        }
        let mut form = reqwest::multipart::Form::new()
            .text("csrf_token", self.csrf.clone().unwrap_or_default());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let (name, mime, bytes) = file;
        let form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(mime)
                .expect("mime type"),
        );
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .multipart(form)
            .send()
            .await
            .expect("POST");
        let page = self.page(res).await;
        match (page.status.is_redirection(), page.location.clone()) {
            (true, Some(next)) => self.get(&next).await,
            _ => page,
        }
    }

    /// POSTs exactly the given fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.page(res).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        self.get("/login").await;
        let res = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        // The session rotates at login: the anonymous CSRF token is dead.
        self.csrf = None;
        res
    }
}
