-- Anomalies (issue 14, item 4): what an identity did on one day that its own history says it does not do.
-- Kept beyond the snapshots that found them (reports and digests read months back), so no foreign key to
-- inventory_runs: a pruned snapshot leaves its anomalies in place.

-- One scan per collection run: which days it judged, so the next scan knows where to start.
CREATE TABLE anomaly_scans (
  run_id      text PRIMARY KEY,
  system_id   text NOT NULL,
  status      text NOT NULL CHECK (status IN ('running', 'succeeded')),
  judged_from date,
  judged_to   date,
  identities  integer NOT NULL DEFAULT 0,
  found       integer NOT NULL DEFAULT 0,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE INDEX anomaly_scans_by_system ON anomaly_scans (system_id, judged_to DESC) WHERE status = 'succeeded';

CREATE TABLE anomalies (
  anomaly_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id      text NOT NULL,
  identity_id    text NOT NULL,
  identity_name  text NOT NULL,
  day            date NOT NULL,
  kind           text NOT NULL
    CHECK (kind IN ('first-service', 'first-resource', 'volume', 'unusual-hour', 'new-region', 'new-address')),
  subject        text NOT NULL,
  observed       double precision NOT NULL,
  baseline       double precision,
  score          double precision,
  severity       text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  explanation    text NOT NULL,
  -- The scan that found it first; a rescan of the same day (a later collection, a retried activity)
  -- writes nothing twice, and the first scan stays the one that told.
  first_seen_run text NOT NULL,
  -- Marked when a live suppression covered it at the scan: stored, never alerted.
  suppressed     boolean NOT NULL DEFAULT false,
  suppression    jsonb,
  found_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT anomalies_once UNIQUE (system_id, identity_id, day, kind, subject)
);

-- Digests read a period across systems; reports read one identity.
CREATE INDEX anomalies_by_day ON anomalies (day, system_id);
CREATE INDEX anomalies_by_first_run ON anomalies (first_seen_run);

CREATE TABLE anomaly_suppressions (
  suppression_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system_id      text NOT NULL,
  -- The identity's id or name, as the person wrote it.
  identity       text NOT NULL,
  kind           text
    CHECK (kind IN ('first-service', 'first-resource', 'volume', 'unusual-hour', 'new-region', 'new-address')),
  subject        text,
  reason         text NOT NULL,
  by_whom        text NOT NULL,
  until          date NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  source         text NOT NULL CHECK (source IN ('chat', 'cli'))
);

CREATE INDEX anomaly_suppressions_live ON anomaly_suppressions (system_id, until);
