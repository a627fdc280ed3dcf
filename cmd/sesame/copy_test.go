package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// newPilot writes a small network to a SQLite file and returns its path.
func newPilot(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pilot.db")
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	actor := sesame.Actor{Label: "test"}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque", Town: "Fouesnant", ContactEmail: "m@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "d", URL: "https://example.org/"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	staff, err := st.CreateStaff(ctx, sesame.Staff{Login: "admin", Name: "Admin", Role: sesame.RoleAdmin, PasswordHash: "h"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, "token", staff); err != nil {
		t.Fatal(err)
	}
	var batch []store.NewPatron
	for i := range 30 {
		batch = append(batch, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: fmt.Sprintf("Nom%d", i), FirstName: "Prénom",
			Email: fmt.Sprintf("p%d@example.org", i), BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1),
			Status: sesame.StatusToValidate}, ResourceIDs: []int64{res}})
	}
	if err := st.BulkCreatePatrons(ctx, batch, actor); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportLine returns the fields of the report's line for table.
func reportLine(t testing.TB, out, table string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == table {
			return f
		}
	}
	t.Fatalf("no line for %s in the report:\n%s", table, out)
	return nil
}

func TestCopyCommand(t *testing.T) {
	targets := []struct {
		name string
		dsn  func(t testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "production.db") }},
		{"postgres", func(t testing.TB) string { return storetest.PostgresDSN(t) }},
	}
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			from, to := newPilot(t), tt.dsn(t)
			for run, wantWritten := range []string{"30", "0"} {
				var out, errOut bytes.Buffer
				err := runCopy(t, &out, &errOut, "copy", "--from", from, "--to", to)
				if err != nil {
					t.Fatalf("run %d: %v\n%s%s", run+1, err, errOut.String(), out.String())
				}
				for _, table := range []string{"network", "libraries", "resources", "staff", "patrons", "patron_counts", "grants", "audit_events", "jobs"} {
					f := reportLine(t, out.String(), table)
					if f[1] != f[3] {
						t.Errorf("run %d, %s: got %s in the source and %s in the target", run+1, table, f[1], f[3])
					}
					if !strings.Contains(errOut.String(), table) {
						t.Errorf("run %d: no progress for %s:\n%s", run+1, table, errOut.String())
					}
				}
				if f := reportLine(t, out.String(), "patrons"); f[1] != "30" || f[2] != wantWritten {
					t.Errorf("run %d, patrons: got %v, want 30 in the source and %s written", run+1, f, wantWritten)
				}
				for _, want := range []string{"Not copied: sessions, patron_sessions, login_throttle, password_resets, registrations", "as many rows in the target as in the source"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("run %d: output lacks %q:\n%s", run+1, want, out.String())
					}
				}
				if !strings.Contains(errOut.String(), "patrons       [####################] 30/30 100%") {
					t.Errorf("run %d: no finished bar for patrons:\n%s", run+1, errOut.String())
				}
			}
		})
	}
}

func TestCopyCommandErrors(t *testing.T) {
	pilot := newPilot(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no flags", nil, "usage: sesame copy"},
		{"no target", []string{"--from", pilot}, "usage: sesame copy"},
		{"same database", []string{"--from", pilot, "--to", pilot}, "same database"},
		{"missing source", []string{"--from", filepath.Join(t.TempDir(), "nothing.db"), "--to", filepath.Join(t.TempDir(), "t.db")}, "no database at"},
		{"stray argument", []string{"--from", pilot, "--to", "x.db", "now"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runCopy(t, &out, &out, append([]string{"copy"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func runCopy(t testing.TB, stdout, stderr *bytes.Buffer, args ...string) error {
	t.Helper()
	return run(context.Background(), args, strings.NewReader(""), stdout, stderr, noEnv)
}

func TestProgressBar(t *testing.T) {
	type step struct {
		table       string
		done, total int
		after       time.Duration // since the previous step
	}
	tests := []struct {
		name     string
		terminal bool
		steps    []step
		want     string
	}{
		{
			name:     "a line per tenth off a terminal",
			terminal: false,
			steps: []step{{"network", 0, 1, 0}, {"network", 1, 1, 0},
				{"patrons", 0, 100, 0}, {"patrons", 5, 100, 0}, {"patrons", 12, 100, 0}, {"patrons", 19, 100, 0}, {"patrons", 55, 100, 0}, {"patrons", 100, 100, 0},
				{"grants", 0, 0, 0}},
			want: "network       [####################] 1/1 100%\n" +
				"patrons       [##------------------]  12/100  12%\n" +
				"patrons       [###########---------]  55/100  55%\n" +
				"patrons       [####################] 100/100 100%\n" +
				"grants        [####################] 0/0 100%\n",
		},
		{
			name:     "redrawn at most ten times a second on a terminal",
			terminal: true,
			steps: []step{{"patrons", 0, 100, 0}, {"patrons", 10, 100, 50 * time.Millisecond}, {"patrons", 20, 100, 60 * time.Millisecond},
				{"patrons", 30, 100, 10 * time.Millisecond}, {"patrons", 100, 100, 10 * time.Millisecond}, {"grants", 0, 10, 0}},
			want: "\rpatrons       [--------------------]   0/100   0%" +
				"\rpatrons       [####----------------]  20/100  20%" +
				"\rpatrons       [####################] 100/100 100%\n" +
				"\rgrants        [--------------------]  0/10   0%\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			bar := &progressBar{w: &out, terminal: tt.terminal, now: func() time.Time { return now }}
			for _, s := range tt.steps {
				now = now.Add(s.after)
				bar.update(s.table, s.done, s.total)
			}
			bar.finish()
			if out.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://sesame:secret@db:5432/sesame?sslmode=disable", "postgres://sesame:xxxxx@db:5432/sesame?sslmode=disable"},
		{"postgres://postgres@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"},
		{"/var/lib/sesame/pilot.db", "/var/lib/sesame/pilot.db"},
	}
	for _, tt := range tests {
		if got := redactDSN(tt.in); got != tt.want {
			t.Errorf("redactDSN(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
