package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// BulkCreatePatrons inserts many patrons and their grants in one
// transaction, for the demo and benchmark data: one audit event for the
// batch, not one per patron. It sets each patron's ID.
func (s *Store) BulkCreatePatrons(ctx context.Context, batch []NewPatron, actor sesame.Actor) error {
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		insert := s.bulkInsertOneByOne
		if s.dialect == postgresDialect {
			insert = s.bulkInsertArrays
		}
		if err := insert(ctx, tx, batch, now); err != nil {
			return err
		}
		if err := s.bulkHistory(ctx, tx, batch, actor); err != nil {
			return err
		}
		type key struct {
			lib    int64
			status sesame.Status
		}
		counts := map[key]int{}
		for _, np := range batch {
			counts[key{np.Patron.LibraryID, np.Patron.Status}]++
		}
		for k, n := range counts {
			if err := adjustCount(ctx, tx, k.lib, k.status, n); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, actor, 0, 0, sesame.ActionImport, fmt.Sprintf("%d abonnés créés en lot.", len(batch)))
	})
}

func grantState(np *NewPatron) sesame.GrantState {
	if np.GrantState == "" {
		return sesame.GrantPending
	}
	return np.GrantState
}

// bulkInsertOneByOne inserts row by row through prepared statements: SQLite
// runs in-process, so a statement costs microseconds.
func (s *Store) bulkInsertOneByOne(ctx context.Context, tx *sql.Tx, batch []NewPatron, now time.Time) error {
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
	for i := range batch {
		np := &batch[i]
		p := &np.Patron
		err := insPatron.QueryRowContext(ctx,
			p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town, p.CardNumber,
			p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason, np.PasswordHash,
			Fold(p.LastName), Fold(p.FirstName), searchText(p), now).Scan(&p.ID)
		if err != nil {
			return patronWriteError(err, "Un compte existe déjà avec l'adresse "+p.Email+".")
		}
		if err := s.indexSearch(ctx, tx, p.LibraryID, p.ID, searchText(p)); err != nil {
			return err
		}
		for _, rid := range np.ResourceIDs {
			if _, err := insGrant.ExecContext(ctx, p.ID, rid, string(grantState(np)), now); err != nil {
				return fmt.Errorf("insert grant: %w", err)
			}
		}
	}
	return nil
}

// bulkInsertArrays sends the whole batch as one array per column: over a
// network connection, one round trip per row would be the cost of the load.
func (s *Store) bulkInsertArrays(ctx context.Context, tx *sql.Tx, batch []NewPatron, now time.Time) error {
	n := len(batch)
	lib := make([]int64, n)
	cols := make([][]string, 16)
	for c := range cols {
		cols[c] = make([]string, n)
	}
	for i := range batch {
		np := &batch[i]
		p := &np.Patron
		lib[i] = p.LibraryID
		for c, v := range []string{p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town,
			p.CardNumber, p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason,
			np.PasswordHash, Fold(p.LastName), Fold(p.FirstName), searchText(p)} {
			cols[c][i] = v
		}
	}
	args := []any{lib}
	for _, c := range cols {
		args = append(args, c)
	}
	args = append(args, now)
	rows, err := tx.QueryContext(ctx, `
		INSERT INTO patrons (library_id, last_name, first_name, email, birth_date, postal_code, town, card_number,
			registered_on, status, library_registered_on, valid_until, refusal_reason, password_hash,
			sort_last, sort_first, search_text, version, created_at, updated_at)
		SELECT l, a, b, c, d, e, f, g, h, i, j, k, m, o, q, r, t, 1, $18, $18
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
			AS u (l, a, b, c, d, e, f, g, h, i, j, k, m, o, q, r, t)
		RETURNING id, email`, args...)
	if err != nil {
		return patronWriteError(err, "Un compte existe déjà avec l'une de ces adresses.")
	}
	ids := make(map[string]int64, n)
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return fmt.Errorf("scan id: %w", err)
		}
		ids[email] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert patrons: %w", err)
	}
	var gp, gr []int64
	var gs []string
	for i := range batch {
		np := &batch[i]
		np.Patron.ID = ids[sesame.NormalizeEmail(np.Patron.Email)]
		for _, rid := range np.ResourceIDs {
			gp, gr, gs = append(gp, np.Patron.ID), append(gr, rid), append(gs, string(grantState(np)))
		}
	}
	if len(gp) == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO grants (patron_id, resource_id, state, updated_at)
		SELECT p, r, s, $4 FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u (p, r, s)`, gp, gr, gs, now)
	if err != nil {
		return fmt.Errorf("insert grants: %w", err)
	}
	return nil
}

// OptimizeSearch merges the trigram index into one segment. A bulk load
// leaves it in many, which every search then has to seek through; everyday
// writes are merged as they go.
func (s *Store) OptimizeSearch(ctx context.Context) error {
	query := `INSERT INTO patron_search (patron_search) VALUES ('optimize')`
	if s.dialect == postgresDialect {
		query = `ANALYZE` // fresh statistics on every table after a bulk load: without them the planner reads grants whole
	}
	if _, err := s.writePool.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("optimize search index: %w", err)
	}
	return nil
}
