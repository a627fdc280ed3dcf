package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/store"
)

// runningDemo is `sesame demo` (or serve) running in the test, on addr.
type runningDemo struct {
	out  *syncBuffer
	base string
}

// startCommand runs `sesame <command> --db db --addr addr` until the test
// step calls the returned stop, or the test ends.
func startCommand(t *testing.T, command, db, addr string, extra ...string) (*runningDemo, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	args := append([]string{command, "--db", db, "--addr", addr}, extra...)
	go func() { done <- run(ctx, args, nil, out, out, noEnv) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
	t.Cleanup(stop)
	return &runningDemo{out: out, base: "http://" + addr}, stop
}

// freeAddr is an address of 127.0.0.1 with a port free now: the demo's
// links and SSO name the address it is given, so it cannot be port 0.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// patronBrowser is a patron's browser without JavaScript: a cookie jar that
// follows redirects, and posts the SAML form a script would submit.
type patronBrowser struct {
	t      testing.TB
	client *http.Client
	base   string
}

func newPatronBrowser(t testing.TB, base string) *patronBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &patronBrowser{t: t, client: &http.Client{Jar: jar}, base: base}
}

// post sends a form and returns the final page, after redirects.
func (b *patronBrowser) post(to string, form url.Values) (int, string) {
	b.t.Helper()
	res, err := b.client.PostForm(to, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", to, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

func (b *patronBrowser) login(email string) {
	b.t.Helper()
	status, body := b.post(b.base+"/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {demo.Password}})
	if status != http.StatusOK || !strings.Contains(body, "Mon compte") {
		b.t.Fatalf("login %s: status %d:\n%s", email, status, body)
	}
}

// access clicks « Accéder » on a resource and returns the page it ends on:
// the vendor's, through whichever protocol the resource's connector speaks.
func (b *patronBrowser) access(slug string) (int, string) {
	b.t.Helper()
	status, body := b.post(b.base+"/acceder/"+slug, nil)
	if !strings.Contains(body, "SAMLResponse") {
		return status, body
	}
	action, fields := samlForm(b.t, body)
	return b.post(action, fields)
}

// samlForm is the action and the fields of the page's form that carries a
// SAMLResponse, which a script would submit.
func samlForm(t testing.TB, page string) (string, url.Values) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, key string) string {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val
			}
		}
		return ""
	}
	var forms []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			forms = append(forms, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, form := range forms {
		fields := url.Values{}
		var inputs func(n *html.Node)
		inputs = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
				fields.Set(attr(n, "name"), attr(n, "value"))
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				inputs(c)
			}
		}
		inputs(form)
		if fields.Get("SAMLResponse") != "" {
			return attr(form, "action"), fields
		}
	}
	t.Fatalf("no form with a SAMLResponse in:\n%s", page)
	return "", nil
}

