package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
)

// libraryForm is library A's form as its page holds it, with changes.
func (w *world) libraryForm(change url.Values) url.Values {
	w.t.Helper()
	v := url.Values{"code": {"FOUESNANT"}, "nom": {"Médiathèque de Fouesnant"}, "ville": {"Fouesnant"},
		"email": {"a@example.org"}, "notification": {string(sesame.NotifyEachRequest)}}
	for k, vs := range change {
		v[k] = vs
	}
	return v
}

// TestLibraryValidityForm: the admin's library form shows the network's
// validity as its hint, refuses what is not a number of months with the
// typed value kept, and saves 6 months, which an empty field undoes.
func TestLibraryValidityForm(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	path := "/admin/bibliotheques/" + itoa(w.libA)

	page := admin.get(path)
	if hint := page.text("f-validite-aide"); !strings.Contains(hint, "Réseau : 12 mois") {
		t.Errorf("hint: got %q, want the network's 12 months", hint)
	}
	if v := page.value("validite"); v != "" {
		t.Errorf("a library following the network: got %q, want an empty field", v)
	}
	for _, tt := range []struct{ name, typed, want string }{
		{"not a number", "six", "nombre entier de mois"},
		{"zero", "0", "de 1 à 36"},
		{"too long", "37", "de 1 à 36"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post(path, w.libraryForm(url.Values{"validite": {tt.typed}}))
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("validite"), tt.want) {
				t.Errorf("got %d and %q, want 422 and %q", res.status, res.fieldError("validite"), tt.want)
			}
			if res.value("validite") != tt.typed {
				t.Errorf("typed value: got %q, want %q kept", res.value("validite"), tt.typed)
			}
		})
	}
	if res := admin.post(path, w.libraryForm(url.Values{"validite": {" 6 "}})); res.status != http.StatusSeeOther {
		t.Fatalf("6 months: got %d, want 303; %.300s", res.status, res.body)
	}
	if v := admin.get(path).value("validite"); v != "6" {
		t.Errorf("after saving: got %q, want 6", v)
	}
	if res := admin.post(path, w.libraryForm(url.Values{"validite": {""}})); res.status != http.StatusSeeOther {
		t.Fatalf("empty: got %d, want 303", res.status)
	}
	if l, err := w.store.Library(t.Context(), w.libA); err != nil || l.ValidityMonths != 0 {
		t.Errorf("emptied: got %+v (%v), want the network's (0)", l, err)
	}
}

// TestLibraryValidityGivesTheEndDate: with Fouesnant at 6 months and the
// network at 12, validating a Fouesnant account, alone or in bulk, ends it
// 6 months after its library date; Quimper's stays at 12.
func TestLibraryValidityGivesTheEndDate(t *testing.T) {
	w := newWorld(t)
	lib, err := w.store.Library(t.Context(), w.libA)
	if err != nil {
		t.Fatal(err)
	}
	lib.ValidityMonths = 6
	if err := w.store.UpdateLibrary(t.Context(), *lib, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	staff := w.login("fouesnant")
	statut := "/abonnes/" + itoa(w.patronA) + "/statut"
	if hint := staff.get(statut).text("f-date_bibliotheque-aide"); !strings.Contains(hint, "valable 6 mois") {
		t.Errorf("Statut tab hint: got %q, want 6 months", hint)
	}
	res := staff.post(statut, url.Values{"version": {strconv.Itoa(w.patron(w.patronA).Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("validate: got %d, want 303; %.300s", res.status, res.body)
	}
	if p := w.patron(w.patronA); p.ValidUntil != sesame.MustDate(2027, 5, 1) {
		t.Errorf("Fouesnant: got end %s, want 01/05/2027", p.ValidUntil)
	}

	second, quimper := w.toValidate(w.libA, "MOAL", "Katell"), w.toValidate(w.libB, "CORRE", "Mona")
	res = staff.post("/abonnes/selection", url.Values{"action": {"valider"}, "date_bibliotheque": {"20/11/2026"}, "abonne": {itoa(second)}, "q": {""}})
	if res.status != http.StatusOK {
		t.Fatalf("bulk validation: got %d, want 200; %.300s", res.status, res.body)
	}
	if p := w.patron(second); p.ValidUntil != sesame.MustDate(2027, 5, 20) {
		t.Errorf("Fouesnant in bulk: got %s until %s, want Validé until 20/05/2027", p.Status, p.ValidUntil)
	}
	w.saveStatus(w.login("quimper"), quimper, "valide", "20/11/2026", "")
	if p := w.patron(quimper); p.ValidUntil != sesame.MustDate(2027, 11, 20) {
		t.Errorf("Quimper, following the network: got %s until %s, want Validé until 20/11/2027", p.Status, p.ValidUntil)
	}
}
