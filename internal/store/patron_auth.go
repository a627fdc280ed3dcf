package store

import (
	"context"
	"time"

	"github.com/bdf29/sesame"
)

// PatronCredentials returns the id and password hash of the patron with that
// e-mail, for login.
func (s *Store) PatronCredentials(ctx context.Context, email string) (int64, string, error) {
	var id int64
	var hash string
	err := s.readStmts.QueryRowContext(ctx, `SELECT id, password_hash FROM patrons WHERE email = $1`, sesame.NormalizeEmail(email)).Scan(&id, &hash)
	if err != nil {
		return 0, "", dbError(err, "Compte", "")
	}
	return id, hash, nil
}

// SetPatronPassword replaces a patron's password hash.
func (s *Store) SetPatronPassword(ctx context.Context, id int64, hash string) error {
	return s.exec(ctx, "set patron password", `UPDATE patrons SET password_hash = $1 WHERE id = $2`, hash, id)
}

// PatronSession is a logged-in patron's server-side session.
type PatronSession struct {
	PatronID   int64
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// CreatePatronSession stores a new patron session under the hash of its token.
func (s *Store) CreatePatronSession(ctx context.Context, tokenHash string, patronID int64) error {
	return patronSessions.create(ctx, s, tokenHash, patronID)
}

// PatronSessionByHash returns a patron session.
func (s *Store) PatronSessionByHash(ctx context.Context, tokenHash string) (*PatronSession, error) {
	var ps PatronSession
	err := s.readStmts.QueryRowContext(ctx, `SELECT patron_id, created_at, last_seen_at FROM patron_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&ps.PatronID, &ps.CreatedAt, &ps.LastSeenAt)
	if err != nil {
		return nil, dbError(err, "Session", "")
	}
	return &ps, nil
}

// TouchPatronSession records activity on a patron session.
func (s *Store) TouchPatronSession(ctx context.Context, tokenHash string, at time.Time) error {
	return patronSessions.touch(ctx, s, tokenHash, at)
}

// DeletePatronSession ends one patron session.
func (s *Store) DeletePatronSession(ctx context.Context, tokenHash string) error {
	return patronSessions.end(ctx, s, tokenHash)
}
