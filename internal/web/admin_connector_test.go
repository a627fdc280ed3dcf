package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminAddsSignedLinkConnector(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	const secret = "cle-secrete-du-fournisseur-1234"
	good := url.Values{"resource": {itoa(w.res[2])}, "preset": {"tout-apprendre"}, "secret": {secret},
		"url": {"https://fournisseur.example/wsUrl.aspx?iduser={card}&d={time}&hash={hash}"}}
	checkConnectorRefusals(t, admin, "/admin/connecteurs/nouveau?type=signed-link", good, []connectorRefusal{
		{"no resource", func(v url.Values) { v.Set("resource", "") }, "resource", "Ressource"},
		{"another network's resource id", func(v url.Values) { v.Set("resource", "999999") }, "resource", "Ressource"},
		{"secret in the URL", func(v url.Values) { v.Set("url", "https://f.example/?k={secret}") }, "url", "{secret}"},
		{"unknown field", func(v url.Values) { v.Set("url", "https://f.example/?k={motdepasse}") }, "url", "inconnu"},
		{"short secret", func(v url.Values) { v.Set("secret", "abc") }, "secret", "Clé secrète"},
		{"custom without hash", func(v url.Values) { v.Set("preset", "custom") }, "hash", "Empreinte"},
	}, nil)
	res := admin.post("/admin/connecteurs/nouveau?type=signed-link", good)
	if res.status != http.StatusSeeOther {
		t.Fatalf("good connector: got %d: %s", res.status, res.body)
	}
	list := admin.get("/admin/connecteurs")
	if strings.Contains(list.body, secret) || !strings.Contains(list.body, "••••"+secret[len(secret)-4:]) {
		t.Errorf("the list must show only the secret's last 4 characters")
	}
	if !strings.Contains(text(list.doc), "tout-apprendre") {
		t.Error("the new connector is not listed")
	}
	// The connector belongs to its resource only.
	c := w.patronLogin(w.patronB)
	launch := c.post("/acceder/livres-numeriques", nil)
	if launch.status != http.StatusSeeOther || strings.HasPrefix(launch.header.Get("Location"), "https://fournisseur.example/") {
		t.Errorf("a connector of another resource changed this launch: %d %s", launch.status, launch.header.Get("Location"))
	}
	del := admin.post("/admin/connecteurs/1/supprimer", nil)
	if del.status != http.StatusSeeOther || strings.Contains(admin.get("/admin/connecteurs").body, "tout-apprendre</code>") {
		t.Errorf("delete: %d", del.status)
	}
}

// The admin reads why the vendor's metadata was refused in French, never a
// Go error's code or wording.
func TestAdminSAMLMetadataErrorsAreFrench(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	tests := []struct {
		name, metadata, want string
	}{
		{"not XML", "pas du XML <", "Métadonnées SAML : ce n'est pas un document XML lisible."},
		{"a federation bundle", `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "Métadonnées SAML : le document doit être un EntityDescriptor"},
		{"no entityID", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "Métadonnées SAML : l'entityID du fournisseur manque."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post("/admin/connecteurs/nouveau?type=saml", url.Values{"resource": {itoa(w.res[2])}, "metadata": {tt.metadata}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", res.status)
			}
			msg := res.fieldError("metadata")
			if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "invalid") {
				t.Errorf("message next to the metadata: %q, want it to start with %q", msg, tt.want)
			}
		})
	}
}

func TestConnectorPagesAreForTheNetworkAdmin(t *testing.T) {
	w := newWorld(t)
	staff := w.login("fouesnant")
	for _, path := range []string{"/admin/connecteurs", "/admin/connecteurs/nouveau?type=oidc"} {
		if res := staff.get(path); res.status != http.StatusForbidden {
			t.Errorf("library staff GET %s: %d, want 403", path, res.status)
		}
	}
	res := staff.post("/admin/connecteurs/nouveau?type=cas", url.Values{"resource": {itoa(w.res[0])}, "service_prefix": {"https://evil.example/"}})
	if res.status != http.StatusForbidden {
		t.Errorf("library staff POST: %d, want 403", res.status)
	}
	if res := w.login("admin").get("/admin/connecteurs/nouveau?type=ftp"); res.status != http.StatusNotFound {
		t.Errorf("unknown kind: %d, want 404", res.status)
	}
}
