// Package ssotest checks Sésame's single sign-on with the clients vendors
// really run: Apache httpd from Debian with mod_auth_openidc, mod_auth_cas
// and mod_auth_mellon, each protecting a page on 127.0.0.1. A Go HTTP client
// that keeps cookies and posts forms as a browser does logs patrons in
// through each of them; no browser is needed.
//
// It needs Debian's apache2 and the three modules' packages; without them
// the test skips, except under CI=true, where it fails. .ci/run installs
// them. Set SESAME_TEST_ENGINE=postgres to run Sésame on PostgreSQL.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
)

// protocol is one Apache module protecting one page, registered in Sésame
// as a connector of its own resource.
type protocol struct {
	name     string // the module
	path     string // the page it protects, /oidc/ …
	resource string // the resource's name, as Sésame's pages say it
	id       int64  // the resource
	conf     string // its part of httpd.conf, a text/template of confData
	// check looks, in the requests of a successful login, for what the
	// module is configured to do (PKCE, signed requests…).
	check func(t *testing.T, s *sesameApp, a *apache, trail []sent)
	// replay sends again, from another browser, what a successful login
	// carried to the vendor, and says whether Apache let it in.
	replay func(t *testing.T, a *apache, trail []sent) (b *browser, replayed *page, logged string)
	// refusedReplay is what the module logs when it refuses the replay:
	// Sésame's error for a code or a ticket.
	refusedReplay string
}

// confData fills the protocols' configuration templates.
type confData struct {
	Sesame     string // Sésame's address, SESAME_BASE_URL
	Apache     string // Apache's address
	Dir        string // Apache's folder
	OIDCSecret string
	Passphrase string
}

// These are the configurations documented in docs/connecteurs.md: keep
// them alike. Each page shows, in a header, who the module says the patron
// is and their library, as the vendor's application would read them.

const oidcConf = `OIDCProviderMetadataURL {{.Sesame}}/.well-known/openid-configuration
OIDCClientID apache-oidc
OIDCClientSecret {{.OIDCSecret}}
OIDCRedirectURI {{.Apache}}/oidc/redirect_uri
OIDCCryptoPassphrase {{.Passphrase}}
OIDCScope "openid profile"
OIDCPKCEMethod S256
OIDCRemoteUserClaim sub
<Location /oidc/>
    AuthType openid-connect
    Require valid-user
    Header set X-Sesame-User "expr=%{REMOTE_USER}"
    Header set X-Sesame-Library "expr=%{reqenv:OIDC_CLAIM_library}"
</Location>
`

const casConf = `CASLoginURL {{.Sesame}}/cas/login
CASValidateURL {{.Sesame}}/cas/p3/serviceValidate
CASCookiePath {{.Dir}}/cas-cache/
CASCertificatePath /etc/ssl/certs
CASValidateSAML Off
<Location /cas/>
    AuthType CAS
    CASAuthNHeader CAS-User
    Require valid-user
    Header set X-Sesame-User "expr=%{REMOTE_USER}"
    Header set X-Sesame-Library "expr=%{HTTP:CAS-libraryCode}"
</Location>
`

const mellonConf = `<Location /mellon/>
    MellonEnable auth
    MellonEndpointPath /mellon/endpoint
    MellonSPPrivateKeyFile {{.Dir}}/mellon/sp.key
    MellonSPCertFile {{.Dir}}/mellon/sp.crt
    MellonSPMetadataFile {{.Dir}}/mellon/sp-metadata.xml
    MellonIdPMetadataFile {{.Dir}}/mellon/idp-metadata.xml
    AuthType Mellon
    Require valid-user
    Header set X-Sesame-User "expr=%{REMOTE_USER}"
    Header set X-Sesame-Library "expr=%{reqenv:MELLON_bibliotheque}"
</Location>
`

