package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/web"
)

// The vendors' CAS services of the tests: Livres numériques (the first
// resource, which patron B has) and PressReader (the second).
const (
	casLivres = "https://livres.example/cas/"
	casPresse = "https://presse.example/"
)

// casWorld is the test network with two CAS services, patron B holding
// both resources.
type casWorld struct {
	*world
	livres, presse int64 // connector ids
}

func newCASWorld(t testing.TB) *casWorld {
	t.Helper()
	w := &casWorld{world: newWorld(t)}
	w.livres = w.casConnector(w.res[0], casLivres, false)
	w.presse = w.casConnector(w.res[1], casPresse, true)
	if _, err := w.store.SetGrants(context.Background(), store.NetworkScope(), w.patronB, w.res[:2], sesame.GrantValidated, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *casWorld) casConnector(resourceID int64, prefix string, releaseEmail bool) int64 {
	w.t.Helper()
	id, err := w.store.CreateConnector(context.Background(), sesame.Connector{ResourceID: resourceID, Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: prefix, ReleaseEmail: releaseEmail}}, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// casLogin is /cas/login's path for service, with more parameters such as
// "renew=true".
func casLogin(service string, more ...string) string {
	p := "/cas/login?service=" + url.QueryEscape(service)
	for _, m := range more {
		p += "&" + m
	}
	return p
}

// signIn goes where /cas/login sends a patron without a session: the login
// page, whose patron form is filled in and sent, as a person would, and
// back to /cas/login. It returns /cas/login's last answer.
func (w *casWorld) signIn(c *client, patronID int64, loginPath string) response {
	w.t.Helper()
	res := c.get(loginPath)
	loc := res.header.Get("Location")
	if res.status != http.StatusFound || !strings.HasPrefix(loc, "/connexion?suite=") {
		w.t.Fatalf("GET %s: got %d to %q, want 302 to the login page", loginPath, res.status, loc)
	}
	page := c.get(loc)
	var suite string
	for _, f := range page.all("form") {
		if attr(f, "action") != "/connexion/usager" {
			continue
		}
		if in := find(f, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "suite" }); in != nil {
			suite = attr(in, "value")
		}
	}
	if !strings.HasPrefix(suite, "/cas/login?") {
		w.t.Fatalf("the patron form carries suite %q, want the /cas/login URL", suite)
	}
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.SetPatronPassword(context.Background(), patronID, hash); err != nil {
		w.t.Fatal(err)
	}
	res = c.post("/connexion/usager", url.Values{"email": {w.patron(patronID).Email}, "mot_de_passe_usager": {testPassword}, "suite": {suite}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != suite {
		w.t.Fatalf("patron login: got %d to %q, want 303 back to %q", res.status, res.header.Get("Location"), suite)
	}
	return c.get(suite)
}

// ticketIn returns the ticket of a redirect to service, failing otherwise.
func ticketIn(t testing.TB, res response, service string) string {
	t.Helper()
	loc := res.header.Get("Location")
	if res.status != http.StatusFound || !strings.HasPrefix(loc, service) {
		t.Fatalf("got %d to %q, want 302 to %s with a ticket; body %.300s", res.status, loc, service, res.body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	ticket := u.Query().Get("ticket")
	if !strings.HasPrefix(ticket, "ST-") || len(ticket) < 3+22 {
		t.Fatalf("ticket %q: want ST- and 128 bits at least", ticket)
	}
	return ticket
}

// casReply is a validation answer as a CAS client reads it.
type casReply struct {
	XMLName xml.Name `xml:"http://www.yale.edu/tp/cas serviceResponse"`
	Success *struct {
		User       string     `xml:"http://www.yale.edu/tp/cas user"`
		Attributes *casValues `xml:"http://www.yale.edu/tp/cas attributes"`
	} `xml:"http://www.yale.edu/tp/cas authenticationSuccess"`
	Failure *struct {
		Code string `xml:"code,attr"`
		Text string `xml:",chardata"`
	} `xml:"http://www.yale.edu/tp/cas authenticationFailure"`
}

// casValues are the attributes, by name.
type casValues map[string]string

func (v *casValues) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*v = casValues{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			var s string
			if err := d.DecodeElement(&s, &e); err != nil {
				return err
			}
			(*v)[e.Name.Local] = s
		case xml.EndElement:
			return nil
		}
	}
}

// validate asks endpoint (such as "p3/serviceValidate") about a ticket, as
// the vendor's server does: no cookies.
func (w *casWorld) validate(endpoint, service, ticket string, more ...string) casReply {
	w.t.Helper()
	q := url.Values{"service": {service}, "ticket": {ticket}}
	p := "/cas/" + endpoint + "?" + q.Encode()
	for _, m := range more {
		p += "&" + m
	}
	res := w.anonymous().get(p)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "application/xml") {
		w.t.Fatalf("GET %s: got %d, %q", p, res.status, res.header.Get("Content-Type"))
	}
	var r casReply
	if err := xml.Unmarshal([]byte(res.body), &r); err != nil {
		w.t.Fatalf("GET %s: %v in %s", p, err, res.body)
	}
	if (r.Success == nil) == (r.Failure == nil) {
		w.t.Fatalf("GET %s: want one success or one failure, got %s", p, res.body)
	}
	return r
}

// code is the failure code, "" for a success.
func (r casReply) code() string {
	if r.Failure != nil {
		return r.Failure.Code
	}
	return ""
}

func TestCASLoginAndValidate(t *testing.T) {
	w := newCASWorld(t)
	c := w.anonymous()
	first := ticketIn(t, w.signIn(c, w.patronB, casLogin(casLivres+"catalogue")), casLivres+"catalogue")

	r := w.validate("p3/serviceValidate", casLivres+"catalogue", first)
	if r.Success == nil {
		t.Fatalf("p3/serviceValidate: got %s %q, want a success", r.code(), r.Failure.Text)
	}
	user := r.Success.User
	if user == "" || strings.Contains(user, "@") || user == itoa(w.patronB) || user == "B-0001" {
		t.Errorf("user %q: want a pseudonym, not the e-mail, the id or the card", user)
	}
	at := *r.Success.Attributes
	want := map[string]string{"firstName": "Yann", "lastName": "KERJEAN", "libraryCode": "QUIMPER", "validUntil": "2027-06-01",
		"isFromNewLogin": "true", "longTermAuthenticationRequestTokenUsed": "false", "authenticationDate": "2026-11-26T09:00:00Z"}
	for k, v := range want {
		if at[k] != v {
			t.Errorf("attribute %s: got %q, want %q", k, at[k], v)
		}
	}
	if _, ok := at["email"]; ok {
		t.Errorf("e-mail released by a connector that does not release it: %q", at["email"])
	}
	if got := len(w.launches(w.patronB)); got != 1 {
		t.Errorf("launches recorded: %d, want 1", got)
	}

	// Every endpoint, each with a ticket of its own from the same session.
	tests := []struct {
		endpoint       string
		wantAttributes bool
	}{
		{"serviceValidate", false},
		{"proxyValidate", false},
		{"p3/serviceValidate", true},
		{"p3/proxyValidate", true},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
			r := w.validate(tt.endpoint, casLivres, ticket)
			if r.Success == nil || r.Success.User != user {
				t.Fatalf("got %+v, want a success for %s", r, user)
			}
			if got := r.Success.Attributes != nil; got != tt.wantAttributes {
				t.Errorf("attributes: got %v, want %v", got, tt.wantAttributes)
			}
			if tt.wantAttributes && (*r.Success.Attributes)["isFromNewLogin"] != "false" {
				t.Errorf("isFromNewLogin: got %q, want false for single sign-on", (*r.Success.Attributes)["isFromNewLogin"])
			}
		})
	}
	t.Run("validate (CAS 1.0)", func(t *testing.T) {
		ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
		q := url.Values{"service": {casLivres}, "ticket": {ticket}}.Encode()
		res := w.anonymous().get("/cas/validate?" + q)
		if res.body != "yes\n"+user+"\n" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
			t.Errorf("got %q (%s), want yes and the user", res.body, res.header.Get("Content-Type"))
		}
		if res := w.anonymous().get("/cas/validate?" + q); res.body != "no\n\n" {
			t.Errorf("again: got %q, want no", res.body)
		}
	})
	t.Run("format=JSON", func(t *testing.T) {
		ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
		q := url.Values{"service": {casLivres}, "ticket": {ticket}, "format": {"JSON"}}.Encode()
		res := w.anonymous().get("/cas/p3/serviceValidate?" + q)
		var j struct {
			ServiceResponse struct {
				AuthenticationSuccess *struct {
					User       string         `json:"user"`
					Attributes map[string]any `json:"attributes"`
				} `json:"authenticationSuccess"`
			} `json:"serviceResponse"`
		}
		if err := json.Unmarshal([]byte(res.body), &j); err != nil || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Fatalf("got %q (%s): %v", res.body, res.header.Get("Content-Type"), err)
		}
		if s := j.ServiceResponse.AuthenticationSuccess; s == nil || s.User != user || s.Attributes["libraryCode"] != "QUIMPER" {
			t.Errorf("got %s, want a success for %s with attributes", res.body, user)
		}
	})
}

