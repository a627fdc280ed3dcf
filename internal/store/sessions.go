package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// Session is a logged-in staff member's server-side session.
type Session struct {
	TokenHash  string
	Staff      sesame.Staff
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// sessionTable is a table of server-side sessions, each under the hash of
// its token: staff members' (sessions) or patrons' (patron_sessions).
type sessionTable struct{ name, owner string }

var (
	staffSessions  = sessionTable{name: "sessions", owner: "staff_id"}
	patronSessions = sessionTable{name: "patron_sessions", owner: "patron_id"}
)

// create stores a new session of ownerID under tokenHash.
func (t sessionTable) create(ctx context.Context, s *Store, tokenHash string, ownerID int64) error {
	// #nosec G202 -- the table and column names are the constants above.
	return s.exec(ctx, "create "+t.name, `INSERT INTO `+t.name+` (token_hash, `+t.owner+`, created_at, last_seen_at) VALUES ($1, $2, $3, $3)`,
		tokenHash, ownerID, s.Now())
}

// touch records activity on a session at at.
func (t sessionTable) touch(ctx context.Context, s *Store, tokenHash string, at time.Time) error {
	// #nosec G202 -- the table name is one of the constants above.
	return s.exec(ctx, "touch "+t.name, `UPDATE `+t.name+` SET last_seen_at = $1 WHERE token_hash = $2`, dbTime(at), tokenHash)
}

// end ends one session.
func (t sessionTable) end(ctx context.Context, s *Store, tokenHash string) error {
	// #nosec G202 -- the table name is one of the constants above.
	return s.exec(ctx, "delete from "+t.name, `DELETE FROM `+t.name+` WHERE token_hash = $1`, tokenHash)
}

// CreateSession stores a new session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, staffID int64) error {
	return staffSessions.create(ctx, s, tokenHash, staffID)
}

// SessionByHash returns the session and its staff account.
func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (*Session, error) {
	var sess Session
	st := &sess.Staff
	var role string
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT s.token_hash, s.created_at, s.last_seen_at,
			st.id, st.login, st.name, st.role, COALESCE(st.library_id, 0), st.disabled
		FROM sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1`, tokenHash).
		Scan(&sess.TokenHash, &sess.CreatedAt, &sess.LastSeenAt, &st.ID, &st.Login, &st.Name, &role, &st.LibraryID, &st.Disabled)
	if err != nil {
		return nil, dbError(err, "Session", "")
	}
	st.Role = sesame.Role(role)
	return &sess, nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	return staffSessions.touch(ctx, s, tokenHash, at)
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return staffSessions.end(ctx, s, tokenHash)
}

// Throttle is the failure record of a login key (an account or an address).
type Throttle struct {
	Failures     int
	BlockedUntil time.Time
}

// ThrottleOf returns the failure record of key; a key never seen has none.
func (s *Store) ThrottleOf(ctx context.Context, key string) (Throttle, error) {
	var t Throttle
	err := s.readStmts.QueryRowContext(ctx, `SELECT failures, blocked_until FROM login_throttle WHERE key = $1`, key).Scan(&t.Failures, &t.BlockedUntil)
	if err == sql.ErrNoRows {
		return Throttle{}, nil
	}
	if err != nil {
		return t, fmt.Errorf("read throttle: %w", err)
	}
	return t, nil
}

// RecordFailure counts one more failure for key and lets block decide, from
// the new count, until when the key is blocked. The count goes up in one
// statement, so that failures at the same instant on two instances all count.
func (s *Store) RecordFailure(ctx context.Context, key string, block func(failures int) time.Time) (Throttle, error) {
	var t Throttle
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO login_throttle (key, failures, blocked_until) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1
			RETURNING failures`, key, s.Now()).Scan(&t.Failures)
		if err != nil {
			return fmt.Errorf("record failure: %w", err)
		}
		t.BlockedUntil = dbTime(block(t.Failures))
		if _, err := tx.ExecContext(ctx, `UPDATE login_throttle SET blocked_until = $1 WHERE key = $2`, t.BlockedUntil, key); err != nil {
			return fmt.Errorf("record failure: %w", err)
		}
		return nil
	})
	return t, err
}

// ClearThrottle forgets the failures of key, after a successful login.
func (s *Store) ClearThrottle(ctx context.Context, key string) error {
	return s.exec(ctx, "clear throttle", `DELETE FROM login_throttle WHERE key = $1`, key)
}

// LoginThrottles gives the store's login throttles to auth.Authenticator,
// whichever door the login comes through (the web forms, SIP2): a
// patron's failures add up across them.
type LoginThrottles struct{ Store *Store }

func (t LoginThrottles) BlockedUntil(ctx context.Context, key string) (time.Time, error) {
	th, err := t.Store.ThrottleOf(ctx, key)
	return th.BlockedUntil, err
}

func (t LoginThrottles) RecordFailure(ctx context.Context, key string, block func(failures int) time.Time) error {
	_, err := t.Store.RecordFailure(ctx, key, block)
	return err
}

func (t LoginThrottles) ClearThrottle(ctx context.Context, key string) error {
	return t.Store.ClearThrottle(ctx, key)
}
