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
	if s.dialect == postgresDialect {
		return s.bulkCreatePostgres(ctx, batch, actor, now)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.bulkInsertRows(ctx, tx, batch, now); err != nil {
			return err
		}
		if err := bulkHistoryRows(ctx, tx, batch, actor); err != nil {
			return err
		}
		if err := s.bulkCounts(ctx, tx, batch); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, 0, 0, sesame.ActionImport, fmt.Sprintf("%d abonnés créés en lot.", len(batch)))
	})
}

// bulkCounts adds a batch's patrons to patron_counts, in the batch's transaction.
func (s *Store) bulkCounts(ctx context.Context, q queryer, batch []NewPatron) error {
	type key struct {
		lib    int64
		status sesame.Status
	}
	counts := map[key]int{}
	for _, np := range batch {
		counts[key{np.Patron.LibraryID, np.Patron.Status}]++
	}
	for k, n := range counts {
		if err := adjustCount(ctx, q, k.lib, k.status, n); err != nil {
			return err
		}
	}
	return nil
}

func grantState(np *NewPatron) sesame.GrantState {
	if np.GrantState == "" {
		return sesame.GrantPending
	}
	return np.GrantState
}

// bulkInsertRows inserts a batch into SQLite, a row at a time through
// statements prepared once (rowInserter); then the batch's trigram entries
// in one statement, read back from the rows just written, in the order of
// their keys: FTS5 writes its pending entries out each time a key comes
// lower than the one before.
func (s *Store) bulkInsertRows(ctx context.Context, tx *sql.Tx, batch []NewPatron, now time.Time) error {
	patrons, err := newRowInserter(ctx, tx, `
		INSERT INTO patrons (library_id, last_name, first_name, email, birth_date, postal_code, town, card_number,
			registered_on, status, library_registered_on, valid_until, refusal_reason, password_hash,
			sort_last, sort_first, search_text, version, created_at, updated_at)`, ``, 20)
	if err != nil {
		return fmt.Errorf("prepare patron: %w", err)
	}
	defer patrons.close()
	args := make([]any, 0, 20*len(batch))
	for i := range batch {
		p := &batch[i].Patron
		args = append(args, p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town,
			p.CardNumber, p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason,
			batch[i].PasswordHash, Fold(p.LastName), Fold(p.FirstName), searchText(p), 1, now, now)
	}
	first, last := int64(0), int64(0)
	err = patrons.each(ctx, args, func(i int, res sql.Result) error {
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		batch[i].Patron.ID = id
		if first == 0 {
			first = id
		}
		last = id
		return nil
	})
	if err != nil {
		return patronWriteError(err, "Un compte existe déjà avec l'une de ces adresses.")
	}
	grants, err := newRowInserter(ctx, tx, `INSERT INTO grants (patron_id, resource_id, state, updated_at)`, ``, 4)
	if err != nil {
		return fmt.Errorf("prepare grant: %w", err)
	}
	defer grants.close()
	args = args[:0]
	for i := range batch {
		np := &batch[i]
		for _, rid := range np.ResourceIDs {
			args = append(args, np.Patron.ID, rid, string(grantState(np)), now)
		}
	}
	if _, err := grants.exec(ctx, args); err != nil {
		return fmt.Errorf("insert grants: %w", err)
	}
	if first == 0 {
		return nil
	}
	// The rows of ids first…last are this batch's: the writer is alone in
	// its transaction, and SQLite gives each new row the next id. The key
	// is searchKey's, library_id << 32 | id.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO patron_search (rowid, search_text)
		SELECT (library_id << 32) | id, search_text FROM patrons
		WHERE id >= $1 AND id <= $2
		ORDER BY (library_id << 32) | id`, first, last); err != nil {
		return fmt.Errorf("index search: %w", err)
	}
	return nil
}

// bulkHistoryRows writes the past events of a batch whose IDs are set into
// SQLite through one prepared statement.
func bulkHistoryRows(ctx context.Context, tx *sql.Tx, batch []NewPatron, actor sesame.Actor) error {
	events, err := newRowInserter(ctx, tx, `INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at)`, ``, 7)
	if err != nil {
		return fmt.Errorf("prepare audit: %w", err)
	}
	defer events.close()
	var args []any
	for i := range batch {
		p := &batch[i].Patron
		for _, e := range batch[i].History {
			at := dbTime(e.At)
			args = append(args, at, actor.Label, p.LibraryID, p.ID, string(e.Action), e.Detail, countsAt(e.Action, p, at))
		}
	}
	if _, err := events.exec(ctx, args); err != nil {
		return fmt.Errorf("audit the batch's history: %w", err)
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
