//! Zalo's tokens at rest: sealed with ChaCha20-Poly1305 under the key of `SIPAS_SECRET_KEY`
//! (32 bytes, given as 64 hexadecimal characters: `openssl rand -hex 32`) before they reach the
//! database, and opened when read. A sealed value is `v1:` and the hex of a random 12-byte nonce
//! followed by the ciphertext; the OA's id and the column are bound in as associated data, so a
//! value copied to another row or column does not open. A value without the prefix is a token
//! stored before sealing existed: it is used as it is and sealed at the next refresh.

use super::errors::ZaloError;
use crate::settings::config::Secret;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const PREFIX: &str = "v1:";
const NONCE_BYTES: usize = 12;

/// The key, kept out of every `Debug` output.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// 64 hexadecimal characters; `None` for anything else.
    pub fn parse(text: &str) -> Option<SecretKey> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(SecretKey(bytes.try_into().ok()?))
    }
}

/// Seals and opens the tokens of one OA.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    oa_id: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("oa_id", &self.oa_id)
            .finish()
    }
}

impl Sealer {
    pub fn new(key: &SecretKey, oa_id: &str) -> Sealer {
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key.0)),
            oa_id: oa_id.to_string(),
        }
    }

    /// `token` sealed for `column` (`access_token`, `refresh_token`).
    pub fn seal(&self, column: &str, token: &Secret) -> Secret {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(column);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.expose().as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 seals any length we store");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Secret::new(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// A stored value of `column` opened. An error when it was sealed under another key (or
    /// altered): the key changed, and the OA must be authorized again.
    pub fn open(&self, column: &str, stored: &Secret) -> Result<Secret, ZaloError> {
        let Some(body) = stored.expose().strip_prefix(PREFIX) else {
            return Ok(stored.clone());
        };
        let fail = || {
            ZaloError::Storage(format!(
                "the stored Zalo {column} does not open with SIPAS_SECRET_KEY"
            ))
        };
        let bytes = hex::decode(body).map_err(|_| fail())?;
        if bytes.len() <= NONCE_BYTES {
            return Err(fail());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let aad = self.aad(column);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| fail())
    }

    fn aad(&self, column: &str) -> String {
        format!("sipas-bot/zalo/{}/{column}", self.oa_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_their_key_row_and_column() {
        let key = SecretKey::parse(&"ab".repeat(32)).unwrap();
        let sealer = Sealer::new(&key, "42");
        let token = Secret::new("rt-secret-value");
        let sealed = sealer.seal("refresh_token", &token);
        assert!(sealed.expose().starts_with("v1:"));
        assert!(!sealed.expose().contains("rt-secret-value"));
        assert_ne!(
            sealed,
            sealer.seal("refresh_token", &token),
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open("refresh_token", &sealed).unwrap(), token);
        assert!(sealer.open("access_token", &sealed).is_err());
        assert!(
            Sealer::new(&key, "43")
                .open("refresh_token", &sealed)
                .is_err()
        );
        let other = SecretKey::parse(&"cd".repeat(32)).unwrap();
        assert!(
            Sealer::new(&other, "42")
                .open("refresh_token", &sealed)
                .is_err()
        );
        // A token stored in clear before sealing is read as it is.
        assert_eq!(sealer.open("refresh_token", &token).unwrap(), token);
        assert!(SecretKey::parse("abc").is_none());
        assert!(!format!("{key:?} {sealer:?}").contains("abab"));
    }
}
