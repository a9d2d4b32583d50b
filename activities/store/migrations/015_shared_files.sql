-- Files the bot serves behind signed, expiring links (issue 14): forensic reports asked for in chat and
-- digest chart pictures too large for a Teams message. Rows past `expires_at` are never served and are
-- deleted by the next write.
CREATE TABLE shared_files (
  id           text PRIMARY KEY,
  content_type text NOT NULL,
  filename     text NOT NULL,
  body         bytea NOT NULL,
  -- The person (e-mail) who asked for a report, or `workflow` for a digest's chart.
  created_by   text NOT NULL,
  purpose      text NOT NULL CHECK (purpose IN ('report', 'chart')),
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX shared_files_by_expiry ON shared_files (expires_at);
