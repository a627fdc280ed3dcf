package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// Link is what every single-use link of a patron holds, whatever it is for:
// a password reset (password_resets), a parent's consent asked again
// (consent_requests). Only the hash of its token is kept.
type Link struct {
	PatronID  int64
	LibraryID int64 // the patron's
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused; also set when a newer link or a new password voids it
}

// Usable reports whether the link still works at now.
func (l Link) Usable(now time.Time) bool {
	return l.UsedAt.IsZero() && now.Before(l.ExpiresAt)
}

// errLinkUsedUp answers a single-use link unknown, used, voided or expired.
var errLinkUsedUp = sesame.Errorf(sesame.ENotFound, "Ce lien a expiré ou a déjà servi.")

// findLink reads the link of table stored under tokenHash, used or expired
// or not, into l, and the columns more (of the link, k, or of its patron,
// p) into dest.
func findLink(ctx context.Context, q queryer, table, more, tokenHash string, l *Link, dest ...any) error {
	var used sql.NullTime
	// #nosec G202 -- table and more are the callers' constants.
	err := q.QueryRowContext(ctx, `
		SELECT k.patron_id, p.library_id, k.expires_at, k.used_at, `+more+`
		FROM `+table+` k JOIN patrons p ON p.id = k.patron_id
		WHERE k.token_hash = $1`, tokenHash).Scan(append([]any{&l.PatronID, &l.LibraryID, &l.ExpiresAt, &used}, dest...)...)
	if err != nil {
		return dbError(err, "Lien", "")
	}
	l.UsedAt = used.Time
	return nil
}

// takeLink uses, at now, the link of table stored under tokenHash. It is
// claimed in one statement, so that two uses at once cannot both pass: a
// link used, voided or expired gives errLinkUsedUp.
func takeLink(ctx context.Context, tx *sql.Tx, table, tokenHash string, now time.Time) error {
	// #nosec G202 -- table is the caller's constant.
	res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1`, now, tokenHash)
	if err != nil {
		return fmt.Errorf("use %s: %w", table, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errLinkUsedUp
	}
	return nil
}

// voidLinks marks the patron's unused links of table as used at now: after a
// new link, or a new password, none of the earlier ones works.
func voidLinks(ctx context.Context, tx *sql.Tx, table string, patronID int64, now time.Time) error {
	// #nosec G202 -- table is the caller's constant.
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET used_at = $1 WHERE patron_id = $2 AND used_at IS NULL`, now, patronID); err != nil {
		return fmt.Errorf("void %s: %w", table, err)
	}
	return nil
}
