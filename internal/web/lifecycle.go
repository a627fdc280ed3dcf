package web

import (
	"context"
	"net/url"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// A save of a patron's record, by staff or by the patron, asks
// sesame.Transition what it did; the audit action, the mails and the
// account's return to « À valider » follow from that one answer.

// parentContact is the parent or legal guardian named on a form, whose
// consent a patron who became a minor needs.
type parentContact struct{ Name, Email string }

// settle classifies the save of p, read as prior, and applies what the
// lifecycle requires. A birth date corrected to one under
// sesame.ParentalConsentAge (sesame.ChangeConsentRequired) needs the
// parent's fields of sent, checked as at registration: without them, the
// save is refused with French messages beside those fields.
func (s *Server) settle(prior, p *sesame.Patron, sent url.Values) ([]sesame.Change, parentContact, error) {
	changes := sesame.Transition(*prior, *p, s.today())
	if !sesame.Has(changes, sesame.ChangeConsentRequired) {
		return changes, parentContact{}, nil
	}
	errs := sesame.FieldErrors{}
	name, email := s.checkParent(sent, p.Email, errs)
	if err := errs.Err(); err != nil {
		return nil, parentContact{}, err
	}
	p.RequireParentalConsent()
	return changes, parentContact{Name: name, Email: email}, nil
}

// consentNote is what the audit trail adds about a consent asked again.
func consentNote(changes []sesame.Change, parent parentContact) string {
	if !sesame.Has(changes, sesame.ChangeConsentRequired) {
		return ""
	}
	return " ; moins de 15 ans : accord parental demandé à " + parent.Name + " (" + parent.Email + "), ressources validées remises « En attente »"
}

// lifecycleEffects returns the AfterWrite that carries out, in the
// transaction of the save, what changes call for: the mail that tells the
// patron of the library's decision, and for a patron who became a minor,
// their validated resources back « En attente » and the mail that asks the
// parent's consent.
func (s *Server) lifecycleEffects(ctx context.Context, changes []sesame.Change, parent parentContact) store.AfterWrite {
	mail := s.decisionMail(ctx, changes)
	return func(tx *store.Tx, p *sesame.Patron) error {
		if sesame.Has(changes, sesame.ChangeConsentRequired) {
			if _, err := tx.SuspendGrants(ctx, p.ID); err != nil {
				return err
			}
			if err := s.parentAgainMail(ctx, tx, p, parent); err != nil {
				return err
			}
		}
		return mail(tx, p)
	}
}

// parentAgainMail asks the parent of a patron who became a minor for their
// consent, as the registration's parent mail does: a link, 48 hours and
// single use, whose token is stored hashed beside the patron and kept apart
// from the mail's text in the outbox. Until the parent follows it, the
// account cannot be validated (sesame.Patron.AwaitsParentalConsent).
func (s *Server) parentAgainMail(ctx context.Context, tx *store.Tx, p *sesame.Patron, parent parentContact) error {
	lib, err := tx.Library(ctx, p.LibraryID)
	if err != nil {
		return err
	}
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	until := s.cfg.Now().Add(registrationValidity)
	if err := tx.AskConsentAgain(ctx, p, auth.HashToken(token), parent.Name, parent.Email, until); err != nil {
		return err
	}
	m, err := notify.Render("accord-parental-a-nouveau", notify.ConsentAgain{Parent: parent.Name, Child: childName(p), Network: s.networkName(ctx),
		Library: lib.Name, BirthDate: p.BirthDate.String(), Link: s.cfg.BaseURL + consentAgainPath + token})
	if err != nil {
		return err
	}
	m.To, m.ToName = parent.Email, parent.Name
	m.Secret, m.SecretUntil = token, until
	return mail.Enqueue(ctx, tx, m)
}
