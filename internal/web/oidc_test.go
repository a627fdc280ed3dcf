package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/web"
)

// vendorRedirect is the vendors' callback. Nothing listens there: the tests
// read the redirect that goes to it.
const vendorRedirect = "https://vendor.example/oidc/callback"

// toTestServer sends a vendor's requests for the issuer's address to the
// test server: vendors reach Sésame at its public base URL.
type toTestServer struct{ server *url.URL }

func (t toTestServer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.server.Scheme, t.server.Host
	return http.DefaultTransport.RoundTrip(r)
}

// oidcRP is a vendor's relying party, written by others (go-oidc and
// x/oauth2) and set up from Sésame's discovery document, as a vendor's
// server would be.
type oidcRP struct {
	w           *world
	connectorID int64
	ctx         context.Context // carries the HTTP client to the test server
	provider    *gooidc.Provider
	conf        oauth2.Config
	verifier    *gooidc.IDTokenVerifier
}

// oidcVendor adds an OpenID Connect connector to a resource and returns its
// vendor. An empty secret makes a public client.
func (w *world) oidcVendor(resourceID int64, settings sesame.OIDCSettings, secret string) *oidcRP {
	w.t.Helper()
	if settings.RedirectURIs == nil {
		settings.RedirectURIs = []string{vendorRedirect}
	}
	id, err := w.store.CreateConnector(context.Background(), sesame.Connector{ResourceID: resourceID, Kind: sesame.ConnectorOIDC,
		OIDC: settings, Secret: secret}, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatalf("create connector: %v", err)
	}
	return w.relyingParty(w.server.URL, id, settings, secret)
}

// relyingParty is the vendor of connector id, talking to the instance at serverURL.
func (w *world) relyingParty(serverURL string, id int64, settings sesame.OIDCSettings, secret string) *oidcRP {
	w.t.Helper()
	server, err := url.Parse(serverURL)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := gooidc.ClientContext(context.Background(), &http.Client{Transport: toTestServer{server}, Timeout: 10 * time.Second})
	provider, err := gooidc.NewProvider(ctx, testBaseURL)
	if err != nil {
		w.t.Fatalf("discovery: %v", err)
	}
	alg := settings.IDTokenSignedResponseAlg
	if alg == "" {
		alg = gooidc.RS256
	}
	return &oidcRP{w: w, connectorID: id, ctx: ctx, provider: provider,
		conf: oauth2.Config{ClientID: settings.ClientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
			RedirectURL: vendorRedirect, Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}},
		verifier: provider.Verifier(&gooidc.Config{ClientID: settings.ClientID, SupportedSigningAlgs: []string{alg}}),
	}
}

// oidcAttempt is one authorization as the vendor starts it.
type oidcAttempt struct {
	state, nonce, verifier string
}

