package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// Saving many patrons at once, for a batch of a renewal import (package
// renewals): what Tx.UpdatePatron does for one patron in some eight
// statements, SavePatrons does for a batch in a handful, so that a file of
// 100,000 renewals is applied in seconds. Each patron keeps every guarantee
// of a save of the record: the domain's EditableBy, the version it was read
// at, its status counters, its own audit line, and its mail in the same
// transaction.

// sameIdentity reports whether after keeps what a renewal never changes:
// the library, the names, the e-mail address, the card, the birth date and
// the address. So the card index, the sort keys and the search index
// (which read names, e-mail and card) stay right without a write.
func sameIdentity(before, after *sesame.Patron) bool {
	return after.LibraryID == before.LibraryID && after.LastName == before.LastName && after.FirstName == before.FirstName &&
		after.Email == before.Email && after.CardNumber == before.CardNumber && after.BirthDate == before.BirthDate &&
		after.PostalCode == before.PostalCode && after.Town == before.Town
}

// PatronSave is a change to one patron of a batch: Before is the patron as
// read in the transaction, After as the domain changed it; Action and
// Detail are its audit line, Then (optional) runs once the batch is written,
// as Change.Then does.
type PatronSave struct {
	Before, After *sesame.Patron
	Action        sesame.AuditAction
	Detail        string
	Then          AfterWrite
}

// SavePatrons saves a batch of changed patrons in tx, each at the version it
// was read at (EStale otherwise, the whole batch being then rolled back by
// the caller), and returns them as saved, in order. A patron appears once
// in a batch; a renewal changes its status and dates only (sameIdentity:
// any other change goes through UpdatePatron, which checks the card index
// and reindexes the search).
func (t *Tx) SavePatrons(ctx context.Context, actor sesame.Actor, batch []PatronSave) ([]*sesame.Patron, error) {
	return t.SavePatronsAfter(ctx, actor, batch, nil)
}

// SavePatronsAfter is SavePatrons for a transaction that runs beside
// another, committed after it (a renewal import on PostgreSQL applies two
// batches at once): it writes the batch's own patrons first, then calls
// ready, which returns once the other transaction is over (an error rolls
// this one back), before it writes any row the two could share: the status
// counters, the licence seats. So the two never wait for each other's row
// locks in a cycle. A nil ready is SavePatrons.
func (t *Tx) SavePatronsAfter(ctx context.Context, actor sesame.Actor, batch []PatronSave, ready func(context.Context) error) ([]*sesame.Patron, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	now := t.store.Now()
	seen := make(map[int64]bool, len(batch))
	saved := make([]*sesame.Patron, len(batch))
	deltas := map[statusKey]int{}
	details := make([]string, len(batch))
	for i := range batch {
		b := &batch[i]
		before, after := b.Before, b.After
		if seen[before.ID] || after.ID != before.ID {
			return nil, fmt.Errorf("save patrons: patron %d twice in a batch, or changed into another", before.ID)
		}
		seen[before.ID] = true
		if !sameIdentity(before, after) {
			return nil, fmt.Errorf("save patrons: patron %d changes more than a renewal does: use UpdatePatron", before.ID)
		}
		// The same rule as UpdatePatron: who may change the record is the
		// domain's, asked of the patron as read.
		editing, err := before.EditableBy(actor)
		if err != nil {
			return nil, fmt.Errorf("patron %d: %w", before.ID, err)
		}
		details[i] = b.Detail
		if editing == sesame.EditExpiredCorrection {
			details[i] = sesame.ExpiredCorrectionNote + " : " + b.Detail
		}
		p := *after
		p.Version, p.UpdatedAt = before.Version+1, now
		saved[i] = &p
		if before.Status != p.Status {
			deltas[statusKey{before.LibraryID, before.Status}]--
			deltas[statusKey{p.LibraryID, p.Status}]++
		}
	}
	if err := t.updatePatronRows(ctx, batch, saved, now); err != nil {
		return nil, err
	}
	if ready != nil {
		if err := ready(ctx); err != nil {
			return nil, err
		}
	}
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		if err := adjustCount(ctx, t.sql, k.library, k.status, d); err != nil {
			return nil, err
		}
	}
	if err := t.auditSaves(ctx, actor, batch, details, saved, now); err != nil {
		return nil, err
	}
	for i, p := range saved {
		if then := batch[i].Then; then != nil {
			if err := then(t, p); err != nil {
				return nil, err
			}
		}
	}
	// Licence caps (licences.go): a renewal may take a seat.
	if err := t.settleSaved(ctx, batch, saved); err != nil {
		return nil, err
	}
	return saved, nil
}