func TestCASTicketIsSpentOnce(t *testing.T) {
	tests := []struct {
		name      string
		wait      time.Duration
		service   string // as the validation names it
		wantCode  string
		thenRight string // the code validating it again for the right service
	}{
		{"validated, then replayed", 0, casLivres + "page", "", "INVALID_TICKET"},
		{"at 9 seconds: still valid", 9 * time.Second, casLivres + "page", "", "INVALID_TICKET"},
		{"at 10 seconds: expired", 10 * time.Second, casLivres + "page", "INVALID_TICKET", "INVALID_TICKET"},
		{"other service of the same vendor: burnt", 0, casLivres + "autre", "INVALID_SERVICE", "INVALID_TICKET"},
		{"other vendor's service: burnt", 0, casPresse, "INVALID_SERVICE", "INVALID_TICKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newCASWorld(t)
			c := w.patronLogin(w.patronB)
			ticket := ticketIn(t, c.get(casLogin(casLivres+"page")), casLivres+"page")
			w.clock.Advance(tt.wait)
			if got := w.validate("serviceValidate", tt.service, ticket).code(); got != tt.wantCode {
				t.Errorf("validation: got %q, want %q", got, tt.wantCode)
			}
			if got := w.validate("serviceValidate", casLivres+"page", ticket).code(); got != tt.thenRight {
				t.Errorf("validation again, right service: got %q, want %q", got, tt.thenRight)
			}
		})
	}
}

