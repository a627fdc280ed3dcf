package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bdf29/sesame"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyRowsPostgres writes a page into PostgreSQL in one transaction through
// COPY, the fastest way in. Into a table empty at the copy's start
// (fresh), the rows go straight in. Otherwise they go into a temporary
// table of the same columns, then into the table itself, skipping those
// whose key is already there (ON CONFLICT DO NOTHING), so that a copy can
// be run again; that way cost PostgreSQL each row twice. It returns the
// number of rows written.
func (s *Store) copyRowsPostgres(ctx context.Context, t copyTable, page [][]any, fresh bool) (int, error) {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	written := 0
	err := s.withPgx(ctx, func(conn *pgx.Conn) error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if fresh {
			written, err = copyIntoEmpty(ctx, tx, t, names, page)
		} else {
			written, err = copyThroughStaging(ctx, tx, t, names, page)
		}
		if err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	return written, err
}

// copyIntoEmpty COPYs a page straight into t. The requests « En attente »
// of a page of grants are added to their patrons' pending_requests in one
// UPDATE, as insertGrantsCounted does, rather than by the per-row trigger.
func copyIntoEmpty(ctx context.Context, tx pgx.Tx, t copyTable, names []string, page [][]any) (int, error) {
	if t.name != "grants" {
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, pgx.CopyFromRows(page))
		if err != nil {
			return 0, fmt.Errorf("COPY: %w", err)
		}
		return int(n), nil
	}
	var n int64
	err := withoutPendingTrigger(ctx, tx, func() error {
		var err error
		if n, err = tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, pgx.CopyFromRows(page)); err != nil {
			return fmt.Errorf("COPY: %w", err)
		}
		patrons, requests := pendingPerPatron(t, page)
		_, err = tx.Exec(ctx, `UPDATE patrons p SET pending_requests = p.pending_requests + w.n
			FROM unnest($1::bigint[], $2::bigint[]) AS w(patron_id, n) WHERE p.id = w.patron_id`, patrons, requests)
		return err
	})
	return int(n), err
}

// pendingPerPatron counts the requests « En attente » of a page of grants,
// per patron, in the patrons' order.
func pendingPerPatron(t copyTable, page [][]any) (patrons, requests []int64) {
	patron, state := t.column("patron_id"), t.column("state")
	counts := map[int64]int64{}
	for _, row := range page {
		if row[state] == string(sesame.GrantPending) {
			counts[row[patron].(int64)]++
		}
	}
	patrons = slices.Sorted(maps.Keys(counts))
	for _, id := range patrons {
		requests = append(requests, counts[id])
	}
	return patrons, requests
}

// copyThroughStaging writes a page through a temporary table, leaving out
// the rows whose key t already holds.
func copyThroughStaging(ctx context.Context, tx pgx.Tx, t copyTable, names []string, page [][]any) (int, error) {
	staging := "copy_" + t.name
	// A temporary table lives as long as its connection, and its rows
	// until the transaction ends: each page finds it empty. It takes
	// the table's defaults, for the columns a copy leaves out
	// (copyExceptions) and the table fills itself.
	// #nosec G201 -- table names come from copyTables.
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMPORARY TABLE IF NOT EXISTS %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`, staging, t.name)); err != nil {
		return 0, fmt.Errorf("staging table: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{staging}, names, pgx.CopyFromRows(page)); err != nil {
		return 0, fmt.Errorf("COPY: %w", err)
	}
	cols := strings.Join(names, ", ")
	// #nosec G201 -- table and column names come from copyTables.
	insert := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT (%s) DO NOTHING`,
		t.name, cols, cols, staging, strings.Join(t.key, ", "))
	if t.name == "grants" {
		return insertGrantsCounted(ctx, tx, insert)
	}
	tag, err := tx.Exec(ctx, insert)
	return int(tag.RowsAffected()), err
}

// insertGrantsCounted runs insert, an INSERT of grants, and adds the
// requests « En attente » it wrote to their patrons' pending_requests in
// one UPDATE, rather than one per request through the trigger of migration
// 0039 (withoutPendingTrigger). It returns the number of grants written.
func insertGrantsCounted(ctx context.Context, tx pgx.Tx, insert string) (int, error) {
	var written int
	err := withoutPendingTrigger(ctx, tx, func() error {
		// A data-modifying WITH runs to its end whether or not it is read.
		return tx.QueryRow(ctx, `
			WITH written AS (`+insert+` RETURNING patron_id, state),
			counted AS (
				UPDATE patrons p SET pending_requests = p.pending_requests + w.n
				FROM (SELECT patron_id, COUNT(*) AS n FROM written WHERE state = $1 GROUP BY patron_id) w
				WHERE p.id = w.patron_id)
			SELECT COUNT(*) FROM written`, string(sesame.GrantPending)).Scan(&written)
	})
	return written, err
}

