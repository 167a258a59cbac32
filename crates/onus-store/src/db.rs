//! Connecting, migrating, and the write transaction that logs.

use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::access::Principal;
use crate::{now, Result};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The portal's database. Cheap to clone (a pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// `PATH` → `sqlite://PATH?mode=rwc`; URLs pass through.
pub fn database_url(spec: &str) -> String {
    if spec.starts_with("postgres://")
        || spec.starts_with("postgresql://")
        || spec.starts_with("sqlite:")
    {
        spec.to_string()
    } else {
        format!("sqlite://{spec}?mode=rwc")
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates. `spec` is a file path, a
    /// `sqlite:` URL or a `postgres://` URL.
    pub async fn open(spec: &str) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let url = database_url(spec);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never wait for the writer. synchronous=FULL: a commit
                        // is on disk when it returns (a kill -9 or a power cut loses no
                        // acknowledged write). busy_timeout: writers queue instead of failing.
                        // secure_delete: deleted content is overwritten with zeros, not left
                        // in free pages (a tenant's deletion must leave nothing, issue 14).
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; \
                             PRAGMA secure_delete = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE.run(&pool).await?,
            Backend::Postgres => POSTGRES.run(&pool).await?,
        }
        let store = Store { pool, backend };
        store.upgrade_log().await?;
        store.ensure_instance_key().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The revision of the tenant data: the seq of the log's head, which every committed
    /// write moves in its own transaction (a write that logs nothing is rolled back, see
    /// [`Write::commit`]) and which writers take one at a time. Whatever is read after this
    /// call is at least as new as the revision it returned, so a value computed from such
    /// reads may be kept under it and reused, on any instance, for as long as the revision
    /// has not moved. Bookkeeping that is not logged (token last use, sign-in counters,
    /// sessions, notification delivery and read marks) does not move it.
    pub async fn revision(&self) -> Result<i64> {
        let row = sqlx::query(&format!("SELECT {REVISION_COL}"))
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("revision")?)
    }

    /// Starts a write on behalf of `actor`: takes the log's head, which every writer updates
    /// first, so that writers are serialised and each entry chains to the one before.
    pub async fn write(&self, actor: &Principal) -> Result<Write> {
        self.write_as(actor.user_id.clone(), actor.name.clone())
            .await
    }

    /// A write by the system itself (bootstrap, migrations of data), logged as `system`.
    pub async fn write_system(&self) -> Result<Write> {
        self.write_as("system".into(), "system".into()).await
    }

    async fn write_as(&self, actor: String, actor_name: String) -> Result<Write> {
        let mut tx = self.pool.begin().await?;
        // Taking the head first: on SQLite this takes the write lock before anything is read
        // (so no snapshot goes stale), on PostgreSQL a row lock held to commit.
        let row = sqlx::query("UPDATE log_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get("seq")?;
        let hash: String = row.try_get("hash")?;
        Ok(Write {
            backend: self.backend,
            tx,
            seq,
            hash,
            actor,
            actor_name,
            at: now(),
            logged: false,
        })
    }

    pub(crate) async fn fetch_all<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<Vec<AnyRow>> {
        Ok(q.fetch_all(&self.pool).await?)
    }

    pub(crate) async fn fetch_optional<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<Option<AnyRow>> {
        Ok(q.fetch_optional(&self.pool).await?)
    }
}

/// The store's revision (see [`Store::revision`]) as a column: the authenticating queries
/// read it with the principal, one statement per request instead of two.
pub(crate) const REVISION_COL: &str = "(SELECT seq FROM log_head WHERE id = 1) AS revision";

/// A write transaction. Its changes are committed with their log entries by
/// [`Write::commit`]; dropped without committing, nothing happens.
pub struct Write {
    /// The engine, for SQL that differs ([`values`]).
    pub(crate) backend: Backend,
    pub(crate) tx: Transaction<'static, Any>,
    seq: i64,
    hash: String,
    pub(crate) actor: String,
    pub(crate) actor_name: String,
    /// The time of the write, used for every row and entry it writes.
    pub(crate) at: String,
    logged: bool,
}

impl Write {
    /// Appends a log entry: `action` (`model.publish`), the organisation concerned, the
    /// subject's id and a JSON detail.
    pub(crate) async fn log(
        &mut self,
        org_id: Option<&str>,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let seq = self.seq + 1;
        let content = onus_archive::chain::Content {
            at: self.at.clone(),
            actor: self.actor.clone(),
            actor_name: self.actor_name.clone(),
            org_id: org_id.map(str::to_string),
            action: action.to_string(),
            subject: subject.to_string(),
            detail: detail.to_string(),
        };
        let content_hash = onus_archive::chain::content_hash(seq, &content);
        let hash = onus_archive::chain::link_hash(&self.hash, &content_hash);
        sqlx::query(
            "INSERT INTO log (seq, at, actor, actor_name, org_id, action, subject, detail, content_hash, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(seq)
        .bind(&content.at)
        .bind(&content.actor)
        .bind(&content.actor_name)
        .bind(org_id)
        .bind(action)
        .bind(subject)
        .bind(&content.detail)
        .bind(&content_hash)
        .bind(&self.hash)
        .bind(&hash)
        .execute(&mut *self.tx)
        .await?;
        self.seq = seq;
        self.hash = hash;
        self.logged = true;
        Ok(())
    }

    /// Writes the next entries as the system: a deletion's own entry, when the deleting user
    /// is one of the deleted accounts (its id must not outlive it).
    pub(crate) fn as_system(&mut self) {
        self.actor = "system".into();
        self.actor_name = "system".into();
    }

    /// The seq the next entry will have.
    pub(crate) fn next_seq(&self) -> i64 {
        self.seq + 1
    }

    /// Moves the head after the chain was recomputed inside this write (the upgrade).
    pub(crate) fn rechain(&mut self, seq: i64, hash: String) {
        self.seq = seq;
        self.hash = hash;
    }

    /// Appends several log entries at once (one per organisation concerned by a step that
    /// reaches many): the same chain as one [`Write::log`] each, written in multi-row inserts
    /// so that a fan-out to a thousand customers stays one short transaction.
    pub(crate) async fn log_many(&mut self, entries: &[LogItem]) -> Result<()> {
        const COLS: usize = 11;
        for chunk in entries.chunks(100) {
            let mut rows = Vec::with_capacity(chunk.len());
            for e in chunk {
                let seq = self.seq + 1;
                let content = onus_archive::chain::Content {
                    at: self.at.clone(),
                    actor: self.actor.clone(),
                    actor_name: self.actor_name.clone(),
                    org_id: e.org_id.clone(),
                    action: e.action.clone(),
                    subject: e.subject.clone(),
                    detail: e.detail.to_string(),
                };
                let content_hash = onus_archive::chain::content_hash(seq, &content);
                let hash = onus_archive::chain::link_hash(&self.hash, &content_hash);
                rows.push((seq, content, content_hash, self.hash.clone(), hash.clone()));
                self.seq = seq;
                self.hash = hash;
            }
            let sql = format!(
                "INSERT INTO log (seq, at, actor, actor_name, org_id, action, subject, detail, content_hash, prev_hash, hash) VALUES {}",
                values(self.backend, chunk.len(), COLS)
            );
            let mut q = sqlx::query(&sql);
            for (seq, c, content_hash, prev, hash) in rows {
                q = q
                    .bind(seq)
                    .bind(c.at)
                    .bind(c.actor)
                    .bind(c.actor_name)
                    .bind(c.org_id)
                    .bind(c.action)
                    .bind(c.subject)
                    .bind(c.detail)
                    .bind(content_hash)
                    .bind(prev)
                    .bind(hash);
            }
            q.execute(&mut *self.tx).await?;
            self.logged = true;
        }
        Ok(())
    }

    /// Commits the changes and their log entries. A write that logged nothing is a bug of
    /// the caller (every change is logged): it is rolled back.
    pub async fn commit(mut self) -> Result<()> {
        if !self.logged {
            self.tx.rollback().await?;
            return Err(crate::StoreError::Data(
                "a write with no log entry was rolled back".into(),
            ));
        }
        sqlx::query("UPDATE log_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(&self.hash)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// One entry for [`Write::log_many`].
pub(crate) struct LogItem {
    pub org_id: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

/// `($1, $2, $3), ($4, $5, $6)` for `rows` rows of `cols` values: multi-row inserts in the
/// placeholder style both engines read.
/// The `VALUES` list of a multi-row insert whose only parameters are these rows. SQLite gets
/// anonymous `?` parameters: sqlx binds each numbered one (`$7`) by asking SQLite its name,
/// which SQLite finds by walking the statement's list of names, so binding a statement of n
/// numbered parameters costs n² (measured: a quarter of the time of an event published to a
/// thousand customers, `benches/fanout.rs`); anonymous ones have no name to look for.
/// PostgreSQL needs the numbers.
pub(crate) fn values(backend: Backend, rows: usize, cols: usize) -> String {
    match backend {
        Backend::Postgres => placeholders(rows, cols),
        Backend::Sqlite => {
            let row = format!("({})", vec!["?"; cols].join(", "));
            vec![row; rows].join(", ")
        }
    }
}

pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}
