package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// A patron under sesame.ParentalConsentAge registers in three steps: the
// form, their own confirmation by the link mailed to them, then a parent's
// consent by the link mailed to the parent. Only then is the patron created,
// À valider, with the consent kept beside them.

// askParentalConsent answers the holder's button of a registration that
// needs a parent: their address is confirmed, and the parent's mail leaves
// in the same transaction as the link it carries.
func (s *Server) askParentalConsent(w http.ResponseWriter, r *http.Request, hash string, pl registrationPayload) {
	ctx := r.Context()
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		token, err := auth.NewToken(s.cfg.Random)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		if _, err := tx.AwaitParentalConsent(ctx, hash, auth.HashToken(token), now, now.Add(registrationValidity)); err != nil {
			return err
		}
		return s.enqueueParentalConsentMail(ctx, tx, pl, token)
	})
	switch {
	case err == nil:
		s.showConfirmation(w, r, http.StatusOK, "Adresse confirmée : accord parental demandé",
			confirmationPage{Outcome: "parent", ParentEmail: pl.ParentEmail})
	case errors.Is(err, store.ErrLinkUsed) || sesame.ErrorCode(err) == sesame.ENotFound:
		s.showConfirmed(w, r, err, hash)
	default:
		s.fail(w, r, err)
	}
}

// enqueueParentalConsentMail writes, in tx, the mail that asks the parent's
// consent through the link of token.
func (s *Server) enqueueParentalConsentMail(ctx context.Context, tx *store.Tx, pl registrationPayload, token string) error {
	lib, err := s.store.Library(ctx, pl.LibraryID)
	if err != nil {
		return err
	}
	m, err := parentalConsentMail(pl, s.networkName(ctx), lib.Name, s.cfg.BaseURL+"/inscription/accord/"+token)
	if err != nil {
		return err
	}
	m.Secret, m.SecretUntil = token, s.cfg.Now().Add(registrationValidity)
	return mail.Enqueue(ctx, tx, m)
}

// consentPage is the page a parent's link leads to.
type consentPage struct {
	Outcome string // "accord", "accorde", "deja", "compte", "perime" or "renouvele"
	// Again is set for the consent asked again of an existing account whose
	// birth date was corrected (consent_again.go), not for a registration.
	Again      bool
	Token      string // for the "accord" form
	ParentName string
	Child      string // Prénom Nom
	BirthDate  string
	Library    string
	Resources  []string
	// Renewable offers, on a "perime" page of a link asked again, a new
	// link (consentAgainRenew); Message says why it was not sent.
	Renewable bool
	Message   string
}

func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, status int, title string, page consentPage) {
	s.render(w, r, status, "inscription_accord", layout{Title: title, Section: "inscription", Content: page})
}

// parentalConsentForm says what the parent consents to, with one button.
// Like the holder's link, opening it changes nothing.
func (s *Server) parentalConsentForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	if !auth.WellFormedToken(token) {
		s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", consentPage{Outcome: "perime"})
		return
	}
	reg, err := s.store.RegistrationByParentHash(ctx, auth.HashToken(token))
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound || (err == nil && reg.DoneAt.IsZero() && !s.cfg.Now().Before(reg.ExpiresAt)):
		s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", consentPage{Outcome: "perime"})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case !reg.DoneAt.IsZero():
		s.showConsent(w, r, http.StatusOK, "Accord déjà donné", consentPage{Outcome: "deja"})
		return
	}
	pl, err := decodePayload(reg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := consentPage{Outcome: "accord", Token: token, ParentName: pl.ParentName, Child: pl.Name(), BirthDate: pl.Details.BirthDate}
	lib, err := s.store.Library(ctx, pl.LibraryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Library = lib.Name
	all, err := s.store.Resources(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, res := range all {
		for _, id := range pl.ResourceIDs {
			if res.ID == id {
				page.Resources = append(page.Resources, res.Name)
			}
		}
	}
	s.showConsent(w, r, http.StatusOK, "Accord parental pour l'inscription de "+page.Child, page)
}

// parentalConsent records the parent's consent: the patron is created, À
// valider, with the consent kept beside them, and enters their library's
// to-do view.
func (s *Server) parentalConsent(w http.ResponseWriter, r *http.Request) {
	if !auth.WellFormedToken(r.PathValue("token")) {
		s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", consentPage{Outcome: "perime"})
		return
	}
	today := s.today()
	var made registrationPayload
	_, err := s.store.ConsentToRegistration(r.Context(), auth.HashToken(r.PathValue("token")), s.cfg.Now(),
		func(reg store.Registration) (store.NewPatron, store.ParentalConsent, error) {
			np, pl, err := s.patronFromRegistration(r, reg, today)
			if err == nil && !pl.NeedsParent() {
				err = errors.New("registration awaits no parent")
			}
			made = pl
			return np, store.ParentalConsent{ParentName: pl.ParentName, ParentEmail: pl.ParentEmail}, err
		})
	switch {
	case err == nil:
		lib, lerr := s.store.Library(r.Context(), made.LibraryID)
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		s.showConsent(w, r, http.StatusOK, "Accord enregistré", consentPage{Outcome: "accorde", Child: made.Name(), Library: lib.Name})
	case errors.Is(err, store.ErrLinkUsed): // a second press, while the first went through
		s.showConsent(w, r, http.StatusOK, "Accord déjà donné", consentPage{Outcome: "deja"})
	case sesame.ErrorCode(err) == sesame.ENotFound:
		s.showConsent(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", consentPage{Outcome: "perime"})
	case sesame.ErrorCode(err) == sesame.EConflict: // store.ErrAlreadyRegistered
		s.showConsent(w, r, http.StatusConflict, "Un compte existe déjà", consentPage{Outcome: "compte"})
	default:
		s.fail(w, r, err)
	}
}
