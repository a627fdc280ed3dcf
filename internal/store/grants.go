package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/bdf29/sesame"
)

// GrantView is a resource as the Ressources tab shows it for one patron: its
// state, or no grant at all.
type GrantView struct {
	Resource sesame.Resource
	State    sesame.GrantState // "" when the patron never asked for it
	// Position is the patron's place in the waiting list (from 1), when
	// State is sesame.GrantWaiting.
	Position int
}

// PatronGrants lists every resource the patron's library offers
// (sesame.Resource.OfferedTo) with the patron's grant, for a patron within
// scope: a resource their library does not offer is never shown to them,
// nor to staff on their record.
func (s *Store) PatronGrants(ctx context.Context, sc Scope, patronID int64) ([]GrantView, error) {
	p, err := findPatron(ctx, s.readStmts, sc, patronID)
	if err != nil {
		return nil, err
	}
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT `+resourceColumns+`, COALESCE(g.state, '')
		FROM resources r LEFT JOIN grants g ON g.resource_id = r.id AND g.patron_id = $1
		WHERE `+offeredClause(2)+`
		ORDER BY r.name, r.id`, patronID, p.LibraryID)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	var views []GrantView
	for rows.Next() {
		var v GrantView
		var state string
		if err := scanResource(rows, &v.Resource, &state); err != nil {
			return nil, fmt.Errorf("scan grant: %w", err)
		}
		v.State = sesame.GrantState(state)
		views = append(views, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	rows.Close()
	for i := range views {
		if views[i].State == sesame.GrantWaiting {
			if views[i].Position, err = s.WaitingPosition(ctx, patronID, views[i].Resource.ID); err != nil {
				return nil, err
			}
		}
	}
	SortFrench(views, func(v GrantView) string { return v.Resource.Name })
	return views, nil
}

// SetGrants puts the patron's grants on the given resources in state, for a
// patron within scope whose record actor may change (EditableBy). It
// reports the names of the resources whose state changed. GrantWithdrawn
// as state takes back validated resources (withdrawGrant); the others are
// left as they are. A resource the patron's library does not offer is
// refused (sesame.ErrNotOffered), unless refused or withdrawn; one
// validated while its pool is full joins the waiting list
// (sesame.GrantWaiting), and a seat freed goes to the next in line.
func (s *Store) SetGrants(ctx context.Context, sc Scope, patronID int64, resourceIDs []int64, state sesame.GrantState, actor sesame.Actor) ([]string, error) {
	return s.SetGrantsThen(ctx, sc, patronID, resourceIDs, state, actor, nil)
}

// AfterGrantDecisions runs in the transaction of a library's decision on
// grants, once written, with the patron and the typed changes
// (sesame.GrantTransition): granted, refused, withdrawn.
type AfterGrantDecisions func(tx *Tx, p *sesame.Patron, changes []sesame.Change) error

// AfterGrants runs in the transaction of a change of grants, once written,
// with the patron and the names of the resources whose state changed; see
// AfterWrite.
type AfterGrants func(tx *Tx, p *sesame.Patron, changed []string) error

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
		now, today := s.Now(), s.today()
		var queued []string
		for _, rid := range resourceIDs {
			var name, old string
			var offered bool
			err := tx.QueryRowContext(ctx, `
				SELECT r.name, COALESCE(g.state, ''), `+offeredClause(3)+` FROM resources r
				LEFT JOIN grants g ON g.resource_id = r.id AND g.patron_id = $1 WHERE r.id = $2`, patronID, rid, p.LibraryID).Scan(&name, &old, &offered)
			if err != nil {
				return dbError(err, "Ressource", "")
			}
			if !offered && (state == sesame.GrantValidated || state == sesame.GrantPending) {
				return sesame.ErrNotOffered(name)
			}
			to := state
			if state == sesame.GrantValidated && old != string(sesame.GrantValidated) {
				if to, err = s.admit(ctx, tx, p, rid, today); err != nil {
					return err
				}
			}
			if old == string(to) || (state == GrantWithdrawn && old != string(sesame.GrantValidated)) {
				continue
			}
			switch {
			case state == GrantWithdrawn:
				err = withdrawGrant(ctx, tx, patronID, rid)
			case to == sesame.GrantWaiting:
				_, err = tx.ExecContext(ctx, `
					INSERT INTO grants (patron_id, resource_id, state, updated_at, queued_at) VALUES ($1, $2, $3, $4, $4)
					ON CONFLICT (patron_id, resource_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
						queued_at = excluded.queued_at`,
					patronID, rid, string(to), now)
				queued = append(queued, name)
			default:
				_, err = tx.ExecContext(ctx, `
					INSERT INTO grants (patron_id, resource_id, state, updated_at) VALUES ($1, $2, $3, $4)
					ON CONFLICT (patron_id, resource_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
						queued_at = NULL`,
					patronID, rid, string(to), now)
			}
			if err != nil {
				return fmt.Errorf("set grant: %w", err)
			}
			if to != sesame.GrantWaiting {
				changed = append(changed, name)
			}
			if c, ok := sesame.GrantTransition(name, sesame.GrantState(old), to); ok {
				decisions = append(decisions, c)
			}
			if old == string(sesame.GrantValidated) {
				// A seat freed: the next in line takes it.
				pool, err := s.lockPool(ctx, tx, rid, p.LibraryID)
				if err != nil {
					return err
				}
				if _, err := s.settle(ctx, tx, pool, today); err != nil {
					return err
				}
			}
		}
		if len(queued) > 0 {
			// The waiting list is told in the trail, apart: nothing was granted.
			if err := audit(ctx, tx, now, actor, p.LibraryID, patronID, sesame.ActionResources,
				"Toutes les places sont prises ; placées en liste d'attente : "+strings.Join(queued, ", ")+"."); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE patrons SET version = version + 1, updated_at = $1 WHERE id = $2`, now, patronID); err != nil {
				return fmt.Errorf("touch patron: %w", err)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET version = version + 1, updated_at = $1 WHERE id = $2`, now, patronID); err != nil {
			return fmt.Errorf("touch patron: %w", err)
		}
		detail := fmt.Sprintf("Ressources passées à « %s » : %s.", state.Label(), strings.Join(changed, ", "))
		if state == GrantWithdrawn {
			detail = fmt.Sprintf("Ressources retirées : %s ; les accès en cours chez leurs fournisseurs sont fermés.", strings.Join(changed, ", "))
		}
		if editing == sesame.EditExpiredCorrection {
			detail = sesame.ExpiredCorrectionNote + " : " + detail
		}
		if err := audit(ctx, tx, now, actor, p.LibraryID, patronID, sesame.ActionResources, detail); err != nil {
			return err
		}
		if then == nil || len(decisions) == 0 {
			return nil
		}
		return then(s.wrap(tx), p, decisions)
	})
	return changed, err
}

// GrantWithdrawn, given to SetGrants, takes validated resources back: the
// grant goes, as if the patron had never asked for it (they may ask again),
// which sesame.GrantTransition reads as ChangeResourceWithdrawn.
const GrantWithdrawn sesame.GrantState = ""

// withdrawGrant removes, in tx, the patron's grant on the resource, and ends
// what its vendors hold of the patron, as a logout does for all vendors:
// OpenID Connect tokens and requests, CAS tickets not yet validated, and
// the callback tokens of signed links, of every connector of the resource.
func withdrawGrant(ctx context.Context, tx *sql.Tx, patronID, resourceID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE patron_id = $1 AND resource_id = $2`, patronID, resourceID); err != nil {
		return fmt.Errorf("withdraw grant: %w", err)
	}
	for _, table := range []string{"oidc_tokens", "oidc_auth_requests", "cas_tickets", "sso_tokens"} {
		// #nosec G202 -- table is one of the names listed just above.
		_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE patron_id = $1
			AND connector_id IN (SELECT id FROM connectors WHERE resource_id = $2)`, patronID, resourceID)
		if err != nil {
			return fmt.Errorf("end %s of a withdrawn resource: %w", table, err)
		}
	}
	return nil
}

// PatronGrant returns the patron's grant on one resource, or nil when they
// never asked for it.
func (s *Store) PatronGrant(ctx context.Context, patronID, resourceID int64) (*sesame.Grant, error) {
	g := sesame.Grant{PatronID: patronID, ResourceID: resourceID}
	var state string
	err := s.readStmts.QueryRowContext(ctx, `SELECT state, updated_at FROM grants WHERE patron_id = $1 AND resource_id = $2`, patronID, resourceID).
		Scan(&state, &g.UpdatedAt)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read grant: %w", err)
	}
	g.State = sesame.GrantState(state)
	return &g, nil
}

// ValidatedGrant is a resource a Validé patron may open.
type ValidatedGrant struct {
	PatronID, LibraryID, ResourceID int64
}

// ValidatedGrants lists the validated grants of Validé patrons, in patron
// order: the demo draws its past launches from them.
func (s *Store) ValidatedGrants(ctx context.Context) ([]ValidatedGrant, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT g.patron_id, p.library_id, g.resource_id FROM grants g JOIN patrons p ON p.id = g.patron_id
		WHERE g.state = $1 AND p.status = $2 ORDER BY g.patron_id, g.resource_id`, string(sesame.GrantValidated), string(sesame.StatusValidated))
	if err != nil {
		return nil, fmt.Errorf("list validated grants: %w", err)
	}
	defer rows.Close()
	var out []ValidatedGrant
	for rows.Next() {
		var g ValidatedGrant
		if err := rows.Scan(&g.PatronID, &g.LibraryID, &g.ResourceID); err != nil {
			return nil, fmt.Errorf("scan grant: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GrantNames returns, in tx, the names of the resources the patron asked
// for or was given, by state, in French name order: what a mail to the patron lists.
func (t *Tx) GrantNames(ctx context.Context, patronID int64) (map[sesame.GrantState][]string, error) {
	rows, err := t.sql.QueryContext(ctx, `
		SELECT g.state, r.name FROM grants g JOIN resources r ON r.id = g.resource_id
		WHERE g.patron_id = $1 ORDER BY r.name, r.id`, patronID)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	names := map[sesame.GrantState][]string{}
	for rows.Next() {
		var state, name string
		if err := rows.Scan(&state, &name); err != nil {
			return nil, fmt.Errorf("scan grant: %w", err)
		}
		names[sesame.GrantState(state)] = append(names[sesame.GrantState(state)], name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	for _, list := range names {
		SortFrench(list, func(name string) string { return name })
	}
	return names, nil
}

// SuspendGrants puts the patron's validated grants back « En attente »,
// in tx: an account that waits again for a parent's consent
// (sesame.ChangeConsentRequired) opens nothing until the library decides
// anew. It returns the names of the resources suspended.
func (t *Tx) SuspendGrants(ctx context.Context, patronID int64) ([]string, error) {
	names, err := t.GrantNames(ctx, patronID)
	if err != nil {
		return nil, err
	}
	suspended := names[sesame.GrantValidated]
	if len(suspended) == 0 {
		return nil, nil
	}
	if _, err := t.sql.ExecContext(ctx, `UPDATE grants SET state = $1, updated_at = $2 WHERE patron_id = $3 AND state = $4`,
		string(sesame.GrantPending), t.store.Now(), patronID, string(sesame.GrantValidated)); err != nil {
		return nil, fmt.Errorf("suspend grants: %w", err)
	}
	return suspended, nil
}
