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
	held, err := s.heldSeats(ctx, tx, p)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM patrons WHERE id = $1`, p.ID); err != nil {
		return fmt.Errorf("delete patron: %w", err)
	}
	// The seats the patron held go to the next in line (licences.go).
	if err := s.settlePatron(ctx, tx, p, nil, held); err != nil {
		return err
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
