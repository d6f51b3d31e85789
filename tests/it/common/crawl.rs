//! A crawler: every link and form a user can reach from the start page, found by parsing
//! the pages (not from a hand-written list), bounded by a number of pages and of
//! instances per page shape. The reliability tests replay what it finds as other users,
//! twice at once, or with hostile values.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use reqwest::StatusCode;
use scraper::{ElementRef, Html, Selector};

use super::{Client, Page};

/// A form as a page offers it, with the values the page filled in.
#[derive(Clone, Debug)]
pub struct Form {
    /// The page it was found on (GET it again for a fresh token and version).
    pub page: String,
    pub action: String,
    pub post: bool,
    pub multipart: bool,
    /// Every named field with its value as the page set it (the CSRF token left out),
    /// including the submit button that sends it.
    pub fields: Vec<(String, String)>,
    /// Names of the fields a person types into (text inputs and text areas).
    pub typed: Vec<String>,
}

impl Form {
    /// Which form this is, whatever page or record it was found on: the shape of its
    /// action and the names of its fields.
    pub fn shape(&self) -> String {
        let mut names: Vec<&str> = self.fields.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        let button: Vec<String> = self
            .fields
            .iter()
            .filter(|(n, _)| n == "action" || n == "do" || n == "intent")
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        format!(
            "{} [{}] {}",
            shape(&self.action),
            names.join(","),
            button.join(",")
        )
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
    }
}

/// What a crawl found.
#[derive(Default, Debug)]
pub struct Site {
    /// Every URL requested, with the status it answered.
    pub pages: Vec<(String, StatusCode)>,
    pub forms: Vec<Form>,
}

