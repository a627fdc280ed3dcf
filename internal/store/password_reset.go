package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// PasswordReset is a link a patron asked for to choose a new password. Only
// the hash of its token is kept.
type PasswordReset struct {
	Link
	Email string // the patron's, for the password rules
}

// CreatePasswordReset stores, in tx, a reset link for patronID valid until
// expiresAt, and voids the patron's earlier unused links: only the latest
// one works. The caller enqueues the mail that carries it in the same tx.
func (t *Tx) CreatePasswordReset(ctx context.Context, tokenHash string, patronID int64, expiresAt time.Time) error {
	now := t.store.Now()
	if err := voidLinks(ctx, t.sql, "password_resets", patronID, now); err != nil {
		return err
	}
	_, err := t.sql.ExecContext(ctx, `INSERT INTO password_resets (token_hash, patron_id, expires_at, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)`,
		tokenHash, patronID, dbTime(expiresAt), now)
	if err != nil {
		return fmt.Errorf("create password reset: %w", err)
	}
	return nil
}

// PasswordResetByHash returns the reset link stored under tokenHash.
func (s *Store) PasswordResetByHash(ctx context.Context, tokenHash string) (PasswordReset, error) {
	return findPasswordReset(ctx, s.readStmts, tokenHash)
}

func findPasswordReset(ctx context.Context, q queryer, tokenHash string) (PasswordReset, error) {
	var r PasswordReset
	if err := findLink(ctx, q, "password_resets", "p.email", tokenHash, &r.Link, &r.Email); err != nil {
		return PasswordReset{}, err
	}
	return r, nil
}

// ResetPatronPassword uses the link stored under tokenHash to set the
// patron's password hash, at now, in one transaction: the link is marked
// used, every other unused link of the patron is voided, all the patron's
// sessions are closed and the change is audited. A link unknown, used or
// expired at now gives ENotFound, and nothing changes.
func (s *Store) ResetPatronPassword(ctx context.Context, tokenHash, passwordHash string, now time.Time) error {
	now = dbTime(now)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := findPasswordReset(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		if err := takeLink(ctx, tx, "password_resets", tokenHash, now); err != nil {
			return err
		}
		if err := voidLinks(ctx, tx, "password_resets", r.PatronID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET password_hash = $1 WHERE id = $2`, passwordHash, r.PatronID); err != nil {
			return fmt.Errorf("set patron password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM patron_sessions WHERE patron_id = $1`, r.PatronID); err != nil {
			return fmt.Errorf("close patron sessions: %w", err)
		}
		actor := sesame.Actor{PatronID: r.PatronID, Label: "l'usager (" + r.Email + ")", LibraryID: r.LibraryID}
		return audit(ctx, tx, s.Now(), actor, r.LibraryID, r.PatronID, sesame.ActionPassword, "Mot de passe réinitialisé par l'usager.")
	})
}
