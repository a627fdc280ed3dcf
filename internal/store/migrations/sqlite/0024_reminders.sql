-- Reminders before the end of validity (sesame.ReminderSchedule). The
-- network's days before the end date, as typed ("30,7"), and the reminder
-- of the day after; a library may choose its own, NULL following the
-- network.
ALTER TABLE network ADD COLUMN reminder_days TEXT NOT NULL DEFAULT '30,7';
ALTER TABLE network ADD COLUMN reminder_day_after BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE libraries ADD COLUMN reminder_days TEXT NULL;
ALTER TABLE libraries ADD COLUMN reminder_day_after BOOLEAN NULL;

-- Each reminder sent: once per patron, validity period (its end date, ISO)
-- and reminder (days before the end, -1 the day after). The row is written
-- in the transaction that puts the mail in the outbox; the primary key makes
-- a second instance, or a second run, skip it.
CREATE TABLE reminders_sent (
    patron_id   INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    valid_until TEXT      NOT NULL,
    offset_days INTEGER   NOT NULL,
    sent_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (patron_id, valid_until, offset_days)
);
