package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now func() time.Time) *store.Store {
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sesame.db"), store.Options{Now: now})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
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
