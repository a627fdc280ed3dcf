-- See migrations/sqlite/0032_waiting_list.sql.
ALTER TABLE grants ADD COLUMN queued_at TIMESTAMPTZ NULL;
CREATE INDEX grants_waiting ON grants (resource_id, queued_at) WHERE state = 'liste_attente';
