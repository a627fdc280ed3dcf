package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// A patron whose birth date is corrected to one under
// sesame.ParentalConsentAge is treated as a new registration of a minor:
// parentAgainMail sends their parent a link, and the parent gives their
// consent on the same page as at registration. Until then the library
// cannot validate the account.

// consentAgainPath is where the link of parentAgainMail leads, before its token.
const consentAgainPath = "/inscription/accord-usager/"

// consentGone shows the page of a consent link expired, used or unknown.
func (s *Server) consentGone(w http.ResponseWriter, r *http.Request) {
	s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", consentPage{Outcome: "perime", Again: true})
}

// consentChild reads the patron a consent link is for, with their library.
func (s *Server) consentChild(ctx context.Context, patronID int64) (*sesame.Patron, *sesame.Library, error) {
	p, err := s.store.Patron(ctx, store.NetworkScope(), patronID)
	if err != nil {
		return nil, nil, err
	}
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		return nil, nil, err
	}
	return p, lib, nil
}

// consentAgainForm says what the parent consents to, with one button.
// Opening it changes nothing.
func (s *Server) consentAgainForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	if !auth.WellFormedToken(token) {
		s.consentGone(w, r)
		return
	}
	c, err := s.store.ConsentRequestByHash(ctx, auth.HashToken(token))
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound || (err == nil && !c.Usable(s.cfg.Now())):
		s.consentGone(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	p, lib, err := s.consentChild(ctx, c.PatronID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	grants, err := s.store.PatronGrants(ctx, store.NetworkScope(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := consentPage{Outcome: "accord", Again: true, Token: token, ParentName: c.ParentName,
		Child: childName(p), BirthDate: p.BirthDate.String(), Library: lib.Name}
	for _, g := range grants {
		// What the account asked for and the library may grant it: the
		// resources validated before the correction are « En attente » again.
		if g.State == sesame.GrantPending || g.State == sesame.GrantValidated {
			page.Resources = append(page.Resources, g.Resource.Name)
		}
	}
	s.showConsent(w, r, http.StatusOK, "Accord parental pour l'inscription de "+page.Child, page)
}

// consentAgain records the parent's consent: the account, still À valider,
// can now be validated by its library.
func (s *Server) consentAgain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	if !auth.WellFormedToken(token) {
		s.consentGone(w, r)
		return
	}
	c, err := s.store.GiveConsentAgain(ctx, auth.HashToken(token), s.cfg.Now())
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound:
		s.consentGone(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	p, lib, err := s.consentChild(ctx, c.PatronID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showConsent(w, r, http.StatusOK, "Accord enregistré", consentPage{Outcome: "accorde", Again: true, Child: childName(p), Library: lib.Name})
}

// childName is the patron as the parent's page names them: Prénom Nom.
func childName(p *sesame.Patron) string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }
