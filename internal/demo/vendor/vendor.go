// Package vendor is the demo's own resource vendor, « Fournisseur de
// démonstration »: it lets a patron in through each protocol Sésame speaks
// (OpenID Connect, CAS, SAML 2.0, signed link), with the client code a real
// vendor would use (go-oidc and x/oauth2, a CAS serviceValidate call,
// crewjam/saml's ServiceProvider, sesame.SignedLinkSettings.Verify), and
// shows who arrived, through which protocol, and what it received.
//
// Only `sesame demo` mounts it, under Prefix, on Sésame's own address:
// `sesame serve` never does. It talks to Sésame over HTTP, as a vendor
// does, and never reads Sésame's database.
package vendor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	crewjam "github.com/crewjam/saml"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

// Prefix is where the demo mounts the vendor.
const Prefix = "/demo-fournisseur/"

// The vendor's addresses, under Prefix. Each protocol's entry is the
// address of the resource it opens: « Accéder » leads there, and the vendor
// asks Sésame back through its protocol.
const (
	homePath       = Prefix
	oidcPath       = Prefix + "oidc"
	oidcReturnPath = Prefix + "oidc/retour"
	casPath        = Prefix + "cas"
	samlPath       = Prefix + "saml"
	samlACSPath    = Prefix + "saml/acs"
	samlMDPath     = Prefix + "saml/metadata"
	linkPath       = Prefix + "lien-signe"
	stylePath      = Prefix + "style.css"
)

// OIDCClientID is the vendor's client_id at Sésame.
const OIDCClientID = "fournisseur-de-demonstration"

// attemptCookie names the browser's pending logins at the vendor.
const attemptCookie = "fournisseur_demo"

// linkMaxAge is how old a signed link may be when it arrives.
const linkMaxAge = 5 * time.Minute

//go:embed page.html style.css
var pageFS embed.FS

// Vendor is the demo vendor. Its secrets derive from the demo's key, so
// that they survive a restart as the connectors Sésame sealed with that
// key do.
type Vendor struct {
	base       string // Sésame's public address, which is the vendor's too
	oidcSecret string
	linkSecret string
	client     *http.Client
	now        func() time.Time
	random     io.Reader
	log        *slog.Logger
	page       *template.Template

	mu       sync.Mutex
	attempts map[string]*attempt // by the attemptCookie of each browser
	// Found on first use, Sésame serving by then.
	oidcProvider *gooidc.Provider
	sp           *crewjam.ServiceProvider
}

// attempt is what a browser's pending logins need at their return.
type attempt struct {
	oidcState, oidcNonce, oidcVerifier string
	samlRequestIDs                     []string
	started                            time.Time
}

// New returns the vendor of the Sésame at base (its public address), with
// secrets derived from key (the demo's secret key).
func New(base string, key []byte, now func() time.Time, random io.Reader, log *slog.Logger) *Vendor {
	derive := func(label string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("fournisseur de démonstration: " + label))
		return hex.EncodeToString(m.Sum(nil))
	}
	return &Vendor{
		base: base, oidcSecret: derive("oidc"), linkSecret: derive("lien signé"),
		client: &http.Client{Timeout: 10 * time.Second}, now: now, random: random, log: log,
		page:     template.Must(template.ParseFS(pageFS, "page.html")),
		attempts: map[string]*attempt{},
	}
}

// Connectors are the four connectors Sésame needs, one per protocol, each
// with the resource it opens; ResourceID is left to fill.
func (v *Vendor) Connectors() []Entry {
	link := sesame.SignedLinkSettings{Preset: "custom", Hash: "hmac-sha256", TimeFormat: "unix",
		Signed: "{card}|{lastname}|{firstname}|{library}|{time}",
		URL: v.base + linkPath + "?carte={card}&nom={lastname}&prenom={firstname}&bibliotheque={library}" +
			"&horodatage={time}&empreinte={hash}&uid={uid}&jeton={token}"}
	return []Entry{
		{Slug: "livres-numeriques", URL: v.base + oidcPath, Connector: sesame.Connector{Kind: sesame.ConnectorOIDC, Secret: v.oidcSecret,
			OIDC: sesame.OIDCSettings{ClientID: OIDCClientID, RedirectURIs: []string{v.base + oidcReturnPath}, ReleaseEmail: true}}},
		{Slug: "tout-apprendre", URL: v.base + casPath, Connector: sesame.Connector{Kind: sesame.ConnectorCAS,
			CAS: sesame.CASSettings{ServicePrefix: v.base + casPath, ReleaseEmail: true}}},
		{Slug: "pressreader", URL: v.base + samlPath, Connector: sesame.Connector{Kind: sesame.ConnectorSAML,
			SAML: sesame.SAMLSettings{EntityID: v.base + samlMDPath, Metadata: v.spMetadata(), Attributes: sesame.SAMLAttributes}}},
		{Slug: "mediatheque-numerique", URL: v.base + homePath, Connector: sesame.Connector{Kind: sesame.ConnectorSignedLink, Secret: v.linkSecret, Link: link}},
	}
}

// Entry is one way into the vendor: the demo resource it opens (by slug),
// the address that resource must have, and the connector.
type Entry struct {
	Slug      string
	URL       string
	Connector sesame.Connector
}

// Register points the demo's resources at the vendor and gives each its
// connector, one per protocol; the demo calls it at every start. A
// connector already there for this address, its secret sealed by an earlier
// start, is kept; one for another address (the demo started on another
// --addr) or whose secret this key cannot open is replaced. It reports
// whether it changed anything.
func (v *Vendor) Register(ctx context.Context, st *store.Store) (changed bool, err error) {
	actor := sesame.Actor{Label: "démonstration"}
	for _, e := range v.Connectors() {
		res, err := st.ResourceBySlug(ctx, e.Slug)
		if err != nil {
			return changed, fmt.Errorf("demo vendor, resource %s: %w", e.Slug, err)
		}
		if res.URL != e.URL {
			res.URL = e.URL
			if err := st.UpdateResource(ctx, *res, actor); err != nil {
				return changed, fmt.Errorf("demo vendor, resource %s: %w", e.Slug, err)
			}
			changed = true
		}
		existing, err := st.ResourceConnectors(ctx, res.ID)
		if err != nil {
			return changed, fmt.Errorf("demo vendor, resource %s: %w", e.Slug, err)
		}
		c := e.Connector
		c.ResourceID = res.ID
		current := false
		for _, old := range existing {
			if old.Kind != c.Kind {
				continue
			}
			if address(old) == address(&c) && !old.SecretUnreadable {
				current = true
				continue
			}
			if err := st.DeleteConnector(ctx, old.ID, actor); err != nil {
				return changed, fmt.Errorf("demo vendor, %s connector: %w", c.Kind.Label(), err)
			}
			changed = true
		}
		if current {
			continue
		}
		if c.Kind == sesame.ConnectorSAML {
			// Read as `sesame connector add --kind saml` reads a vendor's file.
			settings, err := saml.ReadMetadata([]byte(c.SAML.Metadata))
			if err != nil {
				return changed, fmt.Errorf("demo vendor, SAML metadata: %w", err)
			}
			settings.Attributes = c.SAML.Attributes
			c.SAML = settings
		}
		if _, err := st.CreateConnector(ctx, c, actor); err != nil {
			return changed, fmt.Errorf("demo vendor, %s connector: %w", c.Kind.Label(), err)
		}
		changed = true
	}
	return changed, nil
}

// address is what ties a connector to the address the vendor is served on.
func address(c *sesame.Connector) string {
	switch c.Kind {
	case sesame.ConnectorOIDC:
		return strings.Join(c.OIDC.RedirectURIs, " ")
	case sesame.ConnectorCAS:
		return c.CAS.ServicePrefix
	case sesame.ConnectorSAML:
		return c.SAML.EntityID
	case sesame.ConnectorSignedLink:
		return c.Link.URL
	}
	return ""
}

