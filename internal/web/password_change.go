package web

import (
	"fmt"
	"net/http"

	"github.com/bdf29/sesame"
)

// passwordChange is how an account's new password comes: a patron's
// through a reset link, or from « Mon compte » by a patron who typed the
// current one; a staff member's from the network admin, who resets it.
type passwordChange struct {
	PatronID int64
	// StaffID is the staff account whose password the network admin
	// resets; 0 for a patron's.
	StaffID int64
	// ResetToken is the hash of the reset link's token, for a reset.
	ResetToken string
	// KeepSession is the hash of the session that asked for a change from
	// « Mon compte »: the one session that stays open.
	KeepSession string
	// Actor is who changed it: the patron from « Mon compte », the network
	// admin for a staff account; a reset link's is the link's patron.
	Actor sesame.Actor
}

// setPassword is the one path of a new password, a patron's or a staff
// member's, reset or change alike: in one transaction the hash is set,
// every session of the account ends (but the one of a patron who asked
// for a change from « Mon compte »), with a staff member's logins waiting
// for their second factor, a patron's reset links are voided and, for a
// patron's change, the "password changed" mail is queued. Then what vendors
// hold of a patron's account ends, as whoever knew the old password may
// hold a vendor's token or ticket too. A reset link unknown, used or
// expired gives ENotFound, and nothing changes.
func (s *Server) setPassword(r *http.Request, c passwordChange, password string) error {
	ctx := r.Context()
	hash, err := s.cfg.Hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	switch {
	case c.StaffID != 0:
		return s.store.ResetStaffPassword(ctx, c.StaffID, hash, c.Actor)
	case c.ResetToken != "":
		err = s.store.ResetPatronPassword(ctx, c.ResetToken, hash, s.cfg.Now())
	default:
		err = s.store.ChangePatronPassword(ctx, c.PatronID, hash, c.KeepSession, c.Actor, s.passwordChangedMail(ctx))
	}
	if err != nil {
		return err
	}
	// The password is changed already: a vendor that cannot be reached now
	// must not make the patron believe it was not.
	if err := s.endPatronSSO(r, c.PatronID); err != nil {
		s.log.Error("fin des accès SSO après changement de mot de passe", "patron", c.PatronID, "err", err)
	}
	return nil
}
