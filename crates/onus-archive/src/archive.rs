//! Writing and reading `onus.export/v1` archives: a tar (POSIX ustar) of files, then
//! `manifest.json` with the size and SHA-256 of each, then, when the instance signs,
//! `signature.json`.
//!
//! **Streaming.** The writer appends one entry at a time. A tar header needs the entry's size
//! before its bytes, so an entry written piecewise ([`Writer::entry`]) goes through a spooled
//! temporary file (in memory up to [`SPOOL_BYTES`], on disk beyond), hashed as it is written:
//! memory stays bounded whatever the archive's size. The reader hashes every entry as the
//! caller reads it and checks them all against the manifest at the end.
//!
//! **Deterministic.** Headers carry no time, owner or mode of the exporting machine (mtime 0,
//! uid and gid 0, mode 0644), so the same files give the same archive, byte for byte.

use std::io::{Read, Seek, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::format::{Manifest, ManifestFile, Signature, FORMAT};
use crate::hex;

/// How much of one entry is kept in memory before it spills to a temporary file.
pub const SPOOL_BYTES: usize = 4 * 1024 * 1024;
/// The largest `manifest.json` or `signature.json` a reader accepts.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "signature.json";

/// Why an archive could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("`{path}`: {message}")]
    Json { path: String, message: String },
    #[error("`{path}` is not a safe relative path inside an archive")]
    BadPath { path: String },
    #[error("`{path}` appears twice in the archive")]
    Duplicate { path: String },
    #[error("the archive has no `manifest.json`: it is not an onus.export/v1 archive, or it was cut short")]
    NoManifest,
    #[error("`manifest.json` has format `{found}`, expected `{FORMAT}`")]
    Format { found: String },
    #[error("`{path}` is in the manifest but not in the archive")]
    Missing { path: String },
    #[error("`{path}` is in the archive but not in the manifest")]
    Unlisted { path: String },
    #[error("`{path}` was altered: it hashes to {found} ({found_size} bytes), the manifest records {expected} ({expected_size} bytes)")]
    Altered {
        path: String,
        expected: String,
        expected_size: u64,
        found: String,
        found_size: u64,
    },
    #[error("`{path}` comes after `manifest.json`: only `signature.json` may")]
    AfterManifest { path: String },
    #[error("signature: {0}")]
    Signature(String),
}

type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// A path an archive may hold: relative, `/`-separated, no `.`/`..` part, printable.
pub fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 240
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Signs a manifest's bytes: returns (public key, signature), both raw.
pub type Signer<'a> = &'a (dyn Fn(&[u8]) -> Result<(Vec<u8>, Vec<u8>), String> + Sync);