func TestCASTicketTTLIsConfigurable(t *testing.T) {
	w := newCASWorld(t)
	// A second instance on the same database, with SESAME_CAS_TICKET_TTL=30s.
	srv, err := web.New(web.Config{Store: w.store, Now: w.clock.Now, Random: rand.Reader, Hasher: testHasher, Location: w.paris,
		BaseURL: testBaseURL, CASTicketTTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	long := *w
	other := *w.world
	other.server = httptest.NewServer(srv.Handler())
	t.Cleanup(other.server.Close)
	long.world = &other

	tests := []struct {
		name     string
		w        *casWorld
		wait     time.Duration
		wantCode string
	}{
		{"default, at 20 s", w, 20 * time.Second, "INVALID_TICKET"},
		{"30 s, at 20 s", &long, 20 * time.Second, ""},
		{"30 s, at 30 s", &long, 30 * time.Second, "INVALID_TICKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.w.patronLogin(w.patronB)
			ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
			w.clock.Advance(tt.wait)
			// Validated at the other instance: tickets live in the database.
			validator := w
			if tt.w == w {
				validator = &long
			}
			if got := validator.validate("serviceValidate", casLivres, ticket).code(); got != tt.wantCode {
				t.Errorf("got %q, want %q", got, tt.wantCode)
			}
		})
	}
}

// TestCASConcurrentValidation sends one ticket to many validations at
// once: one succeeds, the others find it spent.
func TestCASConcurrentValidation(t *testing.T) {
	w := newCASWorld(t)
	c := w.patronLogin(w.patronB)
	ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
	q := url.Values{"service": {casLivres}, "ticket": {ticket}}.Encode()
	const n = 8
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get(w.server.URL + "/cas/validate?" + q)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var b strings.Builder
			buf := make([]byte, 512)
			for {
				k, err := res.Body.Read(buf)
				b.Write(buf[:k])
				if err != nil {
					break
				}
			}
			bodies[i] = b.String()
		}()
	}
	wg.Wait()
	yes := 0
	for _, b := range bodies {
		if strings.HasPrefix(b, "yes\n") {
			yes++
		} else if b != "no\n\n" {
			t.Errorf("answer %q, want yes or no", b)
		}
	}
	if yes != 1 {
		t.Errorf("%d validations succeeded, want exactly 1", yes)
	}
}

