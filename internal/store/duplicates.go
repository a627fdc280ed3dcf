package store

import (
	"context"
	"fmt"

	"github.com/bdf29/sesame"
)

// PatronRef names a patron, for a link to their record.
type PatronRef struct {
	ID        int64
	LastName  string
	FirstName string
}

// maxDuplicates bounds the possible duplicates named on a record: a few
// are worth a look, a long list is not.
const maxDuplicates = 5

// duplicatesQuery finds the other patrons of a library with the same names,
// folded, and birth date. It runs on every view of a record: the index
// patrons_by_name (library_id, sort_last, sort_first, id), or
// patrons_by_first_name, which holds the same columns, seeks straight to the
// patrons of that name in id order, and the birth date is checked on those
// few rows. No index of its own is needed.
const duplicatesQuery = `
	SELECT id, last_name, first_name FROM patrons
	WHERE library_id = $1 AND sort_last = $2 AND sort_first = $3 AND birth_date = $4 AND id <> $5
	ORDER BY id
	LIMIT $6`

// PossibleDuplicates returns the other patrons of p's library who have p's
// Nom, Prénom (ignoring case and accents) and Date de naissance: perhaps the
// same person registered twice. Another library's patrons are never
// compared: a library staff member sees their own library's only.
func (s *Store) PossibleDuplicates(ctx context.Context, sc Scope, p *sesame.Patron) ([]PatronRef, error) {
	if !sc.Network && sc.LibraryID != p.LibraryID {
		return nil, sesame.Errorf(sesame.ENotFound, "Abonné introuvable.")
	}
	if p.BirthDate.IsZero() {
		return nil, nil
	}
	rows, err := s.scanStmts.QueryContext(ctx, duplicatesQuery,
		p.LibraryID, Fold(p.LastName), Fold(p.FirstName), p.BirthDate.ISO(), p.ID, maxDuplicates)
	if err != nil {
		return nil, fmt.Errorf("possible duplicates: %w", err)
	}
	defer rows.Close()
	var out []PatronRef
	for rows.Next() {
		var r PatronRef
		if err := rows.Scan(&r.ID, &r.LastName, &r.FirstName); err != nil {
			return nil, fmt.Errorf("scan possible duplicate: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
