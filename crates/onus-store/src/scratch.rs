//! Fresh databases for tests (this crate's and onus-server's): a SQLite file in a temporary
//! folder, or a PostgreSQL database named by a UUID on the server that
//! `ONUS_TEST_POSTGRES` names (`.ci/postgres.sh` starts one and prints its URL).
//!
//! When the variable is unset, PostgreSQL tests skip, saying so on stderr; under CI
//! (`CI=true`) they fail instead, so that CI can never pass without running them.

use sqlx::Connection as _;

/// The environment variable naming the PostgreSQL server tests use (an admin URL, e.g.
/// `postgres://postgres@127.0.0.1:54329/postgres`).
pub const POSTGRES_ENV: &str = "ONUS_TEST_POSTGRES";

/// The URL of a new, empty PostgreSQL database, or `None` (with a loud message) when no
/// server is configured outside CI. Panics under CI without a server: tests must run there.
pub async fn postgres_database(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{POSTGRES_ENV} is not set under CI: PostgreSQL tests must run (.ci/run starts the server)");
        }
        eprintln!(
            "SKIPPED {test} on PostgreSQL: {POSTGRES_ENV} is not set (run `eval \"$(.ci/postgres.sh)\"` to start a server)"
        );
        return None;
    };
    let name = format!("onus_test_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::postgres::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}={admin}: {e}"));
    sqlx::Executor::execute(&mut c, format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let _ = c.close().await;
    // Replace the database part of the admin URL.
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let root = match base.rfind('/') {
        Some(i) if base[..i].contains("//") && i > base.find("//").unwrap_or(0) + 1 => &base[..i],
        _ => base.as_str(),
    };
    Some(format!("{root}/{name}{query}"))
}

/// A SQLite database file in `dir`.
pub fn sqlite_path(dir: &std::path::Path) -> String {
    dir.join("onus.db").display().to_string()
}

/// Runs one SQL statement on a database directly, bypassing the store: only for tests that
/// play an attacker with database access (tampering with the log).
pub async fn execute_raw(spec: &str, sql: &str) -> Result<u64, sqlx::Error> {
    use sqlx::Executor;
    let url = crate::db::database_url(spec);
    if url.starts_with("sqlite:") {
        let mut c = sqlx::sqlite::SqliteConnection::connect(&url).await?;
        let n = c.execute(sql).await?.rows_affected();
        c.close().await?;
        Ok(n)
    } else {
        let mut c = sqlx::postgres::PgConnection::connect(&url).await?;
        let n = c.execute(sql).await?.rows_affected();
        c.close().await?;
        Ok(n)
    }
}

/// Where any of `needles` occurs in a database, as "what, where" lines (empty: nowhere).
/// Test support for the proof that a deletion leaves nothing:
/// - SQLite: the raw bytes of the database file and of its write-ahead log and shared-memory
///   files, whatever table, index, free page or old page version holds them;
/// - PostgreSQL: every column of every table of the database (as text; `bytea` as bytes),
///   but the tables in `skip`.
pub async fn occurrences(spec: &str, needles: &[String], skip: &[&str]) -> Vec<String> {
    use sqlx::Row;
    let url = crate::db::database_url(spec);
    let mut found = Vec::new();
    if url.starts_with("sqlite:") {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = format!("{spec}{suffix}");
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            for n in needles {
                let pat = n.as_bytes();
                if let Some(at) = bytes.windows(pat.len()).position(|w| w == pat) {
                    found.push(format!("`{n}` in {path} at byte {at}"));
                }
            }
        }
        return found;
    }
    let mut c = sqlx::postgres::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut c)
    .await
    .unwrap_or_else(|e| panic!("listing columns: {e}"));
    for col in &cols {
        let (t, name, ty): (String, String, String) = (col.get("t"), col.get("c"), col.get("d"));
        if skip.contains(&t.as_str()) {
            continue;
        }
        for n in needles {
            let sql = if ty == "bytea" {
                format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE position(convert_to($1, 'UTF8') in \"{name}\") > 0")
            } else {
                format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE strpos(\"{name}\"::text, $1) > 0")
            };
            let hits: i64 = sqlx::query(&sql)
                .bind(n)
                .fetch_one(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .get("n");
            if hits > 0 {
                found.push(format!("`{n}` in {t}.{name} ({hits} rows)"));
            }
        }
    }
    let _ = c.close().await;
    found
}

/// The tables of a database and, for each, whether it has an `org_id` column. Test support
/// for the check that every table is covered by export and deletion.
pub async fn tables(spec: &str) -> Vec<(String, bool)> {
    use sqlx::Row;
    let url = crate::db::database_url(spec);
    if url.starts_with("sqlite:") {
        let mut c = sqlx::sqlite::SqliteConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        let names: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&mut c)
        .await
        .unwrap_or_else(|e| panic!("listing tables: {e}"))
        .iter()
        .map(|r| r.get("name"))
        .collect();
        let mut out = Vec::new();
        for n in names {
            let cols = sqlx::query(&format!("SELECT name FROM pragma_table_info('{n}')"))
                .fetch_all(&mut c)
                .await
                .unwrap_or_else(|e| panic!("columns of {n}: {e}"));
            let org = cols.iter().any(|r| r.get::<String, _>("name") == "org_id");
            out.push((n, org));
        }
        let _ = c.close().await;
        out
    } else {
        let mut c = sqlx::postgres::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let rows = sqlx::query(
            "SELECT t.table_name::text AS n, EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema \
             AND c.table_name = t.table_name AND c.column_name = 'org_id') AS org FROM information_schema.tables t \
             WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&mut c)
        .await
        .unwrap_or_else(|e| panic!("listing tables: {e}"));
        let _ = c.close().await;
        rows.iter().map(|r| (r.get("n"), r.get("org"))).collect()
    }
}
