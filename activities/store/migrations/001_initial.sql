-- The system of record for what people query: requests, decisions, leases, chat message references and the
-- hash-chained audit log. Workflow state lives in Temporal; activities write these rows.

CREATE TABLE requests (
  request_id     text PRIMARY KEY,
  requester      text NOT NULL,
  entitlement_id text NOT NULL,
  system_id      text NOT NULL,
  status         text NOT NULL
    CHECK (status IN ('pending', 'approved', 'active', 'revoked', 'denied', 'expired', 'cancelled', 'failed')),
  submitted_at   timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  -- The workflow's last snapshot; the columns above are derived from it for filtering.
  state          jsonb NOT NULL
);

CREATE INDEX requests_newest ON requests (submitted_at DESC, request_id DESC);
CREATE INDEX requests_by_requester ON requests (requester, submitted_at DESC);
CREATE INDEX requests_by_status ON requests (status, submitted_at DESC);
-- Serves the "requests I can approve" view: (state -> 'rules' -> 'approvers') ? 'someone@example.com'.
CREATE INDEX requests_by_approver ON requests USING gin ((state -> 'rules' -> 'approvers'));

CREATE TABLE decisions (
  request_id text NOT NULL REFERENCES requests (request_id),
  approver   text NOT NULL,
  stage      text NOT NULL CHECK (stage IN ('request', 'extension')),
  verdict    text NOT NULL CHECK (verdict IN ('approve', 'deny')),
  reason     text,
  decided_at timestamptz NOT NULL,
  -- One decision per approver and stage: a retried activity or a double click records nothing new.
  CONSTRAINT decisions_once UNIQUE (request_id, approver, stage)
);

CREATE TABLE leases (
  lease_id   text PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (request_id),
  system_id  text NOT NULL,
  cloud_key  text NOT NULL,
  principal  jsonb NOT NULL,
  grant_spec jsonb NOT NULL,
  granted_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  status     text NOT NULL CHECK (status IN ('active', 'revoked', 'failed')),
  revoked_at timestamptz,
  receipt    text
);

CREATE INDEX leases_by_request ON leases (request_id);
CREATE INDEX leases_by_cloud_key ON leases (cloud_key);
-- Reconciliation and expiry sweeps only ever look at live leases.
CREATE INDEX leases_live ON leases (system_id, expires_at) WHERE status = 'active';

CREATE TABLE message_refs (
  request_id text NOT NULL REFERENCES requests (request_id),
  platform   text NOT NULL CHECK (platform IN ('slack', 'teams', 'log')),
  recipient  text NOT NULL,
  purpose    text NOT NULL,
  channel    text NOT NULL,
  message_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT message_refs_one_per_purpose UNIQUE (request_id, platform, recipient, purpose)
);

CREATE TABLE audit_log (
  seq        bigint PRIMARY KEY CHECK (seq > 0),
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  request_id text,
  detail     jsonb NOT NULL,
  -- Business key of the event, so a retried activity finds its earlier row instead of adding one.
  key        text UNIQUE,
  prev_hash  text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

CREATE INDEX audit_log_by_request ON audit_log (request_id, seq);

-- The newest row's seq and hash, written in the same transaction as each append. Deleting the newest rows
-- leaves no gap in the chain; the head is what still remembers them.
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq       bigint NOT NULL CHECK (seq >= 0),
  hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

INSERT INTO audit_head (singleton, seq, hash) VALUES (true, 0, repeat('0', 64));

-- Stops accidental edits by code or a hurried operator. It does not stop someone who owns the table (they can
-- disable the trigger); the hash chain and verifyAudit are what catch that.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