func TestCASRefusals(t *testing.T) {
	tests := []struct {
		name       string
		service    string
		setup      func(w *casWorld) int64 // returns the patron
		wantStatus int
		wantText   string
		wantAfter  sesame.Status
	}{
		{"patron without the resource", "https://apprendre.example/login", func(w *casWorld) int64 {
			w.casConnector(w.res[2], "https://apprendre.example/", false)
			return w.patronB
		}, http.StatusForbidden, "pas encore activée", sesame.StatusValidated},
		{"patron past their end date: expired on the way", casLivres, func(w *casWorld) int64 {
			_, err := w.store.UpdatePatron(context.Background(), store.NetworkScope(), w.patronB, 0, sesame.Actor{Label: "test"},
				func(p *sesame.Patron) (store.Change, error) {
					p.ValidUntil = sesame.MustDate(2026, 11, 25)
					return store.Change{Action: "test", Detail: "test"}, nil
				})
			if err != nil {
				w.t.Fatal(err)
			}
			return w.patronB
		}, http.StatusForbidden, "expiré", sesame.StatusExpired},
		{"unregistered service", "https://inconnu.example/", func(w *casWorld) int64 { return w.patronB },
			http.StatusBadRequest, "n'est pas connu", sesame.StatusValidated},
		{"host that only starts like a registered one", "https://livres.example.evil.org/cas/", func(w *casWorld) int64 { return w.patronB },
			http.StatusBadRequest, "n'est pas connu", sesame.StatusValidated},
		{"user information before the host", "https://livres.example@evil.org/cas/", func(w *casWorld) int64 { return w.patronB },
			http.StatusBadRequest, "n'est pas connu", sesame.StatusValidated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newCASWorld(t)
			c := w.patronLogin(w.patronB) // logged in while valid
			id := tt.setup(w)
			res := c.get(casLogin(tt.service))
			if res.status != tt.wantStatus || res.header.Get("Location") != "" {
				t.Fatalf("got %d to %q, want %d and no redirect; body %.300s", res.status, res.header.Get("Location"), tt.wantStatus, res.body)
			}
			if !strings.Contains(text(res.doc), tt.wantText) {
				t.Errorf("page lacks %q: %s", tt.wantText, text(res.doc))
			}
			if strings.Contains(res.body, "ST-") {
				t.Error("the page carries a ticket")
			}
			if got := w.patron(id).Status; got != tt.wantAfter {
				t.Errorf("status: got %s, want %s", got, tt.wantAfter)
			}
			if got := len(w.launches(id)); got != 0 {
				t.Errorf("launches: %d, want none", got)
			}
		})
	}
}

