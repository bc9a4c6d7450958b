//! Accounts, sessions, API tokens and login throttling.
//!
//! - Passwords: argon2id (the `argon2` crate's defaults: m=19 MiB, t=2, p=1, OWASP's
//!   recommended minimum), PHC strings in the store.
//! - Session and API tokens: 256 random bits from the OS generator, hex in the cookie
//!   or header; only their SHA-256 is stored, so a stolen DB does not yield sessions.
//! - Timeouts: [`IDLE_TIMEOUT_SECS`] since the last request and
//!   [`ABSOLUTE_TIMEOUT_SECS`] since login, checked on every request.
//! - Throttling: [`MAX_FAILURES`] failed logins within [`FAILURE_WINDOW_SECS`] lock the
//!   user name, and separately the client address, for [`LOCKOUT_SECS`].

use crate::Result;
use crate::data::{ConsoleData, Role, SessionRecord, UserRecord};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Idle timeout: a session unused this long is ended.
pub const IDLE_TIMEOUT_SECS: f64 = 30.0 * 60.0;
/// Absolute timeout: a session is ended this long after login, used or not.
pub const ABSOLUTE_TIMEOUT_SECS: f64 = 12.0 * 3600.0;
/// Failed logins that trigger a lockout.
pub const MAX_FAILURES: u32 = 5;
/// Window in which failures are counted.
pub const FAILURE_WINDOW_SECS: f64 = 15.0 * 60.0;
/// Lockout duration.
pub const LOCKOUT_SECS: f64 = 15.0 * 60.0;
/// Throttle entries kept in memory (user names plus addresses); beyond this the
/// oldest are dropped, so a flood of random names cannot grow memory without bound.
pub const MAX_THROTTLE_ENTRIES: usize = 10_000;
/// Minimum password length (NIST SP 800-63B, 5.1.1.2: at least 8; we ask 10).
pub const MIN_PASSWORD_LEN: usize = 10;
/// Maximum password length accepted (argon2 handles any length; this bounds work).
pub const MAX_PASSWORD_LEN: usize = 256;
/// Maximum user-name length.
pub const MAX_USERNAME_LEN: usize = 64;

/// Hex of `n` random bytes from the OS generator.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new random 256-bit token.
pub fn new_token() -> String {
    random_hex(32)
}

/// A random one-time password (20 characters from an unambiguous alphabet, ~100 bits).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 20];
    rand::rng().fill_bytes(&mut b);
    b.iter()
        .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
        .collect()
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| crate::Error::Crypto(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| crate::Error::Crypto(e.to_string()))
}

/// Checks a password against a PHC string; false on mismatch or a malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash verified when the user does not exist, so timing does not reveal
/// which names exist.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("otwatch-dummy-password").unwrap_or_default())
}

/// Password policy; returns the problem in plain words.
pub fn check_password_policy(password: &str, user: &str) -> std::result::Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(format!(
            "the password must have at most {MAX_PASSWORD_LEN} characters"
        ));
    }
    if password.eq_ignore_ascii_case(user) {
        return Err("the password must differ from the user name".into());
    }
    Ok(())
}

