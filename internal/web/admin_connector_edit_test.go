package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/mail"
)

// addSignedLink adds, through the admin's form, a signed link to resource.
func addSignedLink(t testing.TB, admin *client, resource int64, secret, link string) {
	t.Helper()
	res := admin.post("/admin/connecteurs/nouveau?type=signed-link", url.Values{"resource": {itoa(resource)}, "preset": {"tout-apprendre"},
		"secret": {secret}, "url": {link}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("add connector: got %d: %.500s", res.status, res.body)
	}
}

// connectorRefusal is one mistake in a connector's form: edit makes it,
// and the message beside field mentions errMsg.
type connectorRefusal struct {
	name   string
	edit   func(url.Values)
	field  string
	errMsg string
}

// checkConnectorRefusals posts good with each mistake to path: each is
// refused beside its field, with what was typed kept but the secret; then
// unchanged checks that nothing was saved.
func checkConnectorRefusals(t *testing.T, admin *client, path string, good url.Values, tests []connectorRefusal, unchanged func(*testing.T)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vals := range good {
				v[k] = append([]string(nil), vals...)
			}
			tt.edit(v)
			res := admin.post(path, v)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", res.status)
			}
			if msg := res.fieldError(tt.field); !strings.Contains(msg, tt.errMsg) {
				t.Errorf("message next to %s: %q, want it to mention %q", tt.field, msg, tt.errMsg)
			}
			if got := res.value("url"); got != v.Get("url") {
				t.Errorf("typed URL not kept: %q", got)
			}
			if strings.Contains(res.body, v.Get("secret")) && len(v.Get("secret")) > 3 {
				t.Error("the secret was sent back to the browser")
			}
			if unchanged != nil {
				unchanged(t)
			}
		})
	}
}

func TestAdminEditsConnector(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	admin := w.login("admin")
	const secret = "cle-secrete-du-fournisseur-1234"
	const oldURL = "https://ancien.example/sso?iduser={card}&d={time}&hash={hash}"
	addSignedLink(t, admin, w.res[2], secret, oldURL)

	form := admin.get("/admin/connecteurs/1")
	if form.status != http.StatusOK {
		t.Fatalf("edit form: got %d", form.status)
	}
	if got := form.value("url"); got != oldURL {
		t.Errorf("the form shows URL %q, want %q", got, oldURL)
	}
	if strings.Contains(form.body, secret) {
		t.Error("the edit form sends the secret to the browser")
	}
	if hint := form.text("f-secret-aide"); !strings.Contains(hint, "Laissez vide pour garder") || !strings.Contains(hint, secret[len(secret)-4:]) {
		t.Errorf("the secret's hint does not say a blank field keeps it: %q", hint)
	}
	if n := form.byID("f-secret"); n == nil || attr(n, "aria-required") == "true" {
		t.Error("the secret must not be required when one is kept")
	}

	good := url.Values{"resource": {itoa(w.res[1])}, "preset": {"tout-apprendre"}, "secret": {""},
		"url": {"https://nouveau.example/sso?iduser={card}&d={time}&hash={hash}"}}
	checkConnectorRefusals(t, admin, "/admin/connecteurs/1", good, []connectorRefusal{
		{"no resource", func(v url.Values) { v.Set("resource", "") }, "resource", "Ressource"},
		{"secret in the URL", func(v url.Values) { v.Set("url", "https://f.example/?k={secret}") }, "url", "{secret}"},
		{"short new secret", func(v url.Values) { v.Set("secret", "abc") }, "secret", "Clé secrète"},
		{"custom without hash", func(v url.Values) { v.Set("preset", "custom") }, "hash", "Empreinte"},
	}, func(t *testing.T) {
		if c, _ := w.store.Connector(ctx, 1); c.Link.URL != oldURL {
			t.Errorf("a refused edit changed the connector: %q", c.Link.URL)
		}
	})

	res := admin.post("/admin/connecteurs/1", good)
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "connecteur-modifie") {
		t.Fatalf("good edit: got %d %s: %.500s", res.status, res.header.Get("Location"), res.body)
	}
	c, err := w.store.Connector(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Link.URL != good.Get("url") || c.ResourceID != w.res[1] || c.Secret != secret {
		t.Errorf("after the edit: URL %q, resource %d, secret kept %v", c.Link.URL, c.ResourceID, c.Secret == secret)
	}
	list := admin.get("/admin/connecteurs")
	if !strings.Contains(text(list.doc), "https://nouveau.example/sso?iduser={card}") {
		t.Error("the list does not show the connector's address")
	}
	if find(list.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/admin/connecteurs/1" }) == nil {
		t.Error("the list has no link to edit the connector")
	}

	replaced := url.Values{}
	for k, vals := range good {
		replaced[k] = vals
	}
	replaced.Set("secret", "une-toute-nouvelle-cle")
	if res := admin.post("/admin/connecteurs/1", replaced); res.status != http.StatusSeeOther {
		t.Fatalf("new secret: got %d", res.status)
	}
	if c, _ := w.store.Connector(ctx, 1); c.Secret != "une-toute-nouvelle-cle" {
		t.Error("the typed secret did not replace the old one")
	}
}

