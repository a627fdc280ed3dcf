-- The lists a librarian asks for (store.Subset), read without scanning a
-- library's patrons.
--
-- The grants in one state: « Ressource en attente », and the count of the
-- « À traiter » queue's Validé accounts with a request (validatedWithRequests).
-- Pending requests are few; without this index both read every grant.
CREATE INDEX grants_by_state ON grants (state, patron_id);

-- A library's Validé accounts by end date: « Fin de validité dans les 30
-- jours » and « Date de fin dépassée » are ranges of it.
CREATE INDEX patrons_by_end_in_library ON patrons (library_id, status, valid_until);
