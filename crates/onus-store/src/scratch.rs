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
