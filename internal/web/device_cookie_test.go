package web_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/web"
)

// Device cookies (OWASP « Slow Down Online Guessing Attacks with Device
// Cookies »): the owner's browser gets in while an attacker hammers the
// account; unknown clients are still slowed down.

const (
	staffDeviceCookie  = "sesame-appareil"
	patronDeviceCookie = "sesame-appareil-usager"
	tooManyLogins      = "Trop de tentatives de connexion. Réessayez dans "
)

// trustingProxy serves w behind a trusted proxy, so that a test can say
// where each request comes from, with postFrom.
func trustingProxy(w *world) {
	w.t.Helper()
	srv, err := web.New(web.Config{Store: w.store, Now: w.clock.Now, Random: rand.Reader, Hasher: testHasher,
		Location: w.paris, BaseURL: testBaseURL, TrustProxy: true})
	if err != nil {
		w.t.Fatalf("web.New: %v", err)
	}
	w.server.Close()
	w.web, w.server = srv, httptest.NewServer(srv.Handler())
	w.t.Cleanup(w.server.Close)
}

// postFrom posts form as c would, from the client address addr.
func postFrom(c *client, addr, path string, form url.Values) response {
	c.w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.w.server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	return c.do(req)
}

// cookieOf is the value of c's cookie name, "" when it has none.
func cookieOf(c *client, name string) string {
	c.w.t.Helper()
	u, _ := url.Parse(c.w.server.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// withCookie returns an unknown client that shows the cookie name=value.
func (w *world) withCookie(name, value string) *client {
	w.t.Helper()
	c := w.anonymous()
	u, _ := url.Parse(w.server.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	return c
}

// deviceLogin is one kind of login form, for the tables below.
type deviceLogin struct {
	name   string
	path   string
	cookie string
	right  url.Values
	wrong  url.Values
	owner  func(w *world) *client // logs the owner in, which leaves a device cookie
}

func deviceLogins() []deviceLogin {
	staff := func(login string) deviceLogin {
		return deviceLogin{name: login, path: "/connexion", cookie: staffDeviceCookie,
			right: url.Values{"identifiant": {login}, "mot_de_passe": {testPassword}},
			wrong: url.Values{"identifiant": {login}, "mot_de_passe": {"pas le bon mot de passe"}},
			owner: func(w *world) *client { return w.login(login) }}
	}
	const email = "yann.kerjean@example.org"
	return []deviceLogin{
		staff("fouesnant"),
		staff("admin"),
		{name: "usager", path: "/connexion/usager", cookie: patronDeviceCookie,
			right: url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}},
			wrong: url.Values{"email": {email}, "mot_de_passe_usager": {"pas le bon mot de passe"}},
			owner: func(w *world) *client { return w.patronLogin(w.patronB) }},
	}
}

func TestDeviceCookieLetsTheOwnerInDuringAnAttack(t *testing.T) {
	for _, tt := range deviceLogins() {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			trustingProxy(w)
			owner := tt.owner(w)
			if cookieOf(owner, tt.cookie) == "" {
				t.Fatalf("no %s cookie after the owner's login", tt.cookie)
			}
			if res := owner.post("/deconnexion", url.Values{}); res.status != http.StatusSeeOther {
				t.Fatalf("logout: got status %d, want 303", res.status)
			}
			attacker := w.anonymous()
			for i := 1; i <= 20; i++ {
				want := http.StatusUnauthorized
				if i > auth.FreeFailures {
					want = http.StatusTooManyRequests
				}
				if res := postFrom(attacker, "203.0.113.9", tt.path, tt.wrong); res.status != want {
					t.Fatalf("attacker's try %d: got status %d, want %d", i, res.status, want)
				}
			}
			// Unknown clients still meet the account's throttle, wherever they are.
			res := postFrom(w.anonymous(), "198.51.100.7", tt.path, tt.right)
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, tooManyLogins) {
				t.Errorf("unknown client with the right password: got status %d, want 429 and « %s »", res.status, tooManyLogins)
			}
			before := cookieOf(owner, tt.cookie)
			if res := postFrom(owner, "192.0.2.10", tt.path, tt.right); res.status != http.StatusSeeOther {
				t.Fatalf("owner's browser with the right password: got status %d, want 303; %.300s", res.status, res.body)
			}
			if after := cookieOf(owner, tt.cookie); after == "" || after == before {
				t.Errorf("device cookie after the owner's login: got %q, want a new one", after)
			}
		})
	}
}

