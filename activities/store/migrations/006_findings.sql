-- Findings: what each inventory snapshot says about risk, computed once per run by the findings activity
-- and read by chat and the CLI. Everything below a run goes with it (ON DELETE CASCADE), so retention
-- follows the snapshots; the daily PCI history outlives them for trends.

-- One row per assessed run: when, the system's index and its counts, and whether the assessment is whole.
CREATE TABLE findings_runs (
  run_key      bigint PRIMARY KEY REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  system_id    text NOT NULL,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded')),
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- The system's Permission Creep Index and how its identities fall in the bands.
  pci          smallint CHECK (pci BETWEEN 0 AND 100),
  summary      jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX findings_runs_by_system ON findings_runs (system_id, finished_at DESC);

-- One row per identity of an assessed run: its index (when scored) and the explanation behind it.
CREATE TABLE findings_identities (
  run_key       bigint NOT NULL REFERENCES findings_runs (run_key) ON DELETE CASCADE,
  identity_id   text NOT NULL,
  identity_name text NOT NULL,
  nature        text NOT NULL,
  scored        boolean NOT NULL,
  pci           smallint CHECK (pci BETWEEN 0 AND 100),
  granted       integer NOT NULL,
  used          integer NOT NULL,
  unknown       integer NOT NULL,
  findings      integer NOT NULL,
  -- The score's first contributor, for lists; the whole explanation is recomputed from the snapshot on
  -- demand (an identity card), which keeps a 100,000-identity assessment small to write.
  top_contributor text,
  last_used     date,
  PRIMARY KEY (run_key, identity_id)
);

-- "Top identities" of a system.
CREATE INDEX findings_identities_by_pci ON findings_identities (run_key, pci DESC NULLS LAST);
CREATE INDEX findings_identities_by_name ON findings_identities (run_key, lower(identity_name));

-- Findings one by one, for counts per kind and category and for suppression by id.
CREATE TABLE findings (
  run_key     bigint NOT NULL REFERENCES findings_runs (run_key) ON DELETE CASCADE,
  finding_id  text NOT NULL,
  identity_id text NOT NULL,
  kind        text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  categories  text[] NOT NULL DEFAULT '{}',
  title       text NOT NULL,
  suppressed  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (run_key, finding_id)
);

CREATE INDEX findings_by_identity ON findings (run_key, identity_id);
CREATE INDEX findings_by_kind ON findings (run_key, kind, severity);

-- The index per identity (and per system: identity_id '*') per UTC day, for trends and 7-day movers.
CREATE TABLE findings_pci_history (
  system_id   text NOT NULL,
  identity_id text NOT NULL,
  day         date NOT NULL,
  pci         smallint NOT NULL CHECK (pci BETWEEN 0 AND 100),
  PRIMARY KEY (system_id, identity_id, day)
);

CREATE INDEX findings_pci_history_by_day ON findings_pci_history (system_id, day);

-- Suppressions made in chat or with the CLI (those in the policy file live there, as code). Never
-- deleted: lifting one stamps lifted_at, and both are audited.
CREATE TABLE findings_suppressions (
  suppression_id text PRIMARY KEY,
  system_id      text NOT NULL,
  identity_id    text NOT NULL,
  -- Absent: every finding of the identity.
  finding_id     text,
  reason         text NOT NULL,
  created_by     text NOT NULL,
  source         text NOT NULL CHECK (source IN ('chat', 'cli')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  until          timestamptz NOT NULL,
  lifted_at      timestamptz,
  CHECK (until > created_at)
);

CREATE INDEX findings_suppressions_live ON findings_suppressions (system_id, identity_id) WHERE lifted_at IS NULL;
