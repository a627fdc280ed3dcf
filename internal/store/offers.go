package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/bdf29/sesame"
)

// A resource's terms beside its row: which libraries offer it
// (resource_offers, read when offered_to_all is false) and which libraries
// have seats of their own (library_seat_caps). Both tables are small, one
// row per resource and library at most, and read whole.

// addResourceTerms fills the Offer.Libraries and LibraryCaps of list.
func addResourceTerms(ctx context.Context, q queryer, list []sesame.Resource) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*sesame.Resource, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	rows, err := q.QueryContext(ctx, `SELECT resource_id, library_id FROM resource_offers ORDER BY resource_id, library_id`)
	if err != nil {
		return fmt.Errorf("list offers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rid, lib int64
		if err := rows.Scan(&rid, &lib); err != nil {
			return fmt.Errorf("scan offer: %w", err)
		}
		if r := byID[rid]; r != nil {
			r.Offer.Libraries = append(r.Offer.Libraries, lib)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list offers: %w", err)
	}
	caps, err := q.QueryContext(ctx, `SELECT resource_id, library_id, seat_cap FROM library_seat_caps`)
	if err != nil {
		return fmt.Errorf("list seat caps: %w", err)
	}
	defer caps.Close()
	for caps.Next() {
		var rid, lib int64
		var n int
		if err := caps.Scan(&rid, &lib, &n); err != nil {
			return fmt.Errorf("scan seat cap: %w", err)
		}
		if r := byID[rid]; r != nil {
			if r.LibraryCaps == nil {
				r.LibraryCaps = map[int64]int{}
			}
			r.LibraryCaps[lib] = n
		}
	}
	return caps.Err()
}

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

// withTerms adds r's offer and caps to r; a resource offered to all
// without caps of libraries (most, at every launch) needs nothing more.
func (s *Store) withTerms(ctx context.Context, r *sesame.Resource) (*sesame.Resource, error) {
	if !r.Offer.Restricted && r.LibraryCaps == nil {
		return r, nil
	}
	list := []sesame.Resource{*r}
	if err := addResourceTerms(ctx, s.readStmts, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}
