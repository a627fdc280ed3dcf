package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// patronsWith counts the accounts whose names, e-mail or card number
// contain q, in the whole network.
func (w *world) patronsWith(q string) int {
	w.t.Helper()
	page, err := w.store.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{Query: q, Limit: 10})
	if err != nil {
		w.t.Fatal(err)
	}
	return page.Total
}

// duplicateLinks returns the hrefs of the « Doublon possible » notice of a
// record page, and whether the notice is there.
func duplicateLinks(r response) ([]string, bool) {
	n := r.byID("doublon")
	if n == nil {
		return nil, false
	}
	var hrefs []string
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == "a" {
			hrefs = append(hrefs, attr(c, "href"))
		}
	})
	return hrefs, true
}

func TestPossibleDuplicateOnRecord(t *testing.T) {
	w := newWorld(t)
	birth := sesame.MustDate(2001, 9, 14)
	add := func(lib int64, last, first, email string, birth sesame.Date) int64 {
		return w.addPatron(sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: email, BirthDate: birth, Status: sesame.StatusToValidate}, sesame.GrantPending)
	}
	first := add(w.libA, "LE GOFF", "Maël", "mael.1@example.org", birth)
	second := add(w.libA, "Le Goff", "MAEL", "mael.2@example.org", birth)
	otherBirth := add(w.libA, "LE GOFF", "Maël", "mael.3@example.org", sesame.MustDate(2001, 9, 15))
	inB := add(w.libB, "LE GOFF", "Maël", "mael.b@example.org", birth)

	fouesnant, quimper, admin := w.login("fouesnant"), w.login("quimper"), w.login("admin")
	tests := []struct {
		name   string
		c      *client
		path   string
		want   []string // the links of the notice; nil: no notice
		wantNo bool
	}{
		{"the first record", fouesnant, "/abonnes/" + itoa(first), []string{"/abonnes/" + itoa(second)}, false},
		{"the second record, Statut tab", fouesnant, "/abonnes/" + itoa(second) + "/statut", []string{"/abonnes/" + itoa(first)}, false},
		{"Ressources tab", fouesnant, "/abonnes/" + itoa(first) + "/ressources", []string{"/abonnes/" + itoa(second)}, false},
		{"the admin sees the same library's only", admin, "/abonnes/" + itoa(first), []string{"/abonnes/" + itoa(second)}, false},
		{"another birth date", fouesnant, "/abonnes/" + itoa(otherBirth), nil, true},
		{"library B's namesake: none in B", quimper, "/abonnes/" + itoa(inB), nil, true},
		{"a patron with no namesake", fouesnant, "/abonnes/" + itoa(w.patronA), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.get(tt.path)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200", tt.path, res.status)
			}
			links, shown := duplicateLinks(res)
			if shown == tt.wantNo {
				t.Fatalf("notice shown: got %v, want %v", shown, !tt.wantNo)
			}
			if got, want := len(links), len(tt.want); got != want || (want > 0 && links[0] != tt.want[0]) {
				t.Errorf("links: got %v, want %v", links, tt.want)
			}
			if shown && !strings.HasPrefix(text(res.byID("doublon")), "Doublon possible :") {
				t.Errorf("notice: got %q, want it to start with « Doublon possible : »", text(res.byID("doublon")))
			}
		})
	}
}
