-- The denied-call watch (issue 13): after a cleanup removed an action, each collection reads the calls
-- the cloud denied to it since, and shows them to the item's owners with a Restore button. This records
-- which denied calls (identity, action, UTC day) were told, so each is told once however many later
-- snapshots hold the same day. Nothing here restores anything: only a person's click does.
CREATE TABLE cleanup_denials_told (
  run_id            text NOT NULL,
  item_id           text NOT NULL,
  identity_id       text NOT NULL,
  -- Lower-cased: the inventory and the policy may spell an action differently.
  action            text NOT NULL,
  day               date NOT NULL,
  -- How many calls were denied that day when it was told, and by which collection.
  denied            integer NOT NULL CHECK (denied > 0),
  collection_run_id text NOT NULL,
  told_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, item_id, identity_id, action, day),
  FOREIGN KEY (run_id, item_id) REFERENCES cleanup_items (run_id, item_id) ON DELETE CASCADE
);

-- The watch reads the removed items of one system in the last 90 days.
CREATE INDEX cleanup_items_removed ON cleanup_items (outcome_at) WHERE outcome IN ('removed', 'staged');
