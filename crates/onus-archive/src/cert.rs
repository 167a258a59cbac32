//! Deletion certificates: what was deleted, when, by whom, signed with the instance's Ed25519
//! key, verifiable offline against the instance's published public key.
//!
//! **What is signed.** The certificate is a JSON object; `signature` holds the Ed25519
//! signature of the *canonical* form of the object without its `signature` member: object
//! members sorted by key, no whitespace, strings escaped as JSON requires and nothing more
//! (RFC 8785, JCS, for the strings and integers a certificate holds). In Python:
//! `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`.
//! So a certificate stays verifiable whatever tool pretty-prints it, and a verifier needs no
//! onus code (docs/portal.md shows the check with Python's `cryptography`).
//!
//! **Keys.** The instance generates its key at first start (`onus-store` keeps it in
//! `instance_keys`); the public key is served at `/.well-known/onus/instance-key` and printed
//! by `onus instance-key`. A key is named by its *key id*: the first 16 hex digits of the
//! SHA-256 of the raw public key.

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The certificate's version tag.
pub const FORMAT: &str = "onus.deletion-certificate/v1";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why a certificate or a key does not check.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("not a deletion certificate: {0}")]
    Json(String),
    #[error("format `{0}`, expected `{FORMAT}`")]
    Format(String),
    #[error("the public key: {0}")]
    Key(String),
    #[error("the certificate was signed by key {signed_by}, not by key {expected}: it comes from another instance, or the key changed")]
    OtherKey { signed_by: String, expected: String },
    #[error("the signature does not match the certificate's content: the certificate was altered, or signed by another key")]
    BadSignature,
}

/// A new Ed25519 key: (secret key, public key), raw 32 bytes each.
pub fn generate_key() -> (Vec<u8>, Vec<u8>) {
    let key = SigningKey::generate(&mut rand_core::OsRng);
    (
        key.to_bytes().to_vec(),
        key.verifying_key().to_bytes().to_vec(),
    )
}

/// The public key of a raw secret key.
pub fn public_of(secret: &[u8]) -> Result<Vec<u8>, CertError> {
    Ok(signing_key(secret)?.verifying_key().to_bytes().to_vec())
}

fn signing_key(secret: &[u8]) -> Result<SigningKey, CertError> {
    let bytes: [u8; 32] = secret
        .try_into()
        .map_err(|_| CertError::Key("an Ed25519 secret key has 32 bytes".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// Signs bytes with a raw secret key: the raw 64-byte signature.
pub fn sign_bytes(secret: &[u8], message: &[u8]) -> Result<Vec<u8>, CertError> {
    Ok(signing_key(secret)?.sign(message).to_bytes().to_vec())
}

/// A public key from base64 or PEM (`-----BEGIN PUBLIC KEY-----`, SPKI, as
/// `openssl pkey -pubout` writes), or the JSON the well-known URL serves.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, CertError> {
    let text = text.trim();
    if text.starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CertError::Key(e.to_string()))?;
        let k = v
            .get("public_key")
            .and_then(|k| k.as_str())
            .ok_or_else(|| CertError::Key("the JSON has no `public_key`".into()))?;
        return parse_public_key(k);
    }
    let (b64, spki) = match text.strip_prefix("-----BEGIN PUBLIC KEY-----") {
        Some(rest) => (
            rest.trim_end()
                .strip_suffix("-----END PUBLIC KEY-----")
                .ok_or_else(|| CertError::Key("PEM without its END line".into()))?
                .split_whitespace()
                .collect::<String>(),
            true,
        ),
        None => (text.to_string(), false),
    };
    let bytes = B64
        .decode(b64.as_bytes())
        .map_err(|e| CertError::Key(format!("not base64: {e}")))?;
    let raw = if spki {
        // SubjectPublicKeyInfo of Ed25519: a fixed 12-byte prefix, then the 32-byte key.
        bytes
            .strip_prefix(&SPKI_PREFIX[..])
            .ok_or_else(|| CertError::Key("a PEM public key that is not Ed25519".into()))?
            .to_vec()
    } else {
        bytes
    };
    if raw.len() != 32 {
        return Err(CertError::Key(format!(
            "an Ed25519 public key has 32 bytes, this one {}",
            raw.len()
        )));
    }
    Ok(raw)
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// A raw public key as PEM (SPKI), what OpenSSL and Python's `cryptography` read.
pub fn public_key_pem(raw: &[u8]) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(raw);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        B64.encode(der)
    )
}

