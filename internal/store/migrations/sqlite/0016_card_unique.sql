-- A card number (N° d'inscription) is what signed-link vendors know a
-- patron by, so within a library it must point at one patron only:
-- compared trimmed and without regard to case, the empty card allowed to
-- any number of patrons.
--
-- A database may already hold duplicates, some of them perhaps taken on
-- purpose through « Modifier mes informations ». Nothing here can tell the
-- rightful holder from the copy, so no one keeps a contested number: every
-- patron of a duplicated group loses it (their links then carry their
-- pseudonym), a line in their history says which number was withdrawn for
-- staff to set it again, and the version moves on so that a form opened
-- before the upgrade cannot write it back. Nothing fails and nothing is
-- guessed. The search text keeps the old number, so that staff who search
-- for it still find those patrons.
UPDATE patrons SET card_number = trim(card_number) WHERE card_number <> trim(card_number);

INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail)
SELECT strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), 'Sésame (mise à jour)', library_id, id, 'informations',
       'N° d''inscription « ' || card_number || ' » retiré : il était aussi celui d''un autre abonné de la bibliothèque. Vérifiez-le puis saisissez-le de nouveau.'
FROM patrons
WHERE card_number <> '' AND (library_id, lower(card_number)) IN (
    SELECT library_id, lower(card_number) FROM patrons WHERE card_number <> ''
    GROUP BY library_id, lower(card_number) HAVING COUNT(*) > 1);

UPDATE patrons SET card_number = '', version = version + 1
WHERE card_number <> '' AND (library_id, lower(card_number)) IN (
    SELECT library_id, lower(card_number) FROM patrons WHERE card_number <> ''
    GROUP BY library_id, lower(card_number) HAVING COUNT(*) > 1);

-- The store checks the number before it writes, to name the field in its
-- answer; this index is what holds when two writes race.
CREATE UNIQUE INDEX patrons_card_unique ON patrons (library_id, lower(card_number)) WHERE card_number <> '';
