//! Password hashing (argon2id, OWASP parameters) and the password policy.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

fn argon2() -> Argon2<'static> {
    // OWASP: m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU by design.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Verifies on the blocking pool. Without a stored hash a dummy hash is checked, so an
/// unknown user name takes as long as a wrong password (no enumeration by timing).
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let stored = match &stored {
            Some(s) => s.as_str(),
            None => {
                dummy =
                    DUMMY_HASH.get_or_init(|| hash_blocking("dummy password").unwrap_or_default());
                dummy.as_str()
            }
        };
        let ok = PasswordHash::new(stored)
            .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        Ok(ok)
    })
    .await?
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Norwegian words people use in passwords that the English dictionaries behind zxcvbn
/// do not know; passwords built on them are refused as too easy to guess.
const LOCAL_WORDS: &[&str] = &[
    "passord",
    "hemmelig",
    "sommer",
    "vinter",
    "høst",
    "vår",
    "norge",
    "bosak",
    "kommune",
    "levanger",
    "verdal",
    "stjørdal",
    "trondheim",
    "brann",
    "rosenborg",
    "velkommen",
    "qwerty",
];

/// Checks a new password; returns a Norwegian message explaining what is wrong.
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("Passordet må ha minst {MIN_LEN} tegn."));
    }
    if len > MAX_LEN {
        return Err(format!("Passordet kan ha høyst {MAX_LEN} tegn."));
    }
    let mut inputs: Vec<&str> = LOCAL_WORDS.to_vec();
    inputs.extend_from_slice(user_inputs);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 2 {
        return Err(
            "Passordet er for vanlig eller lett å gjette. Bruk gjerne flere ord satt sammen."
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passwords_are_refused() {
        for p in [
            "passord1",
            "password",
            "12345678",
            "qwertyuiop",
            "Sommer2024",
            "levanger123",
        ] {
            assert!(check_policy(p, &[]).is_err(), "{p} should be refused");
        }
        assert!(check_policy("kort", &[]).is_err());
        assert!(check_policy(&"x".repeat(129), &[]).is_err());
    }

    #[test]
    fn long_passphrases_are_accepted_up_to_the_limit() {
        assert!(check_policy("grønn hest løper over isen", &[]).is_ok());
        let long: String = "tre blå elger på fjellet "
            .repeat(5)
            .chars()
            .take(128)
            .collect();
        assert!(check_policy(&long, &[]).is_ok());
    }

    #[test]
    fn the_user_name_does_not_make_a_password() {
        assert!(check_policy("kari.nordmann", &["kari.nordmann"]).is_err());
    }

    #[test]
    fn hashes_verify() {
        let h = hash_blocking("riktig hest batteri stift").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let ok = PasswordHash::new(&h)
            .map(|p| {
                argon2()
                    .verify_password(b"riktig hest batteri stift", &p)
                    .is_ok()
            })
            .unwrap();
        assert!(ok);
        let bad = PasswordHash::new(&h)
            .map(|p| argon2().verify_password(b"feil", &p).is_ok())
            .unwrap();
        assert!(!bad);
    }
}
