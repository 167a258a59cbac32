-- Events (issue 13): incidents, change requests and announcements between a provider and its
-- customers, routed by the roles of the activity their type is bound to in the model; the
-- notifications they cause, per user, by e-mail and by webhook; the delivery worker's queue.
-- SQLite's twin is ../sqlite/0002_events.sql (INTEGER/BIGINT only). Every table holding
-- a tenant's data has `org_id` (reversibility, issue 14, exports and deletes by it).

-- One row per event. `org_id` is the organisation that opened it; who else takes part is in
-- `event_parties`. `routing` is the JSON of the rule applied when it was opened (who acts,
-- approves, is consulted, is informed): a later model version never changes an open event.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    provider_org_id TEXT NOT NULL REFERENCES orgs(id),
    model_pk TEXT NOT NULL REFERENCES models(id),
    version_id TEXT NOT NULL REFERENCES model_versions(id),
    number BIGINT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('incident', 'change', 'announcement')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT,
    service TEXT,
    due_at TEXT,
    remind_at TEXT,
    reminded_at TEXT,
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved', 'closed', 'rejected')),
    routing TEXT NOT NULL,
    opener_party TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_by_name TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    resolution TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (provider_org_id, number)
);
CREATE INDEX events_provider ON events(provider_org_id, opened_at);
CREATE INDEX events_remind ON events(remind_at);

-- Each organisation taking part in an event: its party in the model, the user it goes to (the
-- owner of the matching obligation; NULL: the organisation's admins), its acknowledgement and
-- its approval.
CREATE TABLE event_parties (
    event_id TEXT NOT NULL REFERENCES events(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    party_id TEXT NOT NULL,
    subscription_id TEXT REFERENCES subscriptions(id),
    assignee TEXT REFERENCES users(id),
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    approved_at TEXT,
    approved_by TEXT,
    PRIMARY KEY (event_id, org_id)
);
CREATE INDEX event_parties_org ON event_parties(org_id, event_id);

-- The timeline: every step (opening, acknowledgement, comment, consultation, answer,
-- resolution, approval...). `audience_org_id` NULL: every participant sees it; else only that
-- organisation and the provider (a customer's words never reach another customer).
CREATE TABLE event_steps (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    audience_org_id TEXT REFERENCES orgs(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    party_id TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    body TEXT,
    file_id TEXT REFERENCES files(id)
);
CREATE INDEX event_steps_event ON event_steps(event_id, at);

-- Consultation requests to the parties holding C, and their answers.
CREATE TABLE event_consultations (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    party_id TEXT NOT NULL,
    question TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    asked_by_name TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT,
    answered_by_name TEXT
);
CREATE INDEX event_consultations_event ON event_consultations(event_id);

-- The in-portal list of each user's notifications.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    outbox_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (outbox_id, user_id)
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

-- Each user's choice, per kind of event (incident, change, announcement, version) and channel
-- (portal, email). No row: on.
CREATE TABLE notification_prefs (
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, channel)
);

-- An organisation's webhook endpoints. The secret signs every delivery (HMAC-SHA256); it is
-- needed in clear to sign, and shown once to whoever creates the endpoint.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    kinds TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks(org_id);

-- What the worker sends: one row per message, channel and recipient (a webhook or a user's
-- address). Its id is the idempotency key every attempt carries. Claimed with a lease
-- (`lease_owner`, `lease_until`): a worker that dies mid-send leaves it to another once the
-- lease has run out.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    outbox_id TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    target TEXT NOT NULL,
    address TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_code BIGINT,
    last_error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (outbox_id, channel, target)
);
CREATE INDEX deliveries_due ON deliveries(state, next_at);
CREATE INDEX deliveries_org ON deliveries(org_id, target, created_at);

-- Every attempt of a delivery, with the receiver's response code: the delivery log.
CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    at TEXT NOT NULL,
    code BIGINT,
    error TEXT,
    ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, at);

-- The outbox is claimed with a lease too, by whichever instance's worker expands it into
-- notifications and deliveries.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
