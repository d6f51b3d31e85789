//! Cross-tenant crawl (ARCHITECTURE §8): every URL and form Levanger's users reach in the
//! demo data, found by crawling, requested by users of other municipalities and of
//! another office with their own valid CSRF token: only 403 or 404, and not a row of the
//! database changes. Then ids of Levanger's swapped into other municipalities' own forms
//! and query strings: never an error, never a change of Levanger's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use reqwest::StatusCode;
use uuid::Uuid;

use super::{add_users, INTRUDERS, LEVANGER_USERS};
use crate::common::catalog;
use crate::common::crawl::{self, Form};
use crate::common::TestApp;

fn refused(s: StatusCode) -> bool {
    s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN
}

/// The ids a URL names: in its path and query, but not a list's keyset cursor (`etter`),
/// which is a position to continue from in one's own list, not a record to show.
fn ids_in(url: &str) -> usize {
    let (path, _) = url.split_once('?').unwrap_or((url, ""));
    crawl::uuids(path).len()
        + query_pairs(url)
            .iter()
            .filter(|(k, _)| k != "etter")
            .map(|(_, v)| crawl::uuids(v).len())
            .sum::<usize>()
}

#[tokio::test]
async fn other_tenants_get_403_or_404_on_everything_levangers_users_reach() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    add_users(&app).await;

    // What Levanger's users reach: URLs and forms that name a record (an id).
    let mut urls = BTreeSet::new();
    let mut forms: BTreeMap<String, Form> = BTreeMap::new();
    let mut crawled = 0;
    for user in LEVANGER_USERS {
        let site = crawl::demo_site(user).await;
        crawled += site.pages.len();
        let errors: Vec<_> = site
            .pages
            .iter()
            .filter(|(_, s)| s.is_server_error())
            .collect();
        assert!(errors.is_empty(), "{user}: {errors:?}");
        for (url, status) in &site.pages {
            if *status == StatusCode::OK && ids_in(url) > 0 {
                urls.insert(url.clone());
            }
        }
        for form in site.forms.iter().cloned() {
            let named = ids_in(&form.action) > 0
                || form.fields.iter().any(|(_, v)| !crawl::uuids(v).is_empty());
            if named {
                forms
                    .entry(format!("{} {:?}", form.action, form.fields))
                    .or_insert(form);
            }
        }
    }
    assert!(
        urls.len() >= 40 && forms.len() >= 40,
        "the crawl reached {} URLs and {} forms with ids",
        urls.len(),
        forms.len()
    );

    let mut intruders = Vec::new();
    for user in INTRUDERS {
        intruders.push((*user, app.login(user).await));
    }
    let before = catalog::fingerprint(&app).await;
    let urls: Vec<String> = urls.into_iter().collect();
    let forms: Vec<Form> = forms.into_values().collect();
    let tries = intruders.into_iter().map(|(user, mut c)| {
        let (urls, forms) = (&urls, &forms);
        async move {
            let mut wrong = Vec::new();
            for url in urls {
                let res = c.get(url).await;
                if !refused(res.status) {
                    wrong.push(format!("{user} GET {url}: {}", res.status));
                }
            }
            for form in forms {
                let res = c.submit(form).await;
                // A form of one's own (its address names no record) with another
                // municipality's id in a field is refused like any wrong field: the form
                // again with the message (422), or as stale (409) when it names the
                // municipality the form was for. Nothing changes either way (below).
                let own_form = ids_in(&form.action) == 0
                    && (res.status == StatusCode::UNPROCESSABLE_ENTITY
                        || res.status == StatusCode::CONFLICT);
                if !refused(res.status) && !own_form {
                    wrong.push(format!(
                        "{user} POST {} {:?}: {} {}",
                        form.action,
                        form.fields,
                        res.status,
                        res.text_of(".ds-error-summary, .ds-alert")
                    ));
                }
            }
            wrong
        }
    });
    let wrong: Vec<String> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .flatten()
        .collect();
    let after = catalog::fingerprint(&app).await;
    let requests = INTRUDERS.len() * (urls.len() + forms.len());
    println!(
        "cross-tenant crawl: {crawled} pages crawled as {} Levanger users, {} URLs and {} forms with ids; \
         {requests} intruder requests by {} users ({} GET, {} POST); {:.1} s",
        LEVANGER_USERS.len(),
        urls.len(),
        forms.len(),
        INTRUDERS.len(),
        INTRUDERS.len() * urls.len(),
        INTRUDERS.len() * forms.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        wrong.is_empty(),
        "{} answers were not 403/404:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        catalog::changed(&before, &after),
        Vec::<String>::new(),
        "nothing changed in the database"
    );
}

