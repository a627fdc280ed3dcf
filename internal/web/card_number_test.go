package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// mediathequeNumerique gives the first resource a signed-link connector
// with the mediatheque-numerique preset: sha256(card + key), the card alone
// naming the patron.
func (w *world) mediathequeNumerique(secret string) {
	w.t.Helper()
	link := sesame.SignedLinkSettings{Preset: "mediatheque-numerique",
		URL: "https://vod.example/sso_login?sso_id=29&id={card}&nom={lastname}&id_encrypted={hash}"}
	link.ApplyPreset()
	_, err := w.store.CreateConnector(context.Background(), sesame.Connector{ResourceID: w.res[0], Kind: sesame.ConnectorSignedLink,
		Secret: secret, Link: link}, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatal(err)
	}
}

// vendorLink launches the first resource as c's patron and returns the
// link's query.
func (w *world) vendorLink(c *client) url.Values {
	w.t.Helper()
	res := c.post("/acceder/livres-numeriques", nil)
	link, err := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || err != nil || link.Host != "vod.example" {
		w.t.Fatalf("launch: got %d to %q; body %.300s", res.status, res.header.Get("Location"), res.body)
	}
	return link.Query()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestPatronCannotTakeAnotherCard is the reproduction: a validated
// patron posts another patron's card from « Modifier mes informations »,
// then opens a signed-link resource. The card is the library's word, so
// the post changes it in no way (whatever is sent), and the vendor still
// sees the patron's own card, with a hash over it.
func TestPatronCannotTakeAnotherCard(t *testing.T) {
	const key = "cle-mediatheque-numerique"
	tests := []struct{ name, card string }{
		{"another patron's card", "A-0200"},
		{"the same card in other case", "a-0200"},
		{"a card no one has", "A-9999"},
		{"no card", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.mediathequeNumerique(key)
			eric := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "MEDIATEUR-NUM", FirstName: "Eric", Email: "eric@example.org",
				CardNumber: "A-0100", Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1),
				ValidUntil: sesame.MustDate(2027, 6, 1)}, sesame.GrantValidated)
			w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "VICTIME", FirstName: "Vera", Email: "vera@example.org",
				CardNumber: "A-0200", Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1),
				ValidUntil: sesame.MustDate(2027, 6, 1)}, sesame.GrantValidated)
			c := w.patronLogin(eric)
			before := w.patron(eric)
			form := infoValues(before)
			form.Set("ville", "Bénodet")
			form.Set("numero_inscription", tt.card)
			res := c.post("/mon-compte/informations", form)
			if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte?ok=informations" {
				t.Fatalf("save: got %d to %q, want 303 to /mon-compte?ok=informations; body %.300s", res.status, res.header.Get("Location"), res.body)
			}
			after := w.patron(eric)
			if after.CardNumber != "A-0100" || after.Town != "Bénodet" || after.Status != sesame.StatusValidated {
				t.Errorf("after the post: card %q, town %q, status %q; want A-0100 kept, Bénodet, Validé", after.CardNumber, after.Town, after.Status)
			}
			q := w.vendorLink(c)
			if got, want := q.Get("id"), "A-0100"; got != want {
				t.Errorf("the link names card %q, want the patron's own %q", got, want)
			}
			if got, want := q.Get("id_encrypted"), sha256Hex("A-0100"+key); got != want {
				t.Errorf("hash: got %s, want sha256 of the patron's own card and the key, %s", got, want)
			}
		})
	}
}

// TestMyInfoShowsCardReadOnly: the page offers no card field to send, and
// says who sets it; a refused save does not bring one back.
func TestMyInfoShowsCardReadOnly(t *testing.T) {
	w := newWorld(t)
	c := w.patronLogin(w.patronA)
	form := infoValues(w.patron(w.patronA))
	form.Set("nom", "")
	form.Set("numero_inscription", "A-0002")
	for name, res := range map[string]response{"the form": c.get("/mon-compte/informations"), "a refused save": c.post("/mon-compte/informations", form)} {
		n := res.byID("f-numero_inscription")
		if n == nil || !hasAttr(n, "readonly") || hasAttr(n, "name") || attr(n, "value") != "A-0001" {
			t.Errorf("%s: the card must be shown read-only, not sent, with the stored value A-0001", name)
			continue
		}
		if help := res.text(attr(n, "aria-describedby")); !strings.Contains(help, "bibliothèque") {
			t.Errorf("%s: the card's help %q does not say the library sets it", name, help)
		}
	}
}