// withoutPendingTrigger runs insertGrants, a bulk insert of grants whose
// writer counts their requests « En attente » itself, with the per-row
// trigger of migration 0039 off for this transaction only: ALTER TABLE is
// transactional, so whatever ends the transaction turns it on again, and
// it keeps other writers of grants waiting until then.
func withoutPendingTrigger(ctx context.Context, tx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}, insertGrants func() error) error {
	if _, err := tx.Exec(ctx, `ALTER TABLE grants DISABLE TRIGGER grants_pending_inserted`); err != nil {
		return fmt.Errorf("put off the pending-count trigger: %w", err)
	}
	if err := insertGrants(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `ALTER TABLE grants ENABLE TRIGGER grants_pending_inserted`); err != nil {
		return fmt.Errorf("turn on the pending-count trigger: %w", err)
	}
	return nil
}

// withPgx runs fn on a connection of the write pool as pgx's own, for what
// database/sql cannot say, such as COPY.
func (s *Store) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := s.writePool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		return fn(c.Conn())
	})
}

// bulkCreatePostgres is BulkCreatePatrons on PostgreSQL: the patrons, their
// grants and their history go in through COPY, in one transaction with the
// counts and the import's audit event. COPY gives no ids back: they are
// drawn from the patrons' sequence first, as the identity would draw them.
func (s *Store) bulkCreatePostgres(ctx context.Context, batch []NewPatron, actor sesame.Actor, now time.Time) (err error) {
	conn, err := s.writePool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk create: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		// A connection left inside a transaction must not go back to the pool.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	rows, err := conn.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('patrons', 'id')) FROM generate_series(1, $1)`, len(batch))
	if err != nil {
		return fmt.Errorf("draw ids: %w", err)
	}
	i := 0
	err = scanEach(rows, func(r *sql.Rows) error {
		if i >= len(batch) {
			return errors.New("too many ids")
		}
		err := r.Scan(&batch[i].Patron.ID)
		i++
		return err
	})
	if err != nil || i != len(batch) {
		return fmt.Errorf("draw ids: %d of %d: %w", i, len(batch), err)
	}
	patrons := make([][]any, len(batch))
	var grants, events [][]any
	for i := range batch {
		np := &batch[i]
		p := &np.Patron
		pending := 0 // what the trigger on grants would count, were it not put off below
		if grantState(np) == sesame.GrantPending {
			pending = len(np.ResourceIDs)
		}
		patrons[i] = []any{p.ID, p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town,
			p.CardNumber, p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason,
			np.PasswordHash, Fold(p.LastName), Fold(p.FirstName), searchText(p), 1, now, now, pending}
		for _, rid := range np.ResourceIDs {
			grants = append(grants, []any{p.ID, rid, string(grantState(np)), now})
		}
		for _, e := range np.History {
			at := dbTime(e.At)
			events = append(events, []any{at, actor.Label, p.LibraryID, p.ID, string(e.Action), e.Detail, countsAt(e.Action, p, at)})
		}
	}
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		pc := c.Conn()
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"patrons"}, []string{"id", "library_id", "last_name", "first_name", "email", "birth_date",
			"postal_code", "town", "card_number", "registered_on", "status", "library_registered_on", "valid_until", "refusal_reason",
			"password_hash", "sort_last", "sort_first", "search_text", "version", "created_at", "updated_at", "pending_requests"}, pgx.CopyFromRows(patrons)); err != nil {
			return patronWriteError(err, "Un compte existe déjà avec l'une de ces adresses.")
		}
		// The patrons came with their pending requests counted: the trigger
		// that counts them, an UPDATE of the patron per request, is put off.
		if err := withoutPendingTrigger(ctx, pc, func() error {
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"grants"}, []string{"patron_id", "resource_id", "state", "updated_at"}, pgx.CopyFromRows(grants))
			return err
		}); err != nil {
			return fmt.Errorf("insert grants: %w", err)
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"audit_events"}, []string{"at", "actor", "library_id", "patron_id", "action", "detail", "counts_at"},
			pgx.CopyFromRows(events)); err != nil {
			return fmt.Errorf("audit the batch's history: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.bulkCounts(ctx, conn, batch); err != nil {
		return err
	}
	if err := audit(ctx, conn, now, actor, 0, 0, sesame.ActionImport, fmt.Sprintf("%d abonnés créés en lot.", len(batch))); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
