package store_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		fmt.Fprintf(os.Stderr, "store: PostgreSQL skipped, SQLite only (set %s to run the suite on PostgreSQL too)\n", storetest.PostgresEnv)
	}
	os.Exit(m.Run())
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, storetest.OpenSQLite)
}

func TestPostgres(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("PostgreSQL not configured: set %s", storetest.PostgresEnv)
	}
	storetest.Run(t, storetest.OpenPostgres)
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Lefèvre", "lefevre"}, {"GUÉGUEN", "gueguen"}, {"Œuvrard", "oeuvrard"}, {"N’Guyen", "n'guyen"}, {"Maëlle", "maelle"}, {"ÇA", "ca"},
	}
	for _, tt := range tests {
		if got := store.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
