package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bdf29/sesame"
)

// DeleteOwnAccount deletes a patron's account at their own request (RGPD
// art. 17): their sessions, the patron row and its grants, the search entry,
// and the count. The audit trail keeps the event under the patron's id with
// a pseudonymous trace only: no name, no e-mail.
func (s *Store) DeleteOwnAccount(ctx context.Context, patronID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, NetworkScope(), patronID)
		if err != nil {
			return err
		}
		// The foreign key cascades on both engines; deleting the sessions
		// here does not depend on it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM patron_sessions WHERE patron_id = $1`, patronID); err != nil {
			return fmt.Errorf("delete patron sessions: %w", err)
		}
		if err := s.removePatron(ctx, tx, p); err != nil {
			return err
		}
		actor := sesame.Actor{Label: "usager supprimé"}
		return audit(ctx, tx, s.Now(), actor, p.LibraryID, p.ID, sesame.ActionDeletion,
			fmt.Sprintf("Compte supprimé à la demande de l'usager (n° %d).", p.ID))
	})
}

// removePatron deletes the patron row (grants and sessions cascade), then
// keeps patron_counts and SQLite's search index in step. The trail of the
// record keeps its dates and kinds of change, not what they said: the old
// values (names, e-mail, card number) and the patron's own actor label go
// with the account. Call it in the transaction that read p.
func (s *Store) removePatron(ctx context.Context, tx *sql.Tx, p *sesame.Patron) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM patrons WHERE id = $1`, p.ID); err != nil {
		return fmt.Errorf("delete patron: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE audit_events SET detail = 'Détail effacé avec le compte.',
			actor = CASE WHEN actor LIKE 'l''usager (%' THEN 'usager supprimé' ELSE actor END
		WHERE patron_id = $1`, p.ID); err != nil {
		return fmt.Errorf("pseudonymise trail: %w", err)
	}
	if err := adjustCount(ctx, tx, p.LibraryID, p.Status, -1); err != nil {
		return err
	}
	return s.unindexSearch(ctx, tx, p.LibraryID, p.ID)
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