func TestCASRenew(t *testing.T) {
	w := newCASWorld(t)
	c := w.patronLogin(w.patronB)
	w.clock.Advance(time.Minute)

	// A single sign-on ticket does not pass a validation that asks renew.
	sso := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
	if got := w.validate("serviceValidate", casLivres, sso, "renew=true").code(); got != "INVALID_TICKET" {
		t.Errorf("SSO ticket validated with renew: got %q, want INVALID_TICKET", got)
	}

	// renew=true asks for the password despite the session, …
	res := c.get(casLogin(casLivres, "renew=true"))
	loc := res.header.Get("Location")
	if res.status != http.StatusFound || !strings.HasPrefix(loc, "/connexion?suite=") {
		t.Fatalf("renew with a session: got %d to %q, want the login page", res.status, loc)
	}
	// … and coming back without typing it is no use: asked again.
	u, _ := url.Parse(loc)
	back := c.get(u.Query().Get("suite"))
	if back.status != http.StatusFound || !strings.HasPrefix(back.header.Get("Location"), "/connexion?suite=") {
		t.Fatalf("back with the old session: got %d to %q, want the login page again", back.status, back.header.Get("Location"))
	}

	// Through the form: a ticket that passes renew, from a new login.
	w.clock.Advance(time.Minute)
	ticket := ticketIn(t, w.signIn(c, w.patronB, casLogin(casLivres, "renew=true")), casLivres)
	r := w.validate("p3/serviceValidate", casLivres, ticket, "renew=true")
	if r.Success == nil {
		t.Fatalf("renew ticket: got %q %q, want a success", r.code(), r.Failure.Text)
	}
	if got := (*r.Success.Attributes)["isFromNewLogin"]; got != "true" {
		t.Errorf("isFromNewLogin: got %q, want true", got)
	}
	if got := (*r.Success.Attributes)["authenticationDate"]; got != "2026-11-26T09:02:00Z" {
		t.Errorf("authenticationDate: got %q, want the second login, 2026-11-26T09:02:00Z", got)
	}
	// renew and gateway together: renew wins, as the specification recommends.
	if res := c.get(casLogin(casLivres, "renew=true", "gateway=true")); !strings.HasPrefix(res.header.Get("Location"), "/connexion?suite=") {
		t.Errorf("renew and gateway: got %d to %q, want the login page", res.status, res.header.Get("Location"))
	}
}

func TestCASGateway(t *testing.T) {
	w := newCASWorld(t)
	res := w.anonymous().get(casLogin(casLivres+"accueil", "gateway=true"))
	if res.status != http.StatusFound || res.header.Get("Location") != casLivres+"accueil" {
		t.Errorf("gateway without a session: got %d to %q, want 302 to the service without a ticket", res.status, res.header.Get("Location"))
	}
	c := w.patronLogin(w.patronB)
	ticket := ticketIn(t, c.get(casLogin(casLivres+"accueil", "gateway=true")), casLivres+"accueil")
	if got := w.validate("serviceValidate", casLivres+"accueil", ticket).code(); got != "" {
		t.Errorf("gateway ticket: got %q, want a success", got)
	}
	if res := w.anonymous().get(casLogin("https://inconnu.example/", "gateway=true")); res.status != http.StatusBadRequest {
		t.Errorf("gateway to an unknown service: got %d to %q, want 400 and no redirect", res.status, res.header.Get("Location"))
	}
}

func TestCASSingleSignOn(t *testing.T) {
	w := newCASWorld(t)
	c := w.anonymous()
	first := ticketIn(t, w.signIn(c, w.patronB, casLogin(casLivres)), casLivres)
	// The second vendor: no password, straight back with a ticket.
	res := c.get(casLogin(casPresse + "kiosque"))
	second := ticketIn(t, res, casPresse+"kiosque")

	r1 := w.validate("p3/serviceValidate", casLivres, first)
	r2 := w.validate("p3/serviceValidate", casPresse+"kiosque", second)
	if r1.Success == nil || r2.Success == nil {
		t.Fatalf("got %q and %q, want two successes", r1.code(), r2.code())
	}
	if (*r2.Success.Attributes)["isFromNewLogin"] != "false" || (*r1.Success.Attributes)["isFromNewLogin"] != "true" {
		t.Errorf("isFromNewLogin: got %q then %q, want true then false",
			(*r1.Success.Attributes)["isFromNewLogin"], (*r2.Success.Attributes)["isFromNewLogin"])
	}
	if r1.Success.User == r2.Success.User {
		t.Errorf("both vendors know the patron as %q: want a pseudonym per resource", r1.Success.User)
	}
	if got := (*r2.Success.Attributes)["email"]; got != "yann.kerjean@example.org" {
		t.Errorf("e-mail from the connector that releases it: got %q", got)
	}
	// The pseudonym is stable.
	again := ticketIn(t, c.get(casLogin(casPresse)), casPresse)
	if r := w.validate("serviceValidate", casPresse, again); r.Success == nil || r.Success.User != r2.Success.User {
		t.Errorf("second ticket at PressReader: got %+v, want user %q again", r.Success, r2.Success.User)
	}
	if got := len(w.launches(w.patronB)); got != 3 {
		t.Errorf("launches: %d, want 3", got)
	}
}

