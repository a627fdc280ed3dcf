package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// TestRenewalPage follows a reminder's link: the patron logs in and comes
// back to the page, which changes nothing until its one button is pressed;
// the account then waits for the library and stays open until its end.
func TestRenewalPage(t *testing.T) {
	w := newWorld(t)
	end := sesame.MustDate(2026, 12, 3) // the world's clock is on 26/11/2026
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "TANGUY", FirstName: "Soizic", Email: "soizic@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end}, sesame.GrantValidated)

	anon := w.anonymous()
	res := anon.get("/mon-compte/renouvellement")
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/connexion?suite="+url.QueryEscape("/mon-compte/renouvellement") {
		t.Fatalf("not logged in: got %d to %q, want 303 to the login page with the way back", res.status, loc)
	}
	c := w.patronLogin(id) // sets the password; the way back is a fresh login's
	back := w.anonymous()
	res = back.post("/connexion/usager", url.Values{"email": {"soizic@example.org"}, "mot_de_passe_usager": {testPassword}, "suite": {"/mon-compte/renouvellement"}})
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/mon-compte/renouvellement" {
		t.Fatalf("login with the way back: got %d to %q, want 303 to the renewal page", res.status, loc)
	}

	page := back.get("/mon-compte/renouvellement")
	if page.status != http.StatusOK || !hasButton(page, "Demander le renouvellement") {
		t.Fatalf("renewal page: status %d, want 200 with « Demander le renouvellement »; body: %.500s", page.status, page.body)
	}
	form := find(page.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/mon-compte/renouvellement" })
	if form == nil || attr(form, "method") != "post" {
		t.Errorf("the button is not in a POST form to /mon-compte/renouvellement")
	}
	if got := w.patron(id).Status; got != sesame.StatusValidated {
		t.Fatalf("after GET: status %s, want Validé: a GET changes nothing", got)
	}

	if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusSeeOther {
		t.Fatalf("renewal request: got status %d, want 303", res.status)
	}
	p := w.patron(id)
	if p.Status != sesame.StatusToRevalidate || p.ValidUntil != end {
		t.Fatalf("after the request: got %s until %v, want À revalider, the end date kept", p.Status, p.ValidUntil)
	}
	again := c.get("/mon-compte/renouvellement")
	if hasButton(again, "Demander le renouvellement") || !strings.Contains(text(again.doc), "reste ouvert jusqu'au 03/12/2026 inclus") {
		t.Errorf("after the request: the page should say the account stays open, without the button: %s", text(again.doc))
	}
	if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusForbidden {
		t.Errorf("a second request: got status %d, want 403", res.status)
	}
	staff := w.login("fouesnant")
	if !strings.Contains(text(staff.get("/abonnes/"+itoa(id)+"/statut").doc), "« Validé » → « À revalider »") {
		t.Errorf("the history does not show the request")
	}
	if !strings.Contains(staff.get("/abonnes/a-traiter").body, "TANGUY") {
		t.Errorf("the request is not in the library's to-do view")
	}
}

// TestRenewalPageTooEarly: an account far from its end is told when it may
// ask, and its POST is refused as the page says.
func TestRenewalPageTooEarly(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronB) // Validé until 01/06/2027
	page := c.get("/mon-compte/renouvellement")
	if page.status != http.StatusOK || hasButton(page, "Demander le renouvellement") ||
		!strings.Contains(text(page.doc), "à partir du 03/03/2027") {
		t.Errorf("renewal page too early: status %d, want the date it opens and no button: %s", page.status, text(page.doc))
	}
	if res := c.post("/mon-compte/renouvellement", nil); res.status != http.StatusForbidden {
		t.Errorf("renewal too early: got status %d, want 403", res.status)
	}
}

// TestReminderSettings: the network's and a library's reminders, refused
// with a message next to the field and the typed value kept, then saved.
func TestReminderSettings(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	ctx := context.Background()
	network := url.Values{"nom": {"Réseau de test"}, "email": {"reseau@example.org"}, "validite": {"12"}}
	tests := []struct {
		name, path string
		form       url.Values
		wantError  string // the field refused, "" when saved
		check      func(t *testing.T)
	}{
		{"network, not numbers", "/admin/reseau", with(network, "rappels", "30,sept"), "rappels", nil},
		{"network, too early", "/admin/reseau", with(network, "rappels", "120"), "rappels", nil},
		{"network saved", "/admin/reseau", with(with(network, "rappels", "15, 3"), "rappel_lendemain", "1"), "", func(t *testing.T) {
			n, err := w.store.Network(ctx)
			if want := (sesame.ReminderSchedule{DaysBefore: []int{15, 3}, DayAfter: true}); err != nil || !reflect.DeepEqual(n.Reminders, want) {
				t.Errorf("network reminders: got %+v (%v), want %+v", n.Reminders, err, want)
			}
		}},
		{"library, twice the same day", "/admin/bibliotheques/" + itoa(w.libA), libraryForm(w, "7,7", ""), "rappels", nil},
		{"library, unknown choice", "/admin/bibliotheques/" + itoa(w.libA), libraryForm(w, "", "parfois"), "rappel_lendemain", nil},
		{"library saved", "/admin/bibliotheques/" + itoa(w.libA), libraryForm(w, "10", "non"), "", func(t *testing.T) {
			l, err := w.store.Library(ctx, w.libA)
			if err != nil || !reflect.DeepEqual(l.ReminderDays, []int{10}) || l.ReminderDayAfter == nil || *l.ReminderDayAfter {
				t.Errorf("library reminders: got %v and %v (%v), want 10 days and no day after", l.ReminderDays, l.ReminderDayAfter, err)
			}
			if page := admin.get("/admin/bibliotheques/" + itoa(w.libA)); page.value("rappels") != "10" {
				t.Errorf("library form shows %q, want 10", page.value("rappels"))
			}
		}},
		{"library back to the network", "/admin/bibliotheques/" + itoa(w.libA), libraryForm(w, "", ""), "", func(t *testing.T) {
			l, err := w.store.Library(ctx, w.libA)
			if err != nil || l.ReminderDays != nil || l.ReminderDayAfter != nil {
				t.Errorf("library reminders: got %v and %v (%v), want the network's", l.ReminderDays, l.ReminderDayAfter, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post(tt.path, tt.form)
			if tt.wantError == "" {
				if res.status != http.StatusSeeOther {
					t.Fatalf("got status %d, want 303; errors: %s", res.status, text(res.doc))
				}
				tt.check(t)
				return
			}
			if res.status != http.StatusUnprocessableEntity || res.fieldError(tt.wantError) == "" {
				t.Fatalf("got status %d and message %q next to %s, want 422 and a message", res.status, res.fieldError(tt.wantError), tt.wantError)
			}
			if tt.wantError == "rappels" && res.value("rappels") != tt.form.Get("rappels") {
				t.Errorf("typed value: got %q, want %q kept", res.value("rappels"), tt.form.Get("rappels"))
			}
		})
	}
}

// with returns a copy of v with field set to value.
func with(v url.Values, field, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(field, value)
	return out
}

// libraryForm is library A's form as sent, with these reminder settings.
func libraryForm(w *world, days, dayAfter string) url.Values {
	l, err := w.store.Library(context.Background(), w.libA)
	if err != nil {
		w.t.Fatal(err)
	}
	return url.Values{"code": {l.Code}, "nom": {l.Name}, "ville": {l.Town}, "email": {l.ContactEmail},
		"notification": {string(l.Notify)}, "rappels": {days}, "rappel_lendemain": {dayAfter}}
}
