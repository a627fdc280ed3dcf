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
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/secret"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrationFiles embed.FS

// Store is the database: SQLite for a département on one machine, or
// PostgreSQL for a national network served by several instances.
type Store struct {
	dialect dialect
	// writePool takes every write: on SQLite one connection, as SQLite
	// allows one writer; on PostgreSQL the one pool, readPool too.
	writePool *sql.DB
	readPool  *sql.DB
	// scanPool takes the reads of many pages (the list, a search, exports,
	// statistics) and readPool the others, a few pages each (a session, a
	// patron, a token). On SQLite scanPool reads through the memory map,
	// and readPool does not: a commit makes each connection drop its map
	// at its next read, and mapping the file again costs a read of a few
	// pages more than reading them (docs/benchmarks.md). On PostgreSQL both
	// are the one pool.
	scanPool *sql.DB
	// readStmts prepares each read once on readPool, scanStmts on
	// scanPool; writeStmts the few hot writes on writePool, such as a CAS
	// validation's DELETE.
	readStmts  *stmtCache
	scanStmts  *stmtCache
	writeStmts *stmtCache
	now        func() time.Time
	secrets    *secret.Box // seals vendor secrets; nil when SESAME_SECRET_KEY is unset
	// listTurns, on SQLite, lets at most one list page per core read at
	// once, the others waiting in order (takeListTurn).
	listTurns chan struct{}

	networkCache networkCache
	seats        seatHooks // licences.go
}

// dialect names the engine, for the few statements that differ between them.
type dialect string

const (
	sqliteDialect   dialect = "sqlite"
	postgresDialect dialect = "postgres"
)

// Options tune Open. Now is the clock, replaced in tests to move time.
type Options struct {
	Now func() time.Time
	// Secrets seals the vendors' secrets at rest. Without it, connectors
	// that need a secret can be neither saved nor used.
	Secrets *secret.Box
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL, or a SQLite file
// path. A SQLite file is brought up to date at once; a PostgreSQL database is
// migrated only by Migrate (sesame migrate), since several instances share it.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if IsPostgres(dsn) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxIdleTime(5 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		reads := newStmtCache(db)
		return &Store{dialect: postgresDialect, writePool: db, readPool: db, scanPool: db, readStmts: reads, scanStmts: reads, writeStmts: newStmtCache(db), now: opts.Now, secrets: opts.Secrets}, nil
	}
	return openSQLite(ctx, dsn, opts)
}

// SQLite's memory per database: bytes mapped, and KiB of page cache per
// connection of the writer and scanPool, then of readPool's.
const (
	sqliteMmapSize         = 128 << 20
	sqliteCacheKiB         = 8 << 10
	sqliteReadPoolCacheKiB = 2 << 10
)

// SQLiteWriterDSN is how the store's writer opens the SQLite file at path,
// for a tool that must write to it as the store does (sesame-bench
// load-bound).
func SQLiteWriterDSN(path string) string {
	return sqliteDSN(path, sqliteCacheKiB, sqliteMmapSize, true)
}

// sqliteDSN is the file's name for database/sql, with the settings every
// connection takes, its page cache and memory map; a writer's transactions
// take the write lock as they begin (immediate).
func sqliteDSN(path string, cacheKiB, mmapSize int, immediate bool) string {
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)",
		fmt.Sprintf("cache_size(-%d)", cacheKiB), fmt.Sprintf("mmap_size(%d)", mmapSize), "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	pragmas.Set("_time_format", "sqlite")
	if immediate {
		pragmas.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + pragmas.Encode()
}

func openSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	// Memory: the writer and scanPool read through mmap up to
	// sqliteMmapSize, which counts in the process's resident set
	// (file-backed, shared with the kernel's page cache); past it, pages are
	// copied into each connection's cache, at most sqliteCacheKiB each, nine
	// connections (8 readers, 1 writer). readPool's 8 connections read few
	// pages each, into caches of sqliteReadPoolCacheKiB. 128 MiB mapped + 9 ×
	// 8 MiB + 8 × 2 MiB of caches + the Go heap keeps the process under 256
	// MiB at 1M patrons (docs/benchmarks.md, "Memory").
	scanDSN := sqliteDSN(path, sqliteCacheKiB, sqliteMmapSize, false)
	readDSN := sqliteDSN(path, sqliteReadPoolCacheKiB, 0, false)
	writeDSN := SQLiteWriterDSN(path)

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
	scan, err := sql.Open("sqlite", scanDSN)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	scan.SetMaxOpenConns(8)
	scan.SetMaxIdleConns(8)
	s := &Store{dialect: sqliteDialect, writePool: write, readPool: read, scanPool: scan,
		readStmts: newStmtCache(read), scanStmts: newStmtCache(scan), writeStmts: newStmtCache(write), now: opts.Now, secrets: opts.Secrets,
		listTurns: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pools.
func (s *Store) Close() error {
	s.readStmts.close()
	s.writeStmts.close()
	if s.readPool == s.writePool {
		return s.writePool.Close()
	}
	s.scanStmts.close()
	return errors.Join(s.scanPool.Close(), s.readPool.Close(), s.writePool.Close())
}

// Now is the store's clock, as the store keeps times (dbTime).
func (s *Store) Now() time.Time { return dbTime(s.now()) }

// dbTime is t as the store keeps it: in UTC, to the microsecond, since
// PostgreSQL keeps no finer and both engines must give back what they were
// given.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.readPool.PingContext(ctx) }

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return string(s.dialect) }

func (s *Store) migrations() ([]string, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func (s *Store) ensureMigrationTable(ctx context.Context) error {
	stamp := "TIMESTAMP"
	if s.dialect == postgresDialect {
		stamp = "TIMESTAMPTZ"
	}
	if _, err := s.writePool.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at `+stamp+` NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return nil
}

// PendingMigrations lists the migrations not yet applied.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	names, err := s.migrations()
	if err != nil {
		return nil, err
	}
	applied := map[string]bool{}
	rows, err := s.readPool.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		// No table yet: everything is pending.
		return names, nil
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	var pending []string
	for _, n := range names {
		if !applied[n] {
			pending = append(pending, n)
		}
	}
	return pending, nil
}

// Migrate applies, in name order, each embedded migration of the engine not
// yet recorded, each in its own transaction, then builds the indexes an
// interrupted bulk load left recorded (RestoreIndexes). On PostgreSQL an advisory lock
// keeps two instances from migrating at once.
func (s *Store) Migrate(ctx context.Context) error {
	if s.dialect == postgresDialect {
		conn, err := s.writePool.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(29290029)`); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(29290029)`)
	}
	if err := s.ensureMigrationTable(ctx); err != nil {
		return err
	}
	names, err := s.migrations()
	if err != nil {
		return err
	}
	dir := "migrations/" + string(s.dialect)
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
	// A bulk load stopped before its end left indexes to build.
	if _, err := s.RestoreIndexes(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// inTx runs fn in a write transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writePool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// The statements the transaction asked for and did not find prepared
	// (Tx.prepared), once it has let go of SQLite's one writer.
	defer s.writeStmts.prepareWanted(ctx)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one statement on the write pool, outside any transaction; its
// error says what the statement was for.
func (s *Store) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := s.writePool.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
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
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return &sesame.Error{Code: sesame.EConflict, Message: conflictMsg}
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
