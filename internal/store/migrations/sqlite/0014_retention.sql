-- The daily retention job looks for accounts past their end date by more
-- than a year, and for audit events older than a year: these indexes spare
-- it a scan of every patron and every event.
CREATE INDEX patrons_by_end_date ON patrons (valid_until) WHERE valid_until <> '';
CREATE INDEX patrons_unanswered ON patrons (updated_at) WHERE status IN ('refuse', 'a_valider');
CREATE INDEX audit_by_time ON audit_events (at);
