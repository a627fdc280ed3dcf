package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	sesamesaml "github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/web"
)

// testSP is a vendor: crewjam/saml's ServiceProvider behind its own HTTP
// server, written independently of our identity provider. Like samlsp, it
// remembers the IDs of the requests it sent and accepts one answer per
// request; it also refuses an assertion it has already seen.
type testSP struct {
	w         *world
	sp        *crewjam.ServiceProvider
	server    *httptest.Server
	connector int64

	mu      sync.Mutex
	pending map[string]bool // requests sent, not yet answered
	seen    map[string]bool // assertion IDs accepted (the SP's replay cache)
}

// spLogin is what the vendor's ACS learnt from an answer it accepted.
type spLogin struct {
	NameID, NameIDFormat, SPNameQualifier string
	Attributes                            map[string][]string // by Name
	FriendlyNames                         map[string]string   // Name → FriendlyName
	InResponseTo                          string
	AssertionID                           string
	NotOnOrAfter                          time.Time // of the conditions
	ConfirmationNotOnOrAfter              time.Time
	AssertionSigned                       bool
}

type spOptions struct {
	name         string
	signRequests bool
	encrypt      bool // publish an encryption key: assertions come encrypted
	attributes   []string
	resource     int64
}

// newTestSP starts a vendor and registers it as a SAML connector of
// o.resource, with the IdP metadata it fetched from /saml/metadata.
func (w *world) newTestSP(o spOptions) *testSP {
	w.t.Helper()
	key, cert := testKeyPair(w.t, o.name)
	s := &testSP{w: w, pending: map[string]bool{}, seen: map[string]bool{}}
	s.server = httptest.NewServer(http.HandlerFunc(s.acs))
	w.t.Cleanup(s.server.Close)
	acs, _ := url.Parse(s.server.URL + "/saml/acs")
	md, _ := url.Parse("https://" + o.name + ".example.net/saml/metadata")
	s.sp = &crewjam.ServiceProvider{
		EntityID: md.String(), Key: key, Certificate: cert, MetadataURL: *md, AcsURL: *acs,
		IDPMetadata:                      w.idpMetadata(),
		AuthnNameIDFormat:                crewjam.PersistentNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
	}
	if o.signRequests {
		s.sp.SignatureMethod = dsig.RSASHA256SignatureMethod
	}
	spMetadata := s.sp.Metadata()
	if !o.encrypt {
		var keys []crewjam.KeyDescriptor
		for _, k := range spMetadata.SPSSODescriptors[0].KeyDescriptors {
			if k.Use != "encryption" {
				keys = append(keys, k)
			}
		}
		spMetadata.SPSSODescriptors[0].KeyDescriptors = keys
	}
	body, err := xml.Marshal(spMetadata)
	if err != nil {
		w.t.Fatal(err)
	}
	settings, err := sesamesaml.ReadMetadata(body)
	if err != nil {
		w.t.Fatalf("read SP metadata: %v", err)
	}
	settings.Attributes = o.attributes
	s.connector, err = w.store.CreateConnector(context.Background(),
		sesame.Connector{ResourceID: o.resource, Kind: sesame.ConnectorSAML, SAML: settings}, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatalf("create SAML connector: %v", err)
	}
	return s
}

