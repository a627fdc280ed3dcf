package ssotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Where Debian's apache2 package and the modules' packages install them.
const (
	apacheBin  = "/usr/sbin/apache2"
	modulesDir = "/usr/lib/apache2/modules"
)

// apacheModules are loaded in this order: an MPM, what "Require" and
// "AuthType" need, mod_dir for /oidc/ → index.html, mod_headers to show
// what each module learnt, then the three clients under test.
var apacheModules = []struct{ name, file string }{
	{"mpm_prefork_module", "mod_mpm_prefork.so"},
	{"authz_core_module", "mod_authz_core.so"},
	{"authn_core_module", "mod_authn_core.so"},
	{"authz_user_module", "mod_authz_user.so"},
	{"mime_module", "mod_mime.so"},
	{"dir_module", "mod_dir.so"},
	{"headers_module", "mod_headers.so"},
	{"auth_openidc_module", "mod_auth_openidc.so"},
	{"auth_cas_module", "mod_auth_cas.so"},
	{"auth_mellon_module", "mod_auth_mellon.so"},
}

// needApache skips the test when apache2 or a module is missing, except in
// CI, where a missing tool must fail the build rather than hide the test.
func needApache(t testing.TB) {
	t.Helper()
	paths := []string{apacheBin}
	for _, m := range apacheModules {
		paths = append(paths, filepath.Join(modulesDir, m.file))
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			msg := fmt.Sprintf("%s not found: install apache2 libapache2-mod-auth-openidc libapache2-mod-auth-cas libapache2-mod-auth-mellon (.ci/run does)", p)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

const testPassword = "un mot de passe de test"

// testHasher is argon2id with tiny costs: the test checks the protocols,
// not the cost of a hash.
var testHasher = auth.Hasher{Params: auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1}, Random: rand.Reader}

// sesameApp is Sésame running in-process, as `sesame serve` runs it, on
// 127.0.0.1 with its real address as SESAME_BASE_URL.
type sesameApp struct {
	t     testing.TB
	base  string
	store *store.Store
	paris *time.Location
	lib   int64
	hash  string // of testPassword
}

// startSesame runs Sésame on a free port with an empty database on the
// engine storetest.EngineEnv names, holding one library.
func startSesame(t testing.TB) *sesameApp {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	a, base := apptest.Serve(t, map[string]string{"SESAME_SECRET_KEY": base64.StdEncoding.EncodeToString(key)}, testHasher, nil)
	ctx := context.Background()

	s := &sesameApp{t: t, base: base, store: a.Store, paris: app.Paris()}
	sys := sesame.Actor{Label: "test"}
	var err error
	if err := s.store.SaveNetwork(ctx, sesame.Network{Name: "Réseau de test", ContactEmail: "reseau@example.org", ValidityMonths: 12}, sys); err != nil {
		t.Fatal(err)
	}
	s.lib, err = s.store.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "b@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	if s.hash, err = testHasher.Hash(testPassword); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sesameApp) today() sesame.Date { return sesame.DateOf(time.Now(), s.paris) }

// addResource creates a resource and returns its id.
func (s *sesameApp) addResource(slug, name string) int64 {
	s.t.Helper()
	id, err := s.store.CreateResource(context.Background(), sesame.Resource{Slug: slug, Name: name, Description: "Description",
		URL: "https://example.org/" + slug}, sesame.Actor{Label: "test"})
	if err != nil {
		s.t.Fatalf("create resource %s: %v", slug, err)
	}
	return id
}

// addConnector registers a vendor's connector.
func (s *sesameApp) addConnector(c sesame.Connector) {
	s.t.Helper()
	if _, err := s.store.CreateConnector(context.Background(), c, sesame.Actor{Label: "test"}); err != nil {
		s.t.Fatalf("create %s connector: %v", c.Kind, err)
	}
}

// addPatron creates a patron Validé until validUntil, with the resources
// granted (validée), whose password is testPassword; it returns the
// patron's id and e-mail.
func (s *sesameApp) addPatron(name string, validUntil sesame.Date, resources ...int64) (int64, string) {
	s.t.Helper()
	email := strings.ToLower(name) + "@example.org"
	id, err := s.store.CreatePatron(context.Background(), store.NewPatron{Patron: sesame.Patron{
		LibraryID: s.lib, LastName: strings.ToUpper(name), FirstName: "Test", Email: email, CardNumber: "Q-" + name,
		BirthDate: sesame.MustDate(1980, 5, 17), PostalCode: "29000", Town: "Quimper", RegisteredOn: sesame.MustDate(2021, 12, 17),
		Status: sesame.StatusValidated, LibraryRegisteredOn: validUntil.AddMonths(-12), ValidUntil: validUntil,
	}, PasswordHash: s.hash, ResourceIDs: resources, GrantState: sesame.GrantValidated}, sesame.Actor{Label: "test"})
	if err != nil {
		s.t.Fatalf("create patron %s: %v", name, err)
	}
	return id, email
}

func (s *sesameApp) patron(id int64) *sesame.Patron {
	s.t.Helper()
	p, err := s.store.Patron(context.Background(), store.NetworkScope(), id)
	if err != nil {
		s.t.Fatalf("read patron %d: %v", id, err)
	}
	return p
}

// setValidUntil moves a patron's end of validity, as if the days had passed.
func (s *sesameApp) setValidUntil(id int64, d sesame.Date) {
	s.t.Helper()
	_, err := s.store.UpdatePatron(context.Background(), store.NetworkScope(), id, 0, sesame.Actor{Label: "test"},
		func(p *sesame.Patron) (store.Change, error) {
			p.ValidUntil = d
			return store.Change{Action: "test", Detail: "Date de fin de validité avancée par le test."}, nil
		})
	if err != nil {
		s.t.Fatalf("set end of validity of patron %d: %v", id, err)
	}
}

// get fetches a document from Sésame, as a vendor's server does.
func (s *sesameApp) get(path string) []byte {
	s.t.Helper()
	res, err := http.Get(s.base + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: status %d, %v", path, res.StatusCode, err)
	}
	return body
}

// apache is an httpd started for the test from a configuration written in
// its own temporary directory.
type apache struct {
	t    testing.TB
	dir  string
	port int
	base string // http://127.0.0.1:port
}

// newApache chooses the directory and the port; start writes the
// configuration and runs httpd.
func newApache(t testing.TB) *apache {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return &apache{t: t, dir: dir, port: port, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// path is a file in Apache's directory.
func (a *apache) path(elem ...string) string {
	return filepath.Join(append([]string{a.dir}, elem...)...)
}

// writeFile writes a file in Apache's directory, readable by the user
// httpd's worker runs as.
func (a *apache) writeFile(name string, data []byte) string {
	a.t.Helper()
	p := a.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		a.t.Fatal(err)
	}
	return p
}

// serverConf is the part of the configuration that is not about single
// sign-on: where httpd keeps its files, the modules, the pages.
const serverConf = `ServerRoot "{{.Dir}}"
ServerName 127.0.0.1
Listen 127.0.0.1:{{.Port}}
PidFile "{{.Dir}}/httpd.pid"
DefaultRuntimeDir "{{.Dir}}/run"
ErrorLog "{{.Dir}}/error.log"
LogLevel warn auth_openidc:info auth_cas:info auth_mellon:info
{{range .Modules}}LoadModule {{.Name}} {{.Path}}
{{end}}
{{- with .User}}User #{{.Uid}}
Group #{{.Gid}}
{{end -}}
# httpd -X has a single worker: a kept-alive connection from one client
# would hold it while another client waits.
KeepAlive Off
TypesConfig /dev/null
AddType "text/html; charset=utf-8" .html
DirectoryIndex index.html
DocumentRoot "{{.Dir}}/htdocs"
<Directory "{{.Dir}}/htdocs">
    Require all granted
</Directory>
`

// start writes httpd.conf from serverConf and each protocol's part, the
// protected pages, and runs httpd in the foreground until the test ends.
func (a *apache) start(protocols []*protocol, data any) {
	a.t.Helper()
	modules := make([]struct{ Name, Path string }, len(apacheModules))
	for i, m := range apacheModules {
		modules[i].Name, modules[i].Path = m.name, filepath.Join(modulesDir, m.file)
	}
	// Started as root, httpd hands requests to an unprivileged user, who
	// must read the pages and keys and write the CAS cookie cache.
	var runAs *user.User
	if os.Geteuid() == 0 {
		var err error
		if runAs, err = user.Lookup("www-data"); err != nil {
			a.t.Fatalf("httpd runs as root: it needs the user www-data to hand requests to: %v", err)
		}
		// t.TempDir() makes its folders private; open them up to /tmp.
		for d := a.dir; strings.HasPrefix(d, os.TempDir()+string(filepath.Separator)); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				a.t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(a.path("run"), 0o755); err != nil {
		a.t.Fatal(err)
	}

	var conf bytes.Buffer
	tmpl := template.Must(template.New("httpd.conf").Parse(serverConf))
	if err := tmpl.Execute(&conf, map[string]any{"Dir": a.dir, "Port": a.port, "Modules": modules, "User": runAs}); err != nil {
		a.t.Fatal(err)
	}
	for _, p := range protocols {
		a.writeFile(filepath.Join("htdocs", p.path, "index.html"), []byte(protectedPage(p.name)))
		fmt.Fprintf(&conf, "\n# %s\n", p.name)
		if err := template.Must(template.New(p.path).Parse(p.conf)).Execute(&conf, data); err != nil {
			a.t.Fatal(err)
		}
	}
	confPath := a.writeFile("httpd.conf", conf.Bytes())

	cmd := exec.Command(apacheBin, "-X", "-f", confPath)
	// Debian's httpd reads no environment with -f; a clean one keeps a
	// developer's APACHE_* settings out of the test.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		a.t.Fatalf("start apache: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	a.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if a.t.Failed() {
			a.t.Logf("apache error log:\n%s", a.errorLog())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	ping := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		select {
		case err := <-exited:
			a.t.Fatalf("apache stopped at start (%v):\n%s\nerror log:\n%s\nconfiguration:\n%s", err, out.String(), a.errorLog(), conf.String())
		default:
		}
		// httpd listens before it has read all its configuration: only an
		// answer says it is ready.
		if res, err := ping.Get(a.base + "/"); err == nil {
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("apache does not listen on %d after 15 s:\n%s\nerror log:\n%s", a.port, out.String(), a.errorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errorLog is what httpd and the modules logged so far.
func (a *apache) errorLog() string {
	b, err := os.ReadFile(a.path("error.log"))
	if err != nil {
		return fmt.Sprintf("(no error log: %v)", err)
	}
	return string(b)
}

// protectedPage is the vendor's page behind the module.
func protectedPage(name string) string {
	return "<!doctype html><html lang=\"fr\"><title>Ressource</title><h1>" + pageMarker(name) + "</h1></html>\n"
}

func pageMarker(name string) string { return "Page protégée par " + name }

// browser is an HTTP client that behaves as a browser for what the
// protocols rely on: it keeps cookies, follows redirects and posts forms
// with the Origin and Sec-Fetch-Site headers a browser adds. It records
// every request it sends.
type browser struct {
	t      testing.TB
	jar    http.CookieJar
	client *http.Client
	trail  []sent
}

// sent is a request as the browser sent it.
type sent struct {
	method  string
	url     *url.URL
	form    url.Values  // for a POST
	header  http.Header // set by the page (Origin…), not the cookies
	cookies []*http.Cookie
	status  int
}

// page is the last answer of a navigation.
type page struct {
	url    *url.URL
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, jar: jar}
	b.client = &http.Client{Jar: jar, Timeout: 15 * time.Second,
		// Each browser has its own connections, as two browsers would.
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// send sends one request, not following a redirect.
func (b *browser) send(method string, u *url.URL, form url.Values, header http.Header) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	// What a browser accepts for a page: mod_auth_openidc answers 401,
	// not a redirect, to a client that does not take HTML.
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	s := sent{method: method, url: u, form: form, header: header, cookies: b.jar.Cookies(u)}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("read %s: %v", u, err)
	}
	s.status = res.StatusCode
	b.trail = append(b.trail, s)
	p := &page{url: u, status: res.StatusCode, header: res.Header, body: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(bytes.NewReader(raw)); err != nil {
			b.t.Fatalf("parse %s: %v", u, err)
		}
	}
	return p
}

// follow follows redirects from p, by GET, as a browser does after a 302 or 303.
func (b *browser) follow(p *page) *page {
	b.t.Helper()
	for i := 0; p.status >= 300 && p.status < 400; i++ {
		if i == 20 {
			b.t.Fatalf("more than 20 redirects, the last to %s", p.url)
		}
		loc, err := p.url.Parse(p.header.Get("Location"))
		if err != nil || p.header.Get("Location") == "" {
			b.t.Fatalf("redirect %d from %s to %q: %v", p.status, p.url, p.header.Get("Location"), err)
		}
		p = b.send(http.MethodGet, loc, nil, nil)
	}
	return p
}

// open navigates to u.
func (b *browser) open(u string) *page {
	b.t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.follow(b.send(http.MethodGet, parsed, nil, nil))
}

// submit fills the form of p that matches (its action, or its id) with
// values over its hidden fields, posts it and follows the redirects.
func (b *browser) submit(p *page, match string, values url.Values) *page {
	b.t.Helper()
	form := findForm(p.doc, match)
	if form == nil {
		b.t.Fatalf("no form %q on %s (status %d): %.600s", match, p.url, p.status, p.body)
	}
	action, err := p.url.Parse(attr(form, "action"))
	if err != nil {
		b.t.Fatal(err)
	}
	data := url.Values{}
	walk(form, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			data.Add(attr(n, "name"), attr(n, "value"))
		}
	})
	for k, v := range values {
		data[k] = v
	}
	// Origin is always sent with a POST; Sec-Fetch-Site compares the
	// page's origin with the target's, and the site (scheme and host,
	// not the port) when they differ.
	origin := p.url.Scheme + "://" + p.url.Host
	fetchSite := "same-origin"
	if action.Scheme+"://"+action.Host != origin {
		fetchSite = "cross-site"
		if action.Scheme == p.url.Scheme && action.Hostname() == p.url.Hostname() {
			fetchSite = "same-site"
		}
	}
	header := http.Header{"Origin": {origin}, "Sec-Fetch-Site": {fetchSite}, "Sec-Fetch-Mode": {"navigate"}}
	return b.follow(b.send(http.MethodPost, action, data, header))
}

// findForm is the first form whose action or id is match.
func findForm(doc *html.Node, match string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if found == nil && n.Data == "form" && (attr(n, "action") == match || attr(n, "id") == match) {
			found = n
		}
	})
	return found
}

func walk(n *html.Node, f func(*html.Node)) {
	if n == nil {
		return
	}
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// text is the text inside the first element named tag, or with role.
func text(doc *html.Node, tag string) string {
	var out string
	found := false
	walk(doc, func(n *html.Node) {
		if found || (n.Data != tag && attr(n, "role") != tag) {
			return
		}
		found = true
		var sb strings.Builder
		var collect func(*html.Node)
		collect = func(n *html.Node) {
			if n.Type == html.TextNode {
				sb.WriteString(n.Data)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				collect(c)
			}
		}
		collect(n)
		out = strings.Join(strings.Fields(sb.String()), " ")
	})
	return out
}
