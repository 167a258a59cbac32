-- The portal's schema for PostgreSQL; SQLite's twin is ../sqlite/0001_portal.sql: the two differ only
-- where the dialects do (BLOB/BYTEA, INTEGER/BIGINT). Every table holding a tenant's data has
-- `org_id`, so that an export (issue 14) and a deletion can find all of a tenant's rows.
-- Times are RFC 3339 UTC text (sortable, the same in both engines); ids are UUID text.

CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('provider', 'customer')),
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'auditor')),
    instance_admin BIGINT NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    lang TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

-- Session ids and API tokens are stored as their SHA-256: a copy of the database grants nothing.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);

CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    count BIGINT NOT NULL
);

CREATE TABLE models (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    model_id TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, model_id)
);

-- Immutable once written: nothing updates or deletes a version.
CREATE TABLE model_versions (
    id TEXT PRIMARY KEY,
    model_pk TEXT NOT NULL REFERENCES models(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    seq BIGINT NOT NULL,
    version TEXT NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    findings TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    UNIQUE (model_pk, seq),
    UNIQUE (model_pk, version)
);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    version_id TEXT NOT NULL REFERENCES model_versions(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (org_id, model_pk)
);

-- A newer version than the one a subscription is on, with the diff against it. `moves_duty`:
-- R or A moved onto the customer. Pending until acknowledged.
CREATE TABLE version_notices (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    from_version_id TEXT NOT NULL REFERENCES model_versions(id),
    to_version_id TEXT NOT NULL REFERENCES model_versions(id),
    diff TEXT NOT NULL,
    moves_duty BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT
);
CREATE INDEX version_notices_org ON version_notices(org_id);

-- A party's duty (R or A) under a model: the customer's come from its subscription, the
-- provider's (subscription_id NULL) from its publication.
CREATE TABLE obligations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    subscription_id TEXT REFERENCES subscriptions(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    activity_id TEXT NOT NULL,
    party_id TEXT NOT NULL,
    owner TEXT,
    notes TEXT,
    active BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, model_pk, activity_id)
);

-- Content-addressed file storage: one row per distinct content; `files` are a tenant's
-- references to it (deleting a tenant deletes its `files`, then blobs nobody references).
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX files_org ON files(org_id);

CREATE TABLE audits (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    file_id TEXT NOT NULL REFERENCES files(id),
    results TEXT NOT NULL,
    problems TEXT NOT NULL,
    inputs TEXT NOT NULL,
    objects BIGINT NOT NULL,
    k8s_latest TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    shared BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX audits_org_model ON audits(org_id, model_pk, uploaded_at);

CREATE TABLE attestations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    activity_id TEXT NOT NULL,
    date TEXT NOT NULL,
    by_name TEXT NOT NULL,
    valid TEXT,
    note TEXT,
    evidence_ref TEXT NOT NULL,
    evidence_sha256 TEXT NOT NULL,
    file_id TEXT REFERENCES files(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    shared BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX attestations_org_model ON attestations(org_id, model_pk);

-- Counts of a party's duties by status after each change of evidence: the compliance chart.
CREATE TABLE status_history (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    at TEXT NOT NULL,
    counts TEXT NOT NULL
);
CREATE INDEX status_history_org ON status_history(org_id, model_pk, at);

-- Outbox: messages to deliver, written in the same transaction as the change they announce
-- (notifications of issue 13 read it; nothing is sent from a request).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    available_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    done_at TEXT
);
CREATE INDEX outbox_pending ON outbox(done_at, available_at);

-- The instance's signing keys (Ed25519, for deletion certificates of issue 14).
CREATE TABLE instance_keys (
    id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    secret_key BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT
);

-- The append-only, hash-chained log. `log_head` has one row: the last entry's seq and hash.
-- Every write transaction first updates it, which serialises writers on both engines (a row
-- lock on PostgreSQL, the write lock on SQLite), so the chain never forks.
CREATE TABLE log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    org_id TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX log_org ON log(org_id, seq);

CREATE TABLE log_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO log_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
