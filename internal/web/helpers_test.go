package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
	"github.com/bdf29/sesame/internal/web"
)

// testClock is a clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const testPassword = "un mot de passe de test"

// testBaseURL is the public address the links in mail start with.
const testBaseURL = "https://sesame.example.org"

// testHasher is argon2id with tiny costs: tests check the logic, not the cost.
var testHasher = auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}

// world is a network of two libraries, A and B, each with staff and patrons,
// served through the real router on a real SQLite file.
type world struct {
	t       testing.TB
	store   *store.Store
	clock   *testClock
	server  *httptest.Server
	web     *web.Server
	paris   *time.Location
	libA    int64
	libB    int64
	res     []int64 // resource ids, in creation order
	patronA int64   // LEFÈVRE Anne, À valider, in A
	patronB int64   // KERJEAN Yann, Validé, in B
	metrics *metrics.Metrics
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("load Europe/Paris: %v", err)
	}
	clock := &testClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, paris)}
	st := storetest.Open(t, clock.Now)
	w := &world{t: t, store: st, clock: clock, paris: paris}
	sys := sesame.Actor{Label: "test"}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if err := st.SaveNetwork(ctx, sesame.Network{Name: "Réseau de test", ContactEmail: "reseau@example.org", ValidityMonths: 12}, sys); err != nil {
		t.Fatal(err)
	}
	w.libA = must(st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys))
	w.libB = must(st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "b@example.org"}, sys))
	for _, r := range []struct{ slug, name string }{
		{"livres-numeriques", "Livres numériques"}, {"pressreader", "PressReader"}, {"tout-apprendre", "Tout apprendre"},
	} {
		w.res = append(w.res, must(st.CreateResource(ctx, sesame.Resource{Slug: r.slug, Name: r.name, Description: "Description", URL: "https://example.org/"}, sys)))
	}
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []sesame.Staff{
		{Login: "fouesnant", Name: "Médiathèque de Fouesnant", Role: sesame.RoleLibrary, LibraryID: w.libA},
		{Login: "quimper", Name: "Médiathèque de Quimper", Role: sesame.RoleLibrary, LibraryID: w.libB},
		{Login: "admin", Name: "Administration", Role: sesame.RoleAdmin},
	} {
		s.PasswordHash = hash
		must(st.CreateStaff(ctx, s, sys))
	}
	w.patronA = w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "LEFÈVRE", FirstName: "Anne", Email: "anne.lefevre@example.org",
		CardNumber: "A-0001", Status: sesame.StatusToValidate}, sesame.GrantPending)
	w.patronB = w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: "KERJEAN", FirstName: "Yann", Email: "yann.kerjean@example.org",
		CardNumber: "B-0001", Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1), ValidUntil: sesame.MustDate(2027, 6, 1)},
		sesame.GrantValidated)

	w.metrics = metrics.New(st, clock.Now, nil)
	srv, err := web.New(web.Config{Store: st, Now: clock.Now, Random: rand.Reader, Hasher: testHasher, Location: paris, BaseURL: testBaseURL,
		API: api.New(api.Config{Store: st, Now: clock.Now}).Handler(), Metrics: w.metrics})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	w.web = srv
	w.server = httptest.NewServer(srv.Handler())
	t.Cleanup(w.server.Close)
	return w
}

// addPatron creates a patron with the first resource in grant state g.
func (w *world) addPatron(p sesame.Patron, g sesame.GrantState) int64 {
	w.t.Helper()
	if p.BirthDate.IsZero() {
		p.BirthDate = sesame.MustDate(1980, 5, 17)
	}
	if p.PostalCode == "" {
		p.PostalCode, p.Town = "29000", "Quimper"
	}
	if p.RegisteredOn.IsZero() {
		p.RegisteredOn = sesame.MustDate(2021, 12, 17)
	}
	id, err := w.store.CreatePatron(context.Background(), store.NewPatron{Patron: p, ResourceIDs: w.res[:1], GrantState: g}, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatalf("create patron %s: %v", p.LastName, err)
	}
	return id
}