// idpMetadata is our metadata, as a vendor downloads it.
func (w *world) idpMetadata() *crewjam.EntityDescriptor {
	w.t.Helper()
	res := w.anonymous().get("/saml/metadata")
	if res.status != http.StatusOK {
		w.t.Fatalf("metadata: got %d, want 200", res.status)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal([]byte(res.body), &ed); err != nil {
		w.t.Fatalf("parse our metadata: %v", err)
	}
	return &ed
}

func testKeyPair(t testing.TB, name string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// now puts the vendor on the world's clock.
func (s *testSP) now() { s.sp.Clock = dsig.NewFakeClockAt(s.w.clock.Now()) }

// acs is the vendor's assertion consumer service.
func (s *testSP) acs(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.pending {
		ids = append(ids, id)
	}
	a, err := s.sp.ParseResponse(r, ids)
	if err == nil && s.seen[a.ID] {
		err = errors.New("assertion replayed")
	}
	if err != nil {
		var ire *crewjam.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
		http.Error(rw, "refused: "+err.Error(), http.StatusForbidden)
		return
	}
	s.seen[a.ID] = true
	conf := a.Subject.SubjectConfirmations[0].SubjectConfirmationData
	delete(s.pending, conf.InResponseTo)
	l := spLogin{NameID: a.Subject.NameID.Value, NameIDFormat: a.Subject.NameID.Format, SPNameQualifier: a.Subject.NameID.SPNameQualifier,
		Attributes: map[string][]string{}, FriendlyNames: map[string]string{}, InResponseTo: conf.InResponseTo, AssertionID: a.ID,
		NotOnOrAfter: a.Conditions.NotOnOrAfter, ConfirmationNotOnOrAfter: conf.NotOnOrAfter, AssertionSigned: a.Signature != nil}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				l.Attributes[at.Name] = append(l.Attributes[at.Name], v.Value)
			}
			l.FriendlyNames[at.Name] = at.FriendlyName
		}
	}
	json.NewEncoder(rw).Encode(l)
}

// redirectRequest is the address the vendor sends the patron to with the
// HTTP-Redirect binding, as a path of our server, and the request's ID.
func (s *testSP) redirectRequest() (string, string) {
	s.w.t.Helper()
	s.now()
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding), crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		s.w.t.Fatal(err)
	}
	u, err := req.Redirect("https://vendor.example/page?x=1", s.sp)
	if err != nil {
		s.w.t.Fatal(err)
	}
	s.mu.Lock()
	s.pending[req.ID] = true
	s.mu.Unlock()
	return ourPath(s.w.t, u.String()), req.ID
}

// postRequest is the form the vendor's page posts with the HTTP-POST
// binding, its request signed in the XML when the vendor signs.
func (s *testSP) postRequest(mutate func(*crewjam.AuthnRequest)) (url.Values, string) {
	s.w.t.Helper()
	s.now()
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(crewjam.HTTPPostBinding), crewjam.HTTPPostBinding, crewjam.HTTPPostBinding)
	if err != nil {
		s.w.t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
		req.Signature = nil
		if s.sp.SignatureMethod != "" {
			if err := s.sp.SignAuthnRequest(req); err != nil {
				s.w.t.Fatal(err)
			}
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.Element())
	buf, err := doc.WriteToBytes()
	if err != nil {
		s.w.t.Fatal(err)
	}
	s.mu.Lock()
	s.pending[req.ID] = true
	s.mu.Unlock()
	return url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf)}, "RelayState": {"etat-post"}}, req.ID
}

// ourPath turns an address of our public base URL into a path of the test server.
func ourPath(t testing.TB, u string) string {
	t.Helper()
	p, ok := strings.CutPrefix(u, testBaseURL)
	if !ok {
		t.Fatalf("%s is not under our base URL %s", u, testBaseURL)
	}
	return p
}

// setPassword gives the patron the test password, for the login form.
func (w *world) setPassword(id int64) {
	w.t.Helper()
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.SetPatronPassword(context.Background(), id, hash); err != nil {
		w.t.Fatal(err)
	}
}

// toIdP follows our answer to a request the browser brought to
// /saml/sso: to the continue page, through the patron login form when
// patron is not 0 and nobody is logged in, to the page whose form posts the
// answer (or whatever else comes).
func (c *client) toIdP(first response, patron int64) response {
	c.w.t.Helper()
	if first.status != http.StatusSeeOther || !strings.HasPrefix(first.header.Get("Location"), "/saml/continue?id=") {
		c.w.t.Fatalf("SSO: got %d to %q, want 303 to /saml/continue; body %.300s", first.status, first.header.Get("Location"), first.body)
	}
	res := c.get(first.header.Get("Location"))
	if res.status == http.StatusSeeOther && strings.HasPrefix(res.header.Get("Location"), "/connexion?") && patron != 0 {
		login := c.get(res.header.Get("Location"))
		var suite string
		for _, in := range login.all("input") {
			if attr(in, "name") == "suite" {
				suite = attr(in, "value")
			}
		}
		if !strings.HasPrefix(suite, "/saml/continue?id=") {
			c.w.t.Fatalf("login form's suite: got %q, want the continue page", suite)
		}
		res = c.post("/connexion/usager", url.Values{"email": {c.w.patron(patron).Email}, "mot_de_passe_usager": {testPassword}, "suite": {suite}})
		if res.status != http.StatusSeeOther {
			c.w.t.Fatalf("patron login: got %d, want 303; body %.300s", res.status, res.body)
		}
		if res.header.Get("Location") != suite {
			return res
		}
		res = c.get(suite)
	}
	return res
}

