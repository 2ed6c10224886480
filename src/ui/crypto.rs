//! Encrypting and decrypting exports with the browser's WebCrypto (AES-256-GCM, key from
//! the passphrase by PBKDF2-SHA-256). Nothing leaves the page.

use crate::io::envelope::{b64_decode, Envelope, PBKDF2_ITERATIONS};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, CryptoKey, Pbkdf2Params, SubtleCrypto};

fn subtle() -> Result<(SubtleCrypto, web_sys::Crypto), String> {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok()).ok_or("no WebCrypto in this browser")?;
    Ok((crypto.subtle(), crypto))
}

fn err(e: JsValue) -> String {
    e.as_string().or_else(|| js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string())).unwrap_or_else(|| format!("{e:?}"))
}

async fn key(subtle: &SubtleCrypto, passphrase: &str, salt: &[u8], iterations: u32) -> Result<CryptoKey, String> {
    let raw = Uint8Array::from(passphrase.as_bytes());
    let usages = Array::of1(&"deriveKey".into());
    let base = JsFuture::from(subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages).map_err(err)?).await.map_err(err)?;
    let params = Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let target = AesDerivedKeyParams::new("AES-GCM", 256);
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let derived = subtle.derive_key_with_object_and_object(&params, &base.unchecked_into(), &target, false, &usages).map_err(err)?;
    Ok(JsFuture::from(derived).await.map_err(err)?.unchecked_into())
}

/// The encrypted export file for `plaintext`.
pub async fn encrypt(passphrase: &str, plaintext: &str) -> Result<String, String> {
    let (subtle, crypto) = subtle()?;
    let (mut salt, mut iv) = ([0u8; 16], [0u8; 12]);
    crypto.get_random_values_with_u8_array(&mut salt).map_err(err)?;
    crypto.get_random_values_with_u8_array(&mut iv).map_err(err)?;
    let k = key(&subtle, passphrase, &salt, PBKDF2_ITERATIONS).await?;
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(&iv[..]));
    let ct = JsFuture::from(subtle.encrypt_with_object_and_u8_array(&params, &k, plaintext.as_bytes()).map_err(err)?).await.map_err(err)?;
    Ok(Envelope::new(&salt, &iv, &Uint8Array::new(&ct).to_vec(), PBKDF2_ITERATIONS).to_json())
}

/// The plaintext, or None when the passphrase is wrong (or the file was altered: AES-GCM
/// cannot tell the two apart, and neither reveals anything).
pub async fn decrypt(passphrase: &str, env: &Envelope) -> Result<Option<String>, String> {
    let (subtle, _) = subtle()?;
    let (Some(salt), Some(iv), Some(ct)) = (b64_decode(&env.salt), b64_decode(&env.iv), b64_decode(&env.ciphertext)) else {
        return Err("the encrypted file is damaged".into());
    };
    let k = key(&subtle, passphrase, &salt, env.iterations).await?;
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(&iv[..]));
    let pending = subtle.decrypt_with_object_and_u8_array(&params, &k, &ct).map_err(err)?;
    match JsFuture::from(pending).await {
        Ok(buf) => Ok(String::from_utf8(Uint8Array::new(&buf).to_vec()).ok()),
        Err(_) => Ok(None),
    }
}

/// Team sync's key: PBKDF2-SHA-256 from the team passphrase and the salt kept in the
/// database (not secret), the same strength as an encrypted export.
pub async fn team_key(passphrase: &str, salt: &[u8]) -> Result<CryptoKey, String> {
    let (subtle, _) = subtle()?;
    key(&subtle, passphrase, salt, PBKDF2_ITERATIONS).await
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let (_, crypto) = subtle()?;
    let mut b = [0u8; N];
    crypto.get_random_values_with_u8_array(&mut b).map_err(err)?;
    Ok(b)
}

/// One document body sealed: base64 of a fresh 12-byte IV followed by the AES-GCM
/// ciphertext.
pub async fn seal(k: &CryptoKey, plaintext: &str) -> Result<String, String> {
    let (subtle, _) = subtle()?;
    let iv: [u8; 12] = random_bytes()?;
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(&iv[..]));
    let ct = JsFuture::from(subtle.encrypt_with_object_and_u8_array(&params, k, plaintext.as_bytes()).map_err(err)?).await.map_err(err)?;
    let mut out = iv.to_vec();
    out.extend(Uint8Array::new(&ct).to_vec());
    Ok(crate::io::envelope::b64_encode(&out))
}

/// The plaintext of a sealed body; None with another key or when altered.
pub async fn open(k: &CryptoKey, sealed: &str) -> Option<String> {
    let (subtle, _) = subtle().ok()?;
    let bytes = b64_decode(sealed)?;
    if bytes.len() < 12 {
        return None;
    }
    let (iv, ct) = bytes.split_at(12);
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
    let buf = JsFuture::from(subtle.decrypt_with_object_and_u8_array(&params, k, ct).ok()?).await.ok()?;
    String::from_utf8(Uint8Array::new(&buf).to_vec()).ok()
}
