package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

func TestAPIKeyCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := func(string) string { return "" }
	sesameRun := func(args ...string) (string, error) {
		var out bytes.Buffer
		full := append([]string{"apikey", args[0], "--db", db}, args[1:]...)
		err := run(ctx, full, strings.NewReader(""), &out, &out, env)
		return out.String(), err
	}

	out, err := sesameRun("create", "--library", "fouesnant", "--name", "Koha nuit")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	secret := regexp.MustCompile(`ssm_[A-Za-z0-9_-]{43}`).FindString(out)
	if secret == "" || !sesame.WellFormedAPIKey(secret) {
		t.Fatalf("create printed no key:\n%s", out)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		want    string
	}{
		{"same name again", []string{"create", "--library", "FOUESNANT", "--name", "Koha nuit"}, "déjà une clé active", ""},
		{"unknown library", []string{"create", "--library", "BREST", "--name", "x"}, "no library has this code", ""},
		{"no name", []string{"create", "--library", "FOUESNANT"}, "--library and --name", ""},
		{"list shows the hint, never the key", []string{"list"}, "", secret[:10] + "…"},
		{"revoke", []string{"revoke", "--id", "1"}, "", "revoked"},
		{"revoke nothing", []string{"revoke", "--id", "42"}, "introuvable", ""},
		{"no id", []string{"revoke"}, "--id", ""},
		{"unknown subcommand", []string{"rotate"}, "usage", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sesameRun(tt.args...)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want one with %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Errorf("got error %v", err)
			case !strings.Contains(out, tt.want):
				t.Errorf("got output %q, want %q in it", out, tt.want)
			}
			if strings.Contains(out, secret) {
				t.Errorf("the key was printed again: %q", out)
			}
		})
	}

	st, err = store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.APIKeyBySecret(ctx, secret); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("after revoke: got %v, want the key refused", err)
	}
}
