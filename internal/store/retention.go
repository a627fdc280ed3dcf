package store

import (
	"context"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// RetentionMonths is how long the privacy notice promises to keep what
// identifies a patron once it no longer serves: an account after its end
// date, an account refused or never answered, the audit trail's details and
// the mail sent.
const RetentionMonths = 12

// retentionBatch bounds the accounts removed in one transaction, so that the
// job never holds SQLite's one writer for long; the job runs again until
// nothing is left.
const retentionBatch = 500

// RetentionReport says what one pass removed.
type RetentionReport struct {
	Accounts      int // accounts deleted
	EventsCleared int // audit events whose details were erased
	MailDeleted   int
}

// More reports whether the pass stopped at its batch size.
func (r RetentionReport) More() bool { return r.Accounts == retentionBatch }

// ApplyRetention keeps, in tx, the promises of the privacy notice
// (/donnees-personnelles), on day today (the network's civil date) at now:
//   - an account whose end of validity passed more than 12 months ago, and
//     that was not renewed, is deleted: Validé (its holder never came back),
//     Expiré, or À revalider that the library never answered;
//   - a Refusé account, or one left À valider, untouched for 12 months, too;
//   - audit events older than 12 months keep their date and kind of change,
//     not their details;
//   - mail older than 12 months is deleted.
//
// A deletion leaves the same pseudonymous trace as a patron's own.
func (t *Tx) ApplyRetention(ctx context.Context, today sesame.Date, now time.Time) (RetentionReport, error) {
	var rep RetentionReport
	endedBefore := today.AddMonths(-RetentionMonths).ISO()
	idleBefore := now.AddDate(0, -RetentionMonths, 0).UTC()
	rows, err := t.sql.QueryContext(ctx, `
		SELECT id FROM (
			SELECT id FROM patrons WHERE valid_until <> '' AND valid_until < $1 AND status IN ('valide', 'expire', 'a_revalider')
			UNION
			SELECT id FROM patrons WHERE status IN ('refuse', 'a_valider') AND updated_at < $2
		) stale ORDER BY id LIMIT $3`, endedBefore, idleBefore, retentionBatch)
	if err != nil {
		return rep, fmt.Errorf("find stale accounts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return rep, fmt.Errorf("scan stale account: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("find stale accounts: %w", err)
	}
	actor := sesame.Actor{Label: "conservation des données"}
	for _, id := range ids {
		p, err := findPatron(ctx, t.sql, NetworkScope(), id)
		if err != nil {
			return rep, err
		}
		if err := t.store.removePatron(ctx, t.sql, p); err != nil {
			return rep, err
		}
		why := "fin de validité (" + p.ValidUntil.String() + ") dépassée depuis plus de 12 mois sans renouvellement"
		if p.Status == sesame.StatusRefused || p.Status == sesame.StatusToValidate {
			why = "compte « " + p.Status.Label() + " » sans changement depuis plus de 12 mois"
		}
		if err := audit(ctx, t.sql, t.store.Now(), actor, p.LibraryID, p.ID, sesame.ActionDeletion,
			fmt.Sprintf("Compte supprimé (n° %d) : %s, comme l'annonce la page « Données personnelles ».", p.ID, why)); err != nil {
			return rep, err
		}
		rep.Accounts++
	}
	res, err := t.sql.ExecContext(ctx, `
		UPDATE audit_events SET detail = 'Détail effacé après 12 mois.',
			actor = CASE WHEN actor LIKE 'l''usager (%' THEN 'l''usager' ELSE actor END
		WHERE at < $1 AND patron_id IS NOT NULL AND detail NOT LIKE 'Détail effacé%'`, idleBefore)
	if err != nil {
		return rep, fmt.Errorf("erase old audit details: %w", err)
	}
	n, _ := res.RowsAffected()
	rep.EventsCleared = int(n)
	if res, err = t.sql.ExecContext(ctx, `DELETE FROM mail_outbox WHERE created_at < $1`, idleBefore); err != nil {
		return rep, fmt.Errorf("delete old mail: %w", err)
	}
	n, _ = res.RowsAffected()
	rep.MailDeleted = int(n)
	return rep, nil
}
