package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// TestImport previews, then applies, a Windows-1252 export with Koha's
// header, as a librarian's script would; applied again, it changes nothing.
func TestImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
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
	if err := st.SaveNetwork(ctx, sesame.Network{Name: "Réseau", ContactEmail: "r@example.org", ValidityMonths: 12}, actor); err != nil {
		t.Fatal(err)
	}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "f@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	// The library date of the file: a few days ago, whatever today is.
	paris, _ := time.LoadLocation("Europe/Paris")
	today := sesame.DateOf(time.Now(), paris)
	fileDate := today.AddDays(-3)
	old := today.AddMonths(-11)
	var ids []int64
	for i, p := range []sesame.Patron{
		{LastName: "MOAL", FirstName: "Anne", CardNumber: "F-1", Status: sesame.StatusToRevalidate},
		{LastName: "LE GALL", FirstName: "Gwénaëlle", CardNumber: "F-2", Status: sesame.StatusToRevalidate},
		{LastName: "TANGUY", FirstName: "Soizic", CardNumber: "F-3", Status: sesame.StatusExpired},
	} {
		p.LibraryID, p.Email, p.BirthDate, p.PostalCode, p.Town = lib, "p"+string(rune('1'+i))+"@example.org", sesame.MustDate(1980, 1, 2), "29170", "Fouesnant"
		p.RegisteredOn, p.LibraryRegisteredOn, p.ValidUntil = old, old, old.AddMonths(12)
		id, err := st.CreatePatron(ctx, store.NewPatron{Patron: p}, actor)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	csv := "cardnumber;dateenrolled;email;surname;firstname;dateofbirth\r\n" +
		"F-1;" + fileDate.String() + ";;MOAL;Anne;02/01/1980\r\n" +
		";" + fileDate.ISO() + ";;LE GALL;Gwénaëlle;02/01/1980\r\n" +
		"F-3;" + fileDate.String() + ";;TANGUY;Soizic;\r\n" +
		"F-404;" + fileDate.String() + ";;INCONNU;Ive;\r\n" +
		"F-5;31/02/2026;;;;\r\n"
	encoded, err := charmap.Windows1252.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "export-koha.csv")
	if err := os.WriteFile(file, []byte(encoded), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantOut []string
		status  sesame.Status // of the first patron after
		wantErr string
	}{
		{"preview", []string{"--library", "fouesnant", file},
			[]string{"Revalidé                                      2", "Expiré, invité à demander le renouvellement   1", "ligne 5 (carte F-404) : Inconnu dans Sésame",
				"ligne 6 (carte F-5) : Ligne incorrecte", "5 lines read; preview"}, sesame.StatusToRevalidate, ""},
		{"apply", []string{"--library", "FOUESNANT", "--apply", file}, []string{"Revalidé                                      2", "5 lines read, 3 applied."}, sesame.StatusValidated, ""},
		{"apply again", []string{"--library", "FOUESNANT", "--apply", file}, []string{"Inchangé                                      3", "5 lines read, 0 applied."}, sesame.StatusValidated, ""},
		{"unknown library", []string{"--library", "BREST", file}, nil, "", "BREST"},
		{"no file", []string{"--library", "FOUESNANT"}, nil, "", "give one file"},
		{"unknown encoding", []string{"--library", "FOUESNANT", "--encoding", "ebcdic", file}, nil, "", "Encodage inconnu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, append([]string{"import", "--db", db}, tt.args...), nil, &out, &out, noEnv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			p, err := st.Patron(ctx, store.NetworkScope(), ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.status {
				t.Errorf("first patron: got %s, want %s", p.Status, tt.status)
			}
		})
	}
	if p, _ := st.Patron(ctx, store.NetworkScope(), ids[1]); p.LibraryRegisteredOn != fileDate {
		t.Errorf("matched by name and birth date: got library date %v, want %v", p.LibraryRegisteredOn, fileDate)
	}
}
