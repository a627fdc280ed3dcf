package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// stmtCache keeps the read queries prepared: parsing SQL costs as much as
// running the small queries of a page. The list queries come in a bounded
// number of shapes (sort, direction, filters), so the cache stays small;
// past maxStatements, a query runs unprepared.
type stmtCache struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// wanted are the queries asked (lookup) while the one connection was
	// held, prepared once it is free (prepareWanted).
	wanted map[string]bool
}

const maxStatements = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxStatements {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.stmts[query] = st
	return st, nil
}

// lookup is query prepared, or nil when it is not yet: then it is prepared
// by the next prepareWanted. For SQLite's writer, inside a transaction:
// preparing needs the one connection that the transaction holds.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts)+len(c.wanted) < maxStatements {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	return nil
}

// prepareWanted prepares the queries lookup was asked and did not have.
// Preparing is only ahead of time: a query that fails to be prepared runs
// unprepared, and says why then.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.RLock()
	none := len(c.wanted) == 0
	c.mu.RUnlock()
	if none {
		return
	}
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for query := range wanted {
		_, _ = c.get(ctx, query)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}

// QueryContext runs a read query, prepared once.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row read query, prepared once.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, query)
	if err != nil || st == nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext is not for reads; it is here so the cache serves as a queryer.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, query, args...)
}

// planEachTime runs read queries on PostgreSQL planned for their values,
// each time. A prepared statement is planned for its values five times,
// then PostgreSQL may settle on a generic plan that ignores them. For a
// search that plan is wrong both ways: « le » matches half a library, best
// read in name order until the page is full, while a surname matches three
// patrons, best read from the trigram index; the generic plan read every
// match of « le » from the trigram index (350 ms against 1.5 ms). An
// unnamed statement (pgx's exec mode) is planned with its values, at the
// cost of planning each time, a fraction of a millisecond.
type planEachTime struct{ db *sql.DB }

func (p planEachTime) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (p planEachTime) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (p planEachTime) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

// listReader is where the list reads: a search on PostgreSQL is planned
// for its words (planEachTime), as « le » and « gueguen » need different
// plans; everything else, and a search in one statement (listFewMatches),
// is prepared once.
func (s *Store) listReader(q search) queryer {
	if s.dialect == postgresDialect && !q.empty() {
		return planEachTime{s.scanPool}
	}
	return s.scanStmts
}

// A statement of many rows (a batch's patrons, audit lines, mails) is
// cut into statements whose number of rows is a power of two, at most
// maxShapeRows, largest first: 500 rows are 256, 128, 64, 32, 16 and 4.
// So such statements come in a few shapes, each parsed once on SQLite's
// writer (Tx.prepared), whatever the size of a batch: parsing a batch's
// statements again each time was some 15 % of an import's writes.
const maxShapeRows = 256

// eachShape calls fn on the rows [from, from+size) of n rows, cut as said
// above, in order.
func eachShape(n int, fn func(from, size int) error) error {
	from := 0
	for size := maxShapeRows; from < n; size /= 2 {
		for n-from >= size {
			if err := fn(from, size); err != nil {
				return err
			}
			from += size
		}
	}
	return nil
}

// valuesRows is the VALUES of a statement of rows rows of cols values
// each, in anonymous placeholders (see positional).
func valuesRows(rows, cols int) string {
	row := "(" + positional(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// prepared is query in t, through the statement prepared on SQLite's
// writer connection. The first time it is asked it runs unprepared, and is
// prepared once t is over (inTx): preparing needs the one connection that
// t holds. On PostgreSQL, pgx keeps each connection's statements itself.
func (t *Tx) prepared(ctx context.Context, query string) statement {
	if t.store.dialect == sqliteDialect {
		if st := t.store.writeStmts.lookup(query); st != nil {
			return t.sql.StmtContext(ctx, st)
		}
	}
	return txExecer{t.sql, query}
}

// shapedReads is t as a queryer whose statements go through Tx.prepared:
// for the reads of a batch cut by eachShape.
type shapedReads struct{ t *Tx }

func (r shapedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.t.prepared(ctx, query).QueryContext(ctx, args...)
}

func (r shapedReads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.t.prepared(ctx, query).QueryRowContext(ctx, args...)
}

func (r shapedReads) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.t.prepared(ctx, query).ExecContext(ctx, args...)
}

// shapedReader is where the reads of a batch cut by eachShape go outside a
// transaction: prepared once on SQLite's scanPool, since a batch reads
// many pages; on PostgreSQL, whose reads of a batch are of one shape
// (arrays), and whose driver keeps each connection's statements itself,
// the pool.
func (s *Store) shapedReader() queryer {
	if s.dialect == sqliteDialect {
		return s.scanStmts
	}
	return s.scanPool
}