/// A URL's shape: the same page for another record is the same shape.
pub fn shape(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let path = path
        .split('/')
        .map(|s| {
            let s = s.trim_end_matches(".pdf");
            if uuid::Uuid::parse_str(s).is_ok()
                || !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
            {
                ":id"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    if href.ends_with(".pdf") {
        format!("{path}.pdf?{}", keys.join("&"))
    } else {
        format!("{path}?{}", keys.join("&"))
    }
}

/// Every UUID in a text (a URL or a form's values).
pub fn uuids(text: &str) -> Vec<uuid::Uuid> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|s| s.len() == 36)
        .filter_map(|s| uuid::Uuid::parse_str(s).ok())
        .collect()
}

/// Paths the crawl never requests: logging out would end the crawl, static files and the
/// public application form are not a user's pages.
fn skipped(path: &str) -> bool {
    path.starts_with("/logout")
        || path.starts_with("/static/")
        || path.starts_with("/soknad/")
        || path.starts_with("/login")
}

/// `href` as a local path, resolved against the page it is on; None when it leaves the
/// site or is skipped.
fn local(href: &str, from: &str) -> Option<String> {
    let href = href.split('#').next().unwrap_or_default().trim();
    let path = if href.is_empty() {
        return None;
    } else if let Some(q) = href.strip_prefix('?') {
        format!("{}?{q}", from.split('?').next().unwrap_or_default())
    } else if href.starts_with('/') && !href.starts_with("//") {
        href.to_owned()
    } else {
        return None;
    };
    (!skipped(&path)).then_some(path)
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// The internal links of a page.
pub fn links(html: &Html, from: &str) -> Vec<String> {
    html.select(&sel("a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|h| local(h, from))
        .collect()
}

/// A submit button: the name and value it sends, and its own action.
type Button = (Option<(String, String)>, Option<String>);

/// The forms of a page, one per submit button that names a value or an action of its
/// own.
pub fn forms(html: &Html, from: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for form in html.select(&sel("form")) {
        let el = form.value();
        let post = el
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post"));
        let multipart = el.attr("enctype").is_some_and(|e| e.contains("multipart"));
        let action = el
            .attr("action")
            .map(str::to_owned)
            .unwrap_or_else(|| from.to_owned());
        let Some(action) = local(&action, from) else {
            continue;
        };
        let (fields, typed) = fields_of(&form);
        let buttons: Vec<Button> = form
            .select(&sel(
                "button:not([type=button]):not([type=reset]), input[type=submit]",
            ))
            .filter(|b| b.value().attr("disabled").is_none())
            .map(|b| {
                let named = b.value().attr("name").map(|n| {
                    (
                        n.to_owned(),
                        b.value().attr("value").unwrap_or("").to_owned(),
                    )
                });
                let formaction = b.value().attr("formaction").and_then(|a| local(a, from));
                (named, formaction)
            })
            .collect();
        let mut variants: Vec<Button> = buttons;
        variants.dedup();
        if variants.is_empty() {
            variants.push((None, None));
        }
        for (named, formaction) in variants {
            let mut fields = fields.clone();
            if let Some(b) = named {
                fields.push(b);
            }
            out.push(Form {
                page: from.to_owned(),
                action: formaction.unwrap_or_else(|| action.clone()),
                post,
                multipart,
                fields,
                typed: typed.clone(),
            });
        }
    }
    out
}

fn fields_of(form: &ElementRef) -> (Vec<(String, String)>, Vec<String>) {
    let mut fields = Vec::new();
    let mut typed = Vec::new();
    for el in form.select(&sel("input[name], select[name], textarea[name]")) {
        let v = el.value();
        let name = v.attr("name").unwrap_or_default().to_owned();
        if name == "csrf_token" || v.attr("disabled").is_some() {
            continue;
        }
        match v.name() {
            "input" => {
                let kind = v.attr("type").unwrap_or("text").to_ascii_lowercase();
                match kind.as_str() {
                    "submit" | "button" | "reset" | "image" | "file" => {}
                    "checkbox" | "radio" => {
                        if v.attr("checked").is_some() {
                            fields.push((name, v.attr("value").unwrap_or("on").to_owned()));
                        }
                    }
                    _ => {
                        if matches!(kind.as_str(), "text" | "search" | "email" | "tel" | "url") {
                            typed.push(name.clone());
                        }
                        fields.push((name, v.attr("value").unwrap_or("").to_owned()));
                    }
                }
            }
            "select" => {
                let options: Vec<ElementRef> = el.select(&sel("option")).collect();
                let value_of = |o: &ElementRef| {
                    o.value()
                        .attr("value")
                        .map(str::to_owned)
                        .unwrap_or_else(|| o.text().collect::<String>().trim().to_owned())
                };
                let chosen: Vec<&ElementRef> = options
                    .iter()
                    .filter(|o| o.value().attr("selected").is_some())
                    .collect();
                if chosen.is_empty() {
                    if let Some(first) = options.first() {
                        fields.push((name, value_of(first)));
                    }
                } else {
                    for o in chosen {
                        fields.push((name.clone(), value_of(o)));
                    }
                }
            }
            _ => {
                typed.push(name.clone());
                fields.push((name, el.text().collect()));
            }
        }
    }
    (fields, typed)
}

/// The query string a GET form sends.
fn get_url(form: &Form) -> String {
    let query = serde_urlencoded::to_string(&form.fields).unwrap_or_default();
    let base = form.action.split('?').next().unwrap_or_default();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// Breadth first from the start page: at most `max_pages` requests and `per_shape` pages
/// (and forms) of each shape.
pub async fn crawl(c: &mut Client, max_pages: usize, per_shape: usize) -> Site {
    let mut site = Site::default();
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
    let mut queued: BTreeSet<String> = BTreeSet::from(["/".to_owned()]);
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut form_shapes: BTreeMap<String, usize> = BTreeMap::new();
    let take = |key: String, map: &mut BTreeMap<String, usize>| {
        let n = map.entry(key).or_default();
        *n += 1;
        *n <= per_shape
    };
    while let Some(url) = queue.pop_front() {
        if site.pages.len() >= max_pages {
            break;
        }
        let page: Page = c.get(&url).await;
        site.pages.push((url.clone(), page.status));
        let is_html = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if page.status != StatusCode::OK || !is_html {
            continue;
        }
        let html = page.html();
        let mut next = links(&html, &url);
        for form in forms(&html, &url) {
            if form.post {
                if take(form.shape(), &mut form_shapes) {
                    site.forms.push(form);
                }
            } else {
                next.push(get_url(&form));
            }
        }
        for href in next {
            if queued.contains(&href) || !take(shape(&href), &mut shapes) {
                continue;
            }
            queued.insert(href.clone());
            queue.push_back(href);
        }
    }
    site
}

impl Client {
    /// Submits a crawled form as it is (with this session's CSRF token), as urlencoded or
    /// multipart like the page would (a multipart form gets an empty file).
    pub async fn submit(&mut self, form: &Form) -> Page {
        let fields: Vec<(String, Vec<u8>)> = form
            .fields
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
            .collect();
        self.submit_bytes(form, &fields).await
    }

    /// Submits `fields` (raw bytes, so values need not be UTF-8) to a form's action.
    pub async fn submit_bytes(&mut self, form: &Form, fields: &[(String, Vec<u8>)]) -> Page {
        if self.csrf.is_none() {
            self.get("/").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let url = format!("{}{}", self.base, form.action);
        let req = if form.multipart {
            let mut mp = reqwest::multipart::Form::new().text("csrf_token", token);
            for (n, v) in fields {
                mp = mp.part(n.clone(), reqwest::multipart::Part::bytes(v.clone()));
            }
            mp = mp.part(
                "file",
                reqwest::multipart::Part::bytes(Vec::new())
                    .file_name("tom.csv")
                    .mime_str("text/csv")
                    .expect("mime"),
            );
            self.http.post(url).multipart(mp)
        } else {
            let mut body = format!("csrf_token={}", encode(token.as_bytes()));
            for (n, v) in fields {
                body.push('&');
                body.push_str(&encode(n.as_bytes()));
                body.push('=');
                body.push_str(&encode(v));
            }
            self.http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
        };
        let res = req.send().await.expect("POST");
        self.page(res).await
    }
}

/// Percent-encodes every byte but the unreserved ones (the bytes need not be UTF-8).
pub fn encode(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Client {
    /// The same form as its page shows it now (fresh token, version and values), or None
    /// when the page no longer offers it.
    pub async fn refetch(&mut self, form: &Form) -> Option<Form> {
        let page = self.get(&form.page).await;
        if page.status != StatusCode::OK {
            return None;
        }
        let shape = form.shape();
        forms(&page.html(), &form.page)
            .into_iter()
            .find(|f| f.action == form.action && f.shape() == shape)
    }

    /// A second handle on this session (the same cookies), for requests at the same time.
    pub fn twin(&self) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            csrf: self.csrf.clone(),
        }
    }
}

/// Rows per table (tenant tables in every municipality and the global tables users
/// change), counted in one statement.
pub async fn row_counts(app: &super::TestApp) -> BTreeMap<String, i64> {
    let tables: Vec<String> = super::catalog::fingerprint_tables(&app.owner).await;
    let sql = tables
        .iter()
        .map(|t| format!("SELECT '{t}'::text, count(*) FROM \"{t}\""))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let all: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM municipalities")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    let mut tx = bosak::db::scoped_tx(&app.owner, &all).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    rows.into_iter().collect()
}

/// Crawls of the demo data per user, made once per test run on a server of their own
/// (the demo data is a copy of one template, so its ids are the same in every test's
/// database): the reliability tests share them instead of crawling the same pages again.
pub async fn demo_site(user: &str) -> std::sync::Arc<Site> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Cells = Mutex<BTreeMap<String, Arc<tokio::sync::OnceCell<Arc<Site>>>>>;
    static SITES: OnceLock<Cells> = OnceLock::new();
    let cell = SITES
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(user.to_owned())
        .or_default()
        .clone();
    cell.get_or_init(|| async {
        let app = super::TestApp::spawn().await;
        crate::reliability::add_users(&app).await;
        let mut c = app.login(user).await;
        Arc::new(crawl(&mut c, DEMO_MAX_PAGES, DEMO_PER_SHAPE).await)
    })
    .await
    .clone()
}

/// Bounds of the shared crawls: pages per user, pages and forms of each shape.
const DEMO_MAX_PAGES: usize = 250;
const DEMO_PER_SHAPE: usize = 2;
