package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
)

// garbage is n bytes that no database compresses, unique at each call.
func garbage(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n*3/4+3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// dbSize is the database's size on disk, after a checkpoint on SQLite.
func (w *world) dbSize() int64 {
	w.t.Helper()
	n, err := w.store.Size(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// dbWrites is the database's size on SQLite, where a page changes only with
// a write; on PostgreSQL, whose vacuum may add pages at any time, it is 0.
func (w *world) dbWrites() int64 {
	if w.store.Engine() != "sqlite" {
		return 0
	}
	return w.dbSize()
}

// TestAnonymousRequestsBarelyGrowTheDatabase sends, to every public entry
// point that writes, 100 requests with the largest values a robot would
// send (up to 900 kB, unique each time) and 100 well-formed ones with unique
// values; the database must grow by less than 1 MB in all.
func TestAnonymousRequestsBarelyGrowTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: this test sends some 200 MB to the test server")
	}
	w := newWorld(t)
	ctx := context.Background()
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	if _, err := w.store.CreateConnector(ctx, sesame.Connector{ResourceID: w.res[1], Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: "https://livres.example/cas/"}}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	sp := w.newTestSP(spOptions{name: "robot", resource: w.res[2]})
	const requests = 100

	// The tables, indexes and pages a first row creates are not what is
	// measured: one request of each kind goes first.
	warm := w.anonymous()
	warm.post("/mot-de-passe-oublie", url.Values{"email": {"chaud@example.org"}})
	warm.post("/connexion", url.Values{"identifiant": {"chaud"}, "mot_de_passe": {"x"}})
	warm.post("/connexion/usager", url.Values{"email": {"chaud@example.org"}, "mot_de_passe_usager": {"x"}})
	warm.get(v.authPath(newOIDCAttempt()))
	warm.get(casLogin("https://livres.example/cas/chaud"))
	w.runJobs()
	before := w.dbSize()

	// The robot reads no answer: parsing pages that quote a megabyte back
	// would be most of the test's time.
	robot := w.anonymous().http
	send := func(method, path string, form url.Values, header ...string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, w.server.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := robot.Do(req)
		if err != nil {
			t.Fatalf("%s %.60s: %v", method, path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %.60s: got %d", method, path, res.StatusCode)
		}
	}
	saml := func(form url.Values) {
		t.Helper()
		send(http.MethodPost, "/saml/sso", form, "Sec-Fetch-Site", "cross-site", "Origin", sp.server.URL)
	}
	for i := range requests {
		// Ten rounds send values of 900 kB, as the report measured; the
		// others 100 kB, still hundreds of times any cap, to keep the test
		// short: kept, they would add 9 MB.
		huge := 100_000
		if i < 10 {
			huge = 900_000
		}
		unique := garbage(t, 12)
		for _, r := range []struct {
			path string
			form url.Values
		}{
			{"/mot-de-passe-oublie", url.Values{"email": {garbage(t, huge) + "@example.org"}}},
			{"/mot-de-passe-oublie", url.Values{"email": {"robot-" + unique + "@example.org"}}},
			{"/inscription", w.registrationForm(garbage(t, huge) + "@example.org")},
			{"/inscription", w.registrationForm("robot-" + unique + "@example.org")},
			{"/inscription/renvoyer", url.Values{"email": {garbage(t, huge) + "@example.org"}}},
			{"/inscription/renvoyer", url.Values{"email": {"robot-" + unique + "@example.org"}}},
			{"/connexion", url.Values{"identifiant": {garbage(t, huge)}, "mot_de_passe": {"x"}}},
			{"/connexion", url.Values{"identifiant": {"robot-" + unique}, "mot_de_passe": {"x"}}},
			{"/connexion/usager", url.Values{"email": {garbage(t, huge) + "@example.org"}, "mot_de_passe_usager": {"x"}}},
			{"/connexion/usager", url.Values{"email": {"robot-" + unique + "@example.org"}, "mot_de_passe_usager": {"x"}}},
		} {
			send(http.MethodPost, r.path, r.form)
		}
		a := newOIDCAttempt()
		a.state = garbage(t, huge)
		send(http.MethodGet, v.authPath(a), nil)
		a = newOIDCAttempt()
		a.nonce = garbage(t, huge)
		send(http.MethodGet, v.authPath(a), nil)
		send(http.MethodGet, casLogin("https://livres.example/cas/"+garbage(t, huge)), nil)
		form, _ := sp.postRequest(nil)
		form.Set("RelayState", garbage(t, huge))
		saml(form)
		form, _ = sp.postRequest(func(r *crewjam.AuthnRequest) { r.ID = "id-" + garbage(t, huge/2) })
		saml(form)
		if i%10 == 9 {
			w.runJobs() // the reset and resend jobs run, as they would
		}
	}
	w.runJobs()
	grown := w.dbSize() - before
	t.Logf("%d anonymous requests grew the database by %d bytes", requests*15, grown)
	if grown >= 1_000_000 {
		t.Errorf("the database grew by %d bytes, want less than 1 MB", grown)
	}
}

// TestOversizedLoginsThrottleNothing: a login or an address longer than any
// account's is refused with the usual sentence, and leaves no throttle key.
func TestOversizedLoginsThrottleNothing(t *testing.T) {
	tests := []struct {
		name, path, field, value, want string
	}{
		{"staff login of 65 characters", "/connexion", "identifiant", strings.Repeat("a", sesame.MaxLoginLength+1),
			"Identifiant ou mot de passe incorrect."},
		{"patron address of 255 characters", "/connexion/usager", "email", strings.Repeat("a", sesame.MaxEmailLength-11) + "@example.org",
			"Adresse e-mail ou mot de passe incorrect."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			form := url.Values{tt.field: {tt.value}, "mot_de_passe": {"x"}, "mot_de_passe_usager": {"x"}}
			res := w.anonymous().post(tt.path, form)
			if res.status != http.StatusUnauthorized || !strings.Contains(res.body, tt.want) {
				t.Errorf("got %d, want 401 and %q", res.status, tt.want)
			}
			key := sesame.NormalizeLogin(tt.value)
			if tt.field == "email" {
				key = "usager:" + sesame.NormalizeEmail(tt.value)
			}
			for _, k := range []string{auth.AccountKey(key), auth.AddressKey("127.0.0.1")} {
				if th, err := w.store.ThrottleOf(context.Background(), k); err != nil || th.Failures != 0 {
					t.Errorf("throttle %.40s…: got %+v (%v), want nothing kept", k, th, err)
				}
			}
		})
	}
}

// TestMailFormsHaveAClientQuota: from one client address, the forms that
// send mail take a bounded number of requests an hour, whatever the
// addresses typed; past it, a 429 says how long to wait, the typed address
// stays, and nothing is stored. The page for a quota of one e-mail stays the
// one answer.
func TestMailFormsHaveAClientQuota(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		allowed int
		form    func(w *world, email string) url.Values
	}{
		{"password reset", "/mot-de-passe-oublie", 30, func(_ *world, email string) url.Values { return url.Values{"email": {email}} }},
		{"registration", "/inscription", 10, func(w *world, email string) url.Values { return w.registrationForm(email) }},
		{"new confirmation link", "/inscription/renvoyer", 10, func(_ *world, email string) url.Values { return url.Values{"email": {email}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			c := w.anonymous()
			for i := range tt.allowed {
				if res := c.post(tt.path, tt.form(w, "personne"+itoa(int64(i))+"@example.org")); res.status != http.StatusOK {
					t.Fatalf("request %d: got %d, want 200", i+1, res.status)
				}
			}
			_, pendingBefore, _ := w.store.JobCounts(ctx)
			sizeBefore := w.dbWrites()
			res := c.post(tt.path, tt.form(w, "de-trop@example.org"))
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.fieldError("email"), "Trop de demandes depuis cette adresse IP, réessayez dans 60 minutes.") {
				t.Errorf("request %d: got %d and %q, want 429 and the wait", tt.allowed+1, res.status, res.fieldError("email"))
			}
			if got := res.value("email"); got != "de-trop@example.org" {
				t.Errorf("typed address: got %q, want it kept", got)
			}
			if _, pending, _ := w.store.JobCounts(ctx); pending != pendingBefore {
				t.Errorf("jobs: got %d pending, want %d: nothing more", pending, pendingBefore)
			}
			if grown := w.dbWrites() - sizeBefore; grown != 0 {
				t.Errorf("a refused request grew the database by %d bytes", grown)
			}
			if n := len(w.mailsTo("de-trop@example.org")); n != 0 {
				t.Errorf("mails to the refused address: got %d, want none", n)
			}
			w.clock.Advance(61 * time.Minute)
			if res := c.post(tt.path, tt.form(w, "de-trop@example.org")); res.status != http.StatusOK {
				t.Errorf("an hour later: got %d, want 200", res.status)
			}
		})
	}
}

