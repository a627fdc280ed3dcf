package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/oidc"
)

// oidcPostPaths are the OpenID Connect endpoints a vendor posts to.
var oidcPostPaths = []string{oidc.TokenPath, oidc.UserinfoPath, oidc.RevokePath}

func newOIDCProvider(cfg Config, gate *access.Gate) (*oidc.Provider, error) {
	return oidc.New(oidc.Config{Store: cfg.Store, Gate: gate, Issuer: cfg.BaseURL, Now: cfg.Now, Random: cfg.Random, Logger: cfg.Logger})
}

// oidcProtocol hands the protocol's paths to the provider.
func (s *Server) oidcProtocol(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.renderError(w, r, http.StatusNotFound, "Sésame n'est pas fournisseur OpenID Connect : son adresse publique (SESAME_BASE_URL) n'est pas réglée.")
		return
	}
	s.oidc.ServeHTTP(w, r)
}

// oidcAuthorize is /oauth/authorize. A request the provider cannot even
// send back to the vendor (unknown client, redirect_uri not registered)
// reaches a person, not a program: it gets a page in French, not JSON.
func (s *Server) oidcAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.oidcProtocol(w, r)
		return
	}
	if p := patronFrom(r.Context()); p != nil {
		// A patron logged in whom the gate lets through goes back to the
		// vendor at once; any other case takes the login step (oidcLogin).
		r = r.WithContext(oidc.WithPatron(r.Context(), p.ID, s.patronSessionStart(r)))
	}
	caught := &errorCatcher{ResponseWriter: w}
	s.oidc.ServeHTTP(caught, r)
	if caught.status != 0 {
		w.Header().Del("Content-Type")
		s.renderError(w, r, caught.status, "Le site de la ressource a envoyé une demande de connexion que Sésame ne peut pas accepter "+
			"(site inconnu ou adresse de retour non enregistrée). Signalez-le à votre bibliothèque ; en attendant, "+
			"ouvrez la ressource depuis « Mon compte ».")
	}
}

// errorCatcher lets a response through unless its status is an error: then
// it keeps the status and drops the body.
type errorCatcher struct {
	http.ResponseWriter
	status int
}

func (e *errorCatcher) WriteHeader(code int) {
	if code >= 400 {
		e.status = code
		return
	}
	e.ResponseWriter.WriteHeader(code)
}

func (e *errorCatcher) Write(b []byte) (int, error) {
	if e.status != 0 {
		return len(b), nil
	}
	return e.ResponseWriter.Write(b)
}

// oidcLogin is the step between /oauth/authorize and the code: a patron
// not logged in goes to the login page and comes back here; a logged-in
// patron goes back to the vendor with a code if the gate lets them through,
// and gets a page that says why not otherwise.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.oidcProtocol(w, r)
		return
	}
	var patronID int64
	if p := patronFrom(r.Context()); p != nil {
		patronID = p.ID
	}
	// The session began with the patron's password: its start is their
	// authentication time, which a vendor's max_age asks about.
	err := s.oidc.Resume(w, r, patronID, s.patronSessionStart(r))
	var refusal *oidc.Refusal
	switch {
	case err == nil:
	case errors.Is(err, oidc.ErrLoginNeeded):
		http.Redirect(w, r, "/connexion?suite="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	case errors.As(err, &refusal):
		s.gate.Failed(r.Context(), refusal.Connector, patronID, sesame.FailureAccessRefused, refusal.Err)
		s.render(w, r, http.StatusForbidden, "acces_refuse", layout{Title: "Accès impossible à « " + refusal.Resource + " »",
			Section: "mon-compte", Content: refusalOf(refusal.Err)})
	default:
		s.fail(w, r, err)
	}
}

// endPatronSSO revokes what vendors hold of the patron: their OpenID
// Connect tokens, codes not yet exchanged, CAS tickets not yet validated,
// and the callback tokens of signed links not yet checked.
func (s *Server) endPatronSSO(r *http.Request, patronID int64) error {
	if err := s.store.EndPatronOIDC(r.Context(), patronID); err != nil {
		return err
	}
	if err := s.store.DeletePatronSSOTokens(r.Context(), patronID); err != nil {
		return err
	}
	return s.store.DeletePatronCASTickets(r.Context(), patronID)
}
