package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/bdf29/sesame"
)

// RequestGrants is the patron asking, from "Mon compte", for more resources:
// each one never asked for, or refused earlier, becomes en attente for the
// library to decide. A grant already en attente or validée is left as it is,
// so that a page loaded before the library acted cannot take an access
// back. allow is the rule on the account, checked on the patron as read in
// the transaction. An unknown or disabled resource is EInvalid on the field
// "ressource". then, when set and when a grant changed, runs in the same
// transaction. It reports the names of the resources now en attente.
func (s *Store) RequestGrants(ctx context.Context, sc Scope, patronID int64, resourceIDs []int64, actor sesame.Actor,
	allow func(p *sesame.Patron) error, then AfterGrants) ([]string, error) {
	var asked []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, sc, patronID)
		if err != nil {
			return err
		}
		if err := allow(p); err != nil {
			return err
		}
		now := s.Now()
		for _, rid := range resourceIDs {
			var name string
			var disabled, offered bool
			err := tx.QueryRowContext(ctx, `SELECT r.name, r.disabled, `+offeredClause(2)+` FROM resources r WHERE r.id = $1`, rid, p.LibraryID).
				Scan(&name, &disabled, &offered)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && (disabled || !offered)) {
				return sesame.FieldErrors{"ressource": "Cette ressource n'est pas proposée : choisissez-en une dans la liste."}.Err()
			}
			if err != nil {
				return fmt.Errorf("read resource: %w", err)
			}
			// The WHERE of the update keeps a grant that is pending or
			// validated as it is, even against a staff decision taken at the
			// same moment on PostgreSQL.
			res, err := tx.ExecContext(ctx, `
				INSERT INTO grants (patron_id, resource_id, state, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (patron_id, resource_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
				WHERE grants.state = $5`,
				patronID, rid, string(sesame.GrantPending), now, string(sesame.GrantRefused))
			if err != nil {
				return fmt.Errorf("request grant: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("request grant: %w", err)
			} else if n == 1 {
				asked = append(asked, name)
			}
		}
		if len(asked) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET version = version + 1, updated_at = $1 WHERE id = $2`, now, patronID); err != nil {
			return fmt.Errorf("touch patron: %w", err)
		}
		detail := fmt.Sprintf("Ressources demandées par l'usager, passées à « %s » : %s.", sesame.GrantPending.Label(), strings.Join(asked, ", "))
		if err := audit(ctx, tx, now, actor, p.LibraryID, patronID, sesame.ActionResources, detail); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(s.wrap(tx), p, asked)
	})
	if err != nil {
		return nil, err
	}
	return asked, nil
}

// ChangePatronPassword sets the password hash of a patron who proved their
// current password, in one transaction: the patron's unused reset links are
// voided, every session of theirs but keepSession (the hash of the one that
// asked) is closed, and the change is audited; then, when set, is called in
// the same transaction.
func (s *Store) ChangePatronPassword(ctx context.Context, patronID int64, passwordHash, keepSession string, actor sesame.Actor, then AfterWrite) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, NetworkScope(), patronID)
		if err != nil {
			return err
		}
		now := s.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET password_hash = $1 WHERE id = $2`, passwordHash, patronID); err != nil {
			return fmt.Errorf("set patron password: %w", err)
		}
		if err := voidLinks(ctx, tx, "password_resets", patronID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM patron_sessions WHERE patron_id = $1 AND token_hash <> $2`, patronID, keepSession); err != nil {
			return fmt.Errorf("close patron sessions: %w", err)
		}
		if err := audit(ctx, tx, now, actor, p.LibraryID, patronID, sesame.ActionPassword,
			"Mot de passe changé par l'usager depuis « Mon compte » ; ses autres sessions sont fermées."); err != nil {
			return err
		}
		if then != nil {
			return then(s.wrap(tx), p)
		}
		return nil
	})
}
