-- The inventory: collection runs (snapshots) of each authorization system, what each identity is granted and
-- what it used. Size rule: a policy document is stored and expanded to actions once, whatever number of runs,
-- systems and identities hold it; identities reach actions only through grant paths, so no table ever holds
-- identity × granted action rows. Everything below a run is deleted with it (ON DELETE CASCADE).

CREATE TABLE inventory_runs (
  run_id      text PRIMARY KEY,
  -- A compact key for the large child tables (usage may be millions of rows per run).
  run_key     bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  system_id   text NOT NULL,
  status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  window_from timestamptz NOT NULL,
  window_to   timestamptz NOT NULL CHECK (window_to >= window_from),
  catalogues  jsonb NOT NULL DEFAULT '{}',
  counts      jsonb NOT NULL DEFAULT '{}',
  error       text
);

CREATE INDEX inventory_runs_by_system ON inventory_runs (system_id, started_at DESC);

-- The snapshot people read for each system: moved only by finishing a run, in the same transaction.
CREATE TABLE inventory_current (
  system_id text PRIMARY KEY,
  run_id    text NOT NULL REFERENCES inventory_runs (run_id)
);

CREATE TABLE inventory_identities (
  run_key          bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  identity_id      text NOT NULL,
  kind             text NOT NULL,
  name             text NOT NULL,
  nature           text NOT NULL CHECK (nature IN ('human', 'workload', 'group', 'credential')),
  owner            text,
  tags             jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz,
  last_activity_at timestamptz,
  parent_id        text,
  path             text,
  disabled         boolean NOT NULL DEFAULT false,
  -- An AWS role's trust policy (who may assume it), for the risky-trust finding.
  trust_policy     jsonb,
  PRIMARY KEY (run_key, identity_id)
);

-- `least inventory show <name>`: people name identities, case aside.
CREATE INDEX inventory_identities_by_name ON inventory_identities (run_key, lower(name));

-- Shared by every run and system: keyed by content (sha256 of the canonical body).
CREATE TABLE inventory_documents (
  document_id      text PRIMARY KEY,
  cloud            text NOT NULL CHECK (cloud IN ('aws', 'azure', 'gcp')),
  kind             text NOT NULL,
  name             text NOT NULL,
  managed_by_cloud boolean NOT NULL,
  body             jsonb NOT NULL,
  stored_at        timestamptz NOT NULL DEFAULT now()
);

-- A document's expansion against the catalogue: one row per action and effect.
CREATE TABLE inventory_document_actions (
  document_id    text NOT NULL REFERENCES inventory_documents (document_id) ON DELETE CASCADE,
  action         text NOT NULL,
  effect         text NOT NULL CHECK (effect IN ('allow', 'deny')),
  access_levels  text[] NOT NULL,
  resource_reach text NOT NULL CHECK (resource_reach IN ('all', 'some')),
  conditional    boolean NOT NULL,
  PRIMARY KEY (document_id, action, effect)
);

-- "Who holds action X": from an action to the documents granting it.
CREATE INDEX inventory_document_actions_by_action ON inventory_document_actions (action, document_id);

-- Which documents each run declared; a document no remaining run declares is pruned with the snapshots.
CREATE TABLE inventory_run_documents (
  run_key     bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  document_id text NOT NULL REFERENCES inventory_documents (document_id),
  PRIMARY KEY (run_key, document_id)
);

CREATE INDEX inventory_run_documents_by_document ON inventory_run_documents (document_id);

CREATE TABLE inventory_grant_paths (
  run_key     bigint NOT NULL,
  identity_id text NOT NULL,
  kind        text NOT NULL,
  -- Absent for a group membership (its documents hang off the group).
  document_id text REFERENCES inventory_documents (document_id),
  via         text,
  scope       text NOT NULL,
  conditional boolean NOT NULL,
  FOREIGN KEY (run_key) REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  CHECK ((kind = 'group-membership') = (document_id IS NULL))
);

