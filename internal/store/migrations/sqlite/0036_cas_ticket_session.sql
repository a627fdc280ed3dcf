-- The patron session a CAS service ticket was issued in: when the vendor
-- validates the ticket, the service joins that session's participants
-- (sso_participants), which single logout tells when the patron logs out.
ALTER TABLE cas_tickets ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';
