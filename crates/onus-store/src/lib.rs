//! The portal's data, over SQLite or PostgreSQL: the only crate of onus that knows SQL.
//!
//! **One code path.** Queries go through sqlx's `Any` driver: the same SQL text (`$1`
//! placeholders, which SQLite also reads; `RETURNING`; no engine-specific functions) runs on
//! both engines. Only the DDL differs (`BLOB`/`BYTEA`, `INTEGER`/`BIGINT`), so migrations have a
//! folder per engine, embedded in the binary and run at start. A small trait with two
//! implementations would have doubled every query for no gain. `Any` converts each value
//! through an engine-neutral form (a copy per column), and knows only a few types (integers,
//! floats, text, bytes): hence times stored as RFC 3339 text and flags as integers. Its cost
//! is for the speed benchmark (issue 12, "Speed") to measure.
//!
//! **Who may see what** is decided here, not in the server: every function that reads or
//! writes a tenant's data takes the acting [`Principal`] and checks it (see [`access`]). A
//! caller cannot read another organisation's rows by passing the wrong id: the store answers
//! `NotFound`, as it does for rows that do not exist, so ids leak nothing.
//!
//! **Every write is logged.** Writes go through [`Write`], a transaction that first takes the
//! head of the hash-chained log (serialising writers, also across several server instances on
//! one PostgreSQL), and appends one log entry per change before it commits (see [`log`]).

pub mod access;
mod db;
pub mod deletion;
pub mod ending;
mod event_archive;
pub mod events;
pub mod evidence;
pub mod export;
pub mod identity;
pub mod import;
pub mod keys;
pub mod log;
pub mod models;
pub mod notify;
pub mod scratch;

pub use access::{OrgKind, OrgRef, Principal, Role};
pub use db::{database_url, Backend, Store, Write};
pub use log::{LogEntry, Verification};

/// Why a store operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist, or the principal may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The principal may see the thing but not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The change conflicts with what is there (a duplicate, a state that does not allow it).
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// Bad input the store itself can judge.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The database failed.
    #[error("database: {0}")]
    Db(sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not read back (JSON columns).
    #[error("stored data: {0}")]
    Data(String),
    /// An export archive that cannot be written, or an archive to import that does not read
    /// or check (the input's fault).
    #[error("archive: {0}")]
    Archive(#[from] onus_archive::archive::ArchiveError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // Text PostgreSQL cannot hold (a NUL character, invalid encoding) is the input's fault,
        // not the server's: SQLite stores it, PostgreSQL refuses it with these codes.
        if let sqlx::Error::Database(d) = &e {
            if matches!(d.code().as_deref(), Some("22021" | "22P05")) {
                return StoreError::Invalid {
                    field: "text",
                    message: "text must not contain NUL characters".into(),
                };
            }
        }
        StoreError::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            offset: 0,
        }
    }
}

/// Current time as stored: RFC 3339, UTC, microseconds (sorts as text).
pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// A time as stored.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 256 random bits as 64 hex digits (session ids, API tokens, CSRF tokens, passwords).
pub fn random_token() -> String {
    let a = uuid::Uuid::new_v4().as_u128();
    let b = uuid::Uuid::new_v4().as_u128();
    let c = uuid::Uuid::new_v4().as_u128();
    // v4 UUIDs carry 122 random bits each: three give more than 256.
    sha256_hex(format!("{a:032x}{b:032x}{c:032x}").as_bytes())
}
