package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bdf29/sesame"
)

// BulkCreatePatrons inserts many patrons and their grants in one
// transaction, for the demo and benchmark data: one audit event for the
// batch, not one per patron.
func (s *Store) BulkCreatePatrons(ctx context.Context, batch []NewPatron, actor sesame.Actor) error {
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		insPatron, err := tx.PrepareContext(ctx, `
			INSERT INTO patrons (library_id, last_name, first_name, email, birth_date, postal_code, town, card_number,
				registered_on, status, library_registered_on, valid_until, refusal_reason, password_hash,
				sort_last, sort_first, search_text, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18, $18)
			RETURNING id`)
		if err != nil {
			return fmt.Errorf("prepare patron: %w", err)
		}
		defer insPatron.Close()
		insGrant, err := tx.PrepareContext(ctx, `INSERT INTO grants (patron_id, resource_id, state, updated_at) VALUES ($1, $2, $3, $4)`)
		if err != nil {
			return fmt.Errorf("prepare grant: %w", err)
		}
		defer insGrant.Close()

		type key struct {
			lib    int64
			status sesame.Status
		}
		counts := map[key]int{}
		for i := range batch {
			np := &batch[i]
			p := &np.Patron
			var id int64
			err := insPatron.QueryRowContext(ctx,
				p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town, p.CardNumber,
				p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason, np.PasswordHash,
				Fold(p.LastName), Fold(p.FirstName), searchText(p), now).Scan(&id)
			if err != nil {
				return dbError(err, "Abonné", "Un compte existe déjà avec l'adresse "+p.Email+".")
			}
			p.ID = id
			if err := s.indexSearch(ctx, tx, p.LibraryID, id, searchText(p)); err != nil {
				return err
			}
			counts[key{p.LibraryID, p.Status}]++
			state := np.GrantState
			if state == "" {
				state = sesame.GrantPending
			}
			for _, rid := range np.ResourceIDs {
				if _, err := insGrant.ExecContext(ctx, id, rid, string(state), now); err != nil {
					return fmt.Errorf("insert grant: %w", err)
				}
			}
		}
		for k, n := range counts {
			if err := adjustCount(ctx, tx, k.lib, k.status, n); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, actor, 0, 0, "import", fmt.Sprintf("%d abonnés créés en lot.", len(batch)))
	})
}

// OptimizeSearch merges the trigram index into one segment. A bulk load
// leaves it in many, which every search then has to seek through; everyday
// writes are merged as they go.
func (s *Store) OptimizeSearch(ctx context.Context) error {
	query := `INSERT INTO patron_search (patron_search) VALUES ('optimize')`
	if s.dialect == postgresDialect {
		query = `ANALYZE patrons` // fresh statistics after a bulk load, for the planner
	}
	if _, err := s.write.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("optimize search index: %w", err)
	}
	return nil
}