func TestUnknownClientsAreThrottled(t *testing.T) {
	for _, tt := range deviceLogins() {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.owner(w) // a device cookie elsewhere changes nothing for unknown clients
			c := w.anonymous()
			for i := 1; i <= auth.FreeFailures; i++ {
				if res := c.post(tt.path, tt.wrong); res.status != http.StatusUnauthorized {
					t.Fatalf("failure %d: got status %d, want 401", i, res.status)
				}
			}
			res := w.anonymous().post(tt.path, tt.right)
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, tooManyLogins) {
				t.Errorf("after %d failures, the right password: got status %d, want 429 and « %s »", auth.FreeFailures, res.status, tooManyLogins)
			}
		})
	}
}

func TestDeviceCookieIsThrottledOnItsOwn(t *testing.T) {
	for _, tt := range deviceLogins() {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			stolen, other := tt.owner(w), tt.owner(w)
			for i := 1; i <= auth.FreeFailures; i++ {
				if res := stolen.post(tt.path, tt.wrong); res.status != http.StatusUnauthorized {
					t.Fatalf("failure %d: got status %d, want 401", i, res.status)
				}
			}
			if res := stolen.post(tt.path, tt.right); res.status != http.StatusTooManyRequests || !strings.Contains(res.body, tooManyLogins) {
				t.Errorf("that browser, the right password: got status %d, want 429", res.status)
			}
			if res := other.post(tt.path, tt.right); res.status != http.StatusSeeOther {
				t.Errorf("another known browser: got status %d, want 303", res.status)
			}
			if res := w.anonymous().post(tt.path, tt.right); res.status != http.StatusSeeOther {
				t.Errorf("an unknown client: got status %d, want 303 (the account's throttle is untouched)", res.status)
			}
			w.clock.Advance(auth.FirstDelay + time.Second)
			if res := stolen.post(tt.path, tt.right); res.status != http.StatusSeeOther {
				t.Errorf("that browser after the delay: got status %d, want 303", res.status)
			}
		})
	}
}

func TestForgedDeviceCookieIsAnUnknownClient(t *testing.T) {
	w := newWorld(t)
	right := url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}}
	genuine := cookieOf(w.login("fouesnant"), staffDeviceCookie)
	quimper := cookieOf(w.login("quimper"), staffDeviceCookie)
	patron := cookieOf(w.patronLogin(w.patronB), patronDeviceCookie)
	attacker := w.anonymous()
	for range auth.FreeFailures {
		attacker.post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {"pas le bon mot de passe"}})
	}
	// flip changes the first character: a base64 string's last one may
	// carry only padding bits.
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	nonce, sig, _ := strings.Cut(genuine, ".")
	tests := []struct {
		name, cookie, value string
		want                int
	}{
		{"genuine", staffDeviceCookie, genuine, http.StatusSeeOther},
		{"signature tampered", staffDeviceCookie, nonce + "." + flip(sig), http.StatusTooManyRequests},
		{"nonce changed", staffDeviceCookie, flip(nonce) + "." + sig, http.StatusTooManyRequests},
		{"forged", staffDeviceCookie, strings.Repeat("x", 43) + "." + strings.Repeat("y", 43), http.StatusTooManyRequests},
		{"another staff login's", staffDeviceCookie, quimper, http.StatusTooManyRequests},
		{"a patron's", patronDeviceCookie, patron, http.StatusTooManyRequests},
		{"garbage", staffDeviceCookie, "n'importe quoi", http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := w.withCookie(tt.cookie, tt.value).post("/connexion", right); res.status != tt.want {
				t.Errorf("right password with that cookie: got status %d, want %d", res.status, tt.want)
			}
		})
	}
}