/// User-name policy: 1–64 characters of `[A-Za-z0-9._-]`.
pub fn check_username(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > MAX_USERNAME_LEN {
        return Err(format!(
            "a user name has 1 to {MAX_USERNAME_LEN} characters"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err("a user name uses only letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
struct Throttle {
    failures: u32,
    first_failure: f64,
    locked_until: f64,
}

/// In-memory failure counters per user name and per client address.
#[derive(Default)]
pub struct LoginThrottle {
    map: Mutex<HashMap<String, Throttle>>,
}

/// Why a login was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong name or password.
    BadCredentials,
    /// Too many failures: locked for this many more seconds.
    Locked(u64),
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Throttle>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Seconds left on a lock of `key`, if locked at `now`.
    fn locked(&self, key: &str, now: f64) -> Option<u64> {
        let g = self.lock();
        g.get(key)
            .filter(|t| t.locked_until > now)
            .map(|t| (t.locked_until - now).ceil() as u64)
    }
    fn fail(&self, key: &str, now: f64) {
        let mut g = self.lock();
        if g.len() >= MAX_THROTTLE_ENTRIES && !g.contains_key(key) {
            g.retain(|_, t| t.locked_until > now || now - t.first_failure < FAILURE_WINDOW_SECS);
            if g.len() >= MAX_THROTTLE_ENTRIES {
                // Still full of live entries: drop the oldest.
                if let Some(oldest) = g
                    .iter()
                    .min_by(|a, b| a.1.first_failure.total_cmp(&b.1.first_failure))
                    .map(|(k, _)| k.clone())
                {
                    g.remove(&oldest);
                }
            }
        }
        let t = g.entry(key.to_owned()).or_insert(Throttle {
            failures: 0,
            first_failure: now,
            locked_until: 0.0,
        });
        if now - t.first_failure > FAILURE_WINDOW_SECS {
            t.failures = 0;
            t.first_failure = now;
        }
        t.failures += 1;
        if t.failures >= MAX_FAILURES {
            t.locked_until = now + LOCKOUT_SECS;
            t.failures = 0;
            t.first_failure = now;
        }
    }
    fn clear(&self, key: &str) {
        self.lock().remove(key);
    }
}

/// Checks a login: throttling first, then the password. On success the user's
/// failure counter is cleared (the address's is kept, so one good account does not
/// unlock guessing at others).
pub fn check_login(
    data: &dyn ConsoleData,
    throttle: &LoginThrottle,
    name: &str,
    password: &str,
    ip: &str,
    now: f64,
) -> Result<std::result::Result<UserRecord, LoginError>> {
    let ukey = format!("user:{name}");
    let ikey = format!("ip:{ip}");
    if let Some(s) = throttle.locked(&ukey, now).or(throttle.locked(&ikey, now)) {
        return Ok(Err(LoginError::Locked(s)));
    }
    let user = if name.len() <= MAX_USERNAME_LEN && password.len() <= MAX_PASSWORD_LEN {
        data.user_get(name)?
    } else {
        None
    };
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            let _ = verify_password(password, dummy_hash());
            false
        }
    };
    match (ok, user) {
        (true, Some(u)) => {
            throttle.clear(&ukey);
            Ok(Ok(u))
        }
        _ => {
            throttle.fail(&ukey, now);
            throttle.fail(&ikey, now);
            Ok(Err(LoginError::BadCredentials))
        }
    }
}

/// Creates and stores a session; returns (cookie token, record).
pub fn create_session(
    data: &dyn ConsoleData,
    user: &str,
    ip: &str,
    now: f64,
) -> Result<(String, SessionRecord)> {
    let token = new_token();
    let rec = SessionRecord {
        token_hash: token_hash(&token),
        user: user.to_owned(),
        csrf: new_token(),
        created: now,
        last_seen: now,
        ip: ip.to_owned(),
    };
    data.session_put(&rec)?;
    Ok((token, rec))
}

/// Looks a session up by its cookie token, enforcing both timeouts (an expired
/// session is deleted) and refreshing `last_seen`.
pub fn resolve_session(
    data: &dyn ConsoleData,
    token: &str,
    now: f64,
) -> Result<Option<SessionRecord>> {
    let h = token_hash(token);
    let Some(mut s) = data.session_get(&h)? else {
        return Ok(None);
    };
    if now - s.last_seen > IDLE_TIMEOUT_SECS || now - s.created > ABSOLUTE_TIMEOUT_SECS {
        data.session_delete(&h)?;
        return Ok(None);
    }
    // Write back at most once a minute: keeps reads cheap under htmx polling.
    if now - s.last_seen > 60.0 {
        s.last_seen = now;
        data.session_put(&s)?;
    }
    Ok(Some(s))
}

/// Creates the first admin when the store has no user at all. Returns the one-time
/// password to print, or `None` when users already exist.
pub fn bootstrap_admin(data: &dyn ConsoleData, now: f64) -> Result<Option<String>> {
    if !data.user_list()?.is_empty() {
        return Ok(None);
    }
    let pw = random_password();
    data.user_put(&UserRecord {
        name: "admin".into(),
        role: Role::Admin,
        password_hash: hash_password(&pw)?,
        must_change_password: true,
        created: now,
        last_login: None,
    })?;
    Ok(Some(pw))
}

/// Constant-time comparison of two strings (CSRF tokens).
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryData;

    #[test]
    fn hash_roundtrip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn lockout_after_five_failures() {
        let d = MemoryData::new();
        d.user_put(&UserRecord {
            name: "bob".into(),
            role: Role::Viewer,
            password_hash: hash_password("bob-password-1").unwrap(),
            must_change_password: false,
            created: 0.0,
            last_login: None,
        })
        .unwrap();
        let t = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            let r = check_login(&d, &t, "bob", "nope", "10.0.0.1", 100.0).unwrap();
            assert_eq!(r.unwrap_err(), LoginError::BadCredentials);
        }
        // Right password, but locked (from a different address too: per-user lock).
        let r = check_login(&d, &t, "bob", "bob-password-1", "10.0.0.2", 101.0).unwrap();
        assert!(matches!(r, Err(LoginError::Locked(_))));
        // After the lock expires, it works.
        let r = check_login(
            &d,
            &t,
            "bob",
            "bob-password-1",
            "10.0.0.2",
            101.0 + LOCKOUT_SECS,
        );
        assert!(r.unwrap().is_ok());
    }

    #[test]
    fn throttle_is_bounded() {
        let t = LoginThrottle::default();
        for i in 0..(MAX_THROTTLE_ENTRIES + 50) {
            t.fail(&format!("user:{i}"), 1.0);
        }
        assert!(t.lock().len() <= MAX_THROTTLE_ENTRIES);
    }

    #[test]
    fn session_timeouts() {
        let d = MemoryData::new();
        let (tok, _) = create_session(&d, "a", "ip", 1000.0).unwrap();
        assert!(resolve_session(&d, &tok, 1000.0 + 60.0).unwrap().is_some());
        // Idle past 30 minutes since the last refresh (at 1060 it was not rewritten:
        // refresh happens only after 60 s, so last_seen is still 1000).
        assert!(
            resolve_session(&d, &tok, 1000.0 + IDLE_TIMEOUT_SECS + 1.0)
                .unwrap()
                .is_none()
        );
        // Absolute timeout even when active.
        let (tok, _) = create_session(&d, "a", "ip", 0.0).unwrap();
        let mut now = 0.0;
        while now < ABSOLUTE_TIMEOUT_SECS - 600.0 {
            now += 600.0;
            assert!(resolve_session(&d, &tok, now).unwrap().is_some());
        }
        assert!(
            resolve_session(&d, &tok, ABSOLUTE_TIMEOUT_SECS + 1.0)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn policies() {
        assert!(check_password_policy("short", "u").is_err());
        assert!(check_password_policy("long-enough-pw", "u").is_ok());
        assert!(check_username("al ice").is_err());
        assert!(check_username("alice.b-1").is_ok());
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("a", "ab"));
        assert_eq!(random_password().len(), 20);
        assert_eq!(new_token().len(), 64);
    }
}
