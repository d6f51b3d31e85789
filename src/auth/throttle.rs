//! Login throttling, kept in PostgreSQL so it holds across server instances.
//! Keyed by the typed account name (whether or not it exists, so the lock reveals nothing)
//! and by client address (an IPv6 client by its /64, which one host usually holds whole).
//!
//! A guess is counted *before* the slow password check, under a per-key advisory lock
//! ([`take_guess`]): concurrent guesses are serialised on the check-and-count, so no more
//! than the allowed number are ever evaluated; a right guess is forgiven afterwards.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::repo;

/// Failures allowed for one account name before it is locked for a while.
pub const ACCOUNT_LIMIT: i32 = 5;
/// Failures allowed from one address (across account names) before it is locked.
pub const ADDRESS_LIMIT: i32 = 30;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

pub fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

pub fn address_key(ip: &str) -> String {
    use std::net::IpAddr;
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Err(_) => format!("ip:{ip}"),
    }
}

/// A guess counted by [`take_guess`]: what each key's last failure was before it, so a
/// right guess can be undone exactly (the 15-minute window keeps decaying).
#[derive(Debug, Default)]
pub struct Counted {
    before: Vec<(String, Option<DateTime<Utc>>)>,
}

/// Counts one guess against every key (account, address) unless one of them is locked,
/// atomically: the keys' advisory locks (taken in a fixed order, so two guesses cannot
/// deadlock) are held to the end of the caller's transaction, which must commit before
/// the password is checked. `Err` holds the end of the lock when the guess is refused.
pub async fn take_guess(
    conn: &mut PgConnection,
    keys: &[(&str, i32)],
) -> Result<Result<Counted, DateTime<Utc>>, sqlx::Error> {
    let mut ordered: Vec<&(&str, i32)> = keys.iter().collect();
    ordered.sort_by_key(|(k, _)| *k);
    for (key, _) in &ordered {
        repo::lock_key(&mut *conn, key).await?;
    }
    let names: Vec<String> = keys.iter().map(|(k, _)| (*k).to_owned()).collect();
    if let Some(until) = repo::locked_until(&mut *conn, &names).await? {
        return Ok(Err(until));
    }
    let mut counted = Counted::default();
    for (key, limit) in keys {
        let last: Option<DateTime<Utc>> = repo::last_failure(&mut *conn, key).await?;
        counted.before.push(((*key).to_owned(), last));
        record_failure(&mut *conn, key, *limit).await?;
    }
    Ok(Ok(counted))
}

/// The counted guess was right: the account starts afresh, and the address gets back the
/// one guess [`take_guess`] counted, with its earlier last-failure time (other failures
/// from it stand and age as before; a row left with none is removed).
pub async fn guess_was_right(
    conn: &mut PgConnection,
    account: &str,
    address: &str,
    address_limit: i32,
    counted: &Counted,
) -> Result<(), sqlx::Error> {
    clear(&mut *conn, account).await?;
    let before = counted
        .before
        .iter()
        .find(|(k, _)| k == address)
        .and_then(|(_, t)| *t);
    repo::give_back_failure(conn, address, address_limit, before).await
}

/// Minutes of lock after `failures` failures with a `limit`: 1, 2, 4, … up to 60.
pub fn lock_minutes(failures: i32, limit: i32) -> Option<i64> {
    if failures < limit {
        return None;
    }
    let exp = (failures - limit).min(6) as u32;
    Some((1i64 << exp).min(60))
}

/// Counts a failed guess on `key`, and locks it once `limit` failures are reached.
pub async fn record_failure(
    conn: &mut PgConnection,
    key: &str,
    limit: i32,
) -> Result<(), sqlx::Error> {
    let failures = repo::count_failure(&mut *conn, key, WINDOW_MINUTES as i32).await?;
    if let Some(minutes) = lock_minutes(failures, limit) {
        repo::lock_for(conn, key, minutes as i32).await?;
    }
    Ok(())
}

pub async fn clear(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    repo::clear_key(conn, key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_grows_and_is_capped() {
        assert_eq!(lock_minutes(4, 5), None);
        assert_eq!(lock_minutes(5, 5), Some(1));
        assert_eq!(lock_minutes(6, 5), Some(2));
        assert_eq!(lock_minutes(8, 5), Some(8));
        assert_eq!(lock_minutes(50, 5), Some(60));
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:ffff:1:2:3")
        );
        assert_eq!(address_key("2001:db8:1:2::9"), "ip:2001:db8:1:2::/64");
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("::ffff:192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(address_key("192.0.2.7"), "ip:192.0.2.7");
    }

    #[test]
    fn keys_ignore_case_and_spaces() {
        assert_eq!(account_key(" Levanger.Admin "), "user:levanger.admin");
    }
}
