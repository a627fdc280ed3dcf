package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// Registration is a self-registration waiting for its holder to follow the
// link sent by e-mail. Only the hash of the link's token is kept; Payload is
// the caller's record of the validated form, opaque here.
type Registration struct {
	Email     string
	Payload   string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// EmailTakenTx reports, in tx, whether a patron already has that e-mail.
func (s *Store) EmailTakenTx(ctx context.Context, tx *sql.Tx, email string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM patrons WHERE email = $1`, sesame.NormalizeEmail(email)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up patron e-mail: %w", err)
	}
	return n > 0, nil
}

// SaveRegistrationTx stores, in tx, a registration for email valid until
// expiresAt under tokenHash. An earlier registration of the same address is
// replaced, in one statement: a double submission leaves one, whose link is
// the latest. The caller enqueues the mail that carries it in the same tx.
func (s *Store) SaveRegistrationTx(ctx context.Context, tx *sql.Tx, tokenHash, email, payload string, expiresAt time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO registrations (token_hash, email, payload, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (email) DO UPDATE SET token_hash = excluded.token_hash, payload = excluded.payload,
			expires_at = excluded.expires_at, created_at = excluded.created_at`,
		tokenHash, sesame.NormalizeEmail(email), payload, expiresAt.UTC().Truncate(time.Microsecond), s.Now())
	if err != nil {
		return fmt.Errorf("save registration: %w", err)
	}
	return nil
}

// RegistrationByHash returns the registration stored under tokenHash,
// expired or not.
func (s *Store) RegistrationByHash(ctx context.Context, tokenHash string) (Registration, error) {
	return findRegistration(ctx, s.read, tokenHash)
}

func findRegistration(ctx context.Context, q queryer, tokenHash string) (Registration, error) {
	var r Registration
	err := q.QueryRowContext(ctx, `SELECT email, payload, expires_at, created_at FROM registrations WHERE token_hash = $1`, tokenHash).
		Scan(&r.Email, &r.Payload, &r.ExpiresAt, &r.CreatedAt)
	if err != nil {
		return Registration{}, dbError(err, "Inscription", "")
	}
	return r, nil
}

// ErrAlreadyRegistered is ConfirmRegistration's answer when a patron got
// the registration's address in the meantime.
var ErrAlreadyRegistered = sesame.Errorf(sesame.EConflict, "Un compte existe déjà avec cette adresse e-mail.")

// ConfirmRegistration turns the registration stored under tokenHash into a
// patron, in one transaction: build makes the patron from the registration,
// the patron and their grants are created, the registration is deleted and
// the confirmation is audited. It returns the new patron's id. A link
// unknown, already used or expired at now gives ENotFound, and nothing
// changes; when a patron already has the address, the registration is
// deleted and the error is ErrAlreadyRegistered.
func (s *Store) ConfirmRegistration(ctx context.Context, tokenHash string, now time.Time,
	build func(Registration) (NewPatron, error)) (int64, error) {
	var id int64
	taken := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := findRegistration(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		if !now.Before(r.ExpiresAt) {
			return sesame.Errorf(sesame.ENotFound, "Inscription introuvable.")
		}
		// Deleted first, in one statement: of two uses at once, one only passes.
		res, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE token_hash = $1`, tokenHash)
		if err != nil {
			return fmt.Errorf("delete registration: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return sesame.Errorf(sesame.ENotFound, "Inscription introuvable.")
		}
		if taken, err = s.EmailTakenTx(ctx, tx, r.Email); err != nil || taken {
			return err
		}
		np, err := build(r)
		if err != nil {
			return err
		}
		np.Patron.Email = r.Email
		actor := sesame.Actor{Label: "l'usager (" + r.Email + ")", LibraryID: np.Patron.LibraryID}
		if id, err = s.createPatronTx(ctx, tx, np, actor); err != nil {
			return err
		}
		actor.PatronID = id
		return audit(ctx, tx, s.Now(), actor, np.Patron.LibraryID, id, "confirmation", "Inscription confirmée par l'usager.")
	})
	if err == nil && taken {
		return 0, ErrAlreadyRegistered
	}
	return id, err
}
