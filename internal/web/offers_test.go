package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// resourceForm is the resource form of w's resource i as saved, with kv set.
func resourceForm(t testing.TB, w *world, i int, kv ...string) url.Values {
	t.Helper()
	res, err := w.store.Resource(context.Background(), w.res[i])
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{"identifiant_court": {res.Slug}, "nom": {res.Name}, "description": {res.Description}, "lien": {res.URL}, "offre": {"tous"}}
	for j := 0; j+1 < len(kv); j += 2 {
		if kv[j] == "bibliotheques" {
			v.Add(kv[j], kv[j+1])
			continue
		}
		v.Set(kv[j], kv[j+1])
	}
	return v
}

// A library without PressReader: none of its patrons sees it, on « Mon
// compte » or at registration, nor its staff on the record; the gate
// refuses to open it, and a POST refuses to activate it.
func TestResourceNotOfferedIsNeitherSeenNorOpened(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Yann (Quimper) had PressReader before the offer changed.
	if _, err := w.store.SetGrants(ctx, store.NetworkScope(), w.patronB, w.res[1:2], sesame.GrantValidated, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	admin := w.login("admin")
	r := admin.post("/admin/ressources/"+itoa(w.res[1]), resourceForm(t, w, 1, "offre", "liste", "bibliotheques", itoa(w.libA)))
	if r.status != http.StatusSeeOther {
		t.Fatalf("save the offer: got %d, want 303: %.600s", r.status, r.body)
	}
	form := admin.get("/admin/ressources/" + itoa(w.res[1]))
	if !strings.Contains(form.body, `value="liste" checked`) || !strings.Contains(form.body, `name="bibliotheques" value="`+itoa(w.libA)+`" id="f-bibliotheques" checked`) {
		t.Errorf("the form does not show the saved offer: %.2000s", form.body)
	}

	yann := w.patronLogin(w.patronB)
	if page := yann.get("/mon-compte"); strings.Contains(page.body, "PressReader") {
		t.Errorf("« Mon compte » of a patron whose library does not offer PressReader lists it")
	}
	launch := yann.post("/acceder/pressreader", url.Values{})
	if launch.status != http.StatusForbidden || !strings.Contains(launch.body, "pas proposée par votre bibliothèque") {
		t.Errorf("launch: got %d, want 403 with the reason: %.800s", launch.status, launch.body)
	}
	quimper := w.login("quimper")
	if rows := resourceRows(t, quimper.get("/abonnes/"+itoa(w.patronB)+"/ressources")); rows["PressReader"] != nil {
		t.Errorf("the record of a patron whose library does not offer PressReader lists it")
	}
	act := quimper.post("/abonnes/"+itoa(w.patronB)+"/ressources", url.Values{"ressource": {itoa(w.res[1])}})
	if act.status == http.StatusSeeOther {
		t.Errorf("activating a resource the library does not offer: got 303, want a refusal")
	}
	reg := w.anonymous().get("/inscription")
	if !strings.Contains(reg.body, "PressReader (proposée seulement par : Fouesnant — Médiathèque de Fouesnant)") {
		t.Errorf("registration does not say which libraries offer PressReader")
	}
	// Anne (Fouesnant) still sees and may ask for it.
	if page := w.patronLogin(w.patronA).get("/mon-compte"); !strings.Contains(page.body, "PressReader") {
		t.Errorf("« Mon compte » of a patron of the subscribed library does not list PressReader")
	}
}

// The licence fields of the resource form: a price with a decimal comma is
// read, a cap that is no number is refused in French beside its field, with
// what was typed kept.
func TestResourceFormLicenceFields(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	path := "/admin/ressources/" + itoa(w.res[1])
	bad := admin.post(path, resourceForm(t, w, 1, "places", "beaucoup", "prix_annuel", "douze", "places_bibliotheque_"+itoa(w.libA), "-3"))
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad numbers: got %d, want 422", bad.status)
	}
	for _, field := range []string{"places", "prix_annuel", "places_bibliotheque_" + itoa(w.libA)} {
		if bad.fieldError(field) == "" {
			t.Errorf("no message beside %s", field)
		}
	}
	if got := bad.value("places"); got != "beaucoup" {
		t.Errorf("typed cap: got %q, want it kept", got)
	}
	ok := admin.post(path, resourceForm(t, w, 1, "places", "2", "prix_annuel", "1 200,50", "places_bibliotheque_"+itoa(w.libB), "1"))
	if ok.status != http.StatusSeeOther {
		t.Fatalf("good numbers: got %d, want 303: %.800s", ok.status, ok.body)
	}
	res, err := w.store.Resource(context.Background(), w.res[1])
	if err != nil {
		t.Fatal(err)
	}
	if res.SeatCap != 2 || res.YearlyPrice != 120050 || res.LibraryCaps[w.libB] != 1 {
		t.Errorf("saved: got cap %d, price %d, caps %v; want 2, 120050, {%d: 1}", res.SeatCap, res.YearlyPrice, res.LibraryCaps, w.libB)
	}
	if got := admin.get(path).value("prix_annuel"); got != "1200,50" {
		t.Errorf("price shown back: got %q, want 1200,50", got)
	}
}

// A cap of 1 seat of Quimper's own: a second activation waits, which the
// record, « Mon compte » and the statistics show; withdrawing the first
// gives the seat to the second at once.
func TestWaitingListOnRecordAccountAndStats(t *testing.T) {
	w := newWorld(t)
	w.store.OnSeatGranted(w.web.SeatGranted)
	admin := w.login("admin")
	if r := admin.post("/admin/ressources/"+itoa(w.res[2]), resourceForm(t, w, 2, "places_bibliotheque_"+itoa(w.libB), "1", "prix_annuel", "300")); r.status != http.StatusSeeOther {
		t.Fatalf("save the cap: got %d", r.status)
	}
	second := w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: "GUÉGUEN", FirstName: "Maëlle", Email: "maelle@example.org",
		CardNumber: "B-0002", Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1), ValidUntil: sesame.MustDate(2027, 6, 1)},
		sesame.GrantValidated)
	quimper := w.login("quimper")
	for _, id := range []int64{w.patronB, second} {
		if r := quimper.post("/abonnes/"+itoa(id)+"/ressources", url.Values{"ressource": {itoa(w.res[2])}}); r.status != http.StatusSeeOther {
			t.Fatalf("activate for %d: got %d", id, r.status)
		}
		w.clock.Advance(60e9)
	}
	if rows := resourceRows(t, quimper.get("/abonnes/"+itoa(second)+"/ressources")); !strings.Contains(strings.Join(rows["Tout apprendre"], " "), "Liste d'attente — position 1") {
		t.Errorf("record: got %v, want « Liste d'attente — position 1 »", rows["Tout apprendre"])
	}
	if list := quimper.get("/abonnes?filtre=liste-attente"); !strings.Contains(list.body, "GUÉGUEN") || strings.Contains(list.body, "KERJEAN") {
		t.Errorf("the list's « Ressource en liste d'attente »: want GUÉGUEN only")
	}
	if page := w.patronLogin(second).get("/mon-compte"); !strings.Contains(page.body, "En liste d&#39;attente, position 1") {
		t.Errorf("« Mon compte » does not show the place in line")
	}
	if page := admin.get("/admin/statistiques"); !strings.Contains(page.body, "1 sur 1 (places propres)") || !strings.Contains(page.body, "1 en liste d'attente") {
		t.Errorf("statistics do not show the seats: %.400s", page.body[strings.Index(page.body, `id="licences"`)+0:])
	}
	if r := quimper.post("/abonnes/"+itoa(w.patronB)+"/ressources", url.Values{"retirer": {itoa(w.res[2])}}); r.status != http.StatusSeeOther {
		t.Fatalf("withdraw: got %d", r.status)
	}
	g, err := w.store.PatronGrant(context.Background(), second, w.res[2])
	if err != nil || g == nil || g.State != sesame.GrantValidated {
		t.Errorf("second in line after the withdrawal: got %+v (%v), want validated", g, err)
	}
}
