package web_test

import (
	"html"
	"net/http"
	"net/url"
	"testing"

	"github.com/bdf29/sesame"
	"golang.org/x/oauth2"
)

// TestPatronPasswordEndsEverything checks the one path of a patron's new
// password, by a reset link and from « Mon compte »: the patron's other
// sessions end, and so does what vendors hold (OpenID Connect tokens, CAS
// tickets not yet validated); only a change from « Mon compte » keeps the
// session that asked, and sends the "password changed" mail.
// TestCallbackTokenRevokedWithTheSession covers the callback tokens.
func TestPatronPasswordEndsEverything(t *testing.T) {
	const changedSubject = "Votre mot de passe a été changé"
	fresh := "un tout nouveau mot de passe"
	tests := []struct {
		name       string
		end        func(w *casWorld, c *client) response
		keepsAsker bool
		wantMail   bool
	}{
		{"password change", func(_ *casWorld, c *client) response {
			return c.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": {fresh}, "confirmation": {fresh}})
		}, true, true},
		{"password reset", func(w *casWorld, _ *client) response {
			return w.anonymous().post(w.resetLink(w.patronB), setPassword(fresh, fresh))
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newCASWorld(t)
			c := w.anonymous()
			ticket := ticketIn(t, w.signIn(c, w.patronB, casLogin(casLivres)), casLivres)
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
			l := v.login(w.anonymous(), w.patronB)
			other := w.patronLogin(w.patronB)
			email := w.patron(w.patronB).Email

			if res := tt.end(w, c); res.status != http.StatusSeeOther {
				t.Fatalf("%s: got %d; body %.300s", tt.name, res.status, res.body)
			}

			if res := other.get("/mon-compte"); res.status == http.StatusOK {
				t.Error("another session of the patron still opens « Mon compte »")
			}
			if res := c.get("/mon-compte"); (res.status == http.StatusOK) != tt.keepsAsker {
				t.Errorf("the session that asked: « Mon compte » answers %d, want it kept: %v", res.status, tt.keepsAsker)
			}
			if r := w.validate("p3/serviceValidate", casLivres, ticket); r.code() != "INVALID_TICKET" {
				t.Errorf("CAS ticket issued before: validation gives %q, want INVALID_TICKET", r.code())
			}
			if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
				t.Error("userinfo still answers with a token issued before")
			}
			w.runJobs()
			got := false
			for _, m := range w.mailsTo(email) {
				got = got || m.Subject == changedSubject
			}
			if got != tt.wantMail {
				t.Errorf("mail %q sent: %v, want %v", changedSubject, got, tt.wantMail)
			}
		})
	}
}

// TestStaffPasswordResetEndsEverySession: the network admin's reset of a
// staff member's password goes through the one path of new passwords
// (setPassword): every session of the account ends, on each of its
// devices, while other accounts' sessions, the admin's too, stay; the new
// password, shown once, opens a session and the old one no longer does.
func TestStaffPasswordResetEndsEverySession(t *testing.T) {
	w := newWorld(t)
	devices := []*client{w.login("fouesnant"), w.login("fouesnant")}
	colleague, admin := w.login("quimper"), w.login("admin")

	res := admin.post("/admin/personnel/"+itoa(w.staffID("fouesnant"))+"/mot-de-passe", url.Values{})
	if res.status != http.StatusOK {
		t.Fatalf("reset by the admin: got %d, want 200", res.status)
	}
	for i, c := range devices {
		if c.loggedIn() {
			t.Errorf("session %d of the account still open after the reset", i+1)
		}
	}
	for name, c := range map[string]*client{"the admin": admin, "a colleague": colleague} {
		if !c.loggedIn() {
			t.Errorf("%s's session ended with another account's password", name)
		}
	}
	old := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}})
	if old.status == http.StatusSeeOther {
		t.Error("the old password still opens a session")
	}
	shown := adminPasswordRe.FindStringSubmatch(res.body)
	if shown == nil {
		t.Fatal("the page does not show the new password")
	}
	fresh := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {html.UnescapeString(shown[1])}})
	if fresh.status != http.StatusSeeOther {
		t.Errorf("the new password: got %d, want 303 into a session", fresh.status)
	}
}