func TestApacheModules(t *testing.T) {
	needApache(t)
	start := time.Now()
	s := startSesame(t)
	a := newApache(t)
	data := confData{Sesame: s.base, Apache: a.base, Dir: a.dir, OIDCSecret: randomString(t), Passphrase: randomString(t)}

	protocols := []*protocol{
		{name: "mod_auth_openidc", path: "/oidc/", resource: "PressReader", conf: oidcConf, check: checkOIDC, replay: replayOIDCCode,
			refusedReplay: "invalid_grant"},
		{name: "mod_auth_cas", path: "/cas/", resource: "Kiosque", conf: casConf, replay: replayCASTicket,
			refusedReplay: "INVALID_TICKET"},
		{name: "mod_auth_mellon", path: "/mellon/", resource: "Cafeyn", conf: mellonConf, check: checkMellon, replay: replaySAMLResponse,
			refusedReplay: "has already been used"},
	}
	for _, p := range protocols {
		p.id = s.addResource(strings.ToLower(p.resource), p.resource)
	}
	other := s.addResource("tout-apprendre", "Tout apprendre")

	s.addConnector(sesame.Connector{ResourceID: protocols[0].id, Kind: sesame.ConnectorOIDC, Secret: data.OIDCSecret,
		OIDC: sesame.OIDCSettings{ClientID: "apache-oidc", RedirectURIs: []string{a.base + "/oidc/redirect_uri"}}})

	s.addConnector(sesame.Connector{ResourceID: protocols[1].id, Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: a.base + "/cas/"}})
	if err := os.Mkdir(a.path("cas-cache"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(a.path("cas-cache"), 0o777); err != nil { // past the umask: httpd's user writes there
		t.Fatal(err)
	}

	spMetadata := mellonSP(t, a)
	settings, err := saml.ReadMetadata(spMetadata)
	if err != nil {
		t.Fatalf("read mod_auth_mellon's metadata: %v", err)
	}
	s.addConnector(sesame.Connector{ResourceID: protocols[2].id, Kind: sesame.ConnectorSAML, SAML: settings})
	a.writeFile("mellon/idp-metadata.xml", s.get("/saml/metadata"))

	a.start(protocols, data)
	t.Logf("Sésame at %s, Apache at %s, ready in %v", s.base, a.base, time.Since(start).Round(time.Millisecond))

	today := s.today()
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			page := a.base + p.path
			short := strings.Trim(p.path, "/") // names the patrons of this protocol
			var trail []sent

			t.Run("patron with the resource", func(t *testing.T) {
				_, email := s.addPatron("avec-"+short, today.AddMonths(6), p.id)
				b := newBrowser(t)
				got := login(t, b, s, page, email)
				if got.url.String() != page || got.status != http.StatusOK || !strings.Contains(got.body, pageMarker(p.name)) {
					t.Fatalf("got %d at %s, want 200 at %s with the protected page; body: %.500s", got.status, got.url, page, got.body)
				}
				if lib := got.header.Get("X-Sesame-Library"); lib != "QUIMPER" {
					t.Errorf("library passed by %s: got %q, want QUIMPER", p.name, lib)
				}
				// The card is "Q-" + the patron's name: a random pseudonym may
				// well contain "Q-", never the whole card.
				if user := got.header.Get("X-Sesame-User"); user == "" || strings.Contains(user, "@") || strings.Contains(user, "Q-avec-"+short) {
					t.Errorf("REMOTE_USER: got %q, want a pseudonym (neither the e-mail nor the card)", user)
				}
				if p.check != nil {
					p.check(t, s, a, b.trail)
				}
				trail = b.trail
			})

			t.Run("replay", func(t *testing.T) {
				if trail == nil {
					t.Fatal("no successful login to replay: the login above failed, so the replay cannot be checked")
				}
				b, got, logged := p.replay(t, a, trail)
				if strings.Contains(got.body, pageMarker(p.name)) {
					t.Fatalf("the replay was answered with the protected page (%d at %s)", got.status, got.url)
				}
				// Whatever page the module answered with (mod_auth_openidc
				// shows its error with a 200), it must not have opened a
				// session: the page still sends this browser to log in.
				if next := b.send(http.MethodGet, mustParse(t, page), nil, nil); next.status != http.StatusFound && next.status != http.StatusSeeOther {
					t.Errorf("after the replay, %s answers %d, want a redirect to log in", page, next.status)
				}
				if !strings.Contains(logged, p.refusedReplay) {
					t.Errorf("Apache's log for the replay does not say %q:\n%s", p.refusedReplay, logged)
				}
			})

			t.Run("patron without the resource", func(t *testing.T) {
				_, email := s.addPatron("sans-"+short, today.AddMonths(6), other)
				b := newBrowser(t)
				got := login(t, b, s, page, email)
				refused(t, s, got, p.resource, "n'est pas encore activée pour vous")
				vendorGotNothing(t, a, b.trail)
			})

			t.Run("patron past the end date, at login", func(t *testing.T) {
				id, email := s.addPatron("expire-"+short, today.AddDays(-1), p.id)
				b := newBrowser(t)
				got := login(t, b, s, page, email)
				// Logging in expires the account, and the patron stays on
				// « Mon compte », where renewal is asked for.
				if got.url.String() != s.base+"/mon-compte" || got.status != http.StatusOK {
					t.Fatalf("got %d at %s, want 200 at %s/mon-compte", got.status, got.url, s.base)
				}
				if st := s.patron(id).Status; st != sesame.StatusExpired {
					t.Errorf("status after login: got %s, want %s", st, sesame.StatusExpired)
				}
				refused(t, s, b.open(page), p.resource, "Votre compte a expiré")
				vendorGotNothing(t, a, b.trail)
			})

			t.Run("end date passed during the session", func(t *testing.T) {
				id, email := s.addPatron("fin-"+short, today.AddMonths(6), p.id)
				b := newBrowser(t)
				got := b.submit(b.open(s.base+"/connexion"), "/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}})
				if got.url.String() != s.base+"/mon-compte" {
					t.Fatalf("login: got %d at %s, want %s/mon-compte", got.status, got.url, s.base)
				}
				s.setValidUntil(id, today.AddDays(-1))
				refused(t, s, b.open(page), p.resource, "Votre compte a expiré")
				if st := s.patron(id).Status; st != sesame.StatusExpired {
					t.Errorf("status after the attempt: got %s, want %s", st, sesame.StatusExpired)
				}
				vendorGotNothing(t, a, b.trail)
			})
		})
	}
	t.Logf("all logins through Apache in %v", time.Since(start).Round(time.Millisecond))
}