// answerForm reads the page's form: where it posts, and what.
func answerForm(t testing.TB, res response) (string, url.Values) {
	t.Helper()
	form := res.byID("saml-reponse")
	if form == nil {
		t.Fatalf("no answer form; status %d, body %.500s", res.status, res.body)
	}
	values := url.Values{}
	walk(form, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			values.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	return attr(form, "action"), values
}

// post sends the answer to the vendor's ACS, as the browser does, and
// returns what the vendor made of it.
func (s *testSP) post(action string, values url.Values) (spLogin, int, string) {
	s.w.t.Helper()
	s.now()
	res, err := http.PostForm(action, values)
	if err != nil {
		s.w.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var l spLogin
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &l); err != nil {
			s.w.t.Fatalf("ACS answer: %v", err)
		}
	}
	return l, res.StatusCode, string(body)
}

// responseXML decodes the SAMLResponse of a form.
func responseXML(t testing.TB, values url.Values) *etree.Element {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(values.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func TestSAMLMetadata(t *testing.T) {
	w := newWorld(t)
	res := w.anonymous().get("/saml/metadata")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("got %d %q, want 200 application/samlmetadata+xml", res.status, res.header.Get("Content-Type"))
	}
	md := w.idpMetadata()
	if md.EntityID != testBaseURL+"/saml/metadata" {
		t.Errorf("entityID: got %q, want %q", md.EntityID, testBaseURL+"/saml/metadata")
	}
	if !md.ValidUntil.IsZero() {
		t.Errorf("validUntil %s: a vendor's copy must not expire", md.ValidUntil)
	}
	idp := md.IDPSSODescriptors[0]
	bindings := map[string]string{}
	for _, e := range idp.SingleSignOnServices {
		bindings[e.Binding] = e.Location
	}
	for _, b := range []string{crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding} {
		if bindings[b] != testBaseURL+"/saml/sso" {
			t.Errorf("SSO %s: got %q, want %s/saml/sso", b, bindings[b], testBaseURL)
		}
	}
	if len(idp.NameIDFormats) != 1 || idp.NameIDFormats[0] != crewjam.PersistentNameIDFormat {
		t.Errorf("NameID formats: got %v, want persistent only", idp.NameIDFormats)
	}
	if len(idp.KeyDescriptors) != 1 || idp.KeyDescriptors[0].Use != "signing" {
		t.Fatalf("keys: got %+v, want one signing key", idp.KeyDescriptors)
	}
	cert := idp.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data

	// The key is made once, kept in the database, and shared: another
	// instance on the same database publishes the same certificate.
	again := w.idpMetadata().IDPSSODescriptors[0].KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data
	otherRes, err := http.Get(w.otherInstance() + "/saml/metadata")
	if err != nil {
		t.Fatal(err)
	}
	defer otherRes.Body.Close()
	var ed crewjam.EntityDescriptor
	if err := xml.NewDecoder(otherRes.Body).Decode(&ed); err != nil {
		t.Fatal(err)
	}
	if again != cert || ed.IDPSSODescriptors[0].KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data != cert {
		t.Error("the certificate changed between requests or instances")
	}
}

// otherInstance is a second instance of the site, on the world's database.
func (w *world) otherInstance() string {
	w.t.Helper()
	srv, err := web.New(web.Config{Store: w.store, Now: w.clock.Now, Random: rand.Reader, Hasher: testHasher, Location: w.paris, BaseURL: testBaseURL})
	if err != nil {
		w.t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	w.t.Cleanup(ts.Close)
	return ts.URL
}

// grant gives the patron a validated grant on a resource.
func (w *world) grant(patron, resource int64) {
	w.t.Helper()
	if _, err := w.store.SetGrants(context.Background(), store.NetworkScope(), patron, []int64{resource}, sesame.GrantValidated, sesame.Actor{Label: "test"}); err != nil {
		w.t.Fatal(err)
	}
}

func TestSAMLRedirectBindingWithSignedRequest(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "pressreader", signRequests: true, encrypt: true, resource: w.res[1]})
	w.grant(w.patronB, w.res[1])
	w.setPassword(w.patronB)
	browser := w.anonymous()

	path, requestID := sp.redirectRequest()
	if q, _ := url.ParseQuery(strings.SplitN(path, "?", 2)[1]); q.Get("Signature") == "" || q.Get("SigAlg") == "" {
		t.Fatalf("the vendor did not sign its request: %s", path)
	}
	first := browser.get(path)
	continueURL := first.header.Get("Location")
	page := browser.toIdP(first, w.patronB)
	if page.status != http.StatusOK {
		t.Fatalf("answer page: got %d, want 200; body %.500s", page.status, page.body)
	}

	// The page works without JavaScript: a visible button posts the form;
	// a script file (no inline script) only saves the click.
	if b := find(page.byID("saml-reponse"), func(n *html.Node) bool { return n.Data == "button" }); b == nil || text(b) != "Continuer vers PressReader" {
		t.Errorf("no « Continuer vers PressReader » button in the form")
	}
	for _, s := range page.all("script") {
		src := attr(s, "src")
		// session.js is the layout's, on every page of someone logged in.
		if !strings.HasPrefix(src, "/static/saml-envoi.js") && !strings.HasPrefix(src, "/static/session.js") {
			t.Errorf("script %q: want only the external saml-envoi.js", src)
		}
	}
	action, values := answerForm(t, page)
	if action != sp.server.URL+"/saml/acs" {
		t.Errorf("form posts to %q, want the vendor's ACS %s/saml/acs", action, sp.server.URL)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https: "+sp.server.URL+";") &&
		!strings.HasSuffix(csp, "form-action 'self' https: "+sp.server.URL) {
		t.Errorf("CSP %q: want form-action to allow the vendor's http ACS %s", csp, sp.server.URL)
	}
	if values.Get("RelayState") != "https://vendor.example/page?x=1" {
		t.Errorf("RelayState: got %q, want the vendor's", values.Get("RelayState"))
	}

	// Our Response: signed, answering that request, with its own ID; the
	// assertion in it encrypted for this vendor.
	resp := responseXML(t, values)
	if got := resp.SelectAttrValue("InResponseTo", ""); got != requestID {
		t.Errorf("InResponseTo: got %q, want %q", got, requestID)
	}
	if resp.SelectElement("Signature") == nil {
		t.Error("the Response is not signed")
	}
	if resp.SelectElement("EncryptedAssertion") == nil {
		t.Error("the assertion is not encrypted for a vendor that publishes an encryption key")
	}

	login, status, body := sp.post(action, values)
	if status != http.StatusOK {
		t.Fatalf("the vendor refused our answer: %d %s", status, body)
	}
	if !login.AssertionSigned {
		t.Error("the assertion is not signed")
	}
	if login.InResponseTo != requestID || login.NameIDFormat != string(crewjam.PersistentNameIDFormat) ||
		login.SPNameQualifier != sp.sp.EntityID || login.NameID == "" || strings.Contains(login.NameID, "@") {
		t.Errorf("subject: got %+v; want a persistent pairwise NameID answering %s", login, requestID)
	}
	now := w.clock.Now()
	for name, at := range map[string]time.Time{"conditions": login.NotOnOrAfter, "subject confirmation": login.ConfirmationNotOnOrAfter} {
		if !at.After(now) || at.After(now.Add(10*time.Minute)) {
			t.Errorf("%s NotOnOrAfter %s: want within minutes of %s", name, at, now)
		}
	}
	want := map[string]string{"urn:oid:2.5.4.4": "KERJEAN", "urn:oid:2.5.4.42": "Yann", "bibliotheque": "QUIMPER", "fin_validite": "2027-06-01"}
	if len(login.Attributes) != len(want) {
		t.Errorf("attributes: got %v, want %v (no e-mail by default)", login.Attributes, want)
	}
	for name, v := range want {
		if got := login.Attributes[name]; len(got) != 1 || got[0] != v {
			t.Errorf("attribute %s: got %v, want %q", name, got, v)
		}
	}
	if l := w.launches(w.patronB); len(l) != 1 || l[0].ResourceID != w.res[1] || l[0].ConnectorID != sp.connector {
		t.Errorf("launches: got %+v, want one through the SAML connector", l)
	}

	// The same Response, replayed to the vendor, is refused: its request
	// was answered.
	if _, status, body := sp.post(action, values); status != http.StatusForbidden || !strings.Contains(body, "InResponseTo") {
		t.Errorf("replayed response: got %d %s, want 403 for the request ID", status, body)
	}
	// The same AuthnRequest, replayed to us, is refused.
	res := browser.get(path)
	if res.status != http.StatusBadRequest || !strings.Contains(text(res.doc), "déjà été reçue") {
		t.Errorf("replayed request: got %d %.300s, want 400 « déjà été reçue »", res.status, text(res.doc))
	}
	// The continue page of an answered request answers no more.
	if res := browser.get(continueURL); res.status != http.StatusBadRequest || res.byID("saml-reponse") != nil {
		t.Errorf("continue page again: got %d, want 400 without an answer", res.status)
	}

	// A second login, already logged in: no login form, a Response of its
	// own ID, the same NameID for this vendor.
	path2, requestID2 := sp.redirectRequest()
	page2 := browser.toIdP(browser.get(path2), 0)
	action2, values2 := answerForm(t, page2)
	resp2 := responseXML(t, values2)
	if resp2.SelectAttrValue("ID", "") == resp.SelectAttrValue("ID", "") || resp2.SelectAttrValue("InResponseTo", "") != requestID2 {
		t.Errorf("second response: ID %s (first %s), InResponseTo %s, want a new ID answering %s",
			resp2.SelectAttrValue("ID", ""), resp.SelectAttrValue("ID", ""), resp2.SelectAttrValue("InResponseTo", ""), requestID2)
	}
	login2, status, body := sp.post(action2, values2)
	if status != http.StatusOK {
		t.Fatalf("second login refused: %s", body)
	}
	if login2.NameID != login.NameID || login2.AssertionID == login.AssertionID {
		t.Errorf("second login: NameID %q (first %q), assertion %s (first %s); want the same NameID, a new assertion",
			login2.NameID, login.NameID, login2.AssertionID, login.AssertionID)
	}
}

func TestSAMLRedirectSignatureIsChecked(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "pressreader", signRequests: true, resource: w.res[1]})
	tests := []struct {
		name   string
		change func(q url.Values)
	}{
		{"signature altered", func(q url.Values) {
			sig := []byte(q.Get("Signature"))
			sig[10] ^= 1
			q.Set("Signature", string(sig))
		}},
		{"signature removed, from a vendor whose metadata says it signs", func(q url.Values) { q.Del("Signature"); q.Del("SigAlg") }},
		{"relay state changed under the signature", func(q url.Values) { q.Set("RelayState", "https://attaquant.example/") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := sp.redirectRequest()
			p, raw, _ := strings.Cut(path, "?")
			q, err := url.ParseQuery(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(q)
			res := w.anonymous().get(p + "?" + q.Encode())
			if res.status != http.StatusBadRequest || !strings.Contains(text(res.doc), "signature") {
				t.Errorf("got %d %.300s, want 400 about the signature", res.status, text(res.doc))
			}
		})
	}
}

