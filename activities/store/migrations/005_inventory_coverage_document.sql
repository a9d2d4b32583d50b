-- A coverage row may speak only for the actions one document grants (a GCP Recommender insight covers
-- the permissions of one role binding). Absent: every action, as before.
ALTER TABLE inventory_coverage ADD COLUMN document_id text;

-- Two insights of one member over the same period, for two roles, are two rows.
DROP INDEX inventory_coverage_once;
CREATE UNIQUE INDEX inventory_coverage_once ON inventory_coverage (
  run_key, identity_id, source, granularity, actions, from_at, to_at, services, except_actions, document_id
) NULLS NOT DISTINCT;