func newOIDCAttempt() oidcAttempt {
	return oidcAttempt{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
}

// authPath is the vendor's authorization URL, as a path on the test server.
func (v *oidcRP) authPath(a oidcAttempt, opts ...oauth2.AuthCodeOption) string {
	v.w.t.Helper()
	opts = append([]oauth2.AuthCodeOption{gooidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, opts...)
	u := v.conf.AuthCodeURL(a.state, opts...)
	path, ok := strings.CutPrefix(u, testBaseURL)
	if !ok {
		v.w.t.Fatalf("authorization URL %q is not at the issuer", u)
	}
	return path
}

// follow makes the browser follow redirects within Sésame; it stops at a
// page, or at a redirect that leaves for the vendor.
func (c *client) followLocal(path string) response {
	c.w.t.Helper()
	for range 10 {
		res := c.get(path)
		loc := res.header.Get("Location")
		if res.status < 300 || res.status > 399 || !strings.HasPrefix(loc, "/") {
			return res
		}
		path = loc
	}
	c.w.t.Fatalf("too many redirects from %s", path)
	return response{}
}

// givePassword sets the patron's password to the test one.
func (w *world) givePassword(id int64) {
	w.t.Helper()
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.SetPatronPassword(context.Background(), id, hash); err != nil {
		w.t.Fatal(err)
	}
}

// browse runs the patron's browser from the vendor's authorization URL:
// through the patron login form when it shows up, then on until Sésame
// answers with a page or sends the browser to the vendor.
func (w *world) browse(c *client, path string, patronID int64) response {
	w.t.Helper()
	res := c.followLocal(path)
	form := find(res.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/connexion/usager" })
	if form == nil {
		return res
	}
	suite := find(form, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "suite" })
	if suite == nil {
		w.t.Fatalf("the login form does not bring the patron back: %.300s", res.body)
	}
	res = c.post("/connexion/usager", url.Values{"email": {w.patron(patronID).Email}, "mot_de_passe_usager": {testPassword}, "suite": {attr(suite, "value")}})
	if res.status != http.StatusSeeOther {
		w.t.Fatalf("patron login: got %d; body %.300s", res.status, res.body)
	}
	return c.followLocal(res.header.Get("Location"))
}

// atVendor returns the parameters the browser brings back to the vendor,
// in the query or, for an implicit flow refused, in the fragment; it fails
// when Sésame answered anything else.
func atVendor(t testing.TB, res response) url.Values {
	t.Helper()
	loc := res.header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil || res.status != http.StatusFound || u.Scheme+"://"+u.Host+u.Path != vendorRedirect {
		t.Fatalf("got status %d to %q, want a redirect to the vendor; body %.300s", res.status, loc, res.body)
	}
	if u.Fragment != "" {
		q, err := url.ParseQuery(u.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	return u.Query()
}

// oidcLogin is a whole code flow for the patron, checked as a careful vendor
// checks it: state, ID token against the JWKS, nonce, at_hash, userinfo.
type oidcLogin struct {
	token    *oauth2.Token
	raw      string // the ID token
	idToken  *gooidc.IDToken
	userinfo map[string]any
	code     string
	attempt  oidcAttempt
}

func (v *oidcRP) login(c *client, patronID int64) oidcLogin {
	v.w.t.Helper()
	t := v.w.t
	a := newOIDCAttempt()
	q := atVendor(t, v.w.browse(c, v.authPath(a), patronID))
	if q.Get("state") != a.state || q.Get("code") == "" {
		t.Fatalf("back at the vendor with %v, want a code and state %q", q, a.state)
	}
	l := oidcLogin{code: q.Get("code"), attempt: a}
	var err error
	if l.token, err = v.conf.Exchange(v.ctx, l.code, oauth2.VerifierOption(a.verifier)); err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	l.raw, _ = l.token.Extra("id_token").(string)
	if l.idToken, err = v.verifier.Verify(v.ctx, l.raw); err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if l.idToken.Nonce != a.nonce {
		t.Errorf("nonce: got %q, want %q", l.idToken.Nonce, a.nonce)
	}
	if l.idToken.AccessTokenHash == "" {
		t.Error("the ID token has no at_hash")
	} else if err := l.idToken.VerifyAccessToken(l.token.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	info, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != l.idToken.Subject {
		t.Errorf("userinfo sub %q, ID token sub %q: want the same", info.Subject, l.idToken.Subject)
	}
	if err := info.Claims(&l.userinfo); err != nil {
		t.Fatal(err)
	}
	return l
}

// header is the ID token's JOSE header.
func (l oidcLogin) header(t testing.TB) (alg, kid string) {
	t.Helper()
	part, _, _ := strings.Cut(l.raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatalf("ID token header: %v", err)
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("ID token header: %v", err)
	}
	return h.Alg, h.Kid
}

// jwks returns the kids published at /oauth/keys.
func (w *world) jwks() []string {
	w.t.Helper()
	res := w.anonymous().get("/oauth/keys")
	var set struct {
		Keys []struct{ Kid, Alg, Use string }
	}
	if err := json.Unmarshal([]byte(res.body), &set); err != nil {
		w.t.Fatalf("JWKS %q: %v", res.body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.Use != "sig" || k.Kid == "" {
			w.t.Errorf("JWKS key %+v: want use sig and a kid", k)
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestOIDCCodeFlowWithPKCE(t *testing.T) {
	tests := []struct {
		name         string
		secret       string
		style        oauth2.AuthStyle
		releaseEmail bool
		scopes       []string
		wantEmail    string
		wantNames    bool
	}{
		{"secret by HTTP Basic", "secret-du-fournisseur-1234", oauth2.AuthStyleInHeader, false, nil, "", true},
		{"secret in the form", "secret-du-fournisseur-1234", oauth2.AuthStyleInParams, true, nil, "yann.kerjean@example.org", true},
		{"public client", "", oauth2.AuthStyleInParams, true, nil, "yann.kerjean@example.org", true},
		{"e-mail allowed, scope not asked", "secret-du-fournisseur-1234", oauth2.AuthStyleInHeader, true, []string{"openid", "profile"}, "", true},
		{"openid only: no names", "secret-du-fournisseur-1234", oauth2.AuthStyleInHeader, true, []string{"openid"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.givePassword(w.patronB)
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a", ReleaseEmail: tt.releaseEmail}, tt.secret)
			v.conf.Endpoint.AuthStyle = tt.style
			if tt.scopes != nil {
				v.conf.Scopes = tt.scopes
			}
			l := v.login(w.anonymous(), w.patronB)

			if alg, kid := l.header(t); alg != "RS256" || !slices.Contains(w.jwks(), kid) {
				t.Errorf("ID token signed %s with kid %q, want RS256 with a kid of the JWKS %v", alg, kid, w.jwks())
			}
			var idClaims map[string]any
			if err := l.idToken.Claims(&idClaims); err != nil {
				t.Fatal(err)
			}
			for name, claims := range map[string]map[string]any{"ID token": idClaims, "userinfo": l.userinfo} {
				want := map[string]any{"library": "QUIMPER", "valid_until": "2027-06-01"}
				if tt.wantNames {
					want["family_name"], want["given_name"], want["name"] = "KERJEAN", "Yann", "Yann KERJEAN"
				}
				if tt.wantEmail != "" {
					want["email"] = tt.wantEmail
				}
				for k, v := range want {
					if claims[k] != v {
						t.Errorf("%s claim %s: got %v, want %v", name, k, claims[k], v)
					}
				}
				for _, k := range []string{"email", "family_name", "name"} {
					if _, ok := want[k]; !ok && claims[k] != nil {
						t.Errorf("%s claim %s: got %v, want none", name, k, claims[k])
					}
				}
			}
			if sub := l.idToken.Subject; sub == "" || sub == itoa(w.patronB) || strings.Contains(sub, itoa(w.patronB)) && len(sub) < 8 {
				t.Errorf("sub %q: want a pseudonym, not the patron's number", sub)
			}
			launches := w.launches(w.patronB)
			if len(launches) != 1 || launches[0].ConnectorID != v.connectorID || launches[0].ResourceID != w.res[0] {
				t.Errorf("launches: got %+v, want one through connector %d", launches, v.connectorID)
			}
		})
	}
}

func TestOIDCCodeReplayRevokesItsTokens(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	l := v.login(w.anonymous(), w.patronB)
	if _, err := v.conf.Exchange(v.ctx, l.code, oauth2.VerifierOption(l.attempt.verifier)); err == nil {
		t.Fatal("the code was exchanged twice")
	}
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
		t.Error("userinfo still answers with the token of a replayed code")
	}
}

func TestOIDCCodeIsShortLived(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	a := newOIDCAttempt()
	q := atVendor(t, w.browse(w.anonymous(), v.authPath(a), w.patronB))
	w.clock.Advance(61 * time.Second)
	if _, err := v.conf.Exchange(v.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier)); err == nil {
		t.Error("a code older than a minute was exchanged")
	}
}

func TestOIDCTokenEndpointChecks(t *testing.T) {
	tests := []struct {
		name     string
		change   func(v *oidcRP, a *oidcAttempt)
		verifier func(a oidcAttempt) string
	}{
		{"wrong code_verifier", nil, func(oidcAttempt) string { return oauth2.GenerateVerifier() }},
		{"no code_verifier", nil, func(oidcAttempt) string { return "" }},
		{"wrong secret", func(v *oidcRP, _ *oidcAttempt) { v.conf.ClientSecret = "pas-le-bon-secret-9999" }, nil},
		{"another redirect_uri", func(v *oidcRP, _ *oidcAttempt) { v.conf.RedirectURL = "https://vendor.example/other" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.givePassword(w.patronB)
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a", RedirectURIs: []string{vendorRedirect, "https://vendor.example/other"}},
				"secret-du-fournisseur-1234")
			a := newOIDCAttempt()
			q := atVendor(t, w.browse(w.anonymous(), v.authPath(a), w.patronB))
			if tt.change != nil {
				tt.change(v, &a)
			}
			verifier := a.verifier
			if tt.verifier != nil {
				verifier = tt.verifier(a)
			}
			var opts []oauth2.AuthCodeOption
			if verifier != "" {
				opts = append(opts, oauth2.VerifierOption(verifier))
			}
			if tok, err := v.conf.Exchange(v.ctx, q.Get("code"), opts...); err == nil {
				t.Errorf("got a token %v, want a refusal", tok.AccessToken != "")
			}
		})
	}
}

func TestOIDCAuthorizeRefusals(t *testing.T) {
	tests := []struct {
		name   string
		public bool
		query  func(q url.Values)
		// wantError is the error sent back to the vendor; "" when Sésame must
		// not send the browser to that redirect_uri at all.
		wantError string
	}{
		{"redirect_uri not registered", false, func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }, ""},
		{"redirect_uri with another path", false, func(q url.Values) { q.Set("redirect_uri", vendorRedirect+"/x") }, ""},
		{"redirect_uri with a query added", false, func(q url.Values) { q.Set("redirect_uri", vendorRedirect+"?a=b") }, ""},
		{"unknown client", false, func(q url.Values) { q.Set("client_id", "inconnu") }, ""},
		{"plain PKCE", false, func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"PKCE without a method, that is plain", false, func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"public client without PKCE", true, func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"implicit flow", false, func(q url.Values) { q.Set("response_type", "id_token") }, "unauthorized_client"},
		{"implicit flow with a token", false, func(q url.Values) { q.Set("response_type", "id_token token") }, "unauthorized_client"},
		{"no openid scope", false, func(q url.Values) { q.Set("scope", "profile") }, "invalid_scope"},
		{"form_post", false, func(q url.Values) { q.Set("response_mode", "form_post") }, "invalid_request"},
		// Anyone may send these for a known client: too long, they are not kept.
		{"state too long", false, func(q url.Values) { q.Set("state", strings.Repeat("s", sesame.MaxOIDCStateLength+1)) }, "invalid_request"},
		{"nonce too long", false, func(q url.Values) { q.Set("nonce", strings.Repeat("n", sesame.MaxOIDCNonceLength+1)) }, "invalid_request"},
		{"scope too long", false, func(q url.Values) { q.Set("scope", "openid"+strings.Repeat(" profile", sesame.MaxOIDCScopeLength/8)) }, "invalid_request"},
		{"code_challenge too long", false, func(q url.Values) {
			q.Set("code_challenge", strings.Repeat("c", sesame.MaxOIDCCodeChallengeLength+1))
		}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.patronLogin(w.patronB)
			secret := "secret-du-fournisseur-1234"
			if tt.public {
				secret = ""
			}
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, secret)
			u, err := url.Parse(v.authPath(newOIDCAttempt()))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			tt.query(q)
			u.RawQuery = q.Encode()
			res := c.followLocal(u.String())
			loc := res.header.Get("Location")
			if tt.wantError == "" {
				if res.status != http.StatusBadRequest || loc != "" {
					t.Errorf("got status %d to %q, want 400 and no redirect", res.status, loc)
				}
				if !strings.Contains(text(res.doc), "Signalez-le à votre bibliothèque") {
					t.Errorf("the patron gets no page in French: %.300s", res.body)
				}
			} else {
				got := atVendor(t, res)
				if got.Get("error") != tt.wantError || got.Get("code") != "" {
					t.Errorf("back at the vendor with %v, want error %s and no code", got, tt.wantError)
				}
			}
			if n := len(w.launches(w.patronB)); n != 0 {
				t.Errorf("%d launches recorded, want none", n)
			}
		})
	}
}

func TestOIDCGateRefusesWithAPage(t *testing.T) {
	tests := []struct {
		name      string
		grant     sesame.GrantState
		update    func(p *sesame.Patron)
		wantText  string
		wantAfter sesame.Status
	}{
		{"resource not granted", sesame.GrantPending, nil, "pas encore activée", sesame.StatusValidated},
		{"past its end date: expired on the way", sesame.GrantValidated, func(p *sesame.Patron) { p.ValidUntil = sesame.MustDate(2026, 11, 25) },
			"Votre compte a expiré", sesame.StatusExpired},
		// An Expiré account whose holder asked for renewal: its end date
		// passed (one asked before its end stays open until then).
		{"awaiting the library", sesame.GrantValidated, func(p *sesame.Patron) {
			p.Status, p.ValidUntil = sesame.StatusToRevalidate, sesame.MustDate(2026, 11, 25)
		}, "pas encore validé", sesame.StatusToRevalidate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "GUÉGUEN", FirstName: "Maël", Email: "mael@example.org",
				Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 1, 1), ValidUntil: sesame.MustDate(2027, 1, 1)}, tt.grant)
			c := w.patronLogin(id) // while the account is valid
			if tt.update != nil {
				_, err := w.store.UpdatePatron(context.Background(), store.NetworkScope(), id, 0, sesame.Actor{Label: "test"},
					func(p *sesame.Patron) (store.Change, error) {
						tt.update(p)
						return store.Change{Action: "test", Detail: "test"}, nil
					})
				if err != nil {
					t.Fatal(err)
				}
			}
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
			res := w.browse(c, v.authPath(newOIDCAttempt()), id)
			if res.status != http.StatusForbidden {
				t.Fatalf("got status %d to %q, want the refusal page (403)", res.status, res.header.Get("Location"))
			}
			if !strings.Contains(text(res.doc), tt.wantText) || !strings.Contains(text(res.doc), "Livres numériques") {
				t.Errorf("refusal page lacks %q and the resource's name: %s", tt.wantText, text(res.doc))
			}
			if strings.Contains(res.body, "code=") {
				t.Error("the refusal page carries a code")
			}
			if got := w.patron(id).Status; got != tt.wantAfter {
				t.Errorf("status after: got %s, want %s", got, tt.wantAfter)
			}
			if n := len(w.launches(id)); n != 0 {
				t.Errorf("%d launches recorded, want none", n)
			}
		})
	}
}