func TestSAMLPostBinding(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "cafeyn", signRequests: true, resource: w.res[1]})
	w.grant(w.patronB, w.res[1])
	w.setPassword(w.patronB)
	browser := w.anonymous()

	form, requestID := sp.postRequest(nil)
	post := func(form url.Values) response {
		req, err := http.NewRequest(http.MethodPost, w.server.URL+"/saml/sso", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		// As a browser sends the vendor's auto-submitted form.
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", sp.server.URL)
		return browser.do(req)
	}
	page := browser.toIdP(post(form), w.patronB)
	action, values := answerForm(t, page)
	if values.Get("RelayState") != "etat-post" {
		t.Errorf("RelayState: got %q, want etat-post", values.Get("RelayState"))
	}
	login, status, body := sp.post(action, values)
	if status != http.StatusOK || login.InResponseTo != requestID {
		t.Fatalf("vendor: got %d %s, want the login answering %s", status, body, requestID)
	}
	if res := post(form); res.status != http.StatusBadRequest {
		t.Errorf("replayed POST request: got %d, want 400", res.status)
	}

	// The exemption is for that address only: other cross-site posts are
	// still refused.
	req, _ := http.NewRequest(http.MethodPost, w.server.URL+"/connexion/usager", strings.NewReader("email=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := browser.do(req); res.status != http.StatusForbidden {
		t.Errorf("cross-site post to the login: got %d, want 403", res.status)
	}

	// A request whose ACS is not in the vendor's metadata is refused: the
	// answer never goes where the request alone says.
	form, _ = sp.postRequest(func(r *crewjam.AuthnRequest) { r.AssertionConsumerServiceURL = "https://attaquant.example/acs" })
	if res := post(form); res.status != http.StatusBadRequest {
		t.Errorf("foreign ACS: got %d, want 400", res.status)
	}
}

func TestSAMLAttributesPerVendor(t *testing.T) {
	w := newWorld(t)
	a := w.newTestSP(spOptions{name: "vendeur-a", resource: w.res[1]})
	b := w.newTestSP(spOptions{name: "vendeur-b", resource: w.res[1], attributes: []string{"nom", "email"}})
	w.grant(w.patronB, w.res[1])
	w.setPassword(w.patronB)
	browser := w.anonymous()
	login := func(sp *testSP) spLogin {
		t.Helper()
		path, _ := sp.redirectRequest()
		action, values := answerForm(t, browser.toIdP(browser.get(path), w.patronB))
		l, status, body := sp.post(action, values)
		if status != http.StatusOK {
			t.Fatalf("%s refused: %s", sp.sp.EntityID, body)
		}
		return l
	}
	la, lb := login(a), login(b)
	if _, ok := la.Attributes["urn:oid:0.9.2342.19200300.100.1.3"]; ok {
		t.Errorf("vendor A got the e-mail without asking for it: %v", la.Attributes)
	}
	wantB := map[string]string{"urn:oid:2.5.4.4": "KERJEAN", "urn:oid:0.9.2342.19200300.100.1.3": "yann.kerjean@example.org"}
	if len(lb.Attributes) != len(wantB) {
		t.Errorf("vendor B attributes: got %v, want %v", lb.Attributes, wantB)
	}
	for name, v := range wantB {
		if got := lb.Attributes[name]; len(got) != 1 || got[0] != v {
			t.Errorf("vendor B %s: got %v, want %q", name, got, v)
		}
	}
	if lb.FriendlyNames["urn:oid:0.9.2342.19200300.100.1.3"] != "mail" {
		t.Errorf("e-mail friendly name: got %q, want mail", lb.FriendlyNames["urn:oid:0.9.2342.19200300.100.1.3"])
	}
	if la.NameID == lb.NameID {
		t.Errorf("both vendors got NameID %q: they could link the patron", la.NameID)
	}
}

func TestSAMLAssertionSignatureStandsAlone(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "vendeur", resource: w.res[1]}) // no encryption: the assertion is readable
	w.grant(w.patronB, w.res[1])
	c := w.patronLogin(w.patronB)
	path, _ := sp.redirectRequest()
	action, values := answerForm(t, c.toIdP(c.get(path), 0))

	// Without the Response's signature, the vendor relies on the
	// assertion's own: a changed attribute breaks it.
	strip := func(change func(assertion *etree.Element)) url.Values {
		resp := responseXML(t, values)
		resp.RemoveChild(resp.SelectElement("Signature"))
		change(resp.SelectElement("Assertion"))
		doc := etree.NewDocument()
		doc.SetRoot(resp)
		buf, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		return url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(buf)}, "RelayState": {values.Get("RelayState")}}
	}
	tampered := strip(func(a *etree.Element) {
		for _, v := range a.FindElements(".//AttributeValue") {
			if v.Text() == "QUIMPER" {
				v.SetText("FOUESNANT")
			}
		}
	})
	if _, status, body := sp.post(action, tampered); status != http.StatusForbidden {
		t.Errorf("changed attribute: got %d %s, want 403", status, body)
	}
	if l, status, body := sp.post(action, strip(func(*etree.Element) {})); status != http.StatusOK || l.Attributes["bibliotheque"][0] != "QUIMPER" {
		t.Errorf("assertion alone: got %d %s, want accepted on its own signature", status, body)
	}
}