// login opens the vendor's page, which sends the browser to Sésame's login
// form; the patron logs in there, and the browser follows where Sésame
// sends it, posting the SAML answer's form as a browser would.
func login(t testing.TB, b *browser, s *sesameApp, page, email string) *page {
	t.Helper()
	got := b.open(page)
	if got.url.Scheme+"://"+got.url.Host != s.base || got.url.Path != "/connexion" {
		t.Fatalf("opening %s: got %d at %s, want Sésame's login page; body: %.500s", page, got.status, got.url, got.body)
	}
	got = b.submit(got, "/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}})
	if findForm(got.doc, "saml-reponse") != nil {
		got = b.submit(got, "saml-reponse", nil)
	}
	return got
}

// refused checks that the patron ended on Sésame's refusal page, which says why.
func refused(t testing.TB, s *sesameApp, got *page, resource, why string) {
	t.Helper()
	if got.url.Scheme+"://"+got.url.Host != s.base || got.status != http.StatusForbidden {
		t.Fatalf("got %d at %s, want Sésame's refusal (403); body: %.500s", got.status, got.url, got.body)
	}
	if h1, want := text(got.doc, "h1"), "Accès impossible à « "+resource+" »"; h1 != want {
		t.Errorf("title: got %q, want %q", h1, want)
	}
	if msg := text(got.doc, "alert"); !strings.Contains(msg, why) {
		t.Errorf("message: got %q, want it to say %q", msg, why)
	}
}

// checkOIDC checks that mod_auth_openidc asked for the code with PKCE
// S256 and the scopes it was given.
func checkOIDC(t *testing.T, s *sesameApp, a *apache, trail []sent) {
	q := sentToSesame(t, s, trail, "/oauth/authorize").url.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Errorf("authorization request without PKCE S256: %v", q)
	}
	if q.Get("scope") != "openid profile" || q.Get("response_type") != "code" {
		t.Errorf("authorization request: got scope %q, response_type %q, want \"openid profile\", code", q.Get("scope"), q.Get("response_type"))
	}
}

// checkMellon checks that mod_auth_mellon signed its request (what
// /work/shared/vendors.md warns about) and received the assertion
// encrypted, as its metadata asks.
func checkMellon(t *testing.T, s *sesameApp, a *apache, trail []sent) {
	q := sentToSesame(t, s, trail, "/saml/sso").url.Query()
	if q.Get("Signature") == "" || q.Get("SigAlg") == "" {
		t.Errorf("mod_auth_mellon's AuthnRequest is not signed: %v", q)
	}
	posted := sentTo(t, a, trail, "/mellon/endpoint/postResponse", "SAMLResponse").form.Get("SAMLResponse")
	answer, err := base64.StdEncoding.DecodeString(posted)
	if err != nil {
		t.Fatalf("SAMLResponse: %v", err)
	}
	if !strings.Contains(string(answer), "EncryptedAssertion") || strings.Contains(string(answer), "AttributeStatement") {
		t.Errorf("the assertion was not sent encrypted: %.400s", answer)
	}
}

