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
	PatronID  int64
	LibraryID int64
	Email     string // the patron's, for the password rules
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused; also set when the link is voided
}

// Usable reports whether the link can still change the password at now.
func (r PasswordReset) Usable(now time.Time) bool {
	return r.UsedAt.IsZero() && now.Before(r.ExpiresAt)
}

// CreatePasswordResetTx stores, in tx, a reset link for patronID valid until
// expiresAt, and voids the patron's earlier unused links: only the latest
// one works. The caller enqueues the mail that carries it in the same tx.
func (s *Store) CreatePasswordResetTx(ctx context.Context, tx *sql.Tx, tokenHash string, patronID int64, expiresAt time.Time) error {
	now := s.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE patron_id = $2 AND used_at IS NULL`, now, patronID); err != nil {
		return fmt.Errorf("void password resets: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, patron_id, expires_at, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)`,
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
	var used sql.NullTime
	err := q.QueryRowContext(ctx, `
		SELECT r.patron_id, p.library_id, p.email, r.expires_at, r.used_at
		FROM password_resets r JOIN patrons p ON p.id = r.patron_id
		WHERE r.token_hash = $1`, tokenHash).Scan(&r.PatronID, &r.LibraryID, &r.Email, &r.ExpiresAt, &used)
	if err != nil {
		return PasswordReset{}, dbError(err, "Lien", "")
	}
	if used.Valid {
		r.UsedAt = used.Time
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
		// Claimed in one statement, so that two uses at once cannot both pass.
		res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1`, now, tokenHash)
		if err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return sesame.Errorf(sesame.ENotFound, "Ce lien a expiré ou a déjà servi.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE patron_id = $2 AND used_at IS NULL`, now, r.PatronID); err != nil {
			return fmt.Errorf("void password resets: %w", err)
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
