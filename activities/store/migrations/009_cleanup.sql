-- The unused-permission cleanup (issue 13): each run's plan, the owners' answers, a snapshot of every
-- object before it changes, and what happened to each item. Runs are kept (they are the way back); they do
-- not hang off inventory snapshots, which expire.

CREATE TABLE cleanup_runs (
  run_id            text PRIMARY KEY,
  system_id         text NOT NULL,
  -- The inventory snapshot the plan was made from.
  collection_run_id text NOT NULL,
  mode              text NOT NULL CHECK (mode IN ('report', 'enforce')),
  trigger           text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  requested_by      text,
  -- Only one identity was planned (a cleanup started from a finding card or the CLI).
  identity_id       text,
  status            text NOT NULL CHECK (status IN ('planned', 'announced', 'applying', 'finished', 'failed')),
  window_from       timestamptz NOT NULL,
  window_to         timestamptz NOT NULL,
  planned_at        timestamptz NOT NULL,
  announced_at      timestamptz,
  -- Nothing changes before this; set once the owners were told (or the run said it could not tell them).
  notice_until      timestamptz,
  finished_at       timestamptz,
  counts            jsonb NOT NULL DEFAULT '{}',
  -- Why owners could not be told, when they could not.
  announce_problem  text
);

CREATE INDEX cleanup_runs_by_system ON cleanup_runs (system_id, planned_at DESC);

-- One proposed change per run: the object, what it takes away, the document before and after.
CREATE TABLE cleanup_items (
  run_id          text NOT NULL REFERENCES cleanup_runs (run_id) ON DELETE CASCADE,
  item_id         text NOT NULL,
  change          text NOT NULL,
  object_kind     text NOT NULL,
  object_key      text NOT NULL,
  object_name     text NOT NULL,
  identities      jsonb NOT NULL,
  remove_actions  text[] NOT NULL DEFAULT '{}',
  kept_for_others text[] NOT NULL DEFAULT '{}',
  before_doc      jsonb,
  after_doc       jsonb,
  reason          text NOT NULL,
  last_used       text,
  explicit_only   boolean NOT NULL DEFAULT false,
  owners          text[] NOT NULL DEFAULT '{}',
  -- removed | kept | snoozed | reported | skipped | replanned | failed | restored (absent: not decided yet)
  outcome         text,
  outcome_detail  text,
  outcome_at      timestamptz,
  restored_at     timestamptz,
  restored_by     text,
  PRIMARY KEY (run_id, item_id)
);

-- Why the rest of what looked unused is not in the plan (not enough data, excluded, grace, kept, …).
CREATE TABLE cleanup_holds (
  run_id        text NOT NULL REFERENCES cleanup_runs (run_id) ON DELETE CASCADE,
  ordinal       integer NOT NULL,
  identity_id   text NOT NULL,
  identity_name text NOT NULL,
  object_kind   text,
  object_key    text,
  reason        text NOT NULL,
  detail        text NOT NULL,
  actions       integer,
  PRIMARY KEY (run_id, ordinal)
);

CREATE INDEX cleanup_holds_by_identity ON cleanup_holds (run_id, identity_id);

-- Owners' answers. Keep and Snooze outlive a run (until `until`) and attach to the item id, which is
-- stable for the same object and change; Remove belongs to its run. Never deleted: audited.
CREATE TABLE cleanup_decisions (
  decision_id text PRIMARY KEY,
  system_id   text NOT NULL,
  run_id      text NOT NULL REFERENCES cleanup_runs (run_id) ON DELETE CASCADE,
  item_id     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('keep', 'remove', 'snooze')),
  decided_by  text NOT NULL,
  decided_at  timestamptz NOT NULL DEFAULT now(),
  reason      text,
  until       timestamptz,
  CHECK (kind = 'remove' OR until IS NOT NULL)
);

CREATE INDEX cleanup_decisions_live ON cleanup_decisions (system_id, item_id, until);
CREATE INDEX cleanup_decisions_by_run ON cleanup_decisions (run_id, item_id, decided_at DESC);

-- Every object as it was before a run changed it: what Restore puts back. Written once per run and item.
CREATE TABLE cleanup_snapshots (
  run_id      text NOT NULL REFERENCES cleanup_runs (run_id) ON DELETE CASCADE,
  item_id     text NOT NULL,
  object_kind text NOT NULL,
  object_key  text NOT NULL,
  taken_at    timestamptz NOT NULL DEFAULT now(),
  snapshot    jsonb NOT NULL,
  PRIMARY KEY (run_id, item_id)
);

-- Chat messages a run posted (announcements, reminders, reports), so a retried activity edits or skips
-- them instead of posting twice. The requests' message_refs belong to requests; these to cleanup runs.
CREATE TABLE cleanup_messages (
  run_id     text NOT NULL REFERENCES cleanup_runs (run_id) ON DELETE CASCADE,
  platform   text NOT NULL CHECK (platform IN ('slack', 'teams', 'log')),
  recipient  text NOT NULL,
  purpose    text NOT NULL,
  channel    text NOT NULL,
  message_id text NOT NULL,
  posted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, platform, recipient, purpose)
);
