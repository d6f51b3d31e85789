//! Login, logout and changing one's own password.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{password, pre_session, repo, session, throttle};
use crate::audit::{self, Event};
use crate::auth::session::MaybeSession;
use crate::web::ctx::{Ctx, RequestMeta};
use crate::web::error::AppResult;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::{render, render_status};
use crate::AppState;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    pub neste: String,
    #[serde(default)]
    pub melding: String,
}

/// Only local paths are followed after login (no open redirect): a single leading `/`
/// (so no scheme and not `//`), no backslash (browsers read `/\` as `//`), and no control
/// characters or whitespace anywhere: browsers strip tabs and newlines, so `/\t/evil.example`
/// would become `//evil.example`, and a control character cannot go in a Location header.
/// Anything else falls back to the start page.
fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() < 500
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    MaybeSession(existing): MaybeSession,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if existing.as_ref().is_some_and(|s| s.user.is_some()) {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = match q.melding.as_str() {
        "utlogget" => Some("logged_out"),
        "passord" => Some("password_changed"),
        _ => None,
    };
    // No session row for a visitor: the form's token is stateless until the login succeeds.
    let (csrf, cookie) = match existing {
        Some(s) => (crate::web::csrf::mask(&s.csrf_token), None),
        None => pre_session::for_form(&state, &headers),
    };
    let page = LoginPage {
        csrf,
        username: String::new(),
        next: safe_next(&q.neste),
        error: None,
        notice,
    };
    let mut res = render(&page)?;
    if let Some(c) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
}