// TestDemoSSOAcrossRestarts: the demo's first start makes its key beside
// its database and connects four resources to its own vendor; Eric's
// « Accéder » then reaches the vendor through each protocol, and the vendor
// shows who arrived and what it received. A second start on the same
// directory reads what the first sealed (the connectors' secrets, the OIDC
// keys, the SAML identity) with the same key; a third, on another address,
// moves the vendor's connectors there. `sesame serve` has no vendor.
func TestDemoSSOAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo network and starts it twice; skipped in short mode")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "sesame-demo.db")
	keyFile := filepath.Join(dir, "sesame-demo.key")
	addr := freeAddr(t)
	const eric = "eric.mediateur@example.org"
	protocols := []struct {
		slug, protocol string
		want           []string // what the vendor page must show it received
	}{
		{"livres-numeriques", "OpenID Connect", []string{"family_name", "MEDIATEUR-NUM", eric, "FOUESNANT"}},
		{"mediatheque-numerique", "Lien signé", []string{"COMPTE-TEST", "FOUESNANT", "valid_to"}},
		{"pressreader", "SAML 2.0", []string{"givenName", "MEDIATEUR-NUM", eric, "FOUESNANT"}},
		{"tout-apprendre", "CAS", []string{"lastName", "MEDIATEUR-NUM", eric, "FOUESNANT"}},
	}
	walk := func(run int, b *patronBrowser, slug, protocol string, want []string) {
		t.Helper()
		status, page := b.access(slug)
		if status != http.StatusOK {
			t.Errorf("start %d, « Accéder » to %s: status %d:\n%s", run, slug, status, page)
			return
		}
		for _, w := range append([]string{"Bienvenue, Eric MEDIATEUR-NUM", "arrivé par <strong>" + protocol + "</strong>"}, want...) {
			if !strings.Contains(page, w) {
				t.Errorf("start %d, « Accéder » to %s: the vendor page lacks %q:\n%s", run, slug, w, page)
			}
		}
	}

	// First start: seeded, a new key, Eric's two resources of the tutorial.
	first, stop := startCommand(t, "demo", db, addr, "--patrons", "200")
	waitFor(t, first.out, "To start again from scratch")
	out := first.out.String()
	for _, want := range []string{": 200 patrons.", "made its own key in " + keyFile,
		"delete " + db + " " + db + "-wal " + db + "-shm " + keyFile, first.base + "/demo-fournisseur/"} {
		if !strings.Contains(out, want) {
			t.Errorf("first start: output lacks %q:\n%s", want, out)
		}
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("first start: no key beside the database: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	b := newPatronBrowser(t, first.base)
	b.login(eric)
	for _, p := range protocols[:2] {
		walk(1, b, p.slug, p.protocol, p.want)
	}
	stop()

	// The librarian activates the tutorial's other two resources.
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{Query: "mediateur"})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("Eric: %v, %d rows", err, len(page.Rows))
	}
	var more []int64
	for _, slug := range []string{"pressreader", "tout-apprendre"} {
		res, err := st.ResourceBySlug(context.Background(), slug)
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, res.ID)
	}
	if _, err := st.SetGrants(context.Background(), store.NetworkScope(), page.Rows[0].ID, more, sesame.GrantValidated, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Second start: the same key opens what the first start sealed.
	second, stop := startCommand(t, "demo", db, addr, "--patrons", "200")
	waitFor(t, second.out, "To start again from scratch")
	if out := second.out.String(); !strings.Contains(out, "not seeded again") || !strings.Contains(out, "uses its key in "+keyFile) {
		t.Errorf("second start: output:\n%s", out)
	}
	if again, err := os.ReadFile(keyFile); err != nil || !bytes.Equal(again, key) {
		t.Errorf("second start: the key file changed (%v)", err)
	}
	b = newPatronBrowser(t, second.base)
	b.login(eric)
	for _, p := range protocols {
		walk(2, b, p.slug, p.protocol, p.want)
	}
	stop()
	if strings.Contains(second.out.String(), "now point at") {
		t.Errorf("second start, same address: the vendor's connectors were replaced:\n%s", second.out.String())
	}

	// Third start, on another address: the vendor's connectors follow.
	third, stop := startCommand(t, "demo", db, freeAddr(t), "--patrons", "200")
	waitFor(t, third.out, "To start again from scratch")
	if want := "connectors now point at " + third.base; !strings.Contains(third.out.String(), want) {
		t.Errorf("third start, another address: output lacks %q:\n%s", want, third.out.String())
	}
	b = newPatronBrowser(t, third.base)
	b.login(eric)
	for _, p := range protocols {
		walk(3, b, p.slug, p.protocol, p.want)
	}
	stop()

	// `sesame serve` on the same database has no vendor.
	served, stop := startCommand(t, "serve", db, freeAddr(t))
	waitFor(t, served.out, "Sésame serves serve")
	res, err := http.Get(served.base + "/demo-fournisseur/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("sesame serve, /demo-fournisseur/: status %d, want 404", res.StatusCode)
	}
	stop()
}
