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

// consentGone shows the page of a consent link expired, used or unknown. A
// link that has only expired, of a patron still waiting for the consent,
// also offers « Recevoir un nouveau lien », which consentAgainRenew accepts.
func (s *Server) consentGone(w http.ResponseWriter, r *http.Request) {
	page := consentPage{Outcome: "perime", Again: true}
	_, _, renewable, err := s.renewableConsent(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if renewable {
		page.Token, page.Renewable = r.PathValue("token"), true
	}
	s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", page)
}

// renewableConsent reads the consent link of token and its patron, and
// reports whether a new link may replace it: it expired unused, not long
// ago (store.ConsentRequest.Renewable), and its patron still waits for the
// consent. The page and its POST both ask it.
func (s *Server) renewableConsent(ctx context.Context, token string) (store.ConsentRequest, *sesame.Patron, bool, error) {
	if !auth.WellFormedToken(token) {
		return store.ConsentRequest{}, nil, false, nil
	}
	c, err := s.store.ConsentRequestByHash(ctx, auth.HashToken(token))
	if sesame.ErrorCode(err) == sesame.ENotFound || (err == nil && !c.Renewable(s.cfg.Now())) {
		return c, nil, false, nil
	}
	if err != nil {
		return c, nil, false, err
	}
	p, err := s.store.Patron(ctx, store.NetworkScope(), c.PatronID)
	if err != nil {
		return c, nil, false, err
	}
	return c, p, p.AwaitsParentalConsent(s.today()), nil
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

// answerConsentLink is what both handlers of a consent link do: use finds
// (or claims) the link under the token's hash; a link malformed, unknown or
// no longer usable (ENotFound) gets the page of a gone link, and a usable
// one is shown with its child and library.
func (s *Server) answerConsentLink(w http.ResponseWriter, r *http.Request, use func(hash string) (store.ConsentRequest, error),
	show func(c store.ConsentRequest, p *sesame.Patron, lib *sesame.Library)) {
	token := r.PathValue("token")
	if !auth.WellFormedToken(token) {
		s.consentGone(w, r)
		return
	}
	c, err := use(auth.HashToken(token))
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound:
		s.consentGone(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	p, lib, err := s.consentChild(r.Context(), c.PatronID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	show(c, p, lib)
}

// consentAgainForm says what the parent consents to, with one button.
// Opening it changes nothing.
func (s *Server) consentAgainForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	find := func(hash string) (store.ConsentRequest, error) {
		c, err := s.store.ConsentRequestByHash(ctx, hash)
		if err == nil && !c.Usable(s.cfg.Now()) {
			err = sesame.Errorf(sesame.ENotFound, "Ce lien a expiré ou a déjà servi.")
		}
		return c, err
	}
	s.answerConsentLink(w, r, find, func(c store.ConsentRequest, p *sesame.Patron, lib *sesame.Library) {
		grants, err := s.store.PatronGrants(ctx, store.NetworkScope(), p.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page := consentPage{Outcome: "accord", Again: true, Token: r.PathValue("token"), ParentName: c.ParentName,
			Child: childName(p), BirthDate: p.BirthDate.String(), Library: lib.Name}
		for _, g := range grants {
			// What the account asked for and the library may grant it: the
			// resources validated before the correction are « En attente » again.
			if g.State == sesame.GrantPending || g.State == sesame.GrantValidated {
				page.Resources = append(page.Resources, g.Resource.Name)
			}
		}
		s.showConsent(w, r, http.StatusOK, "Accord parental pour l'inscription de "+page.Child, page)
	})
}

// consentAgain records the parent's consent: the account, still À valider,
// can now be validated by its library.
func (s *Server) consentAgain(w http.ResponseWriter, r *http.Request) {
	give := func(hash string) (store.ConsentRequest, error) {
		return s.store.GiveConsentAgain(r.Context(), hash, s.cfg.Now())
	}
	s.answerConsentLink(w, r, give, func(_ store.ConsentRequest, p *sesame.Patron, lib *sesame.Library) {
		s.showConsent(w, r, http.StatusOK, "Accord enregistré", consentPage{Outcome: "accorde", Again: true, Child: childName(p), Library: lib.Name})
	})
}

// consentAgainRenew answers « Recevoir un nouveau lien » of an expired
// link: the parent it was sent to gets a new one, as when it was first
// asked (parentAgainMail), which voids the expired one. The quota of the
// other public forms that send mail applies; over the parent's address's
// share, nothing leaves but the answer is the same.
func (s *Server) consentAgainRenew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, p, renewable, err := s.renewableConsent(ctx, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !renewable {
		s.consentGone(w, r)
		return
	}
	wait, byEmail, err := s.allowMail(ctx, r, consentRenewQuota, c.ParentEmail)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wait > 0 {
		s.log.Warn("nouveau lien d'accord parental refusé : trop de demandes de ce client", "addr", s.clientAddress(r))
		s.showConsent(w, r, http.StatusTooManyRequests, "Erreur : lien expiré", consentPage{Outcome: "perime", Again: true,
			Token: r.PathValue("token"), Renewable: true, Message: tooManyFromClient(wait)})
		return
	}
	if byEmail {
		err = s.store.Update(ctx, func(tx *store.Tx) error {
			return s.parentAgainMail(ctx, tx, p, parentContact{Name: c.ParentName, Email: c.ParentEmail})
		})
	} else {
		s.log.Warn("nouveau lien d'accord parental ignoré : trop de demandes", "addr", s.clientAddress(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showConsent(w, r, http.StatusOK, "Nouveau lien envoyé", consentPage{Outcome: "renouvele", Again: true})
}

// childName is the patron as the parent's page names them: Prénom Nom.
func childName(p *sesame.Patron) string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }
