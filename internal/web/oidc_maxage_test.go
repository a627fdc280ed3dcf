package web_test

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame"
)

// idTokenAuthTime is the auth_time claim of a verified ID token, 0 when absent.
func idTokenAuthTime(t testing.TB, l oidcLogin) int64 {
	t.Helper()
	var c struct {
		AuthTime int64 `json:"auth_time"`
	}
	if err := l.idToken.Claims(&c); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	return c.AuthTime
}

// TestOIDCMaxAge checks, with go-oidc as the vendor, that max_age (and
// prompt=login, its max_age=0) is honoured: a password typed longer ago
// than max_age sends the patron back to the login form before any code,
// once only; and the ID token's auth_time is when the password was typed.
func TestOIDCMaxAge(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	c := w.anonymous()
	loggedIn := w.clock.Now()
	if got := idTokenAuthTime(t, v.login(c, w.patronB)); got != loggedIn.Unix() {
		t.Fatalf("first login: auth_time %d, want %d (the login)", got, loggedIn.Unix())
	}
	w.clock.Advance(20 * time.Minute)

	isLoginForm := func(res response) bool {
		return res.status == http.StatusOK &&
			find(res.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/connexion/usager" }) != nil
	}
	tests := []struct {
		name      string
		params    map[string]string
		wantLogin bool
	}{
		{"no max_age", nil, false},
		{"max_age longer than the session", map[string]string{"max_age": "3600"}, false},
		{"max_age shorter than the session", map[string]string{"max_age": "600"}, true},
		{"max_age=0", map[string]string{"max_age": "0"}, true},
		{"prompt=login", map[string]string{"prompt": "login"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.clock.Now()
			a := newOIDCAttempt()
			var opts []oauth2.AuthCodeOption
			for k, val := range tt.params {
				opts = append(opts, oauth2.SetAuthURLParam(k, val))
			}
			path := v.authPath(a, opts...)
			first := c.followLocal(path)
			if got := isLoginForm(first); got != tt.wantLogin {
				t.Fatalf("login form shown: got %v, want %v (status %d, %q)", got, tt.wantLogin, first.status, first.header.Get("Location"))
			}
			res := first
			wantAuthTime := loggedIn
			if tt.wantLogin {
				// The same request, answered after the password: a code, not the form again.
				res = w.browse(c, path, w.patronB)
				loggedIn, wantAuthTime = before, before
			}
			q := atVendor(t, res)
			if q.Get("code") == "" || q.Get("state") != a.state {
				t.Fatalf("back at the vendor with %v, want a code", q)
			}
			tok, err := v.conf.Exchange(v.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier))
			if err != nil {
				t.Fatalf("token exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := v.verifier.Verify(v.ctx, raw)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if got := idTokenAuthTime(t, oidcLogin{idToken: idt}); got != wantAuthTime.Unix() {
				t.Errorf("auth_time: got %d, want %d", got, wantAuthTime.Unix())
			}
		})
		w.clock.Advance(time.Minute)
	}

	// Silent: a session too old for max_age is login_required, not a code.
	w.clock.Advance(15 * time.Minute)
	a := newOIDCAttempt()
	q := atVendor(t, c.followLocal(v.authPath(a, oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", "60"))))
	if q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Errorf("prompt=none with a session older than max_age: back with %v, want login_required", q)
	}
}
