// Package store keeps Sésame's data in SQL. Every method takes a context, and
// every method on patrons takes the Scope it may see: a library, or the whole
// network for its admin.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrationFiles embed.FS

// Store is the database. Writes go through one connection, as SQLite allows
// one writer; reads share a pool.
type Store struct {
	write  *sql.DB
	readDB *sql.DB
	read   *stmtCache
	now    func() time.Time

	networkCache networkCache
}

// Options tune Open. Now is the clock, replaced in tests to move time.
type Options struct {
	Now func() time.Time
}

// Open opens the SQLite database file at path and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-32768)", "mmap_size(4294967296)"} {
		pragmas.Add("_pragma", p)
	}
	pragmas.Set("_time_format", "sqlite")
	readDSN := "file:" + path + "?" + pragmas.Encode()
	pragmas.Set("_txlock", "immediate")
	writeDSN := "file:" + path + "?" + pragmas.Encode()

	write, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", readDSN)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	s := &Store{write: write, readDB: read, read: newStmtCache(read), now: opts.Now}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.read.close()
	return errors.Join(s.readDB.Close(), s.write.Close())
}

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.readDB.PingContext(ctx) }

// Migrate applies, in name order, each embedded migration not yet recorded,
// each in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	dir := "migrations/sqlite"
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := migrationFiles.ReadFile(path.Join(dir, name))
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, s.Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// queryer is what both *sql.DB and *sql.Tx offer, so that helpers serve both.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// dbError maps driver errors to domain errors, in one place: no rows is
// not found, a unique violation is a conflict described by conflictMsg.
func dbError(err error, what, conflictMsg string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return sesame.Errorf(sesame.ENotFound, "%s introuvable.", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &sesame.Error{Code: sesame.EConflict, Message: conflictMsg}
		}
	}
	var de *sesame.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", strings.ToLower(what), err)
}

// Scope is what a caller may see of patrons: one library's, or, for the
// network admin only, all of them.
type Scope struct {
	LibraryID int64
	Network   bool
}

// LibraryScope limits to one library.
func LibraryScope(id int64) Scope { return Scope{LibraryID: id} }

// NetworkScope sees every library: for the network admin.
func NetworkScope() Scope { return Scope{Network: true} }

// clause returns "AND library_id = $n" for a library scope and "" for the network.
func (sc Scope) clause(column string, args *[]any) string {
	if sc.Network {
		return ""
	}
	*args = append(*args, sc.LibraryID)
	return fmt.Sprintf(" AND %s = $%d", column, len(*args))
}

// parseDate reads a stored civil date; a corrupt one is an internal error.
func parseDate(s string, into *sesame.Date) error {
	d, err := sesame.ParseISODate(s)
	if err != nil {
		return err
	}
	*into = d
	return nil
}