func TestSAMLRefusesWhoMayNotOpen(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(w *world, id int64)
		wantText string
	}{
		{"no grant on the connector's resource", func(w *world, id int64) {}, "Demandez-la"},
		{"account past its end date", func(w *world, id int64) {
			w.grant(id, w.res[1])
			_, err := w.store.UpdatePatron(context.Background(), store.NetworkScope(), id, 0, sesame.Actor{Label: "test"},
				func(p *sesame.Patron) (store.Change, error) {
					p.ValidUntil = sesame.MustDate(2026, 11, 25)
					return store.Change{Action: "test", Detail: "test"}, nil
				})
			if err != nil {
				w.t.Fatal(err)
			}
		}, "expiré"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			sp := w.newTestSP(spOptions{name: "pressreader", signRequests: true, resource: w.res[1]})
			c := w.patronLogin(w.patronB) // logged in while it could still open resources
			tt.setup(w, w.patronB)
			path, _ := sp.redirectRequest()
			res := c.toIdP(c.get(path), 0)
			if res.status != http.StatusForbidden {
				t.Fatalf("got %d, want 403; body %.300s", res.status, res.body)
			}
			if res.byID("saml-reponse") != nil || strings.Contains(res.body, "SAMLResponse") {
				t.Error("the refusal page carries an answer")
			}
			if msg := text(res.doc); !strings.Contains(msg, tt.wantText) || !strings.Contains(msg, "Accès impossible à « PressReader »") {
				t.Errorf("refusal page: %.400s; want %q", msg, tt.wantText)
			}
			if got := len(w.launches(w.patronB)); got != 0 {
				t.Errorf("launches: got %d, want none", got)
			}
		})
	}
}

