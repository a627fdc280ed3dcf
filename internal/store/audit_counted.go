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

// bulkHistory writes the past events of a batch whose IDs are set. On
// PostgreSQL it sends them as one array per column, as bulkInsertArrays
// does the patrons.
func (s *Store) bulkHistory(ctx context.Context, tx *sql.Tx, batch []NewPatron, actor sesame.Actor) error {
	if s.dialect != postgresDialect {
		for i := range batch {
			if err := writeHistory(ctx, tx, &batch[i].Patron, batch[i].History, actor); err != nil {
				return err
			}
		}
		return nil
	}
	var at []time.Time
	var lib, pat []int64
	var action, detail, counted []string // counted: "" when NULL
	for i := range batch {
		p := &batch[i].Patron
		for _, e := range batch[i].History {
			when := dbTime(e.At)
			c := ""
			if t, ok := countsAt(e.Action, p, when).(time.Time); ok {
				c = t.Format(time.RFC3339Nano)
			}
			at, counted = append(at, when), append(counted, c)
			lib, pat = append(lib, p.LibraryID), append(pat, p.ID)
			action, detail = append(action, string(e.Action)), append(detail, e.Detail)
		}
	}
	if len(at) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at)
		SELECT a, $1, l, p, c, d, CAST(NULLIF(n, '') AS timestamptz)
		FROM unnest($2::timestamptz[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS u (a, l, p, c, d, n)`,
		actor.Label, at, lib, pat, action, detail, counted)
	if err != nil {
		return fmt.Errorf("audit the batch's history: %w", err)
	}
	return nil
}
