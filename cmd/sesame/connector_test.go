package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/store"
)

func TestConnectorCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	keyBytes := make([]byte, secret.KeySize)
	rand.Read(keyBytes)
	key := base64.StdEncoding.EncodeToString(keyBytes)
	env := func(name string) string {
		if name == "SESAME_SECRET_KEY" {
			return key
		}
		return ""
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"pressreader", "tout-apprendre", "cafeyn", "mediatheque-numerique"} {
		if _, err := st.CreateResource(ctx, sesame.Resource{Slug: slug, Name: slug, Description: "d", URL: "https://example.org/"}, sesame.Actor{Label: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	metadata := filepath.Join(dir, "sp.xml")
	os.WriteFile(metadata, []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example/mellon/metadata">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/mellon/postResponse" index="0"/>
  </SPSSODescriptor>
</EntityDescriptor>`), 0o600)
	noACS := filepath.Join(dir, "sp-sans-acs.xml")
	os.WriteFile(noACS, []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://autre.example/saml"></EntityDescriptor>`), 0o600)

	sesameRun := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		full := append([]string{"connector", args[0], "--db", db}, args[1:]...)
		err := run(ctx, full, strings.NewReader(stdin), &out, &out, env)
		return out.String(), err
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"oidc", "", []string{"add", "--resource", "pressreader", "--kind", "oidc", "--client-id", "pressreader", "--client-secret", "s3cret-oidc-value", "--redirect-uri", "https://pr.example/cb", "--redirect-uri", "https://pr.example/cb2"}, ""},
		{"oidc twice", "", []string{"add", "--resource", "pressreader", "--kind", "oidc", "--client-id", "pressreader", "--redirect-uri", "https://pr.example/cb"}, "déjà"},
		{"cas", "", []string{"add", "--resource", "cafeyn", "--kind", "cas", "--service", "https://cafeyn.example/"}, ""},
		{"saml", "", []string{"add", "--resource", "cafeyn", "--kind", "saml", "--metadata", metadata}, ""},
		{"saml without an HTTP-POST ACS", "", []string{"add", "--resource", "cafeyn", "--kind", "saml", "--metadata", noACS}, "HTTP-POST"},
		{"saml, unknown attribute", "", []string{"add", "--resource", "pressreader", "--kind", "saml", "--metadata", metadata, "--attribute", "telephone"}, "telephone"},
		{"signed link, secret from stdin", "cle-tout-apprendre-secrete\n", []string{"add", "--resource", "tout-apprendre", "--kind", "signed-link", "--preset", "tout-apprendre", "--secret", "-", "--url", "https://ta.example/wsUrl.aspx?iduser={card}&d={time}&hash={hash}"}, ""},
		{"signed link with the key in the URL", "", []string{"add", "--resource", "mediatheque-numerique", "--kind", "signed-link", "--preset", "mediatheque-numerique", "--secret", "abcdefghij", "--url", "https://mn.example/?k={secret}"}, "{secret}"},
		{"unknown resource", "", []string{"add", "--resource", "nope", "--kind", "cas", "--service", "https://x.example/"}, "nope"},
		{"unknown kind", "", []string{"add", "--resource", "cafeyn", "--kind", "ldap"}, "ldap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sesameRun(tt.stdin, tt.args...)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
	out, err := sesameRun("", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pressreader", "https://cafeyn.example/", "https://sp.example/mellon/metadata", "tout-apprendre", "••••alue", "••••rete"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	for _, leaked := range []string{"s3cret-oidc-value", "cle-tout-apprendre-secrete"} {
		if strings.Contains(out, leaked) {
			t.Errorf("list shows a secret in full:\n%s", out)
		}
	}
	// The database alone does not give the secrets away.
	raw, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	if bytes.Contains(append(raw, wal...), []byte("cle-tout-apprendre-secrete")) {
		t.Error("the signed-link key is in clear in the database file")
	}
	if _, err := sesameRun("", "remove", "1"); err != nil {
		t.Fatal(err)
	}
	if out, _ := sesameRun("", "list"); strings.Contains(out, "pressreader  ") || strings.Contains(out, "••••alue") {
		t.Errorf("removed connector still listed:\n%s", out)
	}
	if _, err := sesameRun("", "remove", "abc"); err == nil {
		t.Error("remove abc: want an error")
	}
}
