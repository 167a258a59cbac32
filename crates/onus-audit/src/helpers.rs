//! What CEL cannot reasonably express: container image references and X.509 certificates.

use base64::Engine;
use chrono::{DateTime, FixedOffset};

/// A container image reference split into name, tag and digest, borrowed from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry and repository (`registry.example:5000/shop/web`).
    pub name: &'a str,
    /// The tag, empty when none (`latest` is returned as written).
    pub tag: &'a str,
    /// The digest (`sha256:...`), empty when none.
    pub digest: &'a str,
}

impl<'a> ImageRef<'a> {
    pub fn parse(s: &'a str) -> ImageRef<'a> {
        let (rest, digest) = s.split_once('@').unwrap_or((s, ""));
        // A colon before the last slash is a registry's port, not a tag.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], &rest[last_slash + i + 1..]),
            None => (rest, ""),
        };
        ImageRef { name, tag, digest }
    }
}

/// What the checks need of a certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    pub subject: String,
    pub dns_names: Vec<String>,
}

/// Parses the first certificate of a Secret's `tls.crt`: base64 of PEM (as in `data`), PEM
/// (as in `stringData`), or base64 of DER. `None` when it is not a certificate.
pub fn parse_cert(text: &str) -> Option<CertInfo> {
    let trimmed = text.trim();
    let bytes = if trimmed.starts_with("-----BEGIN") {
        trimmed.as_bytes().to_vec()
    } else {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()?
    };
    let der = if bytes.starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes).ok()?;
        pem.contents
    } else {
        bytes
    };
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let ts = |t: x509_parser::time::ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0).map(|d| d.fixed_offset())
    };
    let validity = cert.validity();
    let dns_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(CertInfo {
        not_before: ts(validity.not_before)?,
        not_after: ts(validity.not_after)?,
        subject: cert.subject().to_string(),
        dns_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let r = ImageRef::parse("registry.example:5000/shop/web");
        assert_eq!((r.name, r.tag), ("registry.example:5000/shop/web", ""));
        let r = ImageRef::parse("nginx:1.27@sha256:abc");
        assert_eq!((r.name, r.tag, r.digest), ("nginx", "1.27", "sha256:abc"));
        assert_eq!(ImageRef::parse("redis:latest").tag, "latest");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_cert("bm90IGEgY2VydA==").is_none());
        assert!(parse_cert("%%%").is_none());
        assert!(
            parse_cert("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_none()
        );
    }
}