type statusKey struct {
	library int64
	status  sesame.Status
}

// updatePatronRows writes the saved patrons in one statement (on SQLite a
// few, see eachShape), each only at
// the version it was read at: the columns of UpdatePatron a renewal may
// change (SavePatrons checks that the others stay as they are).
func (t *Tx) updatePatronRows(ctx context.Context, batch []PatronSave, saved []*sesame.Patron, now time.Time) error {
	const cols = `id, version, status, library_registered_on, valid_until, refusal_reason`
	const set = `status = u.status, library_registered_on = u.library_registered_on, valid_until = u.valid_until,
		refusal_reason = u.refusal_reason, version = patrons.version + 1, updated_at = `
	if t.store.dialect == postgresDialect {
		// One array per column, as bulkHistoryRows sends its events; the ids
		// once more as an array, so that the patrons are looked up by their
		// key whatever the planner guesses of unnest's rows.
		n := len(saved)
		ids, versions := make([]int64, n), make([]int64, n)
		status, libDate, until, refusal := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, p := range saved {
			ids[i], versions[i] = p.ID, int64(batch[i].Before.Version)
			status[i], libDate[i], until[i], refusal[i] = string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason
		}
		args := []any{now, ids, versions, status, libDate, until, refusal}
		query := `UPDATE patrons SET ` + set + `$1
			FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u (` + cols + `)
			WHERE patrons.id = ANY($2::bigint[]) AND patrons.id = u.id AND patrons.version = u.version`
		res, err := t.sql.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("save patrons: %w", err)
		}
		return checkAllSaved(res, len(saved))
	}
	// SQLite: the rows in VALUES, in statements of a few shapes (eachShape).
	return eachShape(len(saved), func(from, size int) error {
		args := make([]any, 0, 6*size+1)
		for i := from; i < from+size; i++ {
			p := saved[i]
			args = append(args, p.ID, batch[i].Before.Version, string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason)
		}
		args = append(args, now)
		// #nosec G202 -- the placeholders are written here; the values are bound.
		res, err := t.prepared(ctx, `WITH u (`+cols+`) AS (VALUES `+valuesRows(size, 6)+`)
			UPDATE patrons SET `+set+`?
			FROM u WHERE patrons.id = u.id AND patrons.version = u.version`).ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("save patrons: %w", err)
		}
		return checkAllSaved(res, size)
	})
}

// checkAllSaved is EStale unless res wrote n patrons: one was not at the
// version it was read at.
func checkAllSaved(res sql.Result, n int) error {
	if got, err := res.RowsAffected(); err != nil || got != int64(n) {
		return sesame.Errorf(sesame.EStale, "Une fiche a été modifiée entre-temps par quelqu'un d'autre.")
	}
	return nil
}