/// Writes an archive to `W`, one entry at a time.
pub struct Writer<W: Write> {
    tar: tar::Builder<W>,
    files: Vec<ManifestFile>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer {
            tar: tar::Builder::new(out),
            files: Vec::new(),
        }
    }

    fn append(&mut self, path: &str, size: u64, data: impl Read) -> Result<()> {
        if !safe_path(path) {
            return Err(ArchiveError::BadPath { path: path.into() });
        }
        let mut h = tar::Header::new_ustar();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        self.tar.append_data(&mut h, path, data)?;
        Ok(())
    }

    /// The output, to drain what was written so far (a stream's buffer).
    pub fn get_mut(&mut self) -> &mut W {
        self.tar.get_mut()
    }

    /// Adds a file from bytes in memory.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        self.append(path, bytes.len() as u64, bytes)?;
        self.files.push(ManifestFile {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: crate::sha256_hex(bytes),
        });
        Ok(())
    }

    /// Adds a JSON file: the value pretty-printed, with a final newline.
    pub fn add_json<T: serde::Serialize>(&mut self, path: &str, value: &T) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(value).map_err(|e| ArchiveError::Json {
            path: path.into(),
            message: e.to_string(),
        })?;
        text.push(b'\n');
        self.add_bytes(path, &text)
    }

    /// Starts a file written piecewise (JSON Lines, large documents): spooled, hashed, and
    /// appended when [`Entry::finish`] is called.
    pub fn entry(&mut self, path: &str) -> Result<Entry<'_, W>> {
        if !safe_path(path) {
            return Err(ArchiveError::BadPath { path: path.into() });
        }
        Ok(Entry {
            writer: self,
            path: path.into(),
            spool: tempfile::SpooledTempFile::new(SPOOL_BYTES),
            hash: Sha256::new(),
            size: 0,
        })
    }

    /// Writes `manifest.json` (and `signature.json` when `sign` is given) and ends the tar.
    /// Returns the output, the manifest and the SHA-256 of its bytes.
    pub fn finish(mut self, sign: Option<Signer<'_>>) -> Result<(W, Manifest, String)> {
        let manifest = Manifest {
            format: FORMAT.into(),
            files: std::mem::take(&mut self.files),
        };
        let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| ArchiveError::Json {
            path: MANIFEST.into(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        let sha = crate::sha256_hex(&bytes);
        self.append(MANIFEST, bytes.len() as u64, bytes.as_slice())?;
        if let Some(sign) = sign {
            let (public, signature) = sign(&bytes).map_err(ArchiveError::Signature)?;
            let b64 = base64::engine::general_purpose::STANDARD;
            let s = Signature {
                algorithm: "ed25519".into(),
                public_key: b64.encode(public),
                manifest_sha256: sha.clone(),
                signature: b64.encode(signature),
            };
            let mut text = serde_json::to_vec_pretty(&s).map_err(|e| ArchiveError::Json {
                path: SIGNATURE.into(),
                message: e.to_string(),
            })?;
            text.push(b'\n');
            self.append(SIGNATURE, text.len() as u64, text.as_slice())?;
        }
        let out = self.tar.into_inner()?;
        Ok((out, manifest, sha))
    }
}

/// A file being written piecewise; nothing is in the archive until [`Entry::finish`].
pub struct Entry<'a, W: Write> {
    writer: &'a mut Writer<W>,
    path: String,
    spool: tempfile::SpooledTempFile,
    hash: Sha256,
    size: u64,
}

impl<W: Write> Entry<'_, W> {
    /// Writes one JSON Lines record: the value on one line.
    pub fn line<T: serde::Serialize>(&mut self, value: &T) -> Result<()> {
        let mut text = serde_json::to_vec(value).map_err(|e| ArchiveError::Json {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        text.push(b'\n');
        self.write_all(&text)?;
        Ok(())
    }

    /// Appends the file to the archive.
    pub fn finish(mut self) -> Result<()> {
        self.spool.flush()?;
        self.spool.rewind()?;
        let sha = hex(&std::mem::take(&mut self.hash).finalize());
        let (size, path) = (self.size, self.path.clone());
        self.writer.append(&path, size, &mut self.spool)?;
        self.writer.files.push(ManifestFile {
            path,
            size,
            sha256: sha,
        });
        Ok(())
    }
}

impl<W: Write> Write for Entry<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.spool.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.spool.flush()
    }
}

/// A reader that hashes what passes through it.
struct Hashing<'a, R> {
    inner: R,
    hash: &'a mut Sha256,
    size: &'a mut u64,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        *self.size += n as u64;
        Ok(n)
    }
}

/// What [`read`] checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub manifest: Manifest,
    /// SHA-256 of `manifest.json`'s bytes.
    pub manifest_sha256: String,
    /// `manifest.json` as read (what `signature.json` signs).
    pub manifest_bytes: Vec<u8>,
    pub signature: Option<Signature>,
}

