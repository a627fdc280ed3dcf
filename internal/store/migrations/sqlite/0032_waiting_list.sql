-- The waiting list of a full licence (sesame.GrantWaiting): queued_at is
-- when the activation was refused for want of a seat, the list's order.
ALTER TABLE grants ADD COLUMN queued_at TIMESTAMP NULL;
CREATE INDEX grants_waiting ON grants (resource_id, queued_at) WHERE state = 'liste_attente';
