//! Passwords (argon2id), one-time passwords, session and CSRF tokens.
//!
//! argon2 is deliberately slow (tens of milliseconds of CPU): the web console calls it through
//! [`hash_password_off_thread`] and [`verify_password_off_thread`], which run it on tokio's
//! blocking pool so a burst of sign-ins does not stall the async workers serving everyone else,
//! and at most one hash per core at once ([`hashing_permits`]): each hash takes about 19 MiB,
//! so a burst waits its turn instead of taking a gigabyte.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The permits of concurrent argon2 work: one per core the process may use.
pub fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// Hashes on the blocking pool (see the module comment).
pub async fn hash_password_off_thread(password: String) -> String {
    let _permit = hashing_permits()
        .acquire()
        .await
        .expect("the permits are never closed");
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("argon2 does not panic")
}

/// Verifies on the blocking pool. Without a stored hash (an unknown login) the password is
/// checked against a dummy hash, so the answer takes as long as for a real account and never
/// matches.
pub async fn verify_password_off_thread(password: String, hash: Option<String>) -> bool {
    let _permit = hashing_permits()
        .acquire()
        .await
        .expect("the permits are never closed");
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .expect("argon2 does not panic")
}

/// A hash of a random password, made once, with the same parameters as real ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()))
}

/// A password for the first sign-in: 16 characters without look-alikes (about 80 bits).
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A random token for a session cookie or a CSRF field: 256 bits as hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored of a session token: its SHA-256, so a leaked table opens no session.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("mật khẩu đúng");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đúng", &hash));
        assert!(!verify_password("mật khẩu sai", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[tokio::test]
    async fn off_thread_checks_match_and_an_unknown_login_never_does() {
        let hash = hash_password_off_thread("mật khẩu đúng".into()).await;
        assert!(verify_password_off_thread("mật khẩu đúng".into(), Some(hash.clone())).await);
        assert!(!verify_password_off_thread("sai".into(), Some(hash)).await);
        assert!(!verify_password_off_thread(String::new(), None).await);
    }

    /// On a single-threaded runtime, another task keeps running while a password is hashed:
    /// the hash does not hold the async thread.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_async_thread_free() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let turns = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let other = tokio::spawn({
            let (turns, done) = (turns.clone(), done.clone());
            async move {
                while !done.load(Ordering::SeqCst) {
                    turns.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            }
        });
        tokio::task::yield_now().await;
        let before = turns.load(Ordering::SeqCst);
        hash_password_off_thread("mật khẩu".into()).await;
        let during = turns.load(Ordering::SeqCst) - before;
        done.store(true, Ordering::SeqCst);
        other.await.unwrap();
        assert!(
            during > 1,
            "the other task ran {during} times during the hash"
        );
    }

    /// While every permit is taken, a check waits (even one that would fail at once), and
    /// runs as soon as a permit is free.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_check_waits_for_a_hashing_permit() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let all = hashing_permits().acquire_many(cores as u32).await.unwrap();
        let mut check = tokio::spawn(verify_password_off_thread(
            "x".into(),
            Some("not a hash".into()),
        ));
        let waited = tokio::time::timeout(std::time::Duration::from_millis(200), &mut check).await;
        assert!(waited.is_err(), "the check ran without a permit");
        drop(all);
        assert!(!check.await.unwrap());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        assert_eq!(new_token().len(), 64);
        assert_ne!(new_token(), new_token());
        assert_eq!(one_time_password().len(), 16);
        assert_eq!(token_hash("a"), token_hash("a"));
        assert_ne!(token_hash("a"), token_hash("b"));
    }
}
