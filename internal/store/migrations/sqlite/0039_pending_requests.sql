-- The « À traiter » count shown in every staff page's menu includes the
-- Validé accounts with a resource request « En attente ». Finding them by
-- probing each Validé patron's grants cost 30 ms a page in a library of
-- 50,000. Each patron now carries the number of its pending requests, kept
-- by the database itself on every write to grants (all of them: a request,
-- a decision, a withdrawal, a bulk load, a copy, a cascade), and a partial
-- index holds only the Validé patrons with one: the count reads a handful
-- of entries. The status is part of the index's condition, so a patron's
-- change of status needs no upkeep.
ALTER TABLE patrons ADD COLUMN pending_requests INTEGER NOT NULL DEFAULT 0;

UPDATE patrons SET pending_requests = (
    SELECT COUNT(*) FROM grants g WHERE g.patron_id = patrons.id AND g.state = 'en_attente')
WHERE id IN (SELECT patron_id FROM grants WHERE state = 'en_attente');

CREATE TRIGGER grants_pending_inserted AFTER INSERT ON grants WHEN NEW.state = 'en_attente'
BEGIN
    UPDATE patrons SET pending_requests = pending_requests + 1 WHERE id = NEW.patron_id;
END;

CREATE TRIGGER grants_pending_deleted AFTER DELETE ON grants WHEN OLD.state = 'en_attente'
BEGIN
    UPDATE patrons SET pending_requests = pending_requests - 1 WHERE id = OLD.patron_id;
END;

CREATE TRIGGER grants_pending_left AFTER UPDATE ON grants
WHEN OLD.state = 'en_attente' AND (NEW.state <> 'en_attente' OR NEW.patron_id <> OLD.patron_id)
BEGIN
    UPDATE patrons SET pending_requests = pending_requests - 1 WHERE id = OLD.patron_id;
END;

CREATE TRIGGER grants_pending_entered AFTER UPDATE ON grants
WHEN NEW.state = 'en_attente' AND (OLD.state <> 'en_attente' OR NEW.patron_id <> OLD.patron_id)
BEGIN
    UPDATE patrons SET pending_requests = pending_requests + 1 WHERE id = NEW.patron_id;
END;

CREATE INDEX patrons_validated_with_requests ON patrons (library_id)
WHERE status = 'valide' AND pending_requests > 0;
