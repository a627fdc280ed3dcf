package web

import (
	"fmt"
	"net/http"

	"github.com/bdf29/sesame"
)

// patronPasswordChange is how a patron's new password comes: through a
// reset link, or from « Mon compte » by a patron who typed the current one.
type patronPasswordChange struct {
	PatronID int64
	// ResetToken is the hash of the reset link's token, for a reset.
	ResetToken string
	// KeepSession is the hash of the session that asked for a change from
	// « Mon compte »: the one session that stays open.
	KeepSession string
	// Actor is who changed it from « Mon compte »; a reset's is the link's patron.
	Actor sesame.Actor
}

// setPatronPassword is the one path of a patron's new password, reset or
// change alike: in one transaction the hash is set, the reset links are
// voided, every session of the account ends (but the one that asked for a
// change) and, for a change, the "password changed" mail is queued; then
// what vendors hold of the account ends, as whoever knew the old password
// may hold a vendor's token or ticket too. A reset link unknown, used or
// expired gives ENotFound, and nothing changes.
func (s *Server) setPatronPassword(r *http.Request, c patronPasswordChange, password string) error {
	ctx := r.Context()
	hash, err := s.cfg.Hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	if c.ResetToken != "" {
		err = s.store.ResetPatronPassword(ctx, c.ResetToken, hash, s.cfg.Now())
	} else {
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
