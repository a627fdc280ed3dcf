package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// lastAction is the newest action of the patron's history.
func (w *world) lastAction(id int64) string {
	w.t.Helper()
	events, err := w.store.PatronHistory(context.Background(), store.NetworkScope(), id)
	if err != nil || len(events) == 0 {
		w.t.Fatalf("history of %d: %v, %d events", id, err, len(events))
	}
	return events[0].Action
}

// Issue #10, bug 2: moving a Validé account's library date back corrects
// its end date. The patron is told the new end date, not that the library
// renewed the account, and the statistics count no renewal; moving it
// forward still renews.
func TestEndDateMovedBackIsACorrection(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	c := w.login("quimper")
	email := w.patron(w.patronB).Email // Validé, from 01/06/2026 to 01/06/2027

	w.saveStatus(c, w.patronB, "valide", "01/05/2026", "")
	deliver(t, w.instance("instance-1", in))
	got := in.to(email)
	if len(got) != 1 {
		t.Fatalf("mails after moving the date back: got %d, want 1", len(got))
	}
	if m := got[0]; strings.Contains(m.text, "renouvelé") || !strings.Contains(m.text, "a corrigé la date de fin de validité") ||
		!strings.Contains(m.text, "valable jusqu'au 01/05/2027 inclus") {
		t.Errorf("mail after moving the date back: got %q:\n%s\nwant the corrected end date 01/05/2027, no renewal", m.subject, m.text)
	}
	if a := w.lastAction(w.patronB); a != string(sesame.ActionStatus) {
		t.Errorf("audit action after moving the date back: got %q, want %q", a, sesame.ActionStatus)
	}

	w.saveStatus(c, w.patronB, "valide", "20/11/2026", "")
	deliver(t, w.instance("instance-1", in))
	if got := in.to(email); len(got) != 2 || !strings.Contains(got[1].text, "a renouvelé votre compte") {
		t.Errorf("mails after moving the date forward: got %d, want a second one saying « renouvelé »", len(got))
	}
	if a := w.lastAction(w.patronB); a != string(sesame.ActionRenewal) {
		t.Errorf("audit action after moving the date forward: got %q, want %q", a, sesame.ActionRenewal)
	}
}

// Issue #10, bug 3, in the steps: validating an À valider account
// that asked for resources leaves its requests to decide. The account stays
// in « À traiter », the Statut tab says how many requests wait with a link
// to the Ressources tab, and the mail lists what waits without promising
// « Accéder » buttons.
func TestValidationKeepsRequestsInQueue(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	id, err := w.store.CreatePatron(context.Background(), store.NewPatron{Patron: sesame.Patron{LibraryID: w.libA, LastName: "RIOU", FirstName: "Maël",
		Email: "mael.riou@example.org", BirthDate: sesame.MustDate(1990, 3, 4), PostalCode: "29170", Town: "Fouesnant",
		RegisteredOn: sesame.MustDate(2026, 11, 20), Status: sesame.StatusToValidate}, ResourceIDs: w.res, GrantState: sesame.GrantPending}, sesame.Actor{Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c := w.login("fouesnant")
	inQueue := func() bool {
		t.Helper()
		res := c.get("/abonnes/a-traiter")
		return find(res.doc, func(n *html.Node) bool {
			return n.Data == "a" && attr(n, "href") == "/abonnes/"+itoa(id)
		}) != nil
	}
	if !inQueue() {
		t.Fatal("the À valider account is not in « À traiter »")
	}

	w.saveStatus(c, id, "valide", "26/11/2026", "")
	if !inQueue() {
		t.Error("after validation: the account left « À traiter » with 3 requests undecided")
	}
	res := c.get("/abonnes/" + itoa(id) + "/statut?ok=enregistre")
	note := res.byID("demandes-en-attente")
	if note == nil || !strings.Contains(text(note), "3 demandes de ressources attendent votre décision") {
		t.Fatalf("Statut tab after the save: got %q, want « 3 demandes de ressources attendent votre décision »", text(note))
	}
	if find(note, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/abonnes/"+itoa(id)+"/ressources" }) == nil {
		t.Error("the message has no link to the Ressources tab")
	}

	deliver(t, w.instance("instance-1", in))
	got := in.to("mael.riou@example.org")
	if len(got) != 1 {
		t.Fatalf("mails to the patron: got %d, want 1", len(got))
	}
	m := got[0]
	for _, want := range []string{"a validé votre compte", "encore en attente de la décision de votre bibliothèque :\n- Livres numériques\n- PressReader\n- Tout apprendre\n"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.text)
		}
	}
	if strings.Contains(m.text, "Accéder") {
		t.Errorf("mail promises « Accéder » buttons with no resource validated:\n%s", m.text)
	}

	// Deciding the requests takes the account out of the queue.
	if res := c.post("/abonnes/"+itoa(id)+"/ressources", url.Values{"ressource": {itoa(w.res[0]), itoa(w.res[1]), itoa(w.res[2])}}); res.status != http.StatusSeeOther {
		t.Fatalf("activate: got %d, want 303", res.status)
	}
	if inQueue() {
		t.Error("after activating every request: the account is still in « À traiter »")
	}
}

