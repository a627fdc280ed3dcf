package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// auditEvent records an event of the audit trail. An event the statistics
// count carries the instant it counts at (audit_events.counts_at), the date
// it means as the domain tells it from p, the patron as the event leaves
// them; without p, the event counts when it is recorded.
func auditEvent(ctx context.Context, q queryer, at time.Time, actor sesame.Actor, libraryID, patronID int64, p *sesame.Patron,
	action sesame.AuditAction, detail string) error {
	var lib, pat any
	if libraryID != 0 {
		lib = libraryID
	}
	if patronID != 0 {
		pat = patronID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		at, actor.Label, lib, pat, string(action), detail, countsAt(action, p, at))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// countsAt is the value of audit_events.counts_at for an event of action
// at at, on patron p (nil when none): NULL for an event the statistics do
// not count.
func countsAt(action sesame.AuditAction, p *sesame.Patron, at time.Time) any {
	if !action.Counted() {
		return nil
	}
	if p == nil {
		return at
	}
	return dbTime(action.CountsAt(*p, at))
}

// PastEvent is an event of an account's history that happened before the
// account was created here, such as the demo's registrations, validations
// and expiries on the dates its records show.
type PastEvent struct {
	At     time.Time
	Action sesame.AuditAction
	Detail string
}

// writeHistory records the past events of p, whose ID is set, signed by
// actor: they count in the statistics on the dates they mean, as the same
// events made today would.
func writeHistory(ctx context.Context, tx *sql.Tx, p *sesame.Patron, history []PastEvent, actor sesame.Actor) error {
	for _, e := range history {
		at := dbTime(e.At)
		if err := auditEvent(ctx, tx, at, actor, p.LibraryID, p.ID, p, e.Action, e.Detail); err != nil {
			return err
		}
	}
	return nil
}

func audit(ctx context.Context, q queryer, at time.Time, actor sesame.Actor, libraryID, patronID int64, action sesame.AuditAction, detail string) error {
	return auditEvent(ctx, q, at, actor, libraryID, patronID, nil, action, detail)
}

// Audit records an event that no other store method records, such as a login.
func (s *Store) Audit(ctx context.Context, actor sesame.Actor, libraryID int64, action sesame.AuditAction, detail string) error {
	return audit(ctx, s.writePool, s.Now(), actor, libraryID, 0, action, detail)
}

// PatronHistory returns the audit trail of a patron within scope, newest
// first; a patron out of scope, or deleted, is not found.
func (s *Store) PatronHistory(ctx context.Context, sc Scope, patronID int64) ([]sesame.AuditEvent, error) {
	if _, err := findPatron(ctx, s.readStmts, sc, patronID); err != nil {
		return nil, err
	}
	return s.PatronTrail(ctx, sc, patronID)
}

// Audit records an event in tx.
func (t *Tx) Audit(ctx context.Context, actor sesame.Actor, action sesame.AuditAction, detail string) error {
	return audit(ctx, t.sql, t.store.Now(), actor, 0, 0, action, detail)
}

// PatronTrail returns the audit events kept under a patron id within scope,
// newest first, whether or not the patron still exists: after a deletion,
// only the pseudonymous trace remains readable this way.
func (s *Store) PatronTrail(ctx context.Context, sc Scope, patronID int64) ([]sesame.AuditEvent, error) {
	args := []any{patronID}
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT id, at, actor, COALESCE(library_id, 0), COALESCE(patron_id, 0), action, detail
		FROM audit_events WHERE patron_id = $1`+sc.clause("library_id", &args)+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("patron trail: %w", err)
	}
	defer rows.Close()
	var events []sesame.AuditEvent
	for rows.Next() {
		var e sesame.AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.ActorLabel, &e.LibraryID, &e.PatronID, &e.Action, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}
