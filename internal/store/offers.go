package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
)

// A resource's terms beside its row: which libraries offer it
// (resource_offers, read when offered_to_all is false) and which libraries
// have seats of their own (library_seat_caps). Both tables are small, one
// row per resource and library at most, and read whole.

// resourceTermsColumns are a resource's offer and library caps, gathered
// in the resource's own row (one round trip for the catalogue, read by
// every staff page): « 3,8,12 » for the libraries offering it, « 3:5,8:2 »
// for the libraries' seats. They are only read for the resources that have
// them.
const resourceTermsColumns = `
	CASE WHEN r.offered_to_all THEN '' ELSE COALESCE((SELECT string_agg(CAST(o.library_id AS TEXT), ',' ORDER BY o.library_id)
		FROM resource_offers o WHERE o.resource_id = r.id), '') END,
	CASE WHEN r.has_library_caps THEN COALESCE((SELECT string_agg(CAST(c.library_id AS TEXT) || ':' || CAST(c.seat_cap AS TEXT), ',')
		FROM library_seat_caps c WHERE c.resource_id = r.id), '') ELSE '' END`

// scanResourceWithTerms scans resourceColumns, then resourceTermsColumns.
func scanResourceWithTerms(row interface{ Scan(...any) error }, r *sesame.Resource) error {
	var offers, caps string
	if err := scanResource(row, r, &offers, &caps); err != nil {
		return err
	}
	for _, field := range strings.FieldsFunc(offers, isComma) {
		lib, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return fmt.Errorf("resource %d: offer %q: %w", r.ID, field, err)
		}
		r.Offer.Libraries = append(r.Offer.Libraries, lib)
	}
	for _, field := range strings.FieldsFunc(caps, isComma) {
		libText, capText, _ := strings.Cut(field, ":")
		lib, err := strconv.ParseInt(libText, 10, 64)
		if err != nil {
			return fmt.Errorf("resource %d: seat cap %q: %w", r.ID, field, err)
		}
		n, err := strconv.Atoi(capText)
		if err != nil {
			return fmt.Errorf("resource %d: seat cap %q: %w", r.ID, field, err)
		}
		if r.LibraryCaps == nil {
			r.LibraryCaps = map[int64]int{}
		}
		r.LibraryCaps[lib] = n
	}
	return nil
}

func isComma(c rune) bool { return c == ',' }

// saveResourceTerms writes r's offer and library caps, in tx, in place of
// those saved before.
func saveResourceTerms(ctx context.Context, tx *sql.Tx, r *sesame.Resource) error {
	known := func(lib int64, field string) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM libraries WHERE id = $1`, lib).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return sesame.FieldErrors{field: "Bibliothèques abonnées : choisissez des bibliothèques de la liste."}.Err()
		}
		return err
	}
	for _, lib := range r.Offer.Libraries {
		if err := known(lib, sesame.FieldResourceLibraries); err != nil {
			return err
		}
	}
	for lib := range r.LibraryCaps {
		if err := known(lib, sesame.FieldResourceLibraryCap+strconv.FormatInt(lib, 10)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM resource_offers WHERE resource_id = $1`, r.ID); err != nil {
		return fmt.Errorf("clear offers: %w", err)
	}
	if r.Offer.Restricted {
		for _, lib := range r.Offer.Libraries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO resource_offers (resource_id, library_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, lib); err != nil {
				return dbError(err, "Bibliothèque", "")
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_seat_caps WHERE resource_id = $1`, r.ID); err != nil {
		return fmt.Errorf("clear seat caps: %w", err)
	}
	hasCaps := false
	for lib, n := range r.LibraryCaps {
		if n <= 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO library_seat_caps (resource_id, library_id, seat_cap) VALUES ($1, $2, $3)`, r.ID, lib, n); err != nil {
			return dbError(err, "Bibliothèque", "")
		}
		hasCaps = true
	}
	if _, err := tx.ExecContext(ctx, `UPDATE resources SET has_library_caps = $1 WHERE id = $2`, hasCaps, r.ID); err != nil {
		return fmt.Errorf("mark seat caps: %w", err)
	}
	return nil
}

// offeredClause is the SQL condition, on resources r, that the library
// whose id is argument $n offers r: Resource.OfferedTo in SQL.
func offeredClause(n int) string {
	return fmt.Sprintf(`(r.offered_to_all OR EXISTS (SELECT 1 FROM resource_offers o WHERE o.resource_id = r.id AND o.library_id = $%d))`, n)
}

// ResourcesOfferedTo lists the resources the library offers, disabled ones
// included, in French name order: what its staff may activate.
func (s *Store) ResourcesOfferedTo(ctx context.Context, libraryID int64) ([]sesame.Resource, error) {
	all, err := s.Resources(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if r.OfferedTo(libraryID) {
			out = append(out, r)
		}
	}
	return out, nil
}
