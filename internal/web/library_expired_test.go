package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// TestExpiredRecordTabs: on an Expiré record, library staff are offered no
// form and every POST is refused; the network admin is offered every form,
// and every POST succeeds and is audited as a correction of an Expiré record.
// The page offers exactly what its POST accepts.
func TestExpiredRecordTabs(t *testing.T) {
	w := newWorld(t)
	n := 0
	expired := func(t *testing.T) *sesame.Patron {
		t.Helper()
		n++
		id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "QUÉRÉ", FirstName: "Loïc", Email: fmt.Sprintf("loic%d@example.org", n),
			Status: sesame.StatusExpired, LibraryRegisteredOn: sesame.MustDate(2024, 1, 1), ValidUntil: sesame.MustDate(2025, 1, 1)}, sesame.GrantPending)
		return w.patron(id)
	}
	tabs := []struct {
		name   string
		path   func(id int64) string
		button string
		form   func(p *sesame.Patron) url.Values
	}{
		{"Informations", func(id int64) string { return fmt.Sprintf("/abonnes/%d", id) }, "Enregistrer", func(p *sesame.Patron) url.Values {
			v := infoValues(p)
			v.Set("ville", "Bénodet")
			v.Set("email", p.Email)
			v.Set("bibliotheque", strconv.FormatInt(p.LibraryID, 10))
			return v
		}},
		{"Statut", func(id int64) string { return fmt.Sprintf("/abonnes/%d/statut", id) }, "Enregistrer", func(p *sesame.Patron) url.Values {
			return url.Values{"version": {strconv.Itoa(p.Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}}
		}},
		{"Ressources", func(id int64) string { return fmt.Sprintf("/abonnes/%d/ressources", id) }, "Activer", func(*sesame.Patron) url.Values {
			return url.Values{"ressource": {strconv.FormatInt(w.res[1], 10)}}
		}},
	}
	actors := []struct {
		login      string
		wantButton bool
		wantStatus int
	}{
		{"fouesnant", false, http.StatusForbidden},
		{"admin", true, http.StatusSeeOther},
	}
	for _, a := range actors {
		c := w.login(a.login)
		for _, tab := range tabs {
			t.Run(a.login+"/"+tab.name, func(t *testing.T) {
				p := expired(t)
				page := c.get(tab.path(p.ID))
				if page.status != http.StatusOK {
					t.Fatalf("GET: got status %d, want 200", page.status)
				}
				button := find(page.doc, func(n *html.Node) bool { return n.Data == "button" && text(n) == tab.button })
				if got := button != nil; got != a.wantButton {
					t.Errorf("GET offers « %s »: got %v, want %v", tab.button, got, a.wantButton)
				}
				res := c.post(tab.path(p.ID), tab.form(p))
				if res.status != a.wantStatus {
					t.Fatalf("POST: got status %d, want %d; body: %.300s", res.status, a.wantStatus, res.body)
				}
				after := w.patron(p.ID)
				history, err := w.store.PatronHistory(context.Background(), store.NetworkScope(), p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if a.wantStatus == http.StatusForbidden {
					if after.Version != p.Version || after.Status != sesame.StatusExpired {
						t.Errorf("refused POST changed the record: version %d→%d, status %s", p.Version, after.Version, after.Status)
					}
					if !strings.Contains(text(res.doc), "seul l'usager peut demander son renouvellement") {
						t.Errorf("403 page: the tutorial's explanation is missing")
					}
					for _, e := range history {
						if string(e.Action) != string(sesame.ActionRegistration) {
							t.Errorf("refused POST left an audit line: %s %q", e.Action, e.Detail)
						}
					}
					return
				}
				if after.Version == p.Version {
					t.Errorf("admin POST changed nothing: version %d", after.Version)
				}
				if len(history) == 0 || !strings.HasPrefix(history[0].Detail, sesame.ExpiredCorrectionNote) || history[0].ActorLabel != "admin (Administration)" {
					t.Errorf("audit: got %+v, want the newest line by admin to begin with %q", history, sesame.ExpiredCorrectionNote)
				}
			})
		}
	}
}

// TestPastEndDateShownInListAndRecord: a Validé account whose end date
// passed yesterday, which nobody has used since, is shown « Validé — date
// dépassée » in a warning colour, in the staff list and on its record; an
// account on its last day is plain « Validé ».
func TestPastEndDateShownInListAndRecord(t *testing.T) {
	w := newWorld(t) // today is 26/11/2026
	past := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "DÉPASSÉ", FirstName: "Paul", Email: "paul@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2025, 11, 25), ValidUntil: sesame.MustDate(2026, 11, 25)}, sesame.GrantValidated)
	lastDay := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "DERNIERJOUR", FirstName: "Lise", Email: "lise@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2025, 11, 26), ValidUntil: sesame.MustDate(2026, 11, 26)}, sesame.GrantValidated)
	c := w.login("fouesnant")
	statusOf := func(t *testing.T, doc *html.Node, near string) *html.Node {
		t.Helper()
		var row *html.Node
		if near == "" {
			row = find(doc, func(n *html.Node) bool { return n.Data == "p" && strings.Contains(attr(n, "class"), "record-meta") })
		} else {
			row = find(doc, func(n *html.Node) bool { return n.Data == "tr" && strings.Contains(text(n), near) })
		}
		if row == nil {
			t.Fatalf("no row or header for %q", near)
		}
		return find(row, func(n *html.Node) bool { return n.Data == "span" && strings.Contains(attr(n, "class"), "status ") })
	}
	list := c.get("/abonnes")
	record := c.get(fmt.Sprintf("/abonnes/%d", past))
	plain := c.get(fmt.Sprintf("/abonnes/%d", lastDay))
	tests := []struct {
		name        string
		doc         *html.Node
		near        string
		want        string
		wantWarning bool
	}{
		{"list, past its end date", list.doc, "DÉPASSÉ", "Validé — date dépassée", true},
		{"list, on its last day", list.doc, "DERNIERJOUR", "Validé", false},
		{"record, past its end date", record.doc, "", "Validé — date dépassée", true},
		{"record, on its last day", plain.doc, "", "Validé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span := statusOf(t, tt.doc, tt.near)
			if span == nil {
				t.Fatal("no status span")
			}
			if got := strings.TrimSpace(text(span)); got != tt.want {
				t.Errorf("status: got %q, want %q", got, tt.want)
			}
			if got := strings.Contains(attr(span, "class"), "status-depassee"); got != tt.wantWarning {
				t.Errorf("warning class: got %v, want %v (class %q)", got, tt.wantWarning, attr(span, "class"))
			}
		})
	}
	if got := w.patron(past).Status; got != sesame.StatusValidated {
		t.Errorf("status after staff looked: got %s, want it still Validé until its holder uses it", got)
	}
}