// auditSaves writes the audit line of each saved patron, in one statement
// (on SQLite a few, see eachShape).
func (t *Tx) auditSaves(ctx context.Context, actor sesame.Actor, batch []PatronSave, details []string, saved []*sesame.Patron, now time.Time) error {
	at := now // as auditEvent writes it
	if t.store.dialect == postgresDialect {
		lib, pat := make([]int64, len(saved)), make([]int64, len(saved))
		action, detail, counted := make([]string, len(saved)), make([]string, len(saved)), make([]string, len(saved)) // counted: "" when NULL
		for i, p := range saved {
			lib[i], pat[i], action[i], detail[i] = p.LibraryID, p.ID, string(batch[i].Action), details[i]
			if c, ok := countsAt(batch[i].Action, p, now).(time.Time); ok {
				counted[i] = c.Format(time.RFC3339Nano)
			}
		}
		_, err := t.sql.ExecContext(ctx, `
			INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at)
			SELECT $1, $2, l, p, c, d, CAST(NULLIF(n, '') AS timestamptz)
			FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS u (l, p, c, d, n)`,
			at, actor.Label, lib, pat, action, detail, counted)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	}
	return eachShape(len(saved), func(from, size int) error {
		args := make([]any, 0, 7*size)
		for i := from; i < from+size; i++ {
			p := saved[i]
			args = append(args, at, actor.Label, p.LibraryID, p.ID, string(batch[i].Action), details[i], countsAt(batch[i].Action, p, now))
		}
		// #nosec G202 -- the placeholders are written here; the values are bound.
		if _, err := t.prepared(ctx, `INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at) VALUES `+
			valuesRows(size, 7)).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
}

// AddMails writes the messages into the outbox in tx, in one statement (on
// SQLite a few, see eachShape), and
// returns their ids, one per message (in no particular order: each gets its
// own job, and the job names only the id). The caller validates them and
// enqueues their jobs (see package mail); none may carry a secret, kept
// apart by AddMail alone.
func (t *Tx) AddMails(ctx context.Context, ms []Mail) ([]int64, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	now := t.store.Now()
	for _, m := range ms {
		if m.Secret != "" {
			return nil, fmt.Errorf("add mails: a message with a secret goes through AddMail")
		}
	}
	if t.store.dialect == postgresDialect {
		// One array per column, as for the patrons.
		cols := make([][]string, 5)
		for _, m := range ms {
			for c, v := range []string{m.To, m.ToName, m.Subject, m.Text, m.HTML} {
				cols[c] = append(cols[c], v)
			}
		}
		return mailIDs(t.sql.QueryContext(ctx, `INSERT INTO mail_outbox (to_addr, to_name, subject, text_body, html_body, created_at)
			SELECT t, n, s, x, h, $1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u (t, n, s, x, h)
			RETURNING id`, now, cols[0], cols[1], cols[2], cols[3], cols[4]))
	}
	ids := make([]int64, 0, len(ms))
	err := eachShape(len(ms), func(from, size int) error {
		args := make([]any, 0, 6*size)
		for _, m := range ms[from : from+size] {
			args = append(args, m.To, m.ToName, m.Subject, m.Text, m.HTML, now)
		}
		// #nosec G202 -- the placeholders are written here; the values are bound.
		got, err := mailIDs(t.prepared(ctx, `INSERT INTO mail_outbox (to_addr, to_name, subject, text_body, html_body, created_at) VALUES `+
			valuesRows(size, 6)+` RETURNING id`).QueryContext(ctx, args...))
		ids = append(ids, got...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(ids) != len(ms) {
		return nil, fmt.Errorf("add mails: %d ids for %d messages", len(ids), len(ms))
	}
	return ids, nil
}

// mailIDs reads the ids an INSERT INTO mail_outbox … RETURNING id returned.
func mailIDs(res *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("add mails: %w", err)
	}
	defer res.Close()
	var ids []int64
	for res.Next() {
		var id int64
		if err := res.Scan(&id); err != nil {
			return nil, fmt.Errorf("add mails: %w", err)
		}
		ids = append(ids, id)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("add mails: %w", err)
	}
	return ids, nil
}

// EnqueueJobs records one job of kind per payload, due at runAt, in a few
// statements of a few shapes (eachShape).
func (t *Tx) EnqueueJobs(ctx context.Context, kind string, payloads []string, runAt time.Time) error {
	if len(payloads) == 0 {
		return nil
	}
	at, now := dbTime(runAt), t.store.Now()
	return eachShape(len(payloads), func(from, size int) error {
		args := make([]any, 0, 4*size)
		rows := make([]string, size)
		for i, p := range payloads[from : from+size] {
			rows[i] = "(" + t.store.marks(len(args)+1, 4) + ")"
			args = append(args, kind, p, at, now)
		}
		// #nosec G202 -- the placeholders are written here; the values are bound.
		if _, err := t.prepared(ctx, `INSERT INTO jobs (kind, payload, run_at, created_at) VALUES `+strings.Join(rows, ", ")).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("enqueue %s: %w", kind, err)
		}
		return nil
	})
}

// GrantNamesOf is GrantNames for many patrons at once, in one query: for
// the mails of a batch. Every patron asked has an entry, empty when they
// have no grant.
func (t *Tx) GrantNamesOf(ctx context.Context, patronIDs []int64) (map[int64]map[sesame.GrantState][]string, error) {
	return grantNamesOf(ctx, shapedReads{t}, t.store.dialect, patronIDs)
}

// GrantNamesOf is Tx.GrantNamesOf outside a transaction (shapedReader):
// for mails written ahead of their transaction, which reads them again to
// check them.
func (s *Store) GrantNamesOf(ctx context.Context, patronIDs []int64) (map[int64]map[sesame.GrantState][]string, error) {
	return grantNamesOf(ctx, s.shapedReader(), s.dialect, patronIDs)
}

func grantNamesOf(ctx context.Context, q queryer, d dialect, patronIDs []int64) (map[int64]map[sesame.GrantState][]string, error) {
	out := make(map[int64]map[sesame.GrantState][]string, len(patronIDs))
	if len(patronIDs) == 0 {
		return out, nil
	}
	for _, id := range patronIDs {
		out[id] = map[sesame.GrantState][]string{}
	}
	read := func(in string, args ...any) error {
		// #nosec G202 -- the placeholders are written here; the ids are bound.
		rows, err := q.QueryContext(ctx, `
			SELECT g.patron_id, g.state, r.name FROM grants g JOIN resources r ON r.id = g.resource_id
			WHERE g.patron_id `+in+` ORDER BY g.patron_id, r.name, r.id`, args...)
		if err != nil {
			return fmt.Errorf("list grants: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var state, name string
			if err := rows.Scan(&id, &state, &name); err != nil {
				return fmt.Errorf("scan grant: %w", err)
			}
			out[id][sesame.GrantState(state)] = append(out[id][sesame.GrantState(state)], name)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list grants: %w", err)
		}
		return nil
	}
	var err error
	if d == postgresDialect {
		err = read(`= ANY($1::bigint[])`, patronIDs)
	} else {
		// An IN list, in statements of a few shapes (eachShape); each
		// patron's grants are read by one of them.
		err = eachShape(len(patronIDs), func(from, size int) error {
			args := make([]any, size)
			for i, id := range patronIDs[from : from+size] {
				args[i] = id
			}
			return read(`IN (`+positional(size)+`)`, args...)
		})
	}
	if err != nil {
		return nil, err
	}
	for _, names := range out {
		for _, list := range names {
			SortFrench(list, func(name string) string { return name })
		}
	}
	return out, nil
}

// positional is n anonymous placeholders, for SQLite's long statements: it
// looks each numbered one ($12) up in a list of the names seen so far, a
// cost that grows as the square of their number, and binds ? by position.
func positional(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// marks is n placeholders from the from-th, for a statement of many rows:
// numbered on PostgreSQL, anonymous on SQLite (see positional).
func (s *Store) marks(from, n int) string {
	if s.dialect == postgresDialect {
		return placeholders(from, n)
	}
	return positional(n)
}
