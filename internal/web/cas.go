package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/cas"
)

// The CAS server's routes: the protocol is in internal/cas; here are only
// the patron's session, the pages and the redirects.

// casFlag reads renew or gateway: set means true, unless it says false.
func casFlag(q url.Values, name string) bool {
	if !q.Has(name) {
		return false
	}
	v := strings.ToLower(q.Get(name))
	return v != "false" && v != "0"
}

// casSession is the patron's session as the CAS server sees it, nil when
// no patron is logged in.
func (s *Server) casSession(r *http.Request) *cas.Session {
	p := patronFrom(r.Context())
	if p == nil {
		return nil
	}
	c, err := r.Cookie(s.patronCookieName())
	if err != nil {
		return nil
	}
	hash := auth.HashToken(c.Value)
	ps, err := s.store.PatronSessionByHash(r.Context(), hash)
	if err != nil {
		return nil
	}
	return &cas.Session{PatronID: p.ID, Key: hash, StartedAt: ps.CreatedAt}
}

// casLogin is /cas/login: a ticket for a patron with a session who may
// open the service's resource, the login form for the others.
func (s *Server) casLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	out, err := s.casServer().Login(ctx, cas.LoginRequest{
		Service: q.Get("service"), Renew: casFlag(q, "renew"), Gateway: casFlag(q, "gateway"),
		LoginTicket: q.Get("lt"), Session: s.casSession(r),
	})
	switch {
	case errors.Is(err, cas.ErrNoService):
		// No service: nothing to sign in to but Sésame itself.
		target := "/connexion"
		if patronFrom(ctx) != nil {
			target = "/mon-compte"
		}
		http.Redirect(w, r, target, http.StatusFound)
	case errors.Is(err, cas.ErrUnknownService):
		s.log.Warn("cas: service inconnu", "service", truncateForLog(q.Get("service")))
		s.render(w, r, http.StatusBadRequest, "erreur", layout{Title: "Service inconnu", Content: errorPage{Status: http.StatusBadRequest,
			Message: "Le site qui vous a envoyé ici n'est pas connu du réseau : Sésame ne peut pas vous y connecter. " +
				"Revenez à la ressource depuis « Mon compte », ou signalez le problème à votre bibliothèque."}})
	case sesame.ErrorCode(err) == sesame.EForbidden:
		title := "Accès impossible"
		if res, rerr := s.store.Resource(ctx, out.Connector.ResourceID); rerr == nil {
			title = "Accès impossible à « " + res.Name + " »"
		}
		s.gate.Failed(ctx, out.Connector, patronFrom(ctx).ID, sesame.FailureAccessRefused, err)
		s.render(w, r, http.StatusForbidden, "acces_refuse", layout{Title: title, Section: "mon-compte",
			Content: refusalOf(err)})
	case err != nil:
		s.fail(w, r, err)
	case out.AskPassword != "":
		http.Redirect(w, r, "/connexion?suite="+url.QueryEscape(out.AskPassword), http.StatusFound)
	default:
		http.Redirect(w, r, out.Redirect, http.StatusFound)
	}
}

// casLogout is /cas/logout: the patron's session ends, as at
// « Se déconnecter » (single logout included), then back to the service if
// it is registered, or to this page again, which then says the patron is
// logged out.
func (s *Server) casLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var patronID int64
	if p := patronFrom(ctx); p != nil {
		patronID = p.ID
	}
	target, err := s.casServer().Logout(ctx, patronID, r.URL.Query().Get("service"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess := s.samlSession(r)
	vendors, err := s.samlIdP().HasVendors(ctx, sess)
	if err != nil {
		s.log.Error("saml : déconnexion unique", "err", err)
	}
	if vendors {
		back := target
		if back == "" {
			back = cas.LogoutPath
		}
		s.endPatronSessionThroughVendors(w, r, sess, back, http.StatusFound)
		return
	}
	if err := s.endPatronSession(w, r, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	if target != "" {
		// #nosec G710 -- Logout returns the service only when a CAS connector registered it.
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	// The page is drawn for the visitor as they are now: logged out.
	r = r.WithContext(withoutPatron(ctx))
	s.render(w, r, http.StatusOK, "erreur", layout{Title: "Vous êtes déconnecté", Content: errorPage{Status: http.StatusOK,
		Message: "Votre session Sésame est fermée : pour ouvrir de nouveau une ressource, il faudra vous reconnecter. " +
			"Sur un ordinateur partagé, fermez aussi le navigateur."}})
}

// casValidation serves one of the validation endpoints: machine to
// machine, the vendor's server asking.
func (s *Server) casValidation(e cas.Endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		a, err := s.casServer().Validate(r.Context(), cas.ValidateRequest{
			Endpoint: e, Ticket: q.Get("ticket"), Service: q.Get("service"), PGTURL: q.Get("pgtUrl"),
			Renew: casFlag(q, "renew"), Format: q.Get("format"),
		})
		if err != nil {
			s.log.Error("cas: validation", "err", err)
		}
		a.Write(w)
	}
}

// withoutPatron is ctx with no patron logged in, for a page drawn after
// the session ended.
func withoutPatron(ctx context.Context) context.Context {
	return context.WithValue(ctx, patronKey, (*sesame.Patron)(nil))
}

// truncateForLog keeps a log line short whatever a robot sent.
func truncateForLog(v string) string {
	if len(v) > 200 {
		return v[:200] + "…"
	}
	return v
}