/// Reads an archive as a stream: `visit(path, content)` is called for every file but the
/// manifest and the signature, in the archive's order (it may read the content or not);
/// every file is hashed and, at the end, checked against `manifest.json`: a file altered,
/// missing, added or repeated is an error. Callers must treat what `visit` saw as
/// unverified until this returns `Ok` (an import runs in a transaction it commits only
/// then).
pub fn read<R: Read>(
    input: R,
    mut visit: impl FnMut(&str, &mut dyn Read) -> Result<()>,
) -> Result<Checked> {
    let mut archive = tar::Archive::new(input);
    let mut seen: Vec<ManifestFile> = Vec::new();
    let mut manifest: Option<(Manifest, String, Vec<u8>)> = None;
    let mut signature = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            return Err(ArchiveError::BadPath { path });
        }
        let path = String::from_utf8(entry.path_bytes().into_owned()).map_err(|e| {
            ArchiveError::BadPath {
                path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }
        })?;
        if !safe_path(&path) {
            return Err(ArchiveError::BadPath { path });
        }
        if path == MANIFEST || path == SIGNATURE {
            if entry.size() > MAX_MANIFEST_BYTES {
                return Err(ArchiveError::Json {
                    path,
                    message: format!("larger than {MAX_MANIFEST_BYTES} bytes"),
                });
            }
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            let json = |e: serde_json::Error| ArchiveError::Json {
                path: path.clone(),
                message: e.to_string(),
            };
            if path == MANIFEST {
                if manifest.is_some() {
                    return Err(ArchiveError::Duplicate { path });
                }
                let m: Manifest = serde_json::from_slice(&bytes).map_err(json)?;
                if m.format != FORMAT {
                    return Err(ArchiveError::Format { found: m.format });
                }
                manifest = Some((m, crate::sha256_hex(&bytes), bytes));
            } else {
                if manifest.is_none() || signature.is_some() {
                    return Err(ArchiveError::Unlisted { path });
                }
                signature = Some(serde_json::from_slice::<Signature>(&bytes).map_err(json)?);
            }
            continue;
        }
        if manifest.is_some() {
            return Err(ArchiveError::AfterManifest { path });
        }
        if seen.iter().any(|f| f.path == path) {
            return Err(ArchiveError::Duplicate { path });
        }
        let mut hash = Sha256::new();
        let mut size = 0u64;
        {
            let mut r = Hashing {
                inner: &mut entry,
                hash: &mut hash,
                size: &mut size,
            };
            visit(&path, &mut r)?;
            std::io::copy(&mut r, &mut std::io::sink())?;
        }
        seen.push(ManifestFile {
            path,
            size,
            sha256: hex(&hash.finalize()),
        });
    }
    let (manifest, manifest_sha256, manifest_bytes) = manifest.ok_or(ArchiveError::NoManifest)?;
    for f in &manifest.files {
        match seen.iter().find(|s| s.path == f.path) {
            None => {
                return Err(ArchiveError::Missing {
                    path: f.path.clone(),
                })
            }
            Some(s) if s.sha256 != f.sha256 || s.size != f.size => {
                return Err(ArchiveError::Altered {
                    path: f.path.clone(),
                    expected: f.sha256.clone(),
                    expected_size: f.size,
                    found: s.sha256.clone(),
                    found_size: s.size,
                })
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = seen
        .iter()
        .find(|s| !manifest.files.iter().any(|f| f.path == s.path))
    {
        return Err(ArchiveError::Unlisted {
            path: extra.path.clone(),
        });
    }
    if let Some(s) = &signature {
        if s.manifest_sha256 != manifest_sha256 {
            return Err(ArchiveError::Signature(format!(
                "it signs manifest {}, the archive's manifest is {manifest_sha256}",
                s.manifest_sha256
            )));
        }
    }
    Ok(Checked {
        manifest,
        manifest_sha256,
        manifest_bytes,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        w.add_json("export.json", &serde_json::json!({"a": 1}))
            .unwrap();
        let mut e = w.entry("users.jsonl").unwrap();
        for i in 0..3 {
            e.line(&serde_json::json!({"id": i})).unwrap();
        }
        e.finish().unwrap();
        w.add_bytes("files/abc", b"content").unwrap();
        w.finish(None).unwrap().0
    }

    #[test]
    fn the_same_files_give_the_same_bytes_and_read_back() {
        let a = sample();
        assert_eq!(a, sample());
        let mut got = Vec::new();
        let r = read(a.as_slice(), |p, c| {
            let mut s = String::new();
            c.read_to_string(&mut s)?;
            got.push((p.to_string(), s));
            Ok(())
        })
        .unwrap();
        assert_eq!(r.manifest.files.len(), 3);
        assert_eq!(got[1].1, "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n");
        assert_eq!(got[2], ("files/abc".to_string(), "content".to_string()));
    }

    #[test]
    fn altered_bytes_are_named() {
        let mut a = sample();
        let at = a.windows(7).position(|w| w == b"content").unwrap();
        a[at] = b'C';
        let e = read(a.as_slice(), |_, _| Ok(())).unwrap_err();
        assert!(
            matches!(&e, ArchiveError::Altered { path, .. } if path == "files/abc"),
            "{e}"
        );
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in ["/etc/passwd", "../x", "a/../b", "a//b", "", "a\\b"] {
            assert!(!safe_path(p), "{p}");
        }
        let mut w = Writer::new(Vec::new());
        assert!(w.add_bytes("../x", b"").is_err());
    }
}
