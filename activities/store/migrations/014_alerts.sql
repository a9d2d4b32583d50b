-- Rule alerts (issue 14): things alerted on once for good, such as a grant made outside Least, which
-- every reconciliation sweep finds again until someone removes it. Everything else about an alert lives
-- in its Temporal workflow; acknowledgements are in the audit log.
CREATE TABLE alert_once (
  rule          text NOT NULL,
  occurrence_id text NOT NULL,
  first_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule, occurrence_id)
);
