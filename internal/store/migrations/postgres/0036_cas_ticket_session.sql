-- See migrations/sqlite/0036_cas_ticket_session.sql.
ALTER TABLE cas_tickets ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';
