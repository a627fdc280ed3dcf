package web_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/web"
)

// TestEveryRouteDeclaresItsPermission walks the route table, then checks each
// route against anonymous users, library staff and the network admin.
func TestEveryRouteDeclaresItsPermission(t *testing.T) {
	w := newWorld(t)
	srv, err := web.New(web.Config{Store: w.store, Hasher: testHasher, Random: rand.Reader, API: api.New(api.Config{Store: w.store}).Handler()})
	if err != nil {
		t.Fatal(err)
	}
	routes := srv.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	clients := map[string]*client{"anonymous": w.anonymous(), "library": w.login("fouesnant"), "admin": w.login("admin"), "patron": w.patronLogin(w.patronA)}
	for _, rt := range routes {
		switch rt.Permission {
		case auth.Public, auth.LibraryStaff, auth.NetworkAdmin, auth.Patron:
		case auth.APIKey:
			// No session opens the API: only its key (internal/api's tests).
			for who, c := range clients {
				t.Run(who+" "+rt.Pattern, func(t *testing.T) {
					want := http.StatusUnauthorized
					if rt.Pattern == "/api/v1/openapi.json" {
						want = http.StatusOK
					}
					if res := c.get(rt.Pattern); res.status != want {
						t.Errorf("got status %d, want %d", res.status, want)
					}
				})
			}
			continue
		default:
			t.Errorf("route %q declares no permission", rt.Pattern)
			continue
		}
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			method, path = http.MethodGet, "/une-page-inconnue"
		}
		path = strings.NewReplacer("{id}", fmt.Sprint(w.patronA), "{name}", "style.css", "{$}", "").Replace(path)
		if strings.HasPrefix(path, "/admin/") && strings.Contains(rt.Pattern, "{id}") {
			path = strings.Replace(path, fmt.Sprint(w.patronA), "1", 1)
		}
		for who, c := range clients {
			if path == "/deconnexion" || path == "/cas/logout" || (who == "admin" && method == http.MethodPost) || (who == "patron" && method == http.MethodPost) {
				continue // would end the session or change data the other rows use
			}
			t.Run(who+" "+method+" "+path, func(t *testing.T) {
				var res response
				if method == http.MethodGet {
					res = c.get(path)
				} else {
					res = c.post(path, url.Values{})
				}
				allowed := rt.Permission == auth.Public || (who == "admin" && rt.Permission != auth.Patron) ||
					(who == "library" && rt.Permission == auth.LibraryStaff) || (who == "patron" && rt.Permission == auth.Patron)
				toLogin := res.status == http.StatusSeeOther && strings.HasPrefix(res.header.Get("Location"), "/connexion")
				switch {
				case allowed && (res.status == http.StatusForbidden || res.status == http.StatusSeeOther && strings.HasPrefix(res.header.Get("Location"), "/connexion?")):
					t.Errorf("got status %d (%s), want access", res.status, res.header.Get("Location"))
				case !allowed && (who == "anonymous" || who == "patron" || rt.Permission == auth.Patron) && !toLogin:
					t.Errorf("got status %d, want 303 to /connexion", res.status)
				case !allowed && who == "library" && rt.Permission != auth.Patron && res.status != http.StatusForbidden:
					t.Errorf("got status %d, want 403", res.status)
				case res.status >= 500:
					t.Errorf("got status %d", res.status)
				}
			})
		}
	}
}

func TestLoginSaysNothingAboutAccounts(t *testing.T) {
	w := newWorld(t)
	unknown := w.anonymous().post("/connexion", url.Values{"identifiant": {"personne"}, "mot_de_passe": {"un mauvais mot de passe"}})
	wrong := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {"un mauvais mot de passe"}})
	if unknown.status != wrong.status {
		t.Errorf("status: unknown login %d, wrong password %d; want the same", unknown.status, wrong.status)
	}
	if a, b := unknown.text("contenu"), wrong.text("contenu"); a != b {
		t.Errorf("pages differ:\nunknown: %s\nwrong:   %s", a, b)
	}
	if got := wrong.value("identifiant"); got != "fouesnant" {
		t.Errorf("typed login: got %q, want it kept", got)
	}
}

func TestLoginThrottleDoublesAndExpires(t *testing.T) {
	w := newWorld(t)
	bad := url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {"pas le bon mot de passe"}}
	good := url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}}
	c := w.anonymous()
	for i := 1; i <= auth.FreeFailures; i++ {
		if res := c.post("/connexion", bad); res.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: got status %d, want 401", i, res.status)
		}
	}
	res := c.post("/connexion", good)
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "Trop de tentatives") {
		t.Fatalf("after %d failures, the right password: got status %d, want 429", auth.FreeFailures, res.status)
	}
	w.clock.Advance(auth.FirstDelay + time.Second)
	if res := c.post("/connexion", bad); res.status != http.StatusUnauthorized {
		t.Fatalf("after the delay, a failure: got status %d, want 401", res.status)
	}
	w.clock.Advance(auth.FirstDelay + time.Second)
	if res := c.post("/connexion", good); res.status != http.StatusTooManyRequests {
		t.Errorf("the delay must have doubled: got status %d, want 429", res.status)
	}
	w.clock.Advance(auth.MaxDelay)
	if res := c.post("/connexion", good); res.status != http.StatusSeeOther {
		t.Errorf("after the longest delay: got status %d, want 303 (no permanent lockout)", res.status)
	}
	if res := c.post("/connexion", bad); res.status != http.StatusUnauthorized {
		t.Errorf("a success clears the failures: got status %d, want 401", res.status)
	}
}

