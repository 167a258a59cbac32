-- An audit's results (the JSON of every check's failures: tens of MB for a large cluster)
-- move to the last column of `audits`. SQLite stores a row's columns in order and a value
-- that does not fit a page in a chain of overflow pages: reading any column after `results`
-- (uploaded_at, shared, ...) walked that whole chain, so listing or finding an organisation's
-- latest audit cost milliseconds per 10 MB of results on every request. With `results` last,
-- the other columns are read from the row's first page. (PostgreSQL keeps large values out of
-- line, TOAST, so its migration of the same version changes nothing.)
ALTER TABLE audits RENAME COLUMN results TO results_before;
ALTER TABLE audits ADD COLUMN results TEXT NOT NULL DEFAULT '';
UPDATE audits SET results = results_before;
ALTER TABLE audits DROP COLUMN results_before;
