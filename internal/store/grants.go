package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// GrantView is a resource as the Ressources tab shows it for one patron: its
// state, or no grant at all.
type GrantView struct {
	Resource sesame.Resource
	State    sesame.GrantState // "" when the patron never asked for it
}

// PatronGrants lists every resource of the network with the patron's grant,
// for a patron within scope.
func (s *Store) PatronGrants(ctx context.Context, sc Scope, patronID int64) ([]GrantView, error) {
	if _, err := findPatron(ctx, s.readStmts, sc, patronID); err != nil {
		return nil, err
	}
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT `+resourceColumns+`, COALESCE(g.state, '')
		FROM resources r LEFT JOIN grants g ON g.resource_id = r.id AND g.patron_id = $1
		ORDER BY r.name, r.id`, patronID)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	var views []GrantView
	for rows.Next() {
		var v GrantView
		var state string
		if err := rows.Scan(&v.Resource.ID, &v.Resource.Slug, &v.Resource.Name, &v.Resource.Description,
			&v.Resource.URL, &v.Resource.Disabled, &state); err != nil {
			return nil, fmt.Errorf("scan grant: %w", err)
		}
		v.State = sesame.GrantState(state)
		views = append(views, v)
	}
	return views, rows.Err()
}

// SetGrants puts the patron's grants on the given resources in state, for a
// patron within scope whose record actor may change (EditableBy). It
// reports the names of the resources whose state changed.
func (s *Store) SetGrants(ctx context.Context, sc Scope, patronID int64, resourceIDs []int64, state sesame.GrantState, actor sesame.Actor) ([]string, error) {
	return s.SetGrantsThen(ctx, sc, patronID, resourceIDs, state, actor, nil)
}

// AfterGrantDecisions runs in the transaction of a library's decision on
// grants, once written, with the patron and the typed changes
// (sesame.GrantTransition): granted, refused, withdrawn.
type AfterGrantDecisions func(tx *sql.Tx, p *sesame.Patron, changes []sesame.Change) error

// AfterGrants runs in the transaction of a change of grants, once written,
// with the patron and the names of the resources whose state changed; see
// AfterWrite.
type AfterGrants func(tx *sql.Tx, p *sesame.Patron, changed []string) error

// SetGrantsThen is SetGrants, calling then, when set and when a grant
// changed as a decision, in the same transaction.
func (s *Store) SetGrantsThen(ctx context.Context, sc Scope, patronID int64, resourceIDs []int64, state sesame.GrantState, actor sesame.Actor,
	then AfterGrantDecisions) ([]string, error) {
	var changed []string
	var decisions []sesame.Change
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, sc, patronID)
		if err != nil {
			return err
		}
		editing, err := p.EditableBy(actor)
		if err != nil {
			return err
		}
		now := s.Now()
		for _, rid := range resourceIDs {
			var name, old string
			err := tx.QueryRowContext(ctx, `
				SELECT r.name, COALESCE(g.state, '') FROM resources r
				LEFT JOIN grants g ON g.resource_id = r.id AND g.patron_id = $1 WHERE r.id = $2`, patronID, rid).Scan(&name, &old)
			if err != nil {
				return dbError(err, "Ressource", "")
			}
			if old == string(state) {
				continue
			}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO grants (patron_id, resource_id, state, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (patron_id, resource_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
				patronID, rid, string(state), now)
			if err != nil {
				return fmt.Errorf("set grant: %w", err)
			}
			changed = append(changed, name)
			if c, ok := sesame.GrantTransition(name, sesame.GrantState(old), state); ok {
				decisions = append(decisions, c)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET version = version + 1, updated_at = $1 WHERE id = $2`, now, patronID); err != nil {
			return fmt.Errorf("touch patron: %w", err)
		}
		detail := fmt.Sprintf("Ressources passées à « %s » : %s.", state.Label(), strings.Join(changed, ", "))
		if editing == sesame.EditExpiredCorrection {
			detail = sesame.ExpiredCorrectionNote + " : " + detail
		}
		if err := audit(ctx, tx, now, actor, p.LibraryID, patronID, sesame.ActionResources, detail); err != nil {
			return err
		}
		if then == nil || len(decisions) == 0 {
			return nil
		}
		return then(tx, p, decisions)
	})
	return changed, err
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
