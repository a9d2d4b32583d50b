-- An Identity Center assignment links a user or group to a permission set (`via`), whose own paths
-- carry the documents, as a group membership links a member to its group: neither names a document.
ALTER TABLE inventory_grant_paths DROP CONSTRAINT inventory_grant_paths_check;
ALTER TABLE inventory_grant_paths ADD CONSTRAINT inventory_grant_paths_document_check
  CHECK ((kind IN ('group-membership', 'permission-set')) = (document_id IS NULL));

DROP INDEX inventory_grant_paths_members;
CREATE INDEX inventory_grant_paths_members ON inventory_grant_paths (run_key, via, identity_id)
  WHERE kind IN ('group-membership', 'permission-set');
