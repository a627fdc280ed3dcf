package store

import (
	"context"
	"database/sql"
	"fmt"
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
// for its words (planEachTime); everything else is prepared once.
func (s *Store) listReader(q search) queryer {
	if s.dialect == postgresDialect && !q.empty() {
		return planEachTime{s.readPool}
	}
	return s.readStmts
}
