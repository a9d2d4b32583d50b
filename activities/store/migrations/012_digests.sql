-- Digests (issue 14): what each digest posted for each period, so a retried post, a second run of the same
-- period (a schedule that fires twice in an hour DST repeats, a manual trigger) or a second worker skips it.
CREATE TABLE digest_posts (
  digest_id   text NOT NULL,
  -- The period's first calendar day in the digest's zone; with the digest id, the post's business key.
  first_day   date NOT NULL,
  last_day    date NOT NULL,
  period_from timestamptz NOT NULL,
  period_to   timestamptz NOT NULL,
  platform    text NOT NULL CHECK (platform IN ('slack', 'teams')),
  channel     text NOT NULL,
  -- Slack: the message ts, or the shared files' ids (`files:F1,F2`) when the charts carried the message;
  -- Teams: the activity id.
  message_id  text NOT NULL,
  -- Charts sent as pictures, and those told in words only (too large for a Teams message).
  charts      jsonb NOT NULL DEFAULT '{}',
  posted_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (digest_id, first_day)
);

-- The digest reads a period's events from the audit log by kind and time.
CREATE INDEX audit_log_by_action_at ON audit_log (action, at);
