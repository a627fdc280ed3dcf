package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

var backupActor = sesame.Actor{Label: "test"}

// openFile opens a store on the SQLite file at path, closed at cleanup.
func openFile(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// createLibrary adds one library and returns its id.
func createLibrary(t testing.TB, st *store.Store) int64 {
	t.Helper()
	id, err := st.CreateLibrary(context.Background(), sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant",
		Town: "Fouesnant", ContactEmail: "a@example.org"}, backupActor)
	if err != nil {
		t.Fatalf("create library: %v", err)
	}
	return id
}

// createPatron adds patron number i of library lib.
func createPatron(ctx context.Context, st *store.Store, lib int64, i int) error {
	p := sesame.Patron{LibraryID: lib, LastName: fmt.Sprintf("KERJEAN%d", i), FirstName: "Anne", Email: fmt.Sprintf("anne%d@example.org", i),
		BirthDate: sesame.MustDate(1980, 2, 29), PostalCode: "29170", Town: "Fouesnant", RegisteredOn: sesame.MustDate(2026, 1, 5),
		Status: sesame.StatusToValidate}
	_, err := st.CreatePatron(ctx, store.NewPatron{Patron: p}, backupActor)
	return err
}

// patronTotal is the network's patron count as the back office shows it.
func patronTotal(t testing.TB, st *store.Store) int {
	t.Helper()
	page, err := st.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{})
	if err != nil {
		t.Fatalf("list patrons: %v", err)
	}
	return page.Total
}

// openPlain opens path through database/sql alone, without the store's
// migrations, to see the file as it was written.
func openPlain(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryStrings(t testing.TB, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func queryInt(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tempLeftovers lists the backup's temporary files left in dir.
func tempLeftovers(t testing.TB, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

const schemaQuery = `SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`

func TestBackupWhileWriting(t *testing.T) {
	tests := []struct {
		name string
		// separate writes through a second store on the same file, as the
		// running server does while "sesame backup" runs in its own process.
		separate bool
	}{
		{"writer sharing the store", false},
		{"writer in another store, like the running server", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			src := filepath.Join(dir, "sesame.db")
			st := openFile(t, src)
			lib := createLibrary(t, st)
			for i := range 5 {
				if err := createPatron(ctx, st, lib, i); err != nil {
					t.Fatal(err)
				}
			}
			writer := st
			if tt.separate {
				writer = openFile(t, src)
			}

			const writes = 200
			started := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				for i := range writes {
					if err := createPatron(ctx, writer, lib, 1000+i); err != nil {
						done <- err
						return
					}
					if i == 9 {
						close(started)
					}
				}
				done <- nil
			}()
			<-started
			before := patronTotal(t, st)
			out := filepath.Join(dir, "backup.db")
			backupErr := st.BackupTo(ctx, out)
			if err := <-done; err != nil {
				t.Fatalf("writer: %v", err)
			}
			if backupErr != nil {
				t.Fatalf("BackupTo: %v", backupErr)
			}
			after := patronTotal(t, st)
			if after != 5+writes {
				t.Fatalf("source holds %d patrons, want %d", after, 5+writes)
			}
			if left := tempLeftovers(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}

			// The file as written, before the store could migrate anything.
			plain := openPlain(t, out)
			if got := queryStrings(t, plain, `PRAGMA integrity_check`); !slices.Equal(got, []string{"ok"}) {
				t.Fatalf("integrity_check: got %q, want [ok]", got)
			}
			srcPlain := openPlain(t, src)
			if got, want := queryStrings(t, plain, schemaQuery), queryStrings(t, srcPlain, schemaQuery); !slices.Equal(got, want) {
				t.Errorf("schema of the backup: got %q, want %q", got, want)
			}
			migrations := `SELECT name FROM schema_migrations ORDER BY name`
			if got, want := queryStrings(t, plain, migrations), queryStrings(t, srcPlain, migrations); !slices.Equal(got, want) || len(got) == 0 {
				t.Errorf("migrations of the backup: got %q, want %q", got, want)
			}
			rows := queryInt(t, plain, `SELECT COUNT(*) FROM patrons`)
			if counted := queryInt(t, plain, `SELECT COALESCE(SUM(n), 0) FROM patron_counts`); counted != rows {
				t.Errorf("backup holds %d patrons but its counters say %d: not one snapshot", rows, counted)
			}
			if audited := queryInt(t, plain, `SELECT COUNT(*) FROM audit_events WHERE action = 'creation'`); audited != rows {
				t.Errorf("backup holds %d patrons but %d creations in the history: not one snapshot", rows, audited)
			}
			plain.Close()

			restored := openFile(t, out)
			got := patronTotal(t, restored)
			if got < before || got > after {
				t.Errorf("backup holds %d patrons, want between %d (before) and %d (after)", got, before, after)
			}
			if got != rows {
				t.Errorf("backup lists %d patrons, want the %d rows it holds", got, rows)
			}
			t.Logf("backup taken with %d patrons (%d before, %d after)", got, before, after)
		})
	}
}

func TestBackupRefusesExistingDestination(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t testing.TB, path string)
	}{
		{"file with data", func(t testing.TB, path string) {
			if err := os.WriteFile(path, []byte("précieux"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"empty file", func(t testing.TB, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t testing.TB, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openFile(t, filepath.Join(dir, "sesame.db"))
			createLibrary(t, st)
			out := filepath.Join(dir, "backup.db")
			tt.prepare(t, out)
			before, _ := os.ReadFile(out)

			err := st.BackupTo(context.Background(), out)
			if err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("got error %v, want one saying %s already exists", err, out)
			}
			if after, _ := os.ReadFile(out); string(after) != string(before) {
				t.Errorf("destination changed: got %q, want %q", after, before)
			}
			if left := tempLeftovers(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestBackupFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	st := openFile(t, filepath.Join(dir, "sesame.db"))
	out := filepath.Join(dir, "backup.db")
	if err := st.BackupTo(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("backup mode: got %v, want readable by its owner only", perm)
	}
}