func TestSAMLExpiredPatronLoggingInGetsNoAssertion(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "pressreader", resource: w.res[1]})
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "GUÉGUEN", FirstName: "Maël", Email: "mael@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2025, 1, 1), ValidUntil: sesame.MustDate(2026, 1, 1)}, sesame.GrantValidated)
	w.grant(id, w.res[1])
	w.setPassword(id)
	c := w.anonymous()
	path, _ := sp.redirectRequest()
	res := c.toIdP(c.get(path), id)
	// The login expires the account, and sends its holder to the renewal
	// page rather than to the vendor.
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/mon-compte" {
		t.Fatalf("got %d to %q, want 303 to /mon-compte", res.status, res.header.Get("Location"))
	}
	if w.patron(id).Status != sesame.StatusExpired {
		t.Errorf("status: got %s, want Expiré", w.patron(id).Status)
	}
	// Coming back to the request does not help.
	first := c.get(path)
	if first.status != http.StatusBadRequest {
		t.Errorf("request sent again: got %d, want 400", first.status)
	}
	path, _ = sp.redirectRequest()
	if res := c.toIdP(c.get(path), 0); res.status != http.StatusForbidden || res.byID("saml-reponse") != nil {
		t.Errorf("new request from the expired patron: got %d, want 403 without an answer", res.status)
	}
}

