-- See migrations/sqlite/0014_retention.sql.
CREATE INDEX patrons_by_end_date ON patrons (valid_until) WHERE valid_until <> '';
CREATE INDEX patrons_unanswered ON patrons (updated_at) WHERE status IN ('refuse', 'a_valider');
CREATE INDEX audit_by_time ON audit_events (at);
