package ssotest

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
)

// casSSOConf is casConf with mod_auth_cas's single sign-out: a POST of a
// logoutRequest to a protected address ends the session opened with the
// ticket it names.
const casSSOConf = `CASLoginURL {{.Sesame}}/cas/login
CASValidateURL {{.Sesame}}/cas/p3/serviceValidate
CASCookiePath {{.Dir}}/cas-cache/
CASCertificatePath /etc/ssl/certs
CASValidateSAML Off
CASSSOEnabled On
<Location /cas/>
    AuthType CAS
    CASAuthNHeader CAS-User
    Require valid-user
    Header set X-Sesame-User "expr=%{REMOTE_USER}"
    Header set X-Sesame-Library "expr=%{HTTP:CAS-libraryCode}"
</Location>
`

// TestDirectSAMLAndSingleLogout checks « Connexion directe » and single
// logout with the vendors' own modules: a patron logged into Sésame clicks
// « Accéder » and lands on the page mod_auth_mellon protects, mellon having
// asked nothing; logging out of Sésame then ends mellon's session (SAML
// single logout, through the browser) and mod_auth_cas's (CAS single
// logout, back-channel); and mellon's own logout ends Sésame's session.
func TestDirectSAMLAndSingleLogout(t *testing.T) {
	needApache(t)
	s := startSesame(t)
	a := newApache(t)
	data := confData{Sesame: s.base, Apache: a.base, Dir: a.dir, OIDCSecret: randomString(t), Passphrase: randomString(t)}
	protocols := []*protocol{
		{name: "mod_auth_cas", path: "/cas/", resource: "Kiosque", conf: casSSOConf},
		{name: "mod_auth_mellon", path: "/mellon/", resource: "Cafeyn", conf: mellonConf},
	}
	casProto, mellon := protocols[0], protocols[1]
	casProto.id = s.addResource("kiosque", "Kiosque")
	// The resource's address is the vendor's page: « Connexion directe »
	// sends it as the RelayState, where mellon goes once logged in.
	mellonPage := a.base + mellon.path
	var err error
	mellon.id, err = s.store.CreateResource(t.Context(), sesame.Resource{Slug: "cafeyn", Name: "Cafeyn", Description: "Presse",
		URL: mellonPage}, sesame.Actor{Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s.addConnector(sesame.Connector{ResourceID: casProto.id, Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: a.base + "/cas/"}})
	for _, dir := range []string{"cas-cache"} {
		if err := os.Mkdir(a.path(dir), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(a.path(dir), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	settings, err := saml.ReadMetadata(mellonSP(t, a))
	if err != nil {
		t.Fatal(err)
	}
	settings.Direct = true
	s.addConnector(sesame.Connector{ResourceID: mellon.id, Kind: sesame.ConnectorSAML, SAML: settings})
	idpMetadata := s.get("/saml/metadata")
	if !strings.Contains(string(idpMetadata), `SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`+s.base+`/saml/slo"`) {
		t.Errorf("the identity provider's metadata does not advertise its single logout service:\n%s", idpMetadata)
	}
	a.writeFile("mellon/idp-metadata.xml", idpMetadata)
	a.start(protocols, data)
	today := s.today()

	// loggedIn logs a patron with both resources into Sésame.
	loggedIn := func(t *testing.T, name string) (*browser, *page) {
		_, email := s.addPatron(name, today.AddMonths(6), casProto.id, mellon.id)
		b := newBrowser(t)
		got := b.submit(b.open(s.base+"/connexion"), "/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}})
		if got.url.String() != s.base+"/mon-compte" {
			t.Fatalf("login: got %d at %s, want %s/mon-compte", got.status, got.url, s.base)
		}
		return b, got
	}
	// direct clicks « Accéder » for Cafeyn, posts the answer as the
	// browser does, and checks the patron is on mellon's page.
	direct := func(t *testing.T, b *browser, account *page) {
		t.Helper()
		got := b.submit(account, "/acceder/cafeyn", nil)
		form := findForm(got.doc, "saml-reponse")
		if form == nil {
			t.Fatalf("« Accéder »: got %d at %s, want the form that posts the answer; body: %.600s", got.status, got.url, got.body)
		}
		if button := text(form, "button"); button != "Continuer vers Cafeyn" {
			t.Errorf("the form's button: got %q, want « Continuer vers Cafeyn »", button)
		}
		got = b.submit(got, "saml-reponse", nil)
		if got.url.String() != mellonPage || got.status != http.StatusOK || !strings.Contains(got.body, pageMarker(mellon.name)) {
			t.Fatalf("got %d at %s, want 200 at %s with the protected page; body: %.500s", got.status, got.url, mellonPage, got.body)
		}
		if user := got.header.Get("X-Sesame-User"); user == "" || strings.Contains(user, "@") {
			t.Errorf("REMOTE_USER: got %q, want the patron's pseudonym", user)
		}
		if lib := got.header.Get("X-Sesame-Library"); lib != "QUIMPER" {
			t.Errorf("library: got %q, want QUIMPER", lib)
		}
	}
	// asksLogin checks that page now sends the browser to log in.
	asksLogin := func(t *testing.T, b *browser, page string) bool {
		t.Helper()
		got := b.send(http.MethodGet, mustParse(t, page), nil, nil)
		return got.status == http.StatusFound || got.status == http.StatusSeeOther
	}

	t.Run("one click into the vendor", func(t *testing.T) {
		b, account := loggedIn(t, "direct")
		direct(t, b, account)
		for _, r := range b.trail {
			if r.url.Path == "/saml/sso" {
				t.Errorf("mellon asked Sésame (%s): the answer should have been unsolicited", r.url)
			}
		}
		posted := sentTo(t, a, b.trail, "/mellon/endpoint/postResponse", "SAMLResponse")
		if rs := posted.form.Get("RelayState"); rs != mellonPage {
			t.Errorf("RelayState: got %q, want the resource's address %q", rs, mellonPage)
		}
	})

	t.Run("refused by the gate", func(t *testing.T) {
		_, email := s.addPatron("direct-sans", today.AddMonths(6), casProto.id)
		b := newBrowser(t)
		b.submit(b.open(s.base+"/connexion"), "/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}})
		// The resource is not on « Mon compte »; the form is posted anyway.
		got := b.follow(b.send(http.MethodPost, mustParse(t, s.base+"/acceder/cafeyn"), url.Values{},
			http.Header{"Origin": {s.base}, "Sec-Fetch-Site": {"same-origin"}}))
		refused(t, s, got, "Cafeyn", "n'est pas encore activée pour vous")
		vendorGotNothing(t, a, b.trail)
	})

	t.Run("logging out of Sésame logs out of the vendors", func(t *testing.T) {
		b, account := loggedIn(t, "slo")
		// Kiosque through mod_auth_cas, already logged in: one ticket.
		got := b.open(a.base + casProto.path)
		if !strings.Contains(got.body, pageMarker(casProto.name)) {
			t.Fatalf("CAS: got %d at %s, want the protected page", got.status, got.url)
		}
		direct(t, b, account)

		got = b.submit(account, "/deconnexion", nil)
		if got.url.Scheme+"://"+got.url.Host != s.base || got.url.Path != "/connexion" || got.status != http.StatusOK {
			t.Fatalf("logout: got %d at %s, want Sésame's login page; body: %.500s", got.status, got.url, got.body)
		}
		if msg := text(got.doc, "status"); !strings.Contains(got.body, "Vous êtes déconnecté") {
			t.Errorf("the page after logout does not say « Vous êtes déconnecté » (status: %q)", msg)
		}
		// The browser went through mellon's single logout service with a
		// signed LogoutRequest, and came back with its LogoutResponse.
		q := sentTo(t, a, b.trail, "/mellon/endpoint/logout", "SAMLRequest").url.Query()
		if q.Get("Signature") == "" || q.Get("SigAlg") == "" {
			t.Errorf("the LogoutRequest to mellon is not signed: %v", q)
		}
		if r := sentToSesame(t, s, b.trail, "/saml/slo"); !r.url.Query().Has("SAMLResponse") {
			t.Errorf("mellon did not answer with a LogoutResponse: %s", r.url)
		}
		if !asksLogin(t, b, mellonPage) {
			t.Errorf("after logout, mellon's page still opens: its session was not ended")
		}
		// CAS single logout runs in the background, within seconds.
		deadline := time.Now().Add(10 * time.Second)
		for !asksLogin(t, b, a.base+casProto.path) {
			if time.Now().After(deadline) {
				t.Fatalf("after logout, mod_auth_cas's page still opens 10 s later: its session was not ended\n%s", a.errorLog())
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("logging out of the vendor logs out of Sésame", func(t *testing.T) {
		b, account := loggedIn(t, "slo-sp")
		direct(t, b, account)
		back := a.base + "/"
		got := b.open(a.base + "/mellon/endpoint/logout?ReturnTo=" + url.QueryEscape(back))
		if got.url.String() != back {
			t.Fatalf("mellon's logout: got %d at %s, want to end at %s; body: %.500s", got.status, got.url, back, got.body)
		}
		r := sentToSesame(t, s, b.trail, "/saml/slo")
		if r.url.Query().Get("SAMLRequest") == "" {
			t.Errorf("mellon did not send Sésame a LogoutRequest: %s", r.url)
		}
		if after := b.open(s.base + "/mon-compte"); after.url.Path != "/connexion" {
			t.Errorf("after mellon's logout, « Mon compte » answers %d at %s, want the login page", after.status, after.url)
		}
		if !asksLogin(t, b, mellonPage) {
			t.Errorf("after its logout, mellon's page still opens")
		}
	})
}
