-- The same version as migrations/sqlite/0004_audit_results_last.sql, which moves an audit's
-- large `results` to the last column of the row for SQLite's sake. PostgreSQL stores large
-- values out of line (TOAST), so reading the other columns never touches them: nothing to do.
SELECT 1;