func TestSAMLForceAuthnAndIsPassive(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "pressreader", resource: w.res[1]})
	w.grant(w.patronB, w.res[1])
	yes := true

	// ForceAuthn: a patron already logged in types the password again.
	c := w.patronLogin(w.patronB)
	w.clock.Advance(time.Minute)
	form, _ := sp.postRequest(func(r *crewjam.AuthnRequest) { r.ForceAuthn = &yes })
	res := c.post("/saml/sso", form)
	cont := res.header.Get("Location")
	res = c.get(cont)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/connexion?suite=") {
		t.Fatalf("ForceAuthn with an older session: got %d to %q, want the login form", res.status, res.header.Get("Location"))
	}
	res = c.post("/connexion/usager", url.Values{"email": {w.patron(w.patronB).Email}, "mot_de_passe_usager": {testPassword}, "suite": {cont}})
	if res = c.get(res.header.Get("Location")); res.status != http.StatusOK || res.byID("saml-reponse") == nil {
		t.Errorf("ForceAuthn after a fresh login: got %d, want the answer page", res.status)
	}

	// IsPassive, nobody logged in: a Response without assertion, NoPassive.
	anon := w.anonymous()
	form, requestID := sp.postRequest(func(r *crewjam.AuthnRequest) { r.IsPassive = &yes })
	page := anon.toIdP(anon.post("/saml/sso", form), 0)
	_, values := answerForm(t, page)
	resp := responseXML(t, values)
	if resp.SelectAttrValue("InResponseTo", "") != requestID || resp.SelectElement("Assertion") != nil || resp.SelectElement("EncryptedAssertion") != nil {
		t.Errorf("IsPassive answer: want a Response to %s without assertion", requestID)
	}
	if code := resp.FindElement(".//StatusCode/StatusCode"); code == nil || code.SelectAttrValue("Value", "") != crewjam.StatusNoPassive {
		t.Errorf("IsPassive answer: want the NoPassive status")
	}
}

