//! The encrypted export's wrapper: the JSON export encrypted with AES-256-GCM under a key
//! derived from a passphrase with PBKDF2-SHA-256 (done by the browser's WebCrypto; this
//! module only reads and writes the envelope, which says plainly that it is encrypted).

use serde::{Deserialize, Serialize};

pub const ENCRYPTED_FORMAT: &str = "funnelscope-encrypted";
/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Iteration counts a file may ask for. Below, the key is too cheap to guess; above, a
/// crafted file would hang the tab for minutes deriving it (WebCrypto shows no progress).
pub const PBKDF2_ITERATIONS_ACCEPTED: std::ops::RangeInclusive<u32> = 100_000..=2_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub format: String,
    pub version: u32,
    pub cipher: String,
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub iv: String,
    pub ciphertext: String,
}

impl Envelope {
    pub fn new(salt: &[u8], iv: &[u8], ciphertext: &[u8], iterations: u32) -> Envelope {
        Envelope {
            format: ENCRYPTED_FORMAT.into(),
            version: 1,
            cipher: "AES-256-GCM".into(),
            kdf: "PBKDF2-SHA-256".into(),
            iterations,
            salt: b64_encode(salt),
            iv: b64_encode(iv),
            ciphertext: b64_encode(ciphertext),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Some(envelope) when `text` is an encrypted export; Err when it says so but is broken.
    pub fn parse(text: &str) -> Option<Result<Envelope, EnvelopeError>> {
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
        }
        let probe: Probe = serde_json::from_str(text).ok()?;
        if probe.format.as_deref() != Some(ENCRYPTED_FORMAT) {
            return None;
        }
        Some(serde_json::from_str::<Envelope>(text).map_err(|e| EnvelopeError::Invalid(e.to_string())).and_then(|env| {
            for (name, field) in [("salt", &env.salt), ("iv", &env.iv), ("ciphertext", &env.ciphertext)] {
                b64_decode(field).ok_or(EnvelopeError::Damaged(name))?;
            }
            if env.cipher != "AES-256-GCM" || env.kdf != "PBKDF2-SHA-256" {
                return Err(EnvelopeError::Unsupported { cipher: env.cipher.clone(), kdf: env.kdf.clone() });
            }
            if !PBKDF2_ITERATIONS_ACCEPTED.contains(&env.iterations) {
                return Err(EnvelopeError::Iterations(env.iterations));
            }
            Ok(env)
        }))
    }
}

/// Why an encrypted file cannot be opened (before any key is derived).
#[derive(Clone, Debug, PartialEq)]
pub enum EnvelopeError {
    Invalid(String),
    Damaged(&'static str),
    Unsupported { cipher: String, kdf: String },
    Iterations(u32),
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::Invalid(e) => write!(f, "{e}"),
            EnvelopeError::Damaged(name) => write!(f, "the encrypted file's {name} is damaged"),
            EnvelopeError::Unsupported { cipher, kdf } => write!(f, "unsupported encryption ({cipher} with {kdf})"),
            EnvelopeError::Iterations(n) => write!(
                f,
                "the file asks for {n} PBKDF2 iterations; this app accepts {} to {}",
                PBKDF2_ITERATIONS_ACCEPTED.start(),
                PBKDF2_ITERATIONS_ACCEPTED.end()
            ),
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xFF) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_the_standard() {
        assert_eq!(b64_encode(b"Man"), "TWFu");
        assert_eq!(b64_encode(b"Ma"), "TWE=");
        assert_eq!(b64_encode(b"M"), "TQ==");
        assert_eq!(b64_decode("TWE="), Some(b"Ma".to_vec()));
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64_decode(&b64_encode(&data)), Some(data));
        }
        assert_eq!(b64_decode("no spaces allowed"), None);
    }

    #[test]
    fn envelopes_are_recognised_and_checked() {
        let env = Envelope::new(&[1; 16], &[2; 12], b"secret bytes", PBKDF2_ITERATIONS);
        let text = env.to_json();
        assert!(text.contains("\"format\": \"funnelscope-encrypted\""));
        assert_eq!(Envelope::parse(&text), Some(Ok(env)));
        assert_eq!(Envelope::parse("{\"format\": \"funnelscope\"}"), None);
        assert_eq!(Envelope::parse("not json"), None);
        let broken = text.replace("\"iv\": \"", "\"iv\": \"!!");
        assert!(Envelope::parse(&broken).unwrap().unwrap_err().to_string().contains("iv"));
    }

    #[test]
    fn a_crafted_iteration_count_is_refused_before_any_key_is_derived() {
        for n in [0, 1, 99_999, 2_000_001, u32::MAX] {
            let text = Envelope::new(&[1; 16], &[2; 12], b"x", n).to_json();
            let err = Envelope::parse(&text).unwrap().unwrap_err().to_string();
            assert!(err.contains(&format!("asks for {n} PBKDF2 iterations")), "{err}");
        }
        for n in [100_000, PBKDF2_ITERATIONS, 2_000_000] {
            assert!(Envelope::parse(&Envelope::new(&[1; 16], &[2; 12], b"x", n).to_json()).unwrap().is_ok());
        }
    }
}