/// Every UUID-valued field and query parameter of Stjørdal's own forms and pages, with the
/// value swapped for one of Levanger's from the same field or parameter (a unit of
/// Levanger's in an offer form, a person in a household form, a lease in a payment form
/// …): never a server error, never a change of Levanger's data, and never a Levanger
/// record shown.
#[tokio::test]
async fn ids_of_another_municipality_swapped_into_forms_and_queries_are_refused() {
    let started = Instant::now();
    let app = TestApp::spawn().await;
    add_users(&app).await;
    let levanger = app.municipality_id("5037").await;

    // Levanger's values by field and parameter name, and the ids in Levanger's paths by
    // the path's shape.
    let mut theirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut their_paths: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for user in ["levanger.saksbehandler", "levanger.admin"] {
        let site = crawl::demo_site(user).await;
        let paths = site
            .pages
            .iter()
            .map(|(u, _)| u.clone())
            .chain(site.forms.iter().map(|f| f.action.clone()));
        for p in paths {
            let path = p.split('?').next().unwrap_or_default();
            their_paths
                .entry(crawl::shape(path))
                .or_insert_with(|| crawl::uuids(path));
        }
        for form in &site.forms {
            for (n, v) in &form.fields {
                if Uuid::parse_str(v).is_ok() {
                    theirs.entry(n.clone()).or_default().insert(v.clone());
                }
            }
        }
        for (url, _) in &site.pages {
            for (n, v) in query_pairs(url) {
                if Uuid::parse_str(&v).is_ok() {
                    theirs.entry(n).or_default().insert(v);
                }
            }
        }
    }
    // Keys of the ids that are Levanger's (a value may name a global row, like a user).
    let levanger_ids: BTreeSet<String> = {
        let mut tx = bosak::db::scoped_tx(&app.owner, &[levanger]).await.unwrap();
        let mut ids = BTreeSet::new();
        for table in catalog::tenant_tables(&app.owner).await {
            let has_id: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                                 WHERE table_name = $1 AND column_name = 'id' AND data_type = 'uuid')",
            )
            .bind(&table)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            if has_id {
                let rows: Vec<Uuid> = sqlx::query_scalar(&format!("SELECT id FROM \"{table}\""))
                    .fetch_all(&mut *tx)
                    .await
                    .unwrap();
                ids.extend(rows.into_iter().map(|u| u.to_string()));
            }
        }
        tx.rollback().await.unwrap();
        ids
    };

    let mut tried_posts = 0;
    let mut tried_gets = 0;
    let mut mixed = 0;
    let mut wrong = Vec::new();
    for user in ["stjordal.saksbehandler", "stjordal.admin", "stjordal.team"] {
        let mut c = app.login(user).await;
        let site = crawl::demo_site(user).await;
        let before = catalog::tenant_fingerprint(&app, levanger).await;
        // A path with an id of ours and one of Levanger's (our case, their person): 403
        // or 404.
        let paths = site
            .pages
            .iter()
            .map(|(u, _)| (u.clone(), None))
            .chain(site.forms.iter().map(|f| (f.action.clone(), Some(f))));
        for (p, form) in paths {
            let path = p.split('?').next().unwrap_or_default().to_owned();
            let ours = crawl::uuids(&path);
            let Some(their) = their_paths.get(&crawl::shape(&path)) else {
                continue;
            };
            if ours.len() < 2 || their.len() != ours.len() {
                continue;
            }
            for i in 0..ours.len() {
                let swapped = p.replacen(&ours[i].to_string(), &their[i].to_string(), 1);
                let res = match form {
                    None => c.get(&swapped).await,
                    Some(f) => {
                        let mut f = f.clone();
                        f.action = swapped.clone();
                        c.submit(&f).await
                    }
                };
                mixed += 1;
                if !refused(res.status) {
                    wrong.push(format!(
                        "{user} {swapped} (one id of Levanger's): {}",
                        res.status
                    ));
                }
            }
        }
        for (url, _) in &site.pages {
            for (n, v) in query_pairs(url) {
                let Some(other) = swap(&theirs, &levanger_ids, &n, &v) else {
                    continue;
                };
                let swapped = url.replace(&v, &other);
                let res = c.get(&swapped).await;
                tried_gets += 1;
                if res.status.is_server_error()
                    || res.status == StatusCode::OK && shows(&res.text, &other)
                {
                    wrong.push(format!("{user} GET {swapped}: {}", res.status));
                }
            }
        }
        for form in &site.forms {
            for (n, v) in &form.fields {
                let Some(other) = swap(&theirs, &levanger_ids, n, v) else {
                    continue;
                };
                let mut swapped = form.clone();
                swapped.set(n, &other);
                // A fresh token and version: the form as the page has it now.
                c.get(&form.page).await;
                let res = c.submit(&swapped).await;
                tried_posts += 1;
                if res.status.is_server_error()
                    || res.status.is_success() && shows(&res.text, &other)
                {
                    wrong.push(format!(
                        "{user} POST {} with {n}={other}: {}",
                        form.action, res.status
                    ));
                }
            }
        }
        let after = catalog::tenant_fingerprint(&app, levanger).await;
        if before != after {
            wrong.push(format!(
                "{user}: Levanger's data changed: {:?}",
                catalog::changed(&before, &after)
            ));
        }
    }
    println!(
        "swapped ids: {tried_gets} GET and {tried_posts} POST requests with a Levanger id in a Stjørdal user's own query or form, \
         {mixed} with one of the ids in the path Levanger's; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        tried_posts >= 10,
        "the swap reached {tried_posts} form fields"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    url.split_once('?')
        .map(|(_, q)| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A Levanger id for field `name` in place of our `value` (None when the value is not an
/// id or Levanger has no such value).
fn swap(
    theirs: &BTreeMap<String, BTreeSet<String>>,
    levanger_ids: &BTreeSet<String>,
    name: &str,
    value: &str,
) -> Option<String> {
    Uuid::parse_str(value).ok()?;
    theirs
        .get(name)?
        .iter()
        .find(|v| levanger_ids.contains(*v) && *v != value)
        .cloned()
}

/// Whether a page shows a record by its id other than in a form field echoing the input
/// (a link or a data attribute to it).
fn shows(html: &str, id: &str) -> bool {
    html.contains(&format!("/{id}"))
}
