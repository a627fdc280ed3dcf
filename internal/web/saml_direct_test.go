package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestSAMLDirectCheckbox checks « Connexion directe » on the SAML
// connector's form: a labelled checkbox, unchecked by default, saved when
// ticked, shown ticked again, and cleared when unticked.
func TestSAMLDirectCheckbox(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sp := w.newTestSP(spOptions{name: "direct", resource: w.res[0]})
	admin := w.login("admin")
	path := "/admin/connecteurs/" + itoa(sp.connector)

	form := admin.get(path)
	box := form.byID("f-direct")
	if form.status != http.StatusOK || box == nil || attr(box, "type") != "checkbox" || hasAttr(box, "checked") {
		t.Fatalf("edit form: got %d, want an unticked checkbox f-direct", form.status)
	}
	if label := form.labelOf("f-direct"); label != "Connexion directe" {
		t.Errorf("label: got %q, want « Connexion directe »", label)
	}
	c, err := w.store.Connector(ctx, sp.connector)
	if err != nil {
		t.Fatal(err)
	}
	values := url.Values{"resource": {itoa(w.res[0])}, "metadata": {c.SAML.Metadata}, "attributes": {""}}
	for _, tt := range []struct {
		name, direct string
		want         bool
	}{
		{"ticked", "1", true},
		{"unticked", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			values.Set("direct", tt.direct)
			if res := admin.post(path, values); res.status != http.StatusSeeOther {
				t.Fatalf("save: got %d: %.400s", res.status, res.body)
			}
			c, err := w.store.Connector(ctx, sp.connector)
			if err != nil {
				t.Fatal(err)
			}
			if c.SAML.Direct != tt.want {
				t.Errorf("Direct: got %v, want %v", c.SAML.Direct, tt.want)
			}
			if box := admin.get(path).byID("f-direct"); box == nil || hasAttr(box, "checked") != tt.want {
				t.Errorf("the form does not show it ticked = %v", tt.want)
			}
		})
	}
}
