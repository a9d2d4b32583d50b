-- The accounts an Identity Center permission set is provisioned to (this system's and others): the
-- cleanup narrows a set's inline policy only when it reaches no account whose use it does not see.
ALTER TABLE inventory_identities ADD COLUMN provisioned_accounts jsonb;
