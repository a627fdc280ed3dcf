package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

func TestReminders(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "--db", db}, nil, &out, &out, noEnv); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	actor := sesame.Actor{Label: "test"}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "BRIEC", Name: "Médiathèque de Briec", Town: "Briec", ContactEmail: "b@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	end := sesame.MustDate(2027, 1, 31)
	_, err = st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "TANGUY", FirstName: "Soizic",
		Email: "soizic@example.org", BirthDate: sesame.MustDate(1980, 1, 2), PostalCode: "29000", Town: "Quimper",
		RegisteredOn: sesame.MustDate(2025, 1, 2), Status: sesame.StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "SESAME_BASE_URL" {
			return "https://sesame.example.org"
		}
		return ""
	}
	outbox := func() []store.Mail {
		t.Helper()
		mails, err := st.RecentMail(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		return mails
	}
	tests := []struct {
		name     string
		args     []string
		wantOut  []string
		wantMail int
		wantErr  string
	}{
		{"dry run lists", []string{"--date", "24/01/2027", "--dry-run"},
			[]string{"TANGUY Soizic", "soizic@example.org", "31/01/2027", "7 jours avant la fin", "Médiathèque de Briec", "1 reminders due on 24/01/2027; dry run"}, 0, ""},
		{"nothing due the day before", []string{"--date", "23/01/2027", "--dry-run"}, []string{"0 reminders due on 23/01/2027"}, 0, ""},
		{"sends", []string{"--date", "24/01/2027"}, []string{"TANGUY Soizic", "1 reminders put in the outbox"}, 1, ""},
		{"sends once", []string{"--date", "25/01/2027"}, []string{"0 reminders put in the outbox"}, 1, ""},
		{"bad date", []string{"--date", "31/02/2027"}, nil, 1, "--date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, append([]string{"reminders", "--db", db}, tt.args...), nil, &out, &out, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if got := outbox(); len(got) != tt.wantMail {
				t.Errorf("outbox: got %d messages, want %d", len(got), tt.wantMail)
			}
		})
	}
	m := outbox()[0]
	if m.To != "soizic@example.org" || !strings.Contains(m.Text, "https://sesame.example.org/mon-compte/renouvellement") ||
		!strings.Contains(m.Text, "dans 7 jours") {
		t.Errorf("reminder mail: got to %s:\n%s", m.To, m.Text)
	}
}