// sentToSesame finds the request the browser sent to Sésame at path.
func sentToSesame(t testing.TB, s *sesameApp, trail []sent, path string) sent {
	t.Helper()
	for _, r := range trail {
		if r.url.Scheme+"://"+r.url.Host == s.base && r.url.Path == path {
			return r
		}
	}
	t.Fatalf("no request to Sésame's %s in the login", path)
	return sent{}
}

// vendorGotNothing checks that no code, ticket or SAML answer reached Apache.
func vendorGotNothing(t testing.TB, a *apache, trail []sent) {
	t.Helper()
	for _, s := range trail {
		if s.url.Host != strings.TrimPrefix(a.base, "http://") {
			continue
		}
		q := s.url.Query()
		if q.Has("code") || q.Has("ticket") || s.method == http.MethodPost {
			t.Errorf("the vendor received something: %s %s", s.method, s.url)
		}
	}
}

// sentTo finds the request the browser sent to Apache at path and that
// carried param (in its query or its form).
func sentTo(t testing.TB, a *apache, trail []sent, path, param string) sent {
	t.Helper()
	for _, s := range trail {
		if s.url.Host == strings.TrimPrefix(a.base, "http://") && s.url.Path == path && (s.url.Query().Has(param) || s.form.Has(param)) {
			return s
		}
	}
	t.Fatalf("no request to %s with %s in the login", path, param)
	return sent{}
}

// replayFrom sends s again from a new browser that holds the cookies s
// carried (none of the first browser's later ones), without following
// Apache's answer, and returns the browser, that answer and what Apache
// logged meanwhile.
func replayFrom(t *testing.T, a *apache, s sent) (*browser, *page, string) {
	t.Helper()
	before := len(a.errorLog())
	b := newBrowser(t)
	b.jar.SetCookies(s.url, s.cookies)
	got := b.send(s.method, s.url, s.form, s.header)
	// The log is written before the answer is sent.
	return b, got, a.errorLog()[before:]
}

// replayOIDCCode presents the authorization code again, with the state
// cookie it came with: mod_auth_openidc then asks Sésame for tokens, and
// Sésame, having already given them for this code, must refuse.
func replayOIDCCode(t *testing.T, a *apache, trail []sent) (*browser, *page, string) {
	return replayFrom(t, a, sentTo(t, a, trail, "/oidc/redirect_uri", "code"))
}

// replayCASTicket validates the service ticket again, from a browser
// without mod_auth_cas's cookie: Sésame must answer INVALID_TICKET.
func replayCASTicket(t *testing.T, a *apache, trail []sent) (*browser, *page, string) {
	s := sentTo(t, a, trail, "/cas/", "ticket")
	s.cookies = nil
	return replayFrom(t, a, s)
}

// replaySAMLResponse posts the signed answer again to mod_auth_mellon,
// with the cookie the first post carried. Sésame cannot see this replay:
// refusing it is the service provider's duty.
func replaySAMLResponse(t *testing.T, a *apache, trail []sent) (*browser, *page, string) {
	s := sentTo(t, a, trail, "/mellon/endpoint/postResponse", "SAMLResponse")
	return replayFrom(t, a, s)
}

// mellonSP writes mod_auth_mellon's key, certificate and metadata, as
// mellon_create_metadata makes them: one certificate to sign requests and
// to receive encrypted assertions. It returns the metadata.
func mellonSP(t testing.TB, a *apache) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a.writeFile("mellon/sp.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	a.writeFile("mellon/sp.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	cert := base64.StdEncoding.EncodeToString(der)
	endpoint := a.base + "/mellon/endpoint"
	md := `<EntityDescriptor entityID="` + endpoint + `/metadata" xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true">
    <KeyDescriptor use="encryption">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </KeyDescriptor>
    <KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + endpoint + `/logout"/>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + endpoint + `/postResponse" index="0"/>
  </SPSSODescriptor>
</EntityDescriptor>
`
	a.writeFile("mellon/sp-metadata.xml", []byte(md))
	return []byte(md)
}

func mustParse(t testing.TB, u string) *url.URL {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func randomString(t testing.TB) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
