//! Account numbers at rest: AES-256-GCM with a random nonce per value, plus a keyed
//! blind index (HMAC-SHA-256) so equal accounts can be found without decrypting.
//!
//! Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag). The version prefix leaves room
//! for key rotation. The associated data binds a ciphertext to its purpose, so a value
//! cannot be moved to another column and still decrypt.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const ACCOUNT_CONTEXT: &[u8] = b"tahsil.account-number.v1";
const WEBHOOK_SECRET_CONTEXT: &[u8] = b"tahsil.webhook-secret.v1";
const MANDATE_PROPOSAL_CONTEXT: &[u8] = b"tahsil.mandate-proposal.v1";
const PREFIX: &str = "v1:";

/// Encrypts and decrypts account numbers. `Debug` never shows key material.
#[derive(Clone)]
pub struct AccountCipher {
    aead: Aes256Gcm,
    index_key: [u8; 32],
    /// For tokens the web derives from a value (the sign-in form's CSRF token from its
    /// pre-session id): its own key, so it never equals a blind index.
    token_key: [u8; 32],
}

impl std::fmt::Debug for AccountCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountCipher(***)")
    }
}

impl AccountCipher {
    pub fn from_key(key: &[u8; 32]) -> AccountCipher {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key size");
        mac.update(b"tahsil.blind-index.v1");
        let index_key: [u8; 32] = mac.finalize().into_bytes().into();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key size");
        mac.update(b"tahsil.derived-token.v1");
        let token_key: [u8; 32] = mac.finalize().into_bytes().into();
        AccountCipher {
            aead: Aes256Gcm::new(key.into()),
            index_key,
            token_key,
        }
    }

    /// Parses the configured key: base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> anyhow::Result<AccountCipher> {
        let bytes = BASE64
            .decode(text.trim())
            .context("the encryption key is not valid base64")?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "the encryption key must be 32 bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), found {} bytes",
                bytes.len()
            )
        })?;
        Ok(AccountCipher::from_key(&key))
    }

    /// Reads the key file, or creates it (owner-only permissions) with a fresh random key.
    /// Used by the embedded default so a newcomer never has to think about keys.
    pub fn from_key_file(path: &Path) -> anyhow::Result<AccountCipher> {
        if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the key file {}", path.display()))?;
            return AccountCipher::from_base64(&text)
                .with_context(|| format!("the key file {} is damaged", path.display()));
        }
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let text = BASE64.encode(key);
        write_private_file(path, text.as_bytes())
            .with_context(|| format!("cannot create the key file {}", path.display()))?;
        Ok(AccountCipher::from_key(&key))
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        self.seal(plaintext, ACCOUNT_CONTEXT)
    }

    pub fn decrypt(&self, stored: &str) -> anyhow::Result<String> {
        self.open(stored, ACCOUNT_CONTEXT)
    }

    /// A webhook endpoint's signing secret, encrypted for its own purpose (it cannot be
    /// moved into an account column and decrypt there, nor the reverse).
    pub fn encrypt_webhook_secret(&self, secret: &str) -> String {
        self.seal(secret, WEBHOOK_SECRET_CONTEXT)
    }

    pub fn decrypt_webhook_secret(&self, stored: &str) -> anyhow::Result<String> {
        self.open(stored, WEBHOOK_SECRET_CONTEXT)
    }

    /// A mandate proposal ("check the account": the account, the reference the mandate will
    /// get) sealed for the signing form's hidden field: the browser carries it without
    /// reading the digits, and any change to it fails to open.
    pub fn seal_mandate_proposal(&self, proposal: &str) -> String {
        self.seal(proposal, MANDATE_PROPOSAL_CONTEXT)
    }

    pub fn open_mandate_proposal(&self, sealed: &str) -> anyhow::Result<String> {
        self.open(sealed, MANDATE_PROPOSAL_CONTEXT)
    }

    fn seal(&self, plaintext: &str, aad: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(12 + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", BASE64.encode(out))
    }

    fn open(&self, stored: &str, aad: &[u8]) -> anyhow::Result<String> {
        let Some(body) = stored.strip_prefix(PREFIX) else {
            bail!("encrypted value has an unknown format version");
        };
        let bytes = BASE64
            .decode(body)
            .context("encrypted value is not base64")?;
        if bytes.len() < 12 + 16 {
            bail!("encrypted value is truncated");
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plaintext = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot decrypt a stored secret value: wrong encryption key, or the value was altered"
                )
            })?;
        String::from_utf8(plaintext).context("a decrypted value is not text")
    }

    /// A deterministic keyed fingerprint of the account digits (hex), for uniqueness and
    /// look-ups without storing the number in clear.
    pub fn blind_index(&self, digits: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key");
        mac.update(digits.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl AccountCipher {
    /// A keyed token derived from `value` for one `purpose` (base64url, 43 characters):
    /// whoever lacks the key cannot make one that matches a value of their choice.
    pub fn derived_token(&self, purpose: &str, value: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.token_key).expect("HMAC takes any key");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_repeats_a_ciphertext() {
        let cipher = AccountCipher::from_key(&[7u8; 32]);
        let a = cipher.encrypt("00400174401001050486");
        let b = cipher.encrypt("00400174401001050486");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("00400174401001050486"));
        assert_eq!(cipher.decrypt(&a).unwrap(), "00400174401001050486");
    }

    #[test]
    fn a_wrong_key_or_altered_value_is_refused() {
        let stored = AccountCipher::from_key(&[1u8; 32]).encrypt("00799999000000020091");
        assert!(
            AccountCipher::from_key(&[2u8; 32])
                .decrypt(&stored)
                .is_err()
        );
        let mut altered = stored.clone();
        altered.pop();
        altered.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(
            AccountCipher::from_key(&[1u8; 32])
                .decrypt(&altered)
                .is_err()
        );
    }

    #[test]
    fn a_webhook_secret_and_an_account_number_cannot_stand_for_each_other() {
        let cipher = AccountCipher::from_key(&[3u8; 32]);
        let secret = cipher.encrypt_webhook_secret("whsec_abc");
        assert!(!secret.contains("whsec_abc"));
        assert_eq!(cipher.decrypt_webhook_secret(&secret).unwrap(), "whsec_abc");
        assert!(cipher.decrypt(&secret).is_err(), "not an account number");
        let account = cipher.encrypt("00400174401001050486");
        assert!(cipher.decrypt_webhook_secret(&account).is_err());
    }

    #[test]
    fn blind_index_is_stable_per_key() {
        let one = AccountCipher::from_key(&[1u8; 32]);
        let two = AccountCipher::from_key(&[2u8; 32]);
        assert_eq!(one.blind_index("123"), one.blind_index("123"));
        assert_ne!(one.blind_index("123"), two.blind_index("123"));
    }

    #[test]
    fn a_short_key_is_explained() {
        let err = AccountCipher::from_base64("c2hvcnQ=").unwrap_err();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
