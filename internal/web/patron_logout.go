package web

import (
	"context"
	"net/http"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

// loggedOutURL is where a patron's logout ends: the login page, saying
// « Vous êtes déconnecté ».
const loggedOutURL = "/connexion?ok=deconnecte"

// endPatronSession ends the patron session of this browser, if there is
// one: what vendors still hold through Sésame is revoked (endPatronSSO),
// the CAS services the session was used for are told in the background
// (casSingleLogout), and the cookie is cleared. respond, when not nil,
// then writes the answer while the session still exists in the store, so
// that SAML single logout can read its vendors; the session is deleted
// last.
func (s *Server) endPatronSession(w http.ResponseWriter, r *http.Request, respond func() error) error {
	ctx := r.Context()
	if p := patronFrom(ctx); p != nil {
		if err := s.endPatronSSO(r, p.ID); err != nil {
			return err
		}
	}
	c, err := r.Cookie(s.patronCookieName())
	if err != nil {
		if respond != nil {
			return respond()
		}
		return nil
	}
	hash := auth.HashToken(c.Value)
	s.casSingleLogout(ctx, hash)
	s.clearNamedCookie(w, s.patronCookieName())
	if respond != nil {
		if err := respond(); err != nil {
			return err
		}
	}
	return s.store.DeletePatronSession(ctx, hash)
}

// endPatronSessionThroughVendors ends the patron session and walks the
// browser through the SAML vendors' single logout of sess (nil for none),
// to land on back; without SAML vendors, or when their logout cannot
// start, it redirects to back with status.
func (s *Server) endPatronSessionThroughVendors(w http.ResponseWriter, r *http.Request, sess *saml.Session, back string, status int) {
	responded := false
	err := s.endPatronSession(w, r, func() error {
		responded = true
		if sess != nil {
			err := s.samlIdP().StartLogout(w, r, sess, back)
			if err == nil {
				return nil
			}
			s.log.Error("saml : déconnexion unique", "err", err)
		}
		// #nosec G710 -- back is the logged-out page or a service a CAS connector registered (casLogout).
		http.Redirect(w, r, back, status)
		return nil
	})
	switch {
	case err != nil && !responded:
		s.fail(w, r, err)
	case err != nil:
		s.log.Error("déconnexion", "err", err)
	}
}

// casSingleLogout tells the CAS services that validated a ticket of the
// session that the patron logged out (CAS single logout, back-channel). It
// reads them now and posts in the background, within cas.LogoutTimeout:
// the patron's logout never waits for a vendor, and a dead one only costs
// a line in the log.
func (s *Server) casSingleLogout(ctx context.Context, sessionHash string) {
	participants, err := s.store.SSOParticipants(ctx, sessionHash, store.ParticipantCAS)
	if err != nil {
		s.log.Error("cas : déconnexion unique", "err", err)
		return
	}
	if len(participants) == 0 {
		return
	}
	server := s.casServer()
	client := &http.Client{Timeout: cas.LogoutTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cas.LogoutTimeout)
		defer cancel()
		if err := server.SingleLogout(ctx, client, participants); err != nil {
			s.log.Warn("cas : déconnexion unique incomplète", "err", err)
		}
	}()
}
