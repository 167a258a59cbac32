-- Reversibility and end of service (issue 14), for PostgreSQL. SQLite's twin is
-- ../sqlite/0003_reversibility.sql (INTEGER for BIGINT).

-- The log keeps each entry's content hash, so that a deleted tenant's entries can lose their
-- content and the chain stay verifiable (docs/portal.md, "Retention"). Entries written before
-- have none: the store re-chains them once at start (onus_store::log). `redacted_by`: the seq
-- of the deletion (or retention purge) that removed the content; `redact_after`: content kept
-- by a retention setting until then.
ALTER TABLE log ADD COLUMN content_hash TEXT;
ALTER TABLE log ADD COLUMN redacted_by BIGINT;
ALTER TABLE log ADD COLUMN redact_after TEXT;
CREATE INDEX log_redact_after ON log(redact_after);

-- A subscription's end: the date the service ends, which party ended it, who asked, why.
ALTER TABLE subscriptions ADD COLUMN end_date TEXT;
ALTER TABLE subscriptions ADD COLUMN ended_by_party TEXT;
ALTER TABLE subscriptions ADD COLUMN end_requested_at TEXT;
ALTER TABLE subscriptions ADD COLUMN end_requested_by TEXT;
ALTER TABLE subscriptions ADD COLUMN end_reason TEXT;

-- The end-of-service checklist of a subscription: the model's end-of-service activities, each
-- with the party that does it and its deadline. `org_id` is the customer's (whose service
-- ends), also for the provider's lines: they are about the customer's data, and go with it.
CREATE TABLE end_of_service_items (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    activity_id TEXT NOT NULL,
    party_id TEXT NOT NULL,
    party_kind TEXT NOT NULL CHECK (party_kind IN ('provider', 'customer')),
    due TEXT NOT NULL,
    done_at TEXT,
    done_by TEXT,
    note TEXT,
    UNIQUE (subscription_id, activity_id, party_id)
);
CREATE INDEX end_of_service_items_org ON end_of_service_items(org_id);

-- What remains of a deleted tenant: the signed deletion certificate, and the seq of the log
-- entry that records it.
CREATE TABLE deletions (
    id TEXT PRIMARY KEY,
    deleted_at TEXT NOT NULL,
    log_seq BIGINT NOT NULL,
    certificate TEXT NOT NULL
);