pub async fn login(
    State(state): State<AppState>,
    MaybeSession(existing): MaybeSession,
    headers: HeaderMap,
    meta: RequestMeta,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    // The CSRF layer has checked the session's token, or the pre-session one.
    let username = form.username.trim().to_lowercase();
    let next = safe_next(&form.next);
    let fail_page = |status: StatusCode, error: String| -> AppResult<Response> {
        let csrf = match &existing {
            Some(s) => crate::web::csrf::mask(&s.csrf_token),
            None => pre_session::for_form(&state, &headers).0,
        };
        render_status(
            status,
            &LoginPage {
                csrf,
                username: form.username.chars().take(100).collect(),
                next: next.clone(),
                error: Some(error),
                notice: None,
            },
        )
    };
    if username.is_empty()
        || form.password.is_empty()
        || username.len() > 100
        || form.password.len() > 1024
    {
        return fail_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Skriv inn brukernavn og passord.".into(),
        );
    }
    let account = throttle::account_key(&username);
    let address = throttle::address_key(meta.ip.as_deref().unwrap_or("unknown"));
    let mut tx = crate::db::scoped_tx(&state.pool, &[]).await?;
    let counted = match throttle::take_guess(
        &mut tx,
        &[
            (&account, throttle::ACCOUNT_LIMIT),
            (&address, throttle::ADDRESS_LIMIT),
        ],
    )
    .await?
    {
        Ok(counted) => counted,
        Err(until) => {
            audit::record_as(
                &mut tx,
                None,
                &meta,
                Event::new("login.locked").details(serde_json::json!({ "username": username })),
            )
            .await?;
            tx.commit().await?;
            let local = until
                .with_timezone(&chrono_tz::Europe::Oslo)
                .format("%H.%M");
            return fail_page(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "For mange mislykkede innloggingsforsøk. Av sikkerhetshensyn er innlogging sperret til kl. {local}. Prøv igjen da, eller kontakt administrator."
                ),
            );
        }
    };
    let user = repo::login_user(&mut tx, &username).await?;
    // Finish the short transaction (the guess is counted) before the deliberately slow
    // hash check.
    tx.commit().await?;
    let ok = password::verify(
        form.password.clone(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let mut tx = crate::db::scoped_tx(&state.pool, &[]).await?;
    match user {
        Some(u) if ok && u.active => {
            throttle::guess_was_right(
                &mut tx,
                &account,
                &address,
                throttle::ADDRESS_LIMIT,
                &counted,
            )
            .await?;
            audit::record_as(
                &mut tx,
                Some((u.id, &u.username)),
                &meta,
                Event::new("login"),
            )
            .await?;
            tx.commit().await?;
            // Rotate: a session the browser had (and its CSRF token) ends here.
            if let Some(existing) = &existing {
                session::delete(&state.pool, &existing.id_hash).await?;
            }
            let (token, _) =
                session::create(&state.pool, &state, Some((u.id, u.session_epoch))).await?;
            let target = if u.must_change_password {
                "/passord".to_owned()
            } else {
                next
            };
            let mut res = Redirect::to(&target).into_response();
            res.headers_mut()
                .insert(header::SET_COOKIE, session::session_cookie(&state, &token));
            Ok(res)
        }
        _ => {
            audit::record_as(
                &mut tx,
                None,
                &meta,
                Event::new("login.failed").details(serde_json::json!({ "username": username })),
            )
            .await?;
            tx.commit().await?;
            fail_page(
                StatusCode::UNAUTHORIZED,
                "Feil brukernavn eller passord.".into(),
            )
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    MaybeSession(existing): MaybeSession,
    meta: RequestMeta,
) -> AppResult<Response> {
    if let Some(s) = existing {
        if let Some(user) = &s.user {
            let mut tx = crate::db::scoped_tx(&state.pool, &[]).await?;
            audit::record_as(
                &mut tx,
                Some((user.id, &user.username)),
                &meta,
                Event::new("logout"),
            )
            .await?;
            tx.commit().await?;
        }
        session::delete(&state.pool, &s.id_hash).await?;
    }
    let mut res = Redirect::to("/login?melding=utlogget").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub forced: bool,
    pub errors: FormErrors,
}

pub async fn password_page(ctx: Ctx) -> AppResult<Response> {
    render(&PasswordPage {
        forced: ctx.user.must_change_password,
        layout: Layout::new(&ctx, "passord"),
        errors: FormErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub repeat: String,
}

pub async fn change_password(ctx: Ctx, Form(form): Form<PasswordForm>) -> AppResult<Response> {
    let mut errors = FormErrors::new();
    // Guessing the current password here is throttled like guessing it at login, on the
    // same keys, so a stolen session cannot be used to find the password.
    let account = throttle::account_key(&ctx.user.username);
    let address = throttle::address_key(ctx.meta.ip.as_deref().unwrap_or("unknown"));
    let mut tx = ctx.global_tx().await?;
    let locked = throttle::take_guess(
        &mut tx,
        &[
            (&account, throttle::ACCOUNT_LIMIT),
            (&address, throttle::ADDRESS_LIMIT),
        ],
    )
    .await?;
    if let Err(until) = locked {
        audit::record(
            &mut tx,
            &ctx,
            Event::new("user.password_change_locked").entity("user", ctx.user.id),
        )
        .await?;
        tx.commit().await?;
        let local = until
            .with_timezone(&chrono_tz::Europe::Oslo)
            .format("%H.%M");
        errors.add(
            "current",
            format!(
                "For mange forsøk med feil passord. Av sikkerhetshensyn er passordbytte og innlogging sperret til kl. {local}. Prøv igjen da, eller kontakt administrator."
            ),
        );
        return render_status(
            StatusCode::TOO_MANY_REQUESTS,
            &PasswordPage {
                forced: ctx.user.must_change_password,
                layout: Layout::new(&ctx, "passord"),
                errors,
            },
        );
    }
    let stored = repo::password_hash(&mut tx, ctx.user.id).await?;
    // Finish the short transaction before the deliberately slow hash check.
    tx.commit().await?;
    let current_ok =
        form.current.len() <= 1024 && password::verify(form.current.clone(), Some(stored)).await?;
    let mut tx = ctx.global_tx().await?;
    if current_ok {
        if let Ok(counted) = &locked {
            throttle::guess_was_right(
                &mut tx,
                &account,
                &address,
                throttle::ADDRESS_LIMIT,
                counted,
            )
            .await?;
        }
    } else {
        audit::record(
            &mut tx,
            &ctx,
            Event::new("user.password_change_failed").entity("user", ctx.user.id),
        )
        .await?;
        errors.add("current", "Nåværende passord er feil.");
    }
    tx.commit().await?;
    if let Err(msg) = password::check_policy(
        &form.new_password,
        &[&ctx.user.username, &ctx.user.display_name],
    ) {
        errors.add("new_password", msg);
    } else if form.new_password == form.current {
        errors.add(
            "new_password",
            "Det nye passordet må være forskjellig fra det gamle.",
        );
    }
    if form.repeat != form.new_password {
        errors.add("repeat", "Passordene er ikke like.");
    }
    if !errors.is_empty() {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                forced: ctx.user.must_change_password,
                layout: Layout::new(&ctx, "passord"),
                errors,
            },
        );
    }
    let hash = password::hash(form.new_password).await?;
    let mut tx = ctx.global_tx().await?;
    let epoch = repo::set_own_password(&mut tx, ctx.user.id, &hash).await?;
    repo::delete_sessions_of(&mut tx, ctx.user.id).await?;
    audit::record(
        &mut tx,
        &ctx,
        Event::new("user.password_changed").entity("user", ctx.user.id),
    )
    .await?;
    tx.commit().await?;
    // Every other session of the user has ended; this browser continues in a fresh one.
    let (token, _) =
        session::create(&ctx.state.pool, &ctx.state, Some((ctx.user.id, epoch))).await?;
    let mut res = Redirect::to("/?melding=passord").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::session_cookie(&ctx.state, &token),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_plain_local_paths_are_followed() {
        for ok in [
            "/",
            "/revisjonslogg",
            "/soknader?side=2&q=%C3%B8",
            "/boliger/ø",
        ] {
            assert_eq!(safe_next(ok), ok);
        }
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{0}",
            "/\u{1}x",
            "/\u{7f}",
            "/\u{2028}",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(600))), "/");
    }
}
