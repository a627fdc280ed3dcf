package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/store"
)

// PostgresEnv names the variable that points the tests at a PostgreSQL
// server, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "SESAME_TEST_POSTGRES"

// PostgresDSN returns a DSN to a fresh schema of the test server, dropped
// when the test ends, or skips the test when no server is configured.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL not configured: set %s to run this test on PostgreSQL too", PostgresEnv)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	// Extensions belong to the database: install them once, in public, under
	// a lock, so that concurrent test packages do not race to create them.
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	for _, q := range []string{
		`SELECT pg_advisory_lock(29290030)`,
		`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`,
		`CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public`,
		`SELECT pg_advisory_unlock(29290030)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a migrated store on a fresh schema, closed at the end of the test.
func OpenPostgres(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), PostgresDSN(t), store.Options{Now: now, Secrets: TestSecrets(t)})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// EngineEnv chooses the engine of the tests that run on one: "postgres", or
// SQLite when unset. CI runs those packages once with each.
const EngineEnv = "SESAME_TEST_ENGINE"

// Open opens a fresh, migrated store on the engine EngineEnv names.
func Open(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	if os.Getenv(EngineEnv) == "postgres" {
		if os.Getenv(PostgresEnv) == "" {
			t.Fatalf("%s=postgres needs %s", EngineEnv, PostgresEnv)
		}
		return OpenPostgres(t, now)
	}
	return OpenSQLite(t, now)
}

// OpenSQLite opens a store on a fresh SQLite file in the test's temporary directory.
func OpenSQLite(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sesame.db"), store.Options{Now: now, Secrets: TestSecrets(t)})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSecrets is a box with a random key, as SESAME_SECRET_KEY gives one, so
// that test stores keep vendor secrets as production does.
func TestSecrets(t testing.TB) *secret.Box {
	t.Helper()
	key := make([]byte, secret.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// DSN returns a fresh database on the engine EngineEnv names, for tests
// that start the whole app: a SQLite file path in the test's directory (the
// app migrates it), or a PostgreSQL schema migrated as "sesame migrate"
// would.
func DSN(t testing.TB) string {
	t.Helper()
	if os.Getenv(EngineEnv) != "postgres" {
		return filepath.Join(t.TempDir(), "sesame.db")
	}
	dsn := PostgresDSN(t)
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dsn
}
