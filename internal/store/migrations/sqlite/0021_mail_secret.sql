-- The secret part of a message's link (a reset or registration token) is
-- kept apart from its text, which holds « [lien personnel masqué] » in its
-- place: only the sender puts it back, and it is erased once the message is
-- sent or kept, or when the link's own time is over (secret_expires_at).
ALTER TABLE mail_outbox ADD COLUMN secret TEXT NULL;
ALTER TABLE mail_outbox ADD COLUMN secret_expires_at TIMESTAMP NULL;