// TestCardUniqueInLibraryOnStaffForm: staff cannot give a patron a card
// another patron of the library has (trimmed, any case); the message is
// next to the field, with the typed value kept. Another library's card is
// fine, and so is moving to a library where the card is free.
func TestCardUniqueInLibraryOnStaffForm(t *testing.T) {
	tests := []struct {
		name   string
		staff  string
		card   string
		lib    func(w *world) int64 // library the admin moves the patron to; nil to keep it
		status int
	}{
		{"card of another patron", "fouesnant", "A-0002", nil, http.StatusUnprocessableEntity},
		{"other case and spaces", "fouesnant", "  a-0002 ", nil, http.StatusUnprocessableEntity},
		{"card of a patron of another library", "fouesnant", "B-0001", nil, http.StatusSeeOther},
		{"new card", "fouesnant", "A-0003", nil, http.StatusSeeOther},
		{"moved where the card is taken", "admin", "B-0001", func(w *world) int64 { return w.libB }, http.StatusUnprocessableEntity},
		{"moved where the card is free", "admin", "A-0001", func(w *world) int64 { return w.libB }, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "LE BIHAN", FirstName: "Gwen", Email: "gwen@example.org",
				CardNumber: "A-0002", Status: sesame.StatusToValidate}, sesame.GrantPending)
			before := w.patron(w.patronA)
			form := infoValues(before)
			form.Set("numero_inscription", tt.card)
			if tt.staff == "admin" {
				form.Set("email", before.Email)
				form.Set("bibliotheque", itoa(before.LibraryID))
			}
			if tt.lib != nil {
				form.Set("bibliotheque", itoa(tt.lib(w)))
			}
			res := w.login(tt.staff).post(fmt.Sprintf("/abonnes/%d", w.patronA), form)
			if res.status != tt.status {
				t.Fatalf("got status %d, want %d; body %.300s", res.status, tt.status, res.body)
			}
			after := w.patron(w.patronA)
			if tt.status == http.StatusSeeOther {
				if after.CardNumber != strings.TrimSpace(tt.card) {
					t.Errorf("card after save: got %q, want %q", after.CardNumber, strings.TrimSpace(tt.card))
				}
				return
			}
			if got, want := res.fieldError("numero_inscription"), store.CardTakenMessage; !strings.Contains(got, want) {
				t.Errorf("message next to the card: got %q, want %q", got, want)
			}
			if got := res.value("numero_inscription"); got != tt.card {
				t.Errorf("typed card: got %q, want %q kept", got, tt.card)
			}
			if after.Version != before.Version || after.CardNumber != before.CardNumber || after.LibraryID != before.LibraryID {
				t.Errorf("a refused card changed the record: %+v", after)
			}
		})
	}
}

// TestRegistrationWithTakenCard: a visitor who types a card already in the
// library gets the same answers as anyone, and the account is created
// without the card; the record's history tells staff what was asked.
func TestRegistrationWithTakenCard(t *testing.T) {
	tests := []struct {
		name, card, want string
	}{
		{"card taken", "a-0001", ""},
		{"card free", "A-0777", "A-0777"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			email := "mael.legoff@example.org"
			f := w.registrationForm(email)
			f.Set("numero_inscription", tt.card)
			w.register(f) // checks the one answer, whatever the card
			mails := w.mailsTo(email)
			if len(mails) == 0 {
				t.Fatalf("no confirmation mail")
			}
			res := w.anonymous().post(confirmationPath(t, mails[0].Text), url.Values{})
			if res.status != http.StatusOK || res.text("confirmee") != "Votre inscription est confirmée : votre bibliothèque va la valider." {
				t.Fatalf("confirmation: got %d and %q", res.status, res.text("confirmee"))
			}
			if strings.Contains(res.body, tt.card) {
				t.Errorf("the confirmation page speaks of the card")
			}
			id := w.patronWith(email)
			p := w.patron(id)
			if p.CardNumber != tt.want || p.Status != sesame.StatusToValidate {
				t.Errorf("patron: card %q, status %q; want %q, À valider", p.CardNumber, p.Status, tt.want)
			}
			if got := w.patron(w.patronA).CardNumber; got != "A-0001" {
				t.Errorf("the card's holder now has %q", got)
			}
			history := text(w.login("fouesnant").get("/abonnes/" + itoa(id)).doc)
			noted := strings.Contains(history, "N° d'inscription demandé : « "+tt.card+" », déjà attribué")
			if noted != (tt.want == "") {
				t.Errorf("history notes the asked card: %v, want %v; history: %s", noted, tt.want == "", history)
			}
		})
	}
}

// TestSignedLinkWithoutCardUsesPseudonym: {card} of a patron without one is
// a pseudonym, stable and their own, never the Sésame number, which anyone
// could type as a card at registration.
func TestSignedLinkWithoutCardUsesPseudonym(t *testing.T) {
	const key = "cle-mediatheque-numerique"
	w := newWorld(t)
	w.mediathequeNumerique(key)
	var pseudonyms []string
	for _, name := range []string{"SANSCARTE", "AUSSISANS"} {
		id := w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: name, FirstName: "Jo", Email: strings.ToLower(name) + "@example.org",
			Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1), ValidUntil: sesame.MustDate(2027, 6, 1)},
			sesame.GrantValidated)
		c := w.patronLogin(id)
		first, again := w.vendorLink(c), w.vendorLink(c)
		card := first.Get("id")
		if card == itoa(id) || len(card) < 26 {
			t.Errorf("%s: {card} is %q; want a pseudonym of 128 bits, not the Sésame number %d", name, card, id)
		}
		if again.Get("id") != card {
			t.Errorf("%s: {card} changed between launches: %q then %q", name, card, again.Get("id"))
		}
		if got, want := first.Get("id_encrypted"), sha256Hex(card+key); got != want {
			t.Errorf("%s: hash %s, want %s", name, got, want)
		}
		pseudonyms = append(pseudonyms, card)
	}
	if pseudonyms[0] == pseudonyms[1] {
		t.Errorf("two patrons share the pseudonym %q", pseudonyms[0])
	}
}