// TestResetRequestChecksTheAddress: what the reset form stores is an
// address, checked as the registration checks it.
func TestResetRequestChecksTheAddress(t *testing.T) {
	for _, typed := range []string{"pas-une-adresse", strings.Repeat("a", 250) + "@example.org", "deux@@example.org"} {
		w := newWorld(t)
		res := w.anonymous().post("/mot-de-passe-oublie", url.Values{"email": {typed}})
		if res.status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.fieldError("email"), "Votre adresse e-mail : ") {
			t.Errorf("%.30q: got %d and %q, want 422 and a message next to the field", typed, res.status, res.fieldError("email"))
		}
		if _, pending, _ := w.store.JobCounts(context.Background()); pending != 0 {
			t.Errorf("%.30q: %d jobs enqueued, want none", typed, pending)
		}
	}
}

// TestMalformedLinkTokensAreGone: a link whose token is not one Sésame
// makes gets the expired-or-used page at once.
func TestMalformedLinkTokensAreGone(t *testing.T) {
	w := newWorld(t)
	c := w.anonymous()
	for _, path := range []string{
		"/mot-de-passe/" + strings.Repeat("A", 5000),
		"/mot-de-passe/court",
		"/inscription/confirmer/" + strings.Repeat("A", 44),
		"/inscription/accord/" + strings.Repeat("A", 42) + "!",
	} {
		for _, res := range []response{c.get(path), c.post(path, url.Values{})} {
			if res.status != http.StatusGone {
				t.Errorf("%.40s: got %d, want 410", path, res.status)
			}
		}
	}
}

// TestCASRefusesOversizedService: a service URL longer than any registered
// one is refused as unknown, for a patron with a session (no ticket keeps
// it) as for a visitor (no login ticket is made for it).
func TestCASRefusesOversizedService(t *testing.T) {
	w := newCASWorld(t)
	service := casLivres + strings.Repeat("x", sesame.MaxServiceURLLength)
	for name, c := range map[string]*client{"patron": w.patronLogin(w.patronB), "visitor": w.anonymous()} {
		sizeBefore := w.dbWrites()
		res := c.get(casLogin(service))
		if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
			t.Errorf("%s: got %d to %.60q, want 400 and no redirect", name, res.status, res.header.Get("Location"))
		}
		if grown := w.dbWrites() - sizeBefore; grown != 0 {
			t.Errorf("%s: the database grew by %d bytes", name, grown)
		}
	}
	if res := w.patronLogin(w.patronB).get(casLogin(casLivres + "page")); res.status != http.StatusFound {
		t.Errorf("a service of ordinary length: got %d, want 302", res.status)
	}
}