/// A key's id: the first 16 hex digits of the SHA-256 of the raw public key.
pub fn key_id(raw_public: &[u8]) -> String {
    crate::sha256_hex(raw_public)[..16].to_string()
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// The organisation a certificate is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
}

/// Who deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: String,
    /// `organisation admin` or `instance administrator`.
    pub role: String,
}

/// The export the organisation took before leaving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRef {
    /// SHA-256 of the archive's `manifest.json`.
    pub manifest_sha256: String,
    pub exported_at: String,
}

/// A line of the end-of-service checklist as it stood at the deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistLine {
    pub model: String,
    pub activity_id: String,
    pub party_kind: String,
    pub due: String,
    pub done_at: Option<String>,
}

/// What the instance keeps after the deletion, and why (docs/portal.md, "Retention").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    pub what: String,
    pub why: String,
    /// Until when (RFC 3339), or `None` for as long as the instance's log exists.
    pub until: Option<String>,
}

/// The certificate's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertSignature {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The key id ([`key_id`]) and the public key, base64.
    pub key_id: String,
    pub public_key: String,
    /// Base64 of the signature of the canonical certificate without this member.
    pub value: String,
}

/// A deletion certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Always `onus.deletion-certificate/v1`.
    pub format: String,
    /// The deletion's id.
    pub id: String,
    pub organisation: Subject,
    pub deleted_at: String,
    pub deleted_by: Actor,
    /// The last export taken before the deletion, if any.
    pub export: Option<ExportRef>,
    /// Rows deleted, by kind (`users`, `audits`, `files`, `blobs`, `sessions`, ...).
    pub deleted: std::collections::BTreeMap<String, i64>,
    /// The end-of-service checklist at the time of deletion.
    pub checklist: Vec<ChecklistLine>,
    /// What the instance keeps, and why.
    pub kept: Vec<Kept>,
    /// The database engine and how space was reclaimed (`sqlite: secure_delete, VACUUM`).
    pub storage: String,
    /// The seq of the log entry that records the deletion (it holds this certificate's
    /// SHA-256 of the unsigned form, see [`Certificate::digest`]).
    pub log_seq: i64,
    pub signature: Option<CertSignature>,
}

/// JSON with object members sorted by key and no whitespace (RFC 8785 for strings and
/// integers).
pub fn canonical(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The bytes a certificate's signature covers: the canonical JSON of the certificate's
/// object without its `signature` member.
fn signed_bytes(v: &serde_json::Value) -> Vec<u8> {
    let mut body = v.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("signature");
    }
    canonical(&body).into_bytes()
}

impl Certificate {
    /// The SHA-256 of the unsigned certificate's canonical form (what the log entry records).
    pub fn digest(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        crate::sha256_hex(&signed_bytes(&v))
    }

    /// Signs the certificate with the instance's raw secret key.
    pub fn sign(&mut self, secret: &[u8]) -> Result<(), CertError> {
        self.signature = None;
        let key = signing_key(secret)?;
        let v = serde_json::to_value(&*self).map_err(|e| CertError::Json(e.to_string()))?;
        let sig = key.sign(&signed_bytes(&v));
        let public = key.verifying_key().to_bytes();
        self.signature = Some(CertSignature {
            algorithm: "ed25519".into(),
            key_id: key_id(&public),
            public_key: B64.encode(public),
            value: B64.encode(sig.to_bytes()),
        });
        Ok(())
    }
}