// Handler serves the vendor's pages, under Prefix.
func (v *Vendor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+homePath+"{$}", v.home)
	mux.HandleFunc("GET "+oidcPath, v.oidcStart)
	mux.HandleFunc("GET "+oidcReturnPath, v.oidcReturn)
	mux.HandleFunc("GET "+casPath, v.cas)
	mux.HandleFunc("GET "+samlPath, v.samlStart)
	mux.HandleFunc("POST "+samlACSPath, v.samlACS)
	mux.HandleFunc("GET "+samlMDPath, v.samlMetadata)
	mux.HandleFunc("GET "+linkPath, v.signedLink)
	mux.HandleFunc("GET "+stylePath, func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, pageFS, "style.css")
	})
	return securityHeaders(mux)
}

// securityHeaders are the vendor's own: its pages have no script and load
// nothing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Attr is one attribute the vendor received.
type Attr struct{ Name, Value string }

// Source is what one answer of Sésame carried.
type Source struct {
	Title string
	Attrs []Attr
}

// visit is what the vendor's page shows.
type visit struct {
	Protocol string // the protocol's label, "" on the home page
	Person   string // who arrived
	Sources  []Source
	Refusal  string // why the vendor did not let the patron in
	Home     string // Sésame's « Mon compte »
	Style    string
}

// show renders the page about one arrival.
func (v *Vendor) show(w http.ResponseWriter, status int, p visit) {
	p.Home, p.Style = v.base+"/mon-compte", stylePath
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := v.page.Execute(w, p); err != nil {
		v.log.Error("page du fournisseur de démonstration", "err", err)
	}
}

// refuse says why a patron was not let in, and logs it.
func (v *Vendor) refuse(w http.ResponseWriter, kind sesame.ConnectorKind, why string, err error) {
	v.log.Warn("fournisseur de démonstration : accès refusé", "protocol", string(kind), "reason", why, "err", err)
	v.show(w, http.StatusForbidden, visit{Protocol: kind.Label(), Refusal: why})
}

func (v *Vendor) home(w http.ResponseWriter, r *http.Request) {
	v.show(w, http.StatusOK, visit{})
}

// newAttempt starts a browser's login and returns it; the cookie finds it
// at the return.
func (v *Vendor) newAttempt(w http.ResponseWriter, r *http.Request) (*attempt, error) {
	fresh, err := v.token()
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Logins abandoned for an hour are forgotten: the map stays small.
	for k, a := range v.attempts {
		if v.now().Sub(a.started) > time.Hour {
			delete(v.attempts, k)
		}
	}
	// A browser keeps its cookie while the vendor knows it; a cookie the
	// vendor never gave, or forgot, is replaced.
	id := fresh
	if c, err := r.Cookie(attemptCookie); err == nil && v.attempts[c.Value] != nil {
		id = c.Value
	}
	a := v.attempts[id]
	if a == nil {
		a = &attempt{}
		v.attempts[id] = a
	}
	a.started = v.now()
	http.SetCookie(w, &http.Cookie{Name: attemptCookie, Value: id, Path: Prefix, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return a, nil
}

// pendingAttempt is the browser's login under way, or nil.
func (v *Vendor) pendingAttempt(r *http.Request) *attempt {
	c, err := r.Cookie(attemptCookie)
	if err != nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.attempts[c.Value]
}

// token is a fresh random value for a state, a nonce or a cookie.
func (v *Vendor) token() (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(v.random, b); err != nil {
		return "", fmt.Errorf("vendor token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// clientContext makes the protocol libraries call Sésame with the vendor's
// HTTP client.
func (v *Vendor) clientContext(ctx context.Context) context.Context {
	return context.WithValue(gooidc.ClientContext(ctx, v.client), oauth2.HTTPClient, v.client)
}
