-- A search that matches many patrons (« le », « an ») reads a library's
-- patrons in name order and stops at the page's last match, instead of
-- reading every match to sort it. The folded search text rides in the
-- name index (INCLUDE), so that an index-only scan checks each entry
-- without visiting its row. The index keeps its name and its key: the
-- plain list reads it as before.
DROP INDEX patrons_by_name;
CREATE INDEX patrons_by_name ON patrons (library_id, sort_last, sort_first, id) INCLUDE (search_text);