/// Checks a certificate's text against the instance's raw public key: the format, that it
/// was signed by that key, and that nothing was changed since. Returns the certificate.
pub fn verify(text: &str, public: &[u8]) -> Result<Certificate, CertError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CertError::Json(e.to_string()))?;
    let cert: Certificate =
        serde_json::from_value(v.clone()).map_err(|e| CertError::Json(e.to_string()))?;
    if cert.format != FORMAT {
        return Err(CertError::Format(cert.format));
    }
    let sig = cert
        .signature
        .as_ref()
        .ok_or_else(|| CertError::Json("it has no `signature`".into()))?;
    if sig.algorithm != "ed25519" {
        return Err(CertError::Json(format!(
            "signature algorithm `{}`, expected `ed25519`",
            sig.algorithm
        )));
    }
    let bytes: [u8; 32] = public
        .try_into()
        .map_err(|_| CertError::Key("an Ed25519 public key has 32 bytes".into()))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|e| CertError::Key(e.to_string()))?;
    let expected = key_id(&bytes);
    if sig.key_id != expected {
        return Err(CertError::OtherKey {
            signed_by: sig.key_id.clone(),
            expected,
        });
    }
    let raw = B64
        .decode(sig.value.as_bytes())
        .map_err(|_| CertError::BadSignature)?;
    let s = ed25519_dalek::Signature::from_slice(&raw).map_err(|_| CertError::BadSignature)?;
    key.verify(&signed_bytes(&v), &s)
        .map_err(|_| CertError::BadSignature)?;
    Ok(cert)
}

/// Checks an export's `signature.json` against `manifest.json`'s bytes and a raw public key.
pub fn verify_manifest(
    manifest: &[u8],
    signature_b64: &str,
    public: &[u8],
) -> Result<(), CertError> {
    let bytes: [u8; 32] = public
        .try_into()
        .map_err(|_| CertError::Key("an Ed25519 public key has 32 bytes".into()))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|e| CertError::Key(e.to_string()))?;
    let raw = B64
        .decode(signature_b64.as_bytes())
        .map_err(|_| CertError::BadSignature)?;
    let s = ed25519_dalek::Signature::from_slice(&raw).map_err(|_| CertError::BadSignature)?;
    key.verify(manifest, &s)
        .map_err(|_| CertError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Certificate {
        Certificate {
            format: FORMAT.into(),
            id: "d1".into(),
            organisation: Subject {
                id: "o1".into(),
                slug: "shop".into(),
                name: "Shop SAS".into(),
                kind: "customer".into(),
            },
            deleted_at: "2026-01-01T00:00:00Z".into(),
            deleted_by: Actor {
                name: "Alice Durand".into(),
                role: "organisation admin".into(),
            },
            export: None,
            deleted: [("users".to_string(), 3)].into_iter().collect(),
            checklist: Vec::new(),
            kept: Vec::new(),
            storage: "sqlite".into(),
            log_seq: 42,
            signature: None,
        }
    }

    #[test]
    fn signed_certificates_verify_and_changes_are_caught() {
        let (secret, public) = generate_key();
        let mut c = cert();
        c.sign(&secret).unwrap();
        let text = serde_json::to_string_pretty(&c).unwrap();
        assert_eq!(verify(&text, &public).unwrap().organisation.slug, "shop");
        // Pretty-printing differently changes nothing.
        let compact = serde_json::to_string(&c).unwrap();
        assert!(verify(&compact, &public).is_ok());

        let altered = text.replace("\"users\": 3", "\"users\": 2");
        assert_ne!(altered, text);
        assert_eq!(verify(&altered, &public), Err(CertError::BadSignature));

        let (_, other) = generate_key();
        assert!(matches!(
            verify(&text, &other),
            Err(CertError::OtherKey { .. })
        ));
    }

    #[test]
    fn public_keys_read_as_base64_pem_and_json() {
        let (_, public) = generate_key();
        let pem = public_key_pem(&public);
        assert_eq!(parse_public_key(&pem).unwrap(), public);
        assert_eq!(parse_public_key(&b64(&public)).unwrap(), public);
        let json = serde_json::json!({"public_key": b64(&public)}).to_string();
        assert_eq!(parse_public_key(&json).unwrap(), public);
        assert!(parse_public_key("AAAA").is_err());
    }

    #[test]
    fn canonical_json_sorts_members() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, "x\n"], "c": null}});
        assert_eq!(canonical(&v), r#"{"a":{"c":null,"d":[1,"x\n"]},"b":1}"#);
    }
}
