package storetest

import (
	"path/filepath"
	"testing"
	"time"
)

// freshDSN returns the DSN of a fresh, empty database on the engine of the
// stores open opens, for the tests that need the database itself rather
// than a store: two instances on one database, rows read as they are
// stored, a copy into a database not yet migrated.
func freshDSN(t testing.TB, open Opener) string {
	t.Helper()
	if open(t, time.Now).Engine() == "postgres" {
		return PostgresDSN(t)
	}
	return filepath.Join(t.TempDir(), "sesame.db")
}