func TestOIDCSilentAuthorization(t *testing.T) {
	w := newWorld(t)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	a := newOIDCAttempt()
	q := atVendor(t, w.anonymous().followLocal(v.authPath(a, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "login_required" || q.Get("state") != a.state || q.Get("code") != "" {
		t.Errorf("prompt=none without a session: back with %v, want login_required, the state and no code", q)
	}
}

func TestOIDCSubjectsArePairwise(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	a := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-aaaa")
	b := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-b"}, "secret-du-fournisseur-bbbb")
	c := w.anonymous()
	subA := a.login(c, w.patronB).idToken.Subject
	subB := b.login(c, w.patronB).idToken.Subject
	if subA == subB {
		t.Errorf("two vendors got the same sub %q", subA)
	}
	if again := a.login(w.anonymous(), w.patronB).idToken.Subject; again != subA {
		t.Errorf("oidcRP A: got sub %q, then %q; want it stable", subA, again)
	}
	other := w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: "LE GALL", FirstName: "Nolwenn", Email: "nolwenn@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 1, 1), ValidUntil: sesame.MustDate(2027, 1, 1)}, sesame.GrantValidated)
	w.givePassword(other)
	if subOther := a.login(w.anonymous(), other).idToken.Subject; subOther == subA {
		t.Error("two patrons got the same sub")
	}
}

func TestOIDCES256WhenTheClientAsks(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	es := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-es", IDTokenSignedResponseAlg: "ES256"}, "secret-du-fournisseur-eeee")
	rs := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-rs"}, "secret-du-fournisseur-rrrr")
	c := w.anonymous()
	esLogin := es.login(c, w.patronB)
	if alg, kid := esLogin.header(t); alg != "ES256" || !slices.Contains(w.jwks(), kid) {
		t.Errorf("got %s with kid %q, want ES256 with a kid of the JWKS", alg, kid)
	}
	if alg, _ := rs.login(c, w.patronB).header(t); alg != "RS256" {
		t.Errorf("the other vendor: got %s, want RS256", alg)
	}
}

func TestOIDCLogoutRevokesTokens(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	c := w.anonymous()
	l := v.login(c, w.patronB)
	if res := c.post("/deconnexion", nil); res.status != http.StatusSeeOther {
		t.Fatalf("logout: got %d", res.status)
	}
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
		t.Error("userinfo still answers after the patron logged out")
	}
}

func TestOIDCPasswordChangeRevokesTokens(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	c := w.anonymous()
	l := v.login(c, w.patronB)
	fresh := "un tout nouveau mot de passe"
	res := c.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": {fresh}, "confirmation": {fresh}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("password change: got %d", res.status)
	}
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
		t.Error("userinfo still answers after the patron changed their password")
	}
}