-- A retried page writes nothing twice; a missing document or via is a value like any other here.
CREATE UNIQUE INDEX inventory_grant_paths_once ON inventory_grant_paths (
  run_key, identity_id, kind, document_id, via, scope
) NULLS NOT DISTINCT;
-- "Identities per document", and from a document's actions back to who holds them.
CREATE INDEX inventory_grant_paths_by_document ON inventory_grant_paths (run_key, document_id);
-- Group members: the group's own paths are its members' too.
CREATE INDEX inventory_grant_paths_members ON inventory_grant_paths (run_key, via, identity_id)
  WHERE kind = 'group-membership';

-- Uses (and denied attempts) of one action by one identity on one UTC day, summed over the run's sources.
-- Keyed by run: each run is a whole snapshot of its window, so a failed run never touches a current one.
CREATE TABLE inventory_usage (
  run_key     bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  identity_id text NOT NULL,
  action      text NOT NULL,
  day         date NOT NULL,
  count       integer NOT NULL CHECK (count >= 0),
  denied      integer NOT NULL CHECK (denied >= 0),
  -- Also serves "usage of one identity per day" and "granted but unused in the window" per identity.
  PRIMARY KEY (run_key, identity_id, action, day)
);

-- "Who used action X in the window" (unused per action is its complement).
CREATE INDEX inventory_usage_by_action ON inventory_usage (run_key, action, day);

-- Which usage pages a run has applied. A page's rows are added (summed) in the same transaction that
-- records its chunk id here, so a retried page adds nothing and two files of one day still add up.
CREATE TABLE inventory_usage_chunks (
  run_key bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  stream  text NOT NULL CHECK (stream IN ('usage', 'detail')),
  chunk   text NOT NULL,
  PRIMARY KEY (run_key, stream, chunk)
);

-- What anomaly detection needs, per identity and day. Addresses are personal data: rows older than the
-- retention are deleted when a run finishes.
CREATE TABLE inventory_usage_detail (
  run_key       bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  identity_id   text NOT NULL,
  day           date NOT NULL,
  hours         integer[] NOT NULL CHECK (cardinality(hours) = 24),
  regions       text[] NOT NULL,
  addresses     text[] NOT NULL,
  new_resources text[] NOT NULL,
  PRIMARY KEY (run_key, identity_id, day)
);

CREATE INDEX inventory_usage_detail_by_day ON inventory_usage_detail (day);

-- The distinct values of a then b in first-seen order, at most n: how detail lists from two pages merge.
CREATE FUNCTION inventory_bounded_union(a text[], b text[], n integer) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((array_agg(x ORDER BY first_seen))[1:n], '{}')
  FROM (SELECT x, min(i) AS first_seen FROM unnest(a || b) WITH ORDINALITY AS t(x, i) GROUP BY x) seen
$$;

-- Hour counts of two pages added hour by hour.
CREATE FUNCTION inventory_hours_sum(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

CREATE TABLE inventory_coverage (
  run_key     bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  identity_id text NOT NULL,
  source      text NOT NULL,
  granularity text NOT NULL,
  from_at     timestamptz NOT NULL,
  to_at       timestamptz NOT NULL,
  actions     text NOT NULL CHECK (actions IN ('all', 'writes')),
  -- Absent: every service, no exception.
  services    text[],
  except_actions text[],
  -- Absent: every action; set: only the actions this document grants (a GCP Recommender insight covers
  -- the permissions of one role binding).
  document_id text,
  note        text
);

-- Two insights of one member over the same period, for two roles, are two rows.
CREATE UNIQUE INDEX inventory_coverage_once ON inventory_coverage (
  run_key, identity_id, source, granularity, actions, from_at, to_at, services, except_actions, document_id
) NULLS NOT DISTINCT;

CREATE TABLE inventory_skipped (
  run_key bigint NOT NULL REFERENCES inventory_runs (run_key) ON DELETE CASCADE,
  reason  text NOT NULL,
  item    text NOT NULL,
  detail  text,
  PRIMARY KEY (run_key, reason, item)
);