func TestSharedAddressIsNotLockedOut(t *testing.T) {
	w := newWorld(t)
	trustingProxy(w)
	const wifi = "203.0.113.50"
	known := w.login("fouesnant")
	// 30 readers of a library's public Wi-Fi each mistype once or twice.
	for i := range 30 {
		for range i%2 + 1 {
			form := url.Values{"email": {fmt.Sprintf("lecteur%02d@example.org", i)}, "mot_de_passe_usager": {"une faute de frappe"}}
			if res := postFrom(w.anonymous(), wifi, "/connexion/usager", form); res.status != http.StatusUnauthorized {
				t.Fatalf("reader %d: got status %d, want 401", i, res.status)
			}
		}
	}
	right := url.Values{"identifiant": {"quimper"}, "mot_de_passe": {testPassword}}
	if res := postFrom(w.anonymous(), wifi, "/connexion", right); res.status != http.StatusSeeOther {
		t.Fatalf("a reader after 45 failures on the Wi-Fi: got status %d, want 303", res.status)
	}
	// One robot behind the same address tries many accounts.
	robot := w.anonymous()
	for i := 1; i <= auth.FreeAddressFailures; i++ {
		form := url.Values{"identifiant": {fmt.Sprintf("compte%03d", i)}, "mot_de_passe": {"devine"}}
		if res := postFrom(robot, wifi, "/connexion", form); res.status != http.StatusUnauthorized {
			t.Fatalf("robot's try %d: got status %d, want 401", i, res.status)
		}
	}
	res := postFrom(w.anonymous(), wifi, "/connexion", right)
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, tooManyLogins) {
		t.Errorf("unknown client behind the address after %d failures: got status %d, want 429", auth.FreeAddressFailures, res.status)
	}
	if res := postFrom(w.anonymous(), "198.51.100.7", "/connexion", right); res.status != http.StatusSeeOther {
		t.Errorf("the same account from elsewhere: got status %d, want 303", res.status)
	}
	own := url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}}
	if res := postFrom(known, wifi, "/connexion", own); res.status != http.StatusSeeOther {
		t.Errorf("a known browser behind the address: got status %d, want 303", res.status)
	}
}

func TestDeviceCookieAndSecondFactor(t *testing.T) {
	w := newWorld(t)
	owner := w.login("fouesnant")
	secret, _ := w.enrol(owner)
	w.clock.Advance(30 * time.Second)
	if res := owner.post("/deconnexion", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("logout: got status %d, want 303", res.status)
	}
	// Someone who knows the password tries codes from another browser.
	attacker := w.anonymous()
	attacker.passwordStep("fouesnant")
	bad := url.Values{"code": {wrongCode(codeAt(t, secret, w.clock.Now()))}}
	for range auth.FreeFailures {
		attacker.post("/connexion/verification", bad)
	}
	if res := attacker.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}}); res.status != http.StatusTooManyRequests {
		t.Fatalf("attacker, right code after %d wrong ones: got status %d, want 429", auth.FreeFailures, res.status)
	}
	// The owner's browser goes through its own throttle, for the code too.
	owner.passwordStep("fouesnant")
	if res := owner.post("/connexion/verification", bad); res.status != http.StatusUnauthorized {
		t.Fatalf("owner, a wrong code: got status %d, want 401", res.status)
	}
	if res := owner.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}}); res.status != http.StatusSeeOther {
		t.Fatalf("owner, the right code: got status %d, want 303; %.300s", res.status, res.body)
	}
}

func TestAddressBlockDelay(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {auth.FreeFailures, 0}, {auth.FreeAddressFailures - 1, 0},
		{auth.FreeAddressFailures, auth.FirstDelay}, {auth.FreeAddressFailures + 1, 2 * auth.FirstDelay},
		{auth.FreeAddressFailures + 50, auth.MaxDelay},
	} {
		if got := auth.AddressBlockDelay(tt.failures); got != tt.want {
			t.Errorf("AddressBlockDelay(%d): got %s, want %s", tt.failures, got, tt.want)
		}
	}
}