func TestOIDCRevocation(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	other := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-b"}, "secret-du-fournisseur-bbbb")
	l := v.login(w.anonymous(), w.patronB)
	revoke := func(vd *oidcRP) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, testBaseURL+"/oauth/revoke", strings.NewReader(url.Values{"token": {l.token.AccessToken}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(vd.conf.ClientID, vd.conf.ClientSecret)
		res, err := oauth2.NewClient(vd.ctx, nil).Transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("revoke: got %d", res.StatusCode)
		}
	}
	revoke(other)
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err != nil {
		t.Errorf("another oidcRP revoked the token: %v", err)
	}
	revoke(v)
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
		t.Error("userinfo still answers with a revoked token")
	}
}

func TestOIDCKeysRotate(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	_, first := v.login(w.anonymous(), w.patronB).header(t)
	if got := w.jwks(); len(got) != 1 || got[0] != first {
		t.Fatalf("JWKS %v, want the one key %s", got, first)
	}
	// Into the last day of the first key's period: the next key is
	// published, not used yet.
	const period = 30 * 24 * time.Hour
	now := w.clock.Now()
	end := time.Unix((now.Unix()/int64(period/time.Second)+1)*int64(period/time.Second), 0)
	w.clock.Advance(end.Sub(now) - 12*time.Hour)
	if _, kid := v.login(w.anonymous(), w.patronB).header(t); kid != first {
		t.Errorf("signed with %s before its period, want %s still", kid, first)
	}
	published := w.jwks()
	if len(published) != 2 || published[0] != first {
		t.Fatalf("JWKS %v, want %s then the next key", published, first)
	}
	next := published[1]
	w.clock.Advance(13 * time.Hour)
	if _, kid := v.login(w.anonymous(), w.patronB).header(t); kid != next {
		t.Errorf("signed with %s in the new period, want the published %s", kid, next)
	}
	if got := w.jwks(); !slices.Contains(got, first) {
		t.Errorf("JWKS %v lost the old key %s a moment after rotation", got, first)
	}
	w.clock.Advance(period + time.Minute)
	got := w.jwks()
	if slices.Contains(got, first) || !slices.Contains(got, next) {
		t.Errorf("a period later, JWKS %v: want %s gone and %s kept", got, first, next)
	}
}

