package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// snapshot is what a backup must carry over: the libraries and the patrons.
type snapshot struct {
	Libraries []sesame.Library
	Patrons   store.PatronPage
}

// newSourceDB makes a database with a library and a few patrons, and
// returns its path and the store still open on it, like a running server.
func newSourceDB(t testing.TB) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "sesame.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	actor := sesame.Actor{Label: "test"}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "q@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		addPatron(t, st, lib, i)
	}
	return db, st
}

func addPatron(t testing.TB, st *store.Store, lib int64, i int) {
	t.Helper()
	p := sesame.Patron{LibraryID: lib, LastName: fmt.Sprintf("LE GALL%d", i), FirstName: "Maëlle", Email: fmt.Sprintf("maelle%d@example.org", i),
		BirthDate: sesame.MustDate(1990, 6, 1), PostalCode: "29000", Town: "Quimper", RegisteredOn: sesame.MustDate(2026, 1, 5), Status: sesame.StatusToValidate}
	if _, err := st.CreatePatron(context.Background(), store.NewPatron{Patron: p}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
}

func takeSnapshot(t testing.TB, st *store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	libs, err := st.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{libs, page}
}

func openSnapshot(t testing.TB, db string) snapshot {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer st.Close()
	return takeSnapshot(t, st)
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestBackupAndRestore(t *testing.T) {
	tests := []struct {
		name string
		// restore returns the database path the backup was restored to.
		restore func(t *testing.T, db, backup string, server *store.Store) string
	}{
		{"restored to a new path", func(t *testing.T, db, backup string, server *store.Store) string {
			restored := filepath.Join(t.TempDir(), "restored.db")
			copyFile(t, backup, restored)
			return restored
		}},
		{"restored over the database, undoing later changes", func(t *testing.T, db, backup string, server *store.Store) string {
			libs, _ := server.Libraries(context.Background())
			addPatron(t, server, libs[0].ID, 99) // after the backup: the restore drops it
			server.Close()                       // stop the server
			for _, suffix := range []string{"-wal", "-shm"} {
				if err := os.Remove(db + suffix); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
			copyFile(t, backup, db)
			return db
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, server := newSourceDB(t)
			want := takeSnapshot(t, server)
			backup := filepath.Join(t.TempDir(), "nightly.db")
			var out bytes.Buffer
			if err := run(context.Background(), []string{"backup", "--db", db, "--out", backup}, nil, &out, &out, noEnv); err != nil {
				t.Fatalf("backup: %v", err)
			}
			fi, err := os.Stat(backup)
			if err != nil {
				t.Fatalf("no backup written: %v", err)
			}
			if !strings.Contains(out.String(), backup) || !strings.Contains(out.String(), fmt.Sprintf("%d bytes", fi.Size())) {
				t.Errorf("output: got %q, want the path %s and its size %d bytes", out.String(), backup, fi.Size())
			}

			restored := tt.restore(t, db, backup, server)
			if got := openSnapshot(t, restored); !reflect.DeepEqual(got, want) {
				t.Errorf("restored data:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestBackupFindsDatabaseAndNamesFile(t *testing.T) {
	db, server := newSourceDB(t)
	want := takeSnapshot(t, server)
	dir := t.TempDir()
	t.Chdir(dir)
	start := time.Now().UTC().Truncate(time.Second)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup"}, nil, &out, &out, envWith(map[string]string{"SESAME_DB": db})); err != nil {
		t.Fatalf("backup with SESAME_DB: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("current directory holds %d entries, want the backup alone: %v", len(entries), entries)
	}
	name := entries[0].Name()
	m := regexp.MustCompile(`^sesame-backup-(\d{8}-\d{6})\.db$`).FindStringSubmatch(name)
	if m == nil {
		t.Fatalf("default name: got %q, want sesame-backup-YYYYMMDD-HHMMSS.db", name)
	}
	taken, err := time.Parse("20060102-150405", m[1])
	if err != nil || taken.Before(start) || taken.After(time.Now().UTC()) {
		t.Errorf("time in the name: got %s, want the UTC time of the backup (from %s)", m[1], start.Format("20060102-150405"))
	}
	if !strings.Contains(out.String(), name) {
		t.Errorf("output: got %q, want the file name %s", out.String(), name)
	}
	if got := openSnapshot(t, filepath.Join(dir, name)); !reflect.DeepEqual(got, want) {
		t.Errorf("backup data:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestBackupRefuses(t *testing.T) {
	tests := []struct {
		name    string
		args    func(db, dir string) []string
		prepare func(t testing.TB, dir string)
		wantErr string
	}{
		{"missing database", func(db, dir string) []string {
			return []string{"--db", filepath.Join(dir, "sesame-typo.db"), "--out", filepath.Join(dir, "b.db")}
		}, nil, "no database at"},
		{"existing destination", func(db, dir string) []string {
			return []string{"--db", db, "--out", filepath.Join(dir, "b.db")}
		}, func(t testing.TB, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "b.db"), []byte("last night's backup"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "already exists"},
		{"stray argument", func(db, dir string) []string {
			return []string{"--db", db, filepath.Join(dir, "b.db")}
		}, nil, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newSourceDB(t)
			dir := t.TempDir()
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			before := listDir(t, dir)
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"backup"}, tt.args(db, dir)...), nil, &out, &out, noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if got := listDir(t, dir); !reflect.DeepEqual(got, before) {
				t.Errorf("directory changed: got %v, want %v", got, before)
			}
		})
	}
}

// listDir maps each file of dir to its content.
func listDir(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		files[e.Name()] = string(b)
	}
	return files
}

func TestBackupPostgresExplainsPgDump(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"SESAME_DB", nil, map[string]string{"SESAME_DB": "postgres://sesame:secret@db.example.org/sesame"}},
		{"--db and --out", []string{"--db", "postgresql://sesame@localhost/sesame", "--out", "nightly.db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			var out bytes.Buffer
			if err := run(context.Background(), append([]string{"backup"}, tt.args...), nil, &out, &out, envWith(tt.env)); err != nil {
				t.Fatalf("backup: got %v, want no error", err)
			}
			for _, want := range []string{
				`pg_dump --format=custom --file=sesame.dump "$SESAME_DB"`,
				`pg_restore --clean --if-exists --no-owner --dbname="$SESAME_DB" sesame.dump`,
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), "secret") {
				t.Errorf("output shows the DSN's password:\n%s", out.String())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("created %v, want nothing", entries)
			}
		})
	}
}
