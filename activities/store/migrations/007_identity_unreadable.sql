-- Policies an identity holds that could not be read (invalid JSON, missing from the output): what they
-- grant is unknown, and findings say so rather than show the identity as holding nothing.
ALTER TABLE inventory_identities ADD COLUMN unreadable jsonb;