// TestOIDCInstancesShareEverything runs one flow across two instances on one
// database: each step lands on the other instance, as behind a load
// balancer. Requests, codes, tokens and keys must all be in the database.
func TestOIDCInstancesShareEverything(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	settings := sesame.OIDCSettings{ClientID: "vendor-a", RedirectURIs: []string{vendorRedirect}}
	const secret = "secret-du-fournisseur-1234"
	v1 := w.oidcVendor(w.res[0], settings, secret)
	other, err := web.New(web.Config{Store: w.store, Now: w.clock.Now, Random: rand.Reader, Hasher: testHasher, Location: w.paris, BaseURL: testBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	server2 := httptest.NewServer(other.Handler())
	t.Cleanup(server2.Close)
	v2 := w.relyingParty(server2.URL, v1.connectorID, settings, secret)

	c := w.anonymous() // cookies go by host, not port: one browser for both
	a := newOIDCAttempt()
	first := c.get(v1.authPath(a)) // instance 1 saves the request
	login := first.header.Get("Location")
	if first.status != http.StatusFound || !strings.HasPrefix(login, "/oauth/login?") {
		t.Fatalf("authorize: got %d to %q", first.status, login)
	}
	if res := c.post("/connexion/usager", url.Values{"email": {w.patron(w.patronB).Email}, "mot_de_passe_usager": {testPassword}}); res.status != http.StatusSeeOther {
		t.Fatalf("patron login: got %d", res.status)
	}
	req, err := http.NewRequest(http.MethodGet, server2.URL+login, nil) // instance 2 lets the patron through
	if err != nil {
		t.Fatal(err)
	}
	q := atVendor(t, c.do(req))
	tok, err := v1.conf.Exchange(v1.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier)) // instance 1 exchanges
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := v2.verifier.Verify(v2.ctx, raw) // instance 2's JWKS
	if err != nil {
		t.Fatalf("ID token against the other instance's JWKS: %v", err)
	}
	info, err := v2.provider.UserInfo(v2.ctx, oauth2.StaticTokenSource(tok)) // instance 2's userinfo
	if err != nil {
		t.Fatalf("userinfo on the other instance: %v", err)
	}
	if info.Subject != idToken.Subject || idToken.Nonce != a.nonce {
		t.Errorf("sub %q / %q, nonce %q: want one subject and nonce %q", info.Subject, idToken.Subject, idToken.Nonce, a.nonce)
	}
	if _, err := v2.conf.Exchange(v2.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier)); err == nil {
		t.Error("the other instance exchanged the code again")
	}
}

