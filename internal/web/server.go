// Package web serves Sésame's HTML pages: server-rendered, in French, usable
// without JavaScript.
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/oidc"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

// Config is what the web layer needs from the wiring.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
	Random io.Reader
	Hasher auth.Hasher
	// Location is the network's calendar: Europe/Paris.
	Location *time.Location
	// SecureCookies is set behind https: cookies get Secure and the __Host- prefix.
	SecureCookies bool
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry, the one the reverse proxy in front added.
	TrustProxy bool
	// BaseURL is the public address without a trailing slash, for the
	// absolute links sent by mail.
	BaseURL string
	// CASTicketTTL is how long a CAS service ticket waits for its
	// validation; 0 means cas.DefaultTicketTTL.
	CASTicketTTL time.Duration
	// SessionIdle is how long a session lasts without activity; 0 means
	// config.DefaultSessionIdle.
	SessionIdle time.Duration
	// DemoLogins, when set, are shown on the login page: the demo only.
	DemoLogins []DemoLogin
	// API serves the JSON API's routes (internal/api); nil answers 404.
	API http.Handler
	// Metrics counts requests, logins and launches; nil counts nothing.
	Metrics *metrics.Metrics
	// MetricsToken, when set, serves /metrics on this site to the scrapes
	// that present it (SESAME_METRICS_TOKEN); empty, the site has no
	// /metrics (see metricsPage).
	MetricsToken string
}

// DemoLogin is an account of the demo, printed on its login page.
type DemoLogin struct{ Login, Password, Role string }

// Server holds what the handlers share.
type Server struct {
	cfg      Config
	store    *store.Store
	log      *slog.Logger
	pages    *pages
	gate     *access.Gate
	oidc     *oidc.Provider // nil without a base URL: no issuer to be
	draining atomic.Bool
	// drafts keeps the forms sent after their session ended, until their
	// author logs in again.
	drafts *draftStore
}

// Drain makes /readyz answer 503 from now on: the instance is shutting down.
func (s *Server) Drain() { s.draining.Store(true) }

// New parses the templates and returns the server; it fails when a page is missing.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = config.DefaultSessionIdle
	}
	p, err := parsePages(cfg.Location)
	if err != nil {
		return nil, err
	}
	gate := &access.Gate{Store: cfg.Store, Now: cfg.Now, Location: cfg.Location, Logger: cfg.Logger, Metrics: cfg.Metrics}
	srv := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, pages: p, gate: gate, drafts: newDraftStore()}
	if cfg.BaseURL != "" {
		if srv.oidc, err = newOIDCProvider(cfg, gate); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

// today is the calendar date now in the network's zone.
func (s *Server) today() sesame.Date { return sesame.DateOf(s.cfg.Now(), s.cfg.Location) }

// Handler returns the whole site with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	apiMux := http.NewServeMux()
	for _, rt := range s.routes() {
		if rt.perm == auth.APIKey {
			apiMux.Handle(rt.pattern, s.withHeaders(rt.handle))
			continue
		}
		mux.Handle(rt.pattern, s.guard(rt))
	}
	protect := http.NewCrossOriginProtection()
	// A SAML AuthnRequest of the HTTP-POST binding is, by design, a form the
	// vendor's site posts across sites. It changes nothing by itself: it is
	// checked (signature included) against the vendor's metadata, and the
	// answer still needs the patron's login.
	protect.AddInsecureBypassPattern("POST " + saml.SSOPath)
	// The OpenID Connect endpoints that take a POST authenticate the vendor
	// (client secret, PKCE) or the bearer token, never a cookie: a
	// single-page vendor posts to them from its own origin.
	for _, path := range oidcPostPaths {
		protect.AddInsecureBypassPattern("POST " + path)
	}
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("requête inter-sites refusée", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.renderError(w, r, http.StatusForbidden, "Requête refusée : elle ne vient pas de ce site. Rechargez la page et recommencez.")
	}))
	var h http.Handler = s.cfg.Metrics.Routed(mux)
	h = s.withCleanInput(h)
	h = protect.Handler(h)
	h = s.withSession(h)
	h = s.withHeaders(h)
	h = s.withRecover(h)
	h = s.cfg.Metrics.Measure(h, mux)
	return mountAPI(apiMux, h)
}

type ctxKey int

const (
	staffKey ctxKey = iota
	patronKey
	endedSessionKey // the account whose session this request found ended
)

func staffFrom(ctx context.Context) *sesame.Staff {
	st, _ := ctx.Value(staffKey).(*sesame.Staff)
	return st
}

// patronFrom is the logged-in patron, read at the start of the request.
func patronFrom(ctx context.Context) *sesame.Patron {
	p, _ := ctx.Value(patronKey).(*sesame.Patron)
	return p
}

// patronActor is the patron acting on their own account, for the audit trail.
func patronActor(p *sesame.Patron) sesame.Actor {
	return sesame.Actor{PatronID: p.ID, Label: "l'usager (" + p.Email + ")", LibraryID: p.LibraryID}
}

// actorOf is who acts, for the audit trail.
func actorOf(st *sesame.Staff) sesame.Actor {
	return sesame.Actor{StaffID: st.ID, Label: st.Login + " (" + st.Name + ")", Role: st.Role, LibraryID: st.LibraryID}
}

// scopeOf is what a staff member may see of patrons.
func scopeOf(st *sesame.Staff) store.Scope {
	if st.Role == sesame.RoleAdmin {
		return store.NetworkScope()
	}
	return store.LibraryScope(st.LibraryID)
}
