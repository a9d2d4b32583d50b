-- Which cloud objects Least made itself, written before the cloud call that makes them. Identity Center
-- assignments carry no name or tag to tell Least's from an administrator's identical one; this row does.
-- A claim is released once Least has removed the object, so a later identical one made by someone else
-- is not taken for Least's.
CREATE TABLE cloud_claims (
  cloud_key   text NOT NULL,
  lease_id    text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  PRIMARY KEY (cloud_key, lease_id)
);
CREATE INDEX cloud_claims_held ON cloud_claims (cloud_key) WHERE released_at IS NULL;
