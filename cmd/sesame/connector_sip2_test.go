package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/store"
)

func TestConnectorAddSIP2(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "d", URL: "https://example.org/"}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := func(string) string { return "" }
	sesameRun := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"connector", "add", "--db", db, "--resource", "pressreader", "--kind", "sip2"}, args...), strings.NewReader(stdin), &out, &out, env)
		return out.String(), err
	}
	tests := []struct {
		name, stdin string
		args        []string
		wantErr     string
	}{
		{"password too short", "", []string{"--sip-login", "pr", "--sip-password", "court"}, "12 à 64"},
		{"no login", "mot-de-passe-assez-long\n", []string{"--sip-password", "-"}, "Identifiant SIP2"},
		{"password from stdin", "mot-de-passe-assez-long\n", []string{"--sip-login", "pressreader-bdf29", "--sip-password", "-"}, ""},
		{"same login again", "mot-de-passe-assez-long\n", []string{"--sip-login", "pressreader-bdf29", "--sip-password", "-"}, "déjà"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sesameRun(tt.stdin, tt.args...)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out, "SIP2 · pressreader-bdf29") {
					t.Fatalf("got %q, %v", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	st, err = store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.ConnectorByLookup(ctx, sesame.ConnectorSIP2, "pressreader-bdf29")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.SIP2.PasswordHash, "mot-de-passe") || !strings.HasPrefix(c.SIP2.PasswordHash, "$argon2id$") {
		t.Errorf("stored %q, want an argon2id hash", c.SIP2.PasswordHash)
	}
	if ok, _ := app.Hasher().Verify("mot-de-passe-assez-long", c.SIP2.PasswordHash); !ok {
		t.Error("the stored hash does not match the password")
	}
}
