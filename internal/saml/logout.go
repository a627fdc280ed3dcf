package saml

import (
	"context"
	"net/http"

	crewjam "github.com/crewjam/saml"

	"github.com/bdf29/sesame/internal/store"
)

// Single logout (saml-profiles-2.0-os §4.4), by the HTTP-Redirect binding,
// on crewjam's IdentityProvider: StartLogout and ServeSLO. The vendors a
// session was used for are in the store (store.SSOParticipants, recorded
// by Answer and Unsolicited); the progress of a logout through them rides
// in a cookie crewjam signs with the identity provider's key, so any
// instance carries it on.

// StartLogout logs the patron out of the vendors their session sess was
// used for: the browser goes to each one's SingleLogoutService with a
// signed LogoutRequest, comes back to SLOPath with its LogoutResponse, and
// ends at returnURL (a local address). Without such vendors it goes to
// returnURL at once. The caller ends the Sésame session after it: the
// participants are read first.
func (p *Provider) StartLogout(w http.ResponseWriter, r *http.Request, sess *Session, returnURL string) error {
	idp, err := p.logoutProvider(r, sess, nil)
	if err != nil {
		return err
	}
	var session *crewjam.Session
	if sess != nil {
		session = &crewjam.Session{ID: sess.Hash}
	}
	idp.StartLogout(w, r, session, returnURL)
	return nil
}

// HasVendors reports whether the session sess was used for SAML vendors,
// which StartLogout would then visit.
func (p *Provider) HasVendors(ctx context.Context, sess *Session) (bool, error) {
	if sess == nil {
		return false, nil
	}
	rows, err := p.Store.SSOParticipants(ctx, sess.Hash, store.ParticipantSAML)
	return len(rows) > 0, err
}

// ServeSLO is the single logout service. A vendor's LogoutRequest, signed
// as its metadata says, ends the Sésame session sess when it names the
// patron of that session (by calling end, which clears the cookie and
// ends the session), logs the patron out of the session's other vendors,
// and is answered with a signed LogoutResponse. A LogoutResponse to one of
// our LogoutRequests carries a logout on to the next vendor.
func (p *Provider) ServeSLO(w http.ResponseWriter, r *http.Request, sess *Session, end func(w http.ResponseWriter, r *http.Request) error) error {
	idp, err := p.logoutProvider(r, sess, end)
	if err != nil {
		return err
	}
	idp.ServeSLO(w, r)
	return nil
}

// logoutProvider is crewjam's IdentityProvider, told of the browser's
// session.
func (p *Provider) logoutProvider(r *http.Request, sess *Session, end func(w http.ResponseWriter, r *http.Request) error) (*crewjam.IdentityProvider, error) {
	id, err := p.identity(r.Context())
	if err != nil {
		return nil, err
	}
	idp, err := p.identityProvider(id, &serviceProviders{store: p.Store})
	if err != nil {
		return nil, err
	}
	idp.SessionProvider = &sessions{provider: p, current: sess, end: end}
	return idp, nil
}

// sessions is the Sésame session of the browser, as crewjam's single
// logout asks for it: its participants, and how to end it.
type sessions struct {
	provider *Provider
	current  *Session // nil: nobody logged in on this browser
	end      func(w http.ResponseWriter, r *http.Request) error
}

// GetSession is not used: Sésame answers AuthnRequests itself (Answer).
func (s *sessions) GetSession(w http.ResponseWriter, r *http.Request, req *crewjam.IdpAuthnRequest) *crewjam.Session {
	http.NotFound(w, r)
	return nil
}

// AddSessionParticipant is not used: Answer and Unsolicited record the
// participants.
func (s *sessions) AddSessionParticipant(*http.Request, *crewjam.Session, crewjam.SessionParticipant) error {
	return nil
}

// crewjamSession is one participant as crewjam matches sessions: by its
// NameID and SessionIndex.
func (s *sessions) crewjamSession(p store.SSOParticipant) *crewjam.Session {
	return &crewjam.Session{ID: s.current.Hash, NameID: p.NameID, Index: p.SessionIndex}
}

// SessionParticipants lists the vendors of the browser's session, when
// one of them matches.
func (s *sessions) SessionParticipants(r *http.Request, match func(*crewjam.Session) bool) ([]crewjam.SessionParticipant, error) {
	if s.current == nil {
		return nil, nil
	}
	rows, err := s.provider.Store.SSOParticipants(r.Context(), s.current.Hash, store.ParticipantSAML)
	if err != nil {
		return nil, err
	}
	matched := false
	out := make([]crewjam.SessionParticipant, 0, len(rows))
	for _, p := range rows {
		matched = matched || match(s.crewjamSession(p))
		out = append(out, crewjam.SessionParticipant{
			ServiceProviderID: p.Service,
			NameID: crewjam.NameID{Format: string(crewjam.PersistentNameIDFormat), NameQualifier: s.provider.EntityID(),
				SPNameQualifier: p.Service, Value: p.NameID},
			SessionIndex: p.SessionIndex,
		})
	}
	if !matched {
		return nil, nil
	}
	return out, nil
}

// InvalidateSession ends the browser's session when the vendor's
// LogoutRequest names its patron; another patron's request ends nothing.
func (s *sessions) InvalidateSession(w http.ResponseWriter, r *http.Request, req *crewjam.IdpLogoutRequest) error {
	if s.current == nil || s.end == nil {
		return nil
	}
	rows, err := s.provider.Store.SSOParticipants(r.Context(), s.current.Hash, store.ParticipantSAML)
	if err != nil {
		return err
	}
	for _, p := range rows {
		if p.Service == req.ServiceProviderMetadata.EntityID && req.MatchesSession(s.crewjamSession(p)) {
			return s.end(w, r)
		}
	}
	return nil
}