// Issue #10, bug 6: a patron who corrects their birth date to one under 15
// is treated as a new registration of a minor. Without a parent, French
// messages ask for one and keep what was typed; with one, the account is À
// valider again, its resources « En attente », and the parent gets a mail.
func TestBirthDateUnderFifteenAsksConsent(t *testing.T) {
	for _, tt := range []struct {
		name string
		save func(w *world, form url.Values) response
	}{
		{"the patron, from « Mon compte »", func(w *world, form url.Values) response {
			return w.patronLogin(w.patronB).post("/mon-compte/informations", form)
		}},
		{"staff, on the Informations tab", func(w *world, form url.Values) response {
			form.Set("numero_inscription", "B-0001")
			return w.login("quimper").post("/abonnes/"+itoa(w.patronB), form)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			in := newInbox(t)
			form := func() url.Values {
				return url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
					"date_naissance": {"01/03/2015"}, "code_postal": {"29000"}, "ville": {"Quimper"}}
			}
			res := tt.save(w, form())
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("without a parent: got %d, want 422; %.300s", res.status, res.body)
			}
			for _, f := range []string{"nom_parent", "email_parent"} {
				if msg := res.fieldError(f); !strings.Contains(msg, "obligatoire avant 15 ans") {
					t.Errorf("%s: got message %q, want « obligatoire avant 15 ans »", f, msg)
				}
			}
			if got := res.value("date_naissance"); got != "01/03/2015" {
				t.Errorf("typed birth date: got %q, want it kept", got)
			}
			if p := w.patron(w.patronB); p.Status != sesame.StatusValidated || p.BirthDate != sesame.MustDate(1980, 5, 17) {
				t.Fatalf("refused save changed the account: %s, born %s", p.Status, p.BirthDate)
			}

			f := form()
			f.Set("nom_parent", "KERJEAN Maïwenn")
			f.Set("email_parent", "maiwenn.kerjean@example.org")
			if res := tt.save(w, f); res.status != http.StatusSeeOther {
				t.Fatalf("with a parent: got %d, want 303; %.300s", res.status, res.body)
			}
			p := w.patron(w.patronB)
			if p.Status != sesame.StatusToValidate || p.BirthDate != sesame.MustDate(2015, 3, 1) {
				t.Errorf("account: got %s, born %s; want À valider, born 01/03/2015", p.Status, p.BirthDate)
			}
			grants, err := w.store.PatronGrants(context.Background(), store.NetworkScope(), w.patronB)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range grants {
				if g.State == sesame.GrantValidated {
					t.Errorf("%s: still validated, want « En attente »", g.Resource.Name)
				}
			}
			deliver(t, w.instance("instance-1", in))
			mails := in.to("maiwenn.kerjean@example.org")
			if len(mails) != 1 || !strings.Contains(mails[0].subject, "Accord parental") || !strings.Contains(mails[0].text, "Yann KERJEAN") {
				t.Fatalf("mails to the parent: got %d %v, want one asking their consent for Yann KERJEAN", len(mails), mails)
			}
			if a := w.lastAction(w.patronB); a != string(sesame.ActionInformation) {
				t.Errorf("audit action: got %q, want %q", a, sesame.ActionInformation)
			}
			checkConsentAgain(t, w, mailLink(t, mails[0], consentAgainRoute))
		})
	}
}
