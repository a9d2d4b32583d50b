-- Which cloud objects Least made itself, written before the cloud call that makes them. Identity Center
-- assignments carry no name or tag to tell Least's from an administrator's identical one; this row does.
CREATE TABLE cloud_claims (
  cloud_key  text NOT NULL,
  lease_id   text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_key, lease_id)
);
