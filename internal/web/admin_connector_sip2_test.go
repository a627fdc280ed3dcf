package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
)

// The network admin adds a SIP2 vendor account, with its login and a
// password kept as a hash only, then changes the login keeping the password.
func TestAdminAddsSIP2Connector(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	admin := w.login("admin")
	const password = "mot-de-passe-sip2-du-fournisseur"
	page := admin.get("/admin/connecteurs/nouveau?type=sip2&ressource=" + itoa(w.res[0]))
	if page.status != http.StatusOK || !strings.Contains(page.body, "Identifiant SIP2") || !strings.Contains(page.body, "Mot de passe SIP2") {
		t.Fatalf("form: %d %.300s", page.status, page.body)
	}
	path := "/admin/connecteurs/nouveau?type=sip2"
	for _, tt := range []struct {
		name, login, password, field, msg string
	}{
		{"no login", "", password, "sip_login", "Identifiant SIP2"},
		{"login with a bar", "pr|x", password, "sip_login", "Identifiant SIP2"},
		{"password too short", "pressreader", "court", "sip_password", "12 à 64"},
		{"no password", "pressreader", "", "sip_password", "obligatoire"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post(path, url.Values{"resource": {itoa(w.res[0])}, "sip_login": {tt.login}, "sip_password": {tt.password}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", res.status)
			}
			if msg := res.fieldError(tt.field); !strings.Contains(msg, tt.msg) {
				t.Errorf("message next to %s: %q, want %q", tt.field, msg, tt.msg)
			}
			if res.value("sip_login") != tt.login {
				t.Errorf("login typed not kept: %q", res.value("sip_login"))
			}
			if tt.password != "" && strings.Contains(res.body, tt.password) {
				t.Error("the password was sent back to the browser")
			}
		})
	}
	res := admin.post(path, url.Values{"resource": {itoa(w.res[0])}, "sip_login": {"pressreader-bdf29"}, "sip_password": {password}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("add: got %d: %.500s", res.status, res.body)
	}
	c, err := w.store.ConnectorByLookup(ctx, sesame.ConnectorSIP2, "pressreader-bdf29")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.SIP2.PasswordHash, "$argon2id$") || strings.Contains(c.SIP2.PasswordHash, password) {
		t.Fatalf("stored %q, want an argon2id hash", c.SIP2.PasswordHash)
	}
	list := admin.get("/admin/connecteurs")
	if !strings.Contains(list.body, "SIP2") || !strings.Contains(list.body, "pressreader-bdf29") {
		t.Errorf("the list does not show the SIP2 connector")
	}
	// The same login twice is refused next to the login.
	res = admin.post(path, url.Values{"resource": {itoa(w.res[1])}, "sip_login": {"pressreader-bdf29"}, "sip_password": {password}})
	if res.status == http.StatusSeeOther || !strings.Contains(res.fieldError("sip_login"), "déjà") {
		t.Errorf("a second connector with the same login: %d, %q", res.status, res.fieldError("sip_login"))
	}
	edit := admin.get("/admin/connecteurs/" + itoa(c.ID))
	if edit.status != http.StatusOK || edit.value("sip_login") != "pressreader-bdf29" || !strings.Contains(edit.body, "Laissez vide pour garder") {
		t.Errorf("edit form shows login %q", edit.value("sip_login"))
	}
	res = admin.post("/admin/connecteurs/"+itoa(c.ID), url.Values{"resource": {itoa(w.res[0])}, "sip_login": {"pressreader-29"}, "sip_password": {""}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("edit: got %d: %.500s", res.status, res.body)
	}
	after, err := w.store.Connector(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.SIP2.Login != "pressreader-29" || after.SIP2.PasswordHash != c.SIP2.PasswordHash {
		t.Errorf("after edit: %+v, want the new login and the same password hash", after.SIP2)
	}
}