func TestBlockDelay(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {4, 0}, {5, 30 * time.Second}, {6, time.Minute}, {7, 2 * time.Minute}, {10, 15 * time.Minute}, {100, 15 * time.Minute}}
	for _, tt := range tests {
		if got := auth.BlockDelay(tt.failures); got != tt.want {
			t.Errorf("BlockDelay(%d): got %s, want %s", tt.failures, got, tt.want)
		}
	}
}

func TestSessionRotatesExpiresAndEnds(t *testing.T) {
	w := newWorld(t)
	c := w.anonymous()
	c.get("/connexion")
	u, _ := url.Parse(w.server.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sesame", Value: "planted-by-an-attacker"}})
	c.post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}})
	var token string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "sesame" {
			token = ck.Value
		}
	}
	if token == "" || token == "planted-by-an-attacker" || len(token) < 22 {
		t.Fatalf("session cookie not rotated at login: %q", token)
	}
	if res := c.get("/abonnes"); res.status != http.StatusOK {
		t.Fatalf("logged in: got status %d, want 200", res.status)
	}
	w.clock.Advance(29 * time.Minute)
	if res := c.get("/abonnes"); res.status != http.StatusOK {
		t.Fatalf("after 29 idle minutes: got status %d, want 200", res.status)
	}
	w.clock.Advance(31 * time.Minute)
	if res := c.get("/abonnes"); res.status != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: got status %d, want 303 to login", res.status)
	}

	c = w.login("fouesnant")
	for i := 0; i < 25; i++ { // active all along, but 12 h is the end
		w.clock.Advance(29 * time.Minute)
		c.get("/abonnes")
	}
	if res := c.get("/abonnes"); res.status != http.StatusSeeOther {
		t.Errorf("after 12 h: got status %d, want 303 to login", res.status)
	}

	c = w.login("fouesnant")
	c.post("/deconnexion", nil)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sesame", Value: token}})
	if res := c.get("/abonnes"); res.status != http.StatusSeeOther {
		t.Errorf("old token after logout: got status %d, want 303", res.status)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	w := newWorld(t)
	res, err := w.anonymous().http.PostForm(w.server.URL+"/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	set := res.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	p := w.patron(w.patronA)
	req, _ := http.NewRequest(http.MethodPost, w.server.URL+fmt.Sprintf("/abonnes/%d/statut", w.patronA),
		strings.NewReader(url.Values{"version": {fmt.Sprint(p.Version)}, "statut": {"refuse"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res := c.do(req)
	if res.status != http.StatusForbidden {
		t.Errorf("cross-site POST: got status %d, want 403", res.status)
	}
	if after := w.patron(w.patronA); after.Version != p.Version {
		t.Errorf("cross-site POST changed the record")
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	for _, path := range []string{"/", "/connexion", "/abonnes", "/nexiste-pas", "/static/style.css", "/abonnes/99999"} {
		res := c.get(path)
		csp := res.header.Get("Content-Security-Policy")
		for _, want := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows unsafe-inline", path)
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff or Referrer-Policy missing", path)
		}
		if ct := res.header.Get("Content-Type"); !strings.Contains(ct, "charset=utf-8") {
			t.Errorf("%s: Content-Type %q lacks the charset", path, ct)
		}
	}
	if cc := c.get("/abonnes").header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("authenticated page: Cache-Control %q, want no-store", cc)
	}
	if res := c.get("/nexiste-pas"); res.status != http.StatusNotFound || !strings.Contains(res.body, "Page introuvable") {
		t.Errorf("unknown page: got status %d, want a French 404", res.status)
	}
}

func TestNextParameterStaysOnSite(t *testing.T) {
	w := newWorld(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		res := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {next}})
		if loc := res.header.Get("Location"); loc != "/abonnes" {
			t.Errorf("suite=%q: redirected to %q, want /abonnes", next, loc)
		}
	}
	res := w.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {"/abonnes?q=x"}})
	if loc := res.header.Get("Location"); loc != "/abonnes?q=x" {
		t.Errorf("local suite: redirected to %q, want /abonnes?q=x", loc)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	w := newWorld(t)
	c := w.anonymous()
	for _, path := range []string{"/healthz", "/readyz"} {
		if res := c.get(path); res.status != http.StatusOK {
			t.Errorf("%s: got status %d, want 200", path, res.status)
		}
	}
	w.store.Close()
	if res := c.get("/readyz"); res.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: got status %d, want 503", res.status)
	}
	if res := c.get("/healthz"); res.status != http.StatusOK {
		t.Errorf("/healthz with the database closed: got status %d, want 200 (the process is alive)", res.status)
	}
}