func TestConnectorEditIsForTheNetworkAdmin(t *testing.T) {
	w := newWorld(t)
	addSignedLink(t, w.login("admin"), w.res[2], "cle-secrete-du-fournisseur", "https://f.example/?id={card}&h={hash}")
	staff := w.login("fouesnant")
	if res := staff.get("/admin/connecteurs/1"); res.status != http.StatusForbidden {
		t.Errorf("library staff GET: %d, want 403", res.status)
	}
	if res := staff.post("/admin/connecteurs/1", url.Values{"resource": {itoa(w.res[0])}}); res.status != http.StatusForbidden {
		t.Errorf("library staff POST: %d, want 403", res.status)
	}
	if res := w.login("admin").get("/admin/connecteurs/99"); res.status != http.StatusNotFound {
		t.Errorf("unknown connector: %d, want 404", res.status)
	}
}

// A refused launch through a connector is listed on the Connecteurs page,
// with its reason and without the patron's name.
func TestConnectorFailuresListed(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	addSignedLink(t, admin, w.res[0], "cle-secrete-du-fournisseur", "https://f.example/?id={card}&h={hash}")
	if list := admin.get("/admin/connecteurs"); strings.Contains(list.body, `id="echecs-1"`) {
		t.Fatal("failures listed before any")
	}
	// Anne's account waits for her library.
	res := w.patronLogin(w.patronA).post("/acceder/livres-numeriques", nil)
	if res.status != http.StatusForbidden {
		t.Fatalf("launch: got %d, want 403", res.status)
	}
	list := admin.get("/admin/connecteurs")
	section := list.byID("echecs-1")
	if section == nil {
		t.Fatalf("no failures of connector 1 on the page:\n%s", list.body)
	}
	body := text(list.doc)
	for _, want := range []string{sesame.FailureAccessRefused.Label(), "Motif : compte pas encore validé par la bibliothèque."} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "LEFÈVRE") {
		t.Error("the failure names the patron")
	}
}

// The mail list searches recipients and subjects, and turns the site's own
// links into links, and no other.
func TestMailListSearchAndLinks(t *testing.T) {
	w := newWorld(t)
	mailEnqueue(t, w.store, mail.Message{To: "anne.gauthier@example.org", ToName: "Anne GAUTHIER", Subject: "Votre compte est validé",
		Text: "Ouvrez " + testBaseURL + "/mon-compte.\nAilleurs : https://evil.example/piege et javascript:alert(1)"})
	mailEnqueue(t, w.store, mail.Message{To: "yann@example.org", Subject: "Rappel : fin de validité", Text: "Bonjour."})
	admin := w.login("admin")

	all := admin.get("/admin/courriels")
	links := map[string]bool{}
	for _, a := range all.all("a") {
		links[attr(a, "href")] = true
	}
	if !links[testBaseURL+"/mon-compte"] {
		t.Errorf("the site's link is not clickable:\n%s", all.body)
	}
	if links["https://evil.example/piege"] || strings.Contains(all.body, `href="javascript`) {
		t.Error("a link to another site became clickable")
	}
	if !strings.Contains(text(all.doc), "Ouvrez "+testBaseURL+"/mon-compte.") {
		t.Error("the text around the link changed")
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"gauthier", []string{"Votre compte est validé"}},
		{"RAPPEL", []string{"Rappel : fin de validité"}},
		{"personne", nil},
	}
	for _, tt := range tests {
		res := admin.get("/admin/courriels?q=" + url.QueryEscape(tt.query))
		if res.status != http.StatusOK {
			t.Fatalf("search %q: got %d", tt.query, res.status)
		}
		var got []string
		for _, row := range mailRowsOrNone(t, res) {
			got = append(got, row.subject)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("search %q: got %q, want %q", tt.query, got, tt.want)
		}
		if res.value("q") != tt.query {
			t.Errorf("search %q: the box shows %q", tt.query, res.value("q"))
		}
	}
}

// mailRowsOrNone reads the messages of the page, none when it has no table.
func mailRowsOrNone(t testing.TB, res response) []mailRow {
	t.Helper()
	if res.byID("courriels") == nil {
		return nil
	}
	return mailRows(t, res.body)
}

// An OpenID Connect vendor's patron refused by the gate leaves the same
// trace on the vendor's connector.
func TestOIDCRefusalRecordedOnItsConnector(t *testing.T) {
	w := newWorld(t)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-refus"}, "secret-du-fournisseur-1234")
	c := w.patronLogin(w.patronA) // À valider
	if res := w.browse(c, v.authPath(newOIDCAttempt()), w.patronA); res.status != http.StatusForbidden {
		t.Fatalf("got %d, want the refusal page", res.status)
	}
	connector, err := w.store.ConnectorByLookup(context.Background(), sesame.ConnectorOIDC, "vendor-refus")
	if err != nil {
		t.Fatal(err)
	}
	all, err := w.store.ConnectorFailures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := all[connector.ID]
	if len(got) != 1 || got[0].Reason != sesame.FailureAccessRefused || got[0].Detail != "Motif : compte pas encore validé par la bibliothèque." {
		t.Errorf("failures of the OIDC connector: %+v", got)
	}
}
