package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// FuzzSearch types whatever into the search box, control characters,
// quotes and FTS5 operators included, on the engine SESAME_TEST_ENGINE
// names: the store must answer a list, never an SQL error. `go test` runs
// the seeds; explore with
// `go test -run X -fuzz FuzzSearch -fuzztime 30s ./internal/store`.
func FuzzSearch(f *testing.F) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	st := storetest.Open(f, func() time.Time { return now })
	sys := sesame.Actor{Label: "test"}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys)
	if err != nil {
		f.Fatal(err)
	}
	res, err := st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "d", URL: "https://example.org/"}, sys)
	if err != nil {
		f.Fatal(err)
	}
	_, err = st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "LEFÈVRE", FirstName: "Anne",
		Email: "anne@example.org", BirthDate: sesame.MustDate(1980, 2, 29), PostalCode: "29000", Town: "Quimper", CardNumber: "C-1",
		RegisteredOn: sesame.MustDate(2021, 12, 17), Status: sesame.StatusToValidate}, ResourceIDs: []int64{res}}, sys)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"lefevre", "ab\x00cd", "\x00", `"`, `"\x00"`, `an"ne`, "lef\x00\"evre", "a\tb\r\nc", "\x7f\u0085\u2028",
		"NEAR(lef evre)", "lef*", "^lef", "lef OR anne", "-lef", "col:lef", "\xff\xfe", "%_\\", "'; DROP TABLE patrons; --"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, sc := range []store.Scope{store.LibraryScope(lib), store.NetworkScope()} {
			for _, flt := range []store.PatronFilter{{Query: q}, {Query: q, Awaiting: true}, {Query: q, Status: sesame.StatusToValidate}} {
				if _, err := st.ListPatrons(ctx, sc, flt); err != nil {
					t.Fatalf("search %q (%+v): %v", q, flt, err)
				}
			}
		}
	})
}