func TestOIDCAccountDeletionRevokesTokens(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	l := v.login(w.anonymous(), w.patronB)
	if err := w.store.DeleteOwnAccount(context.Background(), w.patronB); err != nil {
		t.Fatal(err)
	}
	if _, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(l.token)); err == nil {
		t.Error("userinfo still answers for a deleted account")
	}
}

func TestOIDCSilentRefusal(t *testing.T) {
	w := newWorld(t)
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "GUÉGUEN", FirstName: "Maël", Email: "mael@example.org",
		Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 1, 1), ValidUntil: sesame.MustDate(2027, 1, 1)}, sesame.GrantPending)
	c := w.patronLogin(id)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	a := newOIDCAttempt()
	q := atVendor(t, c.followLocal(v.authPath(a, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "access_denied" || q.Get("state") != a.state || q.Get("code") != "" {
		t.Errorf("prompt=none without the resource: back with %v, want access_denied, the state and no code", q)
	}
}

// A patron who comes to /oauth/authorize with a session, and whom the gate
// lets through, goes straight back to the vendor with a code: no login
// step, one write. A refused patron, or a vendor that asks for a password
// typed now, still gets the login step.
func TestOIDCSessionGoesStraightBack(t *testing.T) {
	w := newWorld(t)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	browser := w.patronLogin(w.patronB)
	a := newOIDCAttempt()
	q := atVendor(t, browser.get(v.authPath(a)))
	if q.Get("state") != a.state || q.Get("code") == "" {
		t.Fatalf("back at the vendor with %v, want a code and state %q", q, a.state)
	}
	tok, err := v.conf.Exchange(v.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := v.verifier.Verify(v.ctx, raw)
	if err != nil || idToken.Nonce != a.nonce {
		t.Fatalf("ID token: %v, nonce %v", err, idToken)
	}
	if launches := w.launches(w.patronB); len(launches) != 1 || launches[0].ConnectorID != v.connectorID {
		t.Errorf("launches: got %+v, want one through connector %d", launches, v.connectorID)
	}
	if _, err := v.conf.Exchange(v.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier)); err == nil {
		t.Error("the code was exchanged twice")
	}

	res := browser.get(v.authPath(newOIDCAttempt(), oauth2.SetAuthURLParam("prompt", "login")))
	if loc := res.header.Get("Location"); res.status != http.StatusFound || !strings.HasPrefix(loc, "/oauth/login?") {
		t.Errorf("prompt=login with a session: got %d to %q, want the login step", res.status, loc)
	}
}
