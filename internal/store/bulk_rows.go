package store

import (
	"context"
	"database/sql"
	"strings"
)

// rowInserter writes rows of width values each into SQLite through one
// statement prepared for the whole transaction, a row at a time. In
// process, a row costs no round trip; what a row cost was preparing its
// statement again. Many rows a statement was tried and was slower: SQLite
// then keeps a statement journal of every page the statement touches, so
// that a failing row can be undone alone, and it finds each of n named
// parameters ($n) by a walk through the list of names. The parameters here
// are anonymous (?), bound by position.
type rowInserter struct {
	stmt  *sql.Stmt
	width int
}

// newRowInserter prepares head + " VALUES (?, …)" + tail in tx.
func newRowInserter(ctx context.Context, tx *sql.Tx, head, tail string, width int) (*rowInserter, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", width), ", ")
	stmt, err := tx.PrepareContext(ctx, head+" VALUES ("+marks+")"+tail)
	if err != nil {
		return nil, err
	}
	return &rowInserter{stmt: stmt, width: width}, nil
}

// each inserts the rows whose values follow each other in args, and calls
// fn with each row's index and result.
func (r *rowInserter) each(ctx context.Context, args []any, fn func(row int, res sql.Result) error) error {
	for i := 0; i*r.width < len(args); i++ {
		res, err := r.stmt.ExecContext(ctx, args[i*r.width:(i+1)*r.width]...)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(i, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// exec inserts the rows and returns how many were written.
func (r *rowInserter) exec(ctx context.Context, args []any) (int, error) {
	n := 0
	err := r.each(ctx, args, func(_ int, res sql.Result) error {
		k, err := res.RowsAffected()
		n += int(k)
		return err
	})
	return n, err
}

func (r *rowInserter) close() { r.stmt.Close() }