// TestCASLowerCaseEscapes follows Apache's mod_auth_cas, which escapes the
// service URL with lower-case hex digits.
func TestCASLowerCaseEscapes(t *testing.T) {
	w := newCASWorld(t)
	c := w.patronLogin(w.patronB)
	const service = "https://livres.example/cas/retour?url=%2flivre%3fid%3d7"
	res := c.get("/cas/login?service=https%3a%2f%2flivres.example%2fcas%2fretour%3furl%3d%252flivre%253fid%253d7")
	ticket := ticketIn(t, res, service)
	// The validation writes the same URL with upper-case digits.
	if r := w.validate("serviceValidate", "https://livres.example/cas/retour?url=%2Flivre%3Fid%3D7", ticket); r.Success == nil {
		t.Errorf("got %q %q, want a success", r.code(), r.Failure.Text)
	}
}

func TestCASValidationRequests(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		query    func(ticket string) url.Values
		wantCode string
		burnt    bool
	}{
		{"no service", "serviceValidate", func(tk string) url.Values { return url.Values{"ticket": {tk}} }, "INVALID_REQUEST", true},
		{"no ticket", "serviceValidate", func(string) url.Values { return url.Values{"service": {casLivres}} }, "INVALID_REQUEST", false},
		{"unknown format", "serviceValidate", func(tk string) url.Values {
			return url.Values{"ticket": {tk}, "service": {casLivres}, "format": {"YAML"}}
		}, "INVALID_REQUEST", true},
		{"proxy ticket at serviceValidate", "serviceValidate", func(string) url.Values {
			return url.Values{"ticket": {"PT-ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "service": {casLivres}}
		}, "INVALID_TICKET_SPEC", false},
		{"proxy ticket at proxyValidate: never issued", "proxyValidate", func(string) url.Values {
			return url.Values{"ticket": {"PT-ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "service": {casLivres}}
		}, "INVALID_TICKET", false},
		{"not a ticket", "serviceValidate", func(string) url.Values {
			return url.Values{"ticket": {"<script>"}, "service": {casLivres}}
		}, "INVALID_TICKET", false},
		{"proxy callback asked", "serviceValidate", func(tk string) url.Values {
			return url.Values{"ticket": {tk}, "service": {casLivres}, "pgtUrl": {"https://livres.example/pgt"}}
		}, "UNAUTHORIZED_SERVICE_PROXY", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newCASWorld(t)
			c := w.patronLogin(w.patronB)
			ticket := ticketIn(t, c.get(casLogin(casLivres)), casLivres)
			res := w.anonymous().get("/cas/" + tt.endpoint + "?" + tt.query(ticket).Encode())
			var r casReply
			if err := xml.Unmarshal([]byte(res.body), &r); err != nil || res.status != http.StatusOK {
				t.Fatalf("got %d %q: %v", res.status, res.body, err)
			}
			if r.code() != tt.wantCode {
				t.Errorf("got %q, want %q", r.code(), tt.wantCode)
			}
			if strings.Contains(res.body, "<script>") {
				t.Error("the answer echoes the input")
			}
			want := ""
			if tt.burnt {
				want = "INVALID_TICKET"
			}
			if got := w.validate("serviceValidate", casLivres, ticket).code(); got != want {
				t.Errorf("the ticket afterwards: got %q, want %q", got, want)
			}
		})
	}
}

func TestCASLogout(t *testing.T) {
	w := newCASWorld(t)
	c := w.patronLogin(w.patronB)
	unused := ticketIn(t, c.get(casLogin(casLivres)), casLivres)

	res := c.get("/cas/logout")
	if res.status != http.StatusOK || !strings.Contains(text(res.doc), "Vous êtes déconnecté") {
		t.Fatalf("logout: got %d, %s", res.status, text(res.doc))
	}
	if strings.Contains(text(res.doc), "KERJEAN") || strings.Contains(text(res.doc), "Yann") {
		t.Error("the logout page still shows the patron")
	}
	if got := w.validate("serviceValidate", casLivres, unused).code(); got != "INVALID_TICKET" {
		t.Errorf("ticket issued before logout: got %q, want INVALID_TICKET", got)
	}
	if res := c.get(casLogin(casLivres)); !strings.HasPrefix(res.header.Get("Location"), "/connexion?suite=") {
		t.Errorf("after logout: got %d to %q, want the login page", res.status, res.header.Get("Location"))
	}
	if res := c.get("/mon-compte"); res.status != http.StatusSeeOther {
		t.Errorf("Mon compte after logout: got %d, want a redirect to log in", res.status)
	}

	tests := []struct {
		service  string
		wantCode int
		wantLoc  string
	}{
		{casPresse + "au-revoir", http.StatusFound, casPresse + "au-revoir"},
		{"https://evil.example/", http.StatusOK, ""},
		{"https://presse.example.evil.org/", http.StatusOK, ""},
	}
	for _, tt := range tests {
		c := w.patronLogin(w.patronB)
		res := c.get("/cas/logout?service=" + url.QueryEscape(tt.service))
		if res.status != tt.wantCode || res.header.Get("Location") != tt.wantLoc {
			t.Errorf("logout to %s: got %d to %q, want %d to %q", tt.service, res.status, res.header.Get("Location"), tt.wantCode, tt.wantLoc)
		}
		if res := c.get("/mon-compte"); res.status != http.StatusSeeOther {
			t.Errorf("logout to %s: the session is still open", tt.service)
		}
	}
}

func TestCASLoginWithoutService(t *testing.T) {
	w := newCASWorld(t)
	if res := w.anonymous().get("/cas/login"); res.status != http.StatusFound || res.header.Get("Location") != "/connexion" {
		t.Errorf("anonymous: got %d to %q, want the login page", res.status, res.header.Get("Location"))
	}
	if res := w.patronLogin(w.patronB).get("/cas/login"); res.status != http.StatusFound || res.header.Get("Location") != "/mon-compte" {
		t.Errorf("patron: got %d to %q, want Mon compte", res.status, res.header.Get("Location"))
	}
}

// TestCASConnectorFromAdminForm adds a CAS connector the way the network
// admin does, then uses it.
func TestCASConnectorFromAdminForm(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	for _, bad := range []string{"https://kiosque.example/?id=1", "https://user@kiosque.example/", "kiosque.example"} {
		res := admin.post("/admin/connecteurs/nouveau?type=cas", url.Values{"resource": {itoa(w.res[0])}, "service_prefix": {bad}})
		if res.status != http.StatusUnprocessableEntity || res.fieldError("service_prefix") == "" || res.value("service_prefix") != bad {
			t.Errorf("prefix %q: got %d, message %q, kept %q; want 422, a message and the prefix kept",
				bad, res.status, res.fieldError("service_prefix"), res.value("service_prefix"))
		}
	}
	res := admin.post("/admin/connecteurs/nouveau?type=cas", url.Values{"resource": {itoa(w.res[0])},
		"service_prefix": {"https://kiosque.example/"}, "release_email": {"1"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("good connector: got %d: %.300s", res.status, res.body)
	}
	c := w.patronLogin(w.patronB)
	ticket := ticketIn(t, c.get(casLogin("https://kiosque.example/lire")), "https://kiosque.example/lire")
	cw := &casWorld{world: w}
	r := cw.validate("p3/serviceValidate", "https://kiosque.example/lire", ticket)
	if r.Success == nil || (*r.Success.Attributes)["email"] != "yann.kerjean@example.org" {
		t.Errorf("got %+v, want a success with the e-mail", r)
	}
}
