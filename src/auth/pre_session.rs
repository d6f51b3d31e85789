//! CSRF tokens for forms shown before anyone has a session: the login page and the public
//! application form. A cookieless GET must not create a session row (anyone could fill the
//! table), so the token is stateless: the browser gets a random nonce in a cookie of its
//! own, and the form carries HMAC(key, nonce), masked per response like session tokens.
//! A cross-site page can neither read the cookie nor compute the HMAC; the key lives in
//! the database (`app_secrets`), so every instance and every restart accepts the token.
//! The session itself is created only when the login succeeds.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

use super::session::{random_token, read_cookie};
use crate::AppState;

type HmacSha256 = Hmac<Sha256>;

/// What the token signs besides the nonce, so the key signs nothing else by accident.
const PURPOSE: &[u8] = b"bosak pre-session csrf v1\0";

/// The key, read once at start-up by the owning role.
pub async fn load_key(owner: &PgPool) -> anyhow::Result<Vec<u8>> {
    let key = super::repo::app_secret(owner, "pre_session_csrf").await?;
    key.ok_or_else(|| {
        anyhow::anyhow!("app_secrets has no pre_session_csrf key: run `bosak migrate`")
    })
}

fn cookie_name(state: &AppState) -> String {
    format!("{}_pre", state.config.session_cookie_name())
}

/// A nonce as we issue them: 43 URL-safe base64 characters (256 bits).
fn well_formed(nonce: &str) -> bool {
    nonce.len() == 43
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn token(key: &[u8], nonce: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(PURPOSE);
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token a form posted by this browser must carry, when it has our nonce cookie.
pub fn expected(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let nonce = read_cookie(headers, &cookie_name(state)).filter(|n| well_formed(n))?;
    Some(token(&state.pre_session_key, nonce))
}

/// The masked token for a form on this response, and the cookie to set when the browser
/// has none yet (it then keeps the same nonce for every anonymous form).
pub fn for_form(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let existing = read_cookie(headers, &cookie_name(state)).filter(|n| well_formed(n));
    let (nonce, cookie) = match existing {
        Some(n) => (n.to_owned(), None),
        None => {
            let n = random_token();
            let secure = if state.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            // Strict: the cookie never rides along on a request another site starts.
            let value = format!(
                "{}={n}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}",
                cookie_name(state)
            );
            (n, HeaderValue::from_str(&value).ok())
        }
    };
    let masked = crate::web::csrf::mask(&token(&state.pre_session_key, &nonce));
    (masked, cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_its_nonce_and_its_key() {
        let nonce = random_token();
        assert!(well_formed(&nonce));
        let a = token(b"key one, thirty-two bytes long..", &nonce);
        assert_eq!(a, token(b"key one, thirty-two bytes long..", &nonce));
        assert_ne!(a, token(b"key two, thirty-two bytes long..", &nonce));
        assert_ne!(
            a,
            token(b"key one, thirty-two bytes long..", &random_token())
        );
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}=", &nonce[..42])));
    }
}