func TestSAMLRefusesUnknownOrStaleRequests(t *testing.T) {
	w := newWorld(t)
	sp := w.newTestSP(spOptions{name: "pressreader", signRequests: true, resource: w.res[1]})

	// A request made more than 90 seconds ago.
	path, _ := sp.redirectRequest()
	w.clock.Advance(2 * time.Minute)
	if res := w.anonymous().get(path); res.status != http.StatusBadRequest || !strings.Contains(text(res.doc), "expiré") {
		t.Errorf("stale request: got %d %.300s, want 400 « expiré »", res.status, text(res.doc))
	}

	// A RelayState too long to keep.
	form, _ := sp.postRequest(nil)
	form.Set("RelayState", strings.Repeat("x", 3000))
	if res := w.anonymous().post("/saml/sso", form); res.status != http.StatusBadRequest {
		t.Errorf("3000-byte RelayState: got %d, want 400", res.status)
	}
	// A request ID too long to keep against replays.
	form, _ = sp.postRequest(func(r *crewjam.AuthnRequest) { r.ID = "id-" + strings.Repeat("x", sesame.MaxSAMLRequestIDLength) })
	if res := w.anonymous().post("/saml/sso", form); res.status != http.StatusBadRequest {
		t.Errorf("long request ID: got %d, want 400", res.status)
	}

	// A vendor whose connector was removed.
	path, _ = sp.redirectRequest()
	if err := w.store.DeleteConnector(context.Background(), sp.connector, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	if res := w.anonymous().get(path); res.status != http.StatusBadRequest || !strings.Contains(text(res.doc), "n'est pas enregistré") {
		t.Errorf("unknown vendor: got %d %.300s, want 400 « n'est pas enregistré »", res.status, text(res.doc))
	}

	// A continue page of no request.
	if res := w.anonymous().get("/saml/continue?id=inconnu"); res.status != http.StatusNotFound || res.byID("saml-reponse") != nil {
		t.Errorf("unknown handle: got %d, want 404", res.status)
	}
}