func (w *world) patron(id int64) *sesame.Patron {
	w.t.Helper()
	p, err := w.store.Patron(context.Background(), store.NetworkScope(), id)
	if err != nil {
		w.t.Fatalf("read patron %d: %v", id, err)
	}
	return p
}

// client is a browser-like client: cookies kept, redirects not followed.
type client struct {
	w    *world
	http *http.Client
}

func (w *world) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{w: w, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login returns a client logged in as login, failing the test otherwise.
func (w *world) login(login string) *client {
	w.t.Helper()
	c := w.anonymous()
	res := c.post("/connexion", url.Values{"identifiant": {login}, "mot_de_passe": {testPassword}})
	if res.status != http.StatusSeeOther {
		w.t.Fatalf("login %s: got status %d, want 303; body: %s", login, res.status, res.body)
	}
	return c
}

// patronLogin gives the patron the test password and returns a client
// logged in as them.
func (w *world) patronLogin(id int64) *client {
	w.t.Helper()
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.SetPatronPassword(context.Background(), id, hash); err != nil {
		w.t.Fatal(err)
	}
	c := w.anonymous()
	res := c.post("/connexion/usager", url.Values{"email": {w.patron(id).Email}, "mot_de_passe_usager": {testPassword}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte" {
		w.t.Fatalf("patron login: got status %d to %q, want 303 to /mon-compte; body: %.300s", res.status, res.header.Get("Location"), res.body)
	}
	return c
}

// response is a read response with its parsed HTML.
type response struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func (c *client) do(req *http.Request) response {
	c.w.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.w.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.w.t.Fatalf("read body: %v", err)
	}
	doc, _ := html.Parse(strings.NewReader(string(body)))
	return response{status: res.StatusCode, header: res.Header, body: string(body), doc: doc}
}

func (c *client) get(path string) response {
	c.w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.w.server.URL+path, nil)
	if err != nil {
		c.w.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) response {
	c.w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.w.server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// byID returns the element with that id, or nil.
func (r response) byID(id string) *html.Node {
	return find(r.doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

// all returns the elements with that tag name.
func (r response) all(tag string) []*html.Node {
	var out []*html.Node
	walk(r.doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

// fieldError returns the message shown next to field name, "" when none.
func (r response) fieldError(name string) string {
	if n := r.byID("f-" + name + "-erreur"); n != nil {
		return text(n)
	}
	return ""
}

// value returns the value of the input or textarea of field name.
func (r response) value(name string) string {
	n := r.byID("f-" + name)
	if n == nil {
		return ""
	}
	if n.Data == "textarea" {
		return text(n)
	}
	return attr(n, "value")
}

func (r response) text(id string) string {
	if n := r.byID(id); n != nil {
		return text(n)
	}
	return ""
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// runJobs runs the background jobs the web layer enqueued, as an instance's
// runner would. Mail stays in the outbox: no mail handler runs here.
func (w *world) runJobs() {
	w.t.Helper()
	r := &jobs.Runner{Store: w.store, Worker: "test", Handlers: w.webJobs(), Now: w.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := r.RunOnce(context.Background()); err != nil {
		w.t.Fatalf("run jobs: %v", err)
	}
}

// webJobs are the handlers of the jobs the web layer enqueues, bound to
// their kinds as internal/app's job table binds them.
func (w *world) webJobs() map[string]jobs.Handler {
	return map[string]jobs.Handler{
		jobs.KindResetRequest:       w.web.ResetRequestJob(),
		jobs.KindRegistrationResend: w.web.RegistrationResendJob(),
		jobs.KindLibraryDigest:      w.web.LibraryDigestJob(),
	}
}

// TestMain quiets zitadel/oidc, which logs each route it registers through
// slog's default logger only, so that benchmark lines stay readable.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
