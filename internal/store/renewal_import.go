package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// Renewals from the library system (package renewals): the patrons a line
// of a renewal file matches, the date noted on an account the import does
// not change, and the imports staged by the page « Importer depuis le
// SIGB » with their report. Matching reads a batch of lines in a few
// queries, not a few per line, so that a file of 100,000 lines is read in
// seconds.

// RenewalKey is what a line of a renewal file says of its patron, within
// its library.
type RenewalKey struct {
	LibraryID int64
	Card      string
	Email     string
	LastName  string
	FirstName string
	BirthDate sesame.Date
}

// RenewalMatch is who a RenewalKey is: Patron when one patron is found;
// otherwise Candidates when several could be (nothing is done with them),
// and neither when nobody is.
type RenewalMatch struct {
	Patron     *sesame.Patron
	Candidates []sesame.Patron
}

// MatchRenewals finds, for each key, its patron in its library: by card
// number (trimmed, case ignored, as the card index compares them), then by
// e-mail, then by last name, first name (folded) and birth date when
// exactly one patron has them. It returns one match per key, in order.
func (s *Store) MatchRenewals(ctx context.Context, keys []RenewalKey) ([]RenewalMatch, error) {
	return matchRenewals(ctx, s.shapedReader(), s.dialect, keys)
}

// MatchRenewals is Store.MatchRenewals in tx, for the batch it applies.
func (t *Tx) MatchRenewals(ctx context.Context, keys []RenewalKey) ([]RenewalMatch, error) {
	return matchRenewals(ctx, shapedReads{t}, t.store.dialect, keys)
}

func matchRenewals(ctx context.Context, q queryer, d dialect, keys []RenewalKey) ([]RenewalMatch, error) {
	out := make([]RenewalMatch, len(keys))
	byLibrary := map[int64][]int{}
	var order []int64
	for i, k := range keys {
		if _, ok := byLibrary[k.LibraryID]; !ok {
			order = append(order, k.LibraryID)
		}
		byLibrary[k.LibraryID] = append(byLibrary[k.LibraryID], i)
	}
	for _, lib := range order {
		if err := matchInLibrary(ctx, q, d, lib, keys, byLibrary[lib], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// matchInLibrary matches keys[idx], all of library lib, into out: three
// queries, one per way of matching, each for the keys the previous left.
func matchInLibrary(ctx context.Context, q queryer, d dialect, lib int64, keys []RenewalKey, idx []int, out []RenewalMatch) error {
	cards := map[string]bool{}
	for _, i := range idx {
		if c := strings.TrimSpace(keys[i].Card); c != "" {
			cards[c] = true
		}
	}
	found, err := patronsWhere(ctx, q, d, lib, matchCard, cards)
	if err != nil {
		return err
	}
	byCard := map[string]*sesame.Patron{}
	for i := range found {
		byCard[strings.ToLower(found[i].CardNumber)] = &found[i]
	}
	emails := map[string]bool{}
	var left []int
	for _, i := range idx {
		if p := byCard[strings.ToLower(strings.TrimSpace(keys[i].Card))]; p != nil {
			out[i].Patron = p
			continue
		}
		left = append(left, i)
		if e := sesame.NormalizeEmail(keys[i].Email); e != "" {
			emails[e] = true
		}
	}
	found, err = patronsWhere(ctx, q, d, lib, matchEmail, emails)
	if err != nil {
		return err
	}
	byEmail := map[string]*sesame.Patron{}
	for i := range found {
		byEmail[found[i].Email] = &found[i]
	}
	names := map[string]bool{}
	rest := left[:0]
	for _, i := range left {
		if p := byEmail[sesame.NormalizeEmail(keys[i].Email)]; p != nil {
			out[i].Patron = p
			continue
		}
		// Names alone are too common: without a birth date, a line is
		// matched by card or e-mail only.
		if keys[i].BirthDate.IsZero() || strings.TrimSpace(keys[i].LastName) == "" {
			continue
		}
		rest = append(rest, i)
		names[Fold(strings.TrimSpace(keys[i].LastName))] = true
	}
	found, err = patronsWhere(ctx, q, d, lib, matchLastName, names)
	if err != nil {
		return err
	}
	type person struct {
		last, first string
		birth       sesame.Date
	}
	byPerson := map[person][]sesame.Patron{}
	for _, p := range found {
		k := person{p.LastName, p.FirstName, p.BirthDate}
		k.last, k.first = Fold(k.last), Fold(k.first)
		byPerson[k] = append(byPerson[k], p)
	}
	for _, i := range rest {
		k := keys[i]
		ps := byPerson[person{Fold(strings.TrimSpace(k.LastName)), Fold(strings.TrimSpace(k.FirstName)), k.BirthDate}]
		switch len(ps) {
		case 0:
		case 1:
			out[i].Patron = &ps[0]
		default:
			out[i].Candidates = ps
		}
	}
	return nil
}

// matchColumn is a way of matching lines: the patron's value, compared
// with each line's as the card index compares cards (lower on both
// sides), or as stored.
type matchColumn struct {
	column string // the patron's value
	value  string // a line's value, %s for its placeholder
}

var (
	matchCard     = matchColumn{column: "lower(p.card_number)", value: "lower(%s)"}
	matchEmail    = matchColumn{column: "p.email", value: "%s"}
	matchLastName = matchColumn{column: "p.sort_last", value: "%s"}
)

// cardCondition is the card index's own condition, so that it serves.
func cardCondition(m matchColumn) string {
	if m == matchCard {
		return ` AND p.card_number <> ''`
	}
	return ""
}

// patronsWhere reads the patrons of library lib whose m.column is one of
// values; no value, no query. The engines differ here: PostgreSQL plans an
// IN list of 500 values on an expression index as a whole-table scan, so it
// joins the values as one array instead, looked up in the index one by one;
// SQLite has no arrays, and looks up an IN list in the index.
func patronsWhere(ctx context.Context, q queryer, d dialect, lib int64, m matchColumn, values map[string]bool) ([]sesame.Patron, error) {
	if len(values) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(values))
	for v := range values {
		list = append(list, v)
	}
	if d == postgresDialect {
		args := []any{lib, list}
		// #nosec G202 -- m is one of this file's constants; the values are bound.
		// Each value is looked up on its own (LATERAL, OFFSET 0 keeping the
		// planner from turning the lookups into a merge of the whole index).
		query := `SELECT ` + patronColumns + ` FROM unnest($2::text[]) AS k (v) CROSS JOIN LATERAL (SELECT * FROM patrons p WHERE p.library_id = $1 AND ` +
			m.column + ` = ` + fmt.Sprintf(m.value, "k.v") + cardCondition(m) + ` OFFSET 0) p`
		return scanPatrons(q.QueryContext(ctx, query, args...))
	}
	// SQLite: an IN list, in statements of a few shapes (eachShape). Two
	// cards the same but for case, in two statements, find their patron
	// twice: kept once.
	var out []sesame.Patron
	seen := map[int64]bool{}
	err := eachShape(len(list), func(from, size int) error {
		args := make([]any, 0, size+1)
		args = append(args, lib)
		marks := make([]string, 0, size)
		for _, v := range list[from : from+size] {
			args = append(args, v)
			marks = append(marks, fmt.Sprintf(m.value, "?"))
		}
		// Anonymous placeholders: see positional.
		// #nosec G202 -- m is one of this file's constants; the values are bound.
		found, err := scanPatrons(q.QueryContext(ctx, `SELECT `+patronColumns+` FROM patrons p WHERE p.library_id = ? AND `+
			m.column+` IN (`+strings.Join(marks, ", ")+`)`+cardCondition(m), args...))
		for _, p := range found {
			if !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
		return err
	})
	return out, err
}

// scanPatrons reads the patrons a query of patronsWhere returned.
func scanPatrons(rows *sql.Rows, err error) ([]sesame.Patron, error) {
	if err != nil {
		return nil, fmt.Errorf("match renewal lines: %w", err)
	}
	defer rows.Close()
	var out []sesame.Patron
	for rows.Next() {
		var p sesame.Patron
		if err := scanPatron(rows, &p); err != nil {
			return nil, fmt.Errorf("match renewal lines: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match renewal lines: %w", err)
	}
	return out, nil
}

// ConcurrentWriters is how many write transactions the engine runs at once
// to any use: SQLite has one writer, whose work is all in this process;
// PostgreSQL writes in its own processes, on the other cores, and a second
// transaction keeps them busy while the first waits on the network or the
// disk.
func (s *Store) ConcurrentWriters() int {
	if s.dialect == postgresDialect {
		return 2
	}
	return 1
}

// CheckpointAside copies the pages committed into SQLite's write-ahead log
// into the database file, on a connection of the read pool: a long import
// calls it beside its writes, so that its commits do not. SQLite's own
// checkpoint runs in the commit that takes the log past 1,000 pages, with
// the one writer held while it copies and syncs them. PASSIVE: it waits
// for no one, and no one waits for it. Nothing to do on PostgreSQL.
func (s *Store) CheckpointAside(ctx context.Context) error {
	if s.dialect == postgresDialect {
		return nil
	}
	var busy, log, done int
	if err := s.readPool.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// NoteSIGBRegistration saves p.SIGBRegisteredOn, set by
// sesame.Patron.RenewFromSIGB on an account the import leaves to the
// librarian (À valider) or to its holder (Expiré), with its line in the
// account's history; then runs then, if set, as UpdatePatron runs
// Change.Then. This is the library system speaking, not staff editing
// the record, so EditableBy does not apply: an Expiré account gets its
// note too. p must have been read in this transaction's scope; a version
// changed since is EStale.
func (t *Tx) NoteSIGBRegistration(ctx context.Context, p *sesame.Patron, actor sesame.Actor, detail string, then AfterWrite) error {
	now := t.store.Now()
	res, err := t.sql.ExecContext(ctx, `
		UPDATE patrons SET sigb_registered_on = $1, version = version + 1, updated_at = $2
		WHERE id = $3 AND version = $4`, p.SIGBRegisteredOn.ISO(), now, p.ID, p.Version)
	if err != nil {
		return fmt.Errorf("note sigb registration: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return sesame.Errorf(sesame.EStale, "Cette fiche a été modifiée entre-temps par quelqu'un d'autre.")
	}
	p.Version++
	p.UpdatedAt = now
	if err := auditEvent(ctx, t.sql, now, actor, p.LibraryID, p.ID, p, sesame.ActionImport, detail); err != nil {
		return err
	}
	if then != nil {
		return then(t, p)
	}
	return nil
}

// RenewalImport is an import staged by the page, applied by a job.
type RenewalImport struct {
	ID         int64
	LibraryID  int64 // 0 for the network admin's
	Source     string
	Actor      sesame.Actor
	Total      int
	Done       int
	Failed     string
	CreatedAt  time.Time
	StartedAt  time.Time // zero until started
	FinishedAt time.Time // zero until finished
}

// StagedRow is a line of a staged import, as the file reader gave it.
type StagedRow struct {
	Line                             int
	Card, Email, LastName, FirstName string
	LibraryCode                      string
	BirthDate, RegisteredOn          sesame.Date
	ValidUntil                       sesame.Date
	Problem                          string
}

// ImportLine is a line of an import's report: what the line did, or would
// do before the import starts. Detail is the caller's (the patrons shown
// beside the line), kept as it is.
type ImportLine struct {
	Line    int
	Card    string
	Outcome string
	Reason  string
	Detail  string
}

// stagingBatch bounds the lines of one INSERT: 500 lines of 11 values stay
// far below both engines' limits on bound values.
const stagingBatch = 500

// CreateRenewalImport records a new staged import, without its rows.
func (s *Store) CreateRenewalImport(ctx context.Context, imp RenewalImport) (int64, error) {
	var lib any
	if imp.LibraryID != 0 {
		lib = imp.LibraryID
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO renewal_imports (library_id, source, actor_label, actor_staff_id, actor_role, actor_library_id, total, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id`,
			lib, imp.Source, imp.Actor.Label, imp.Actor.StaffID, string(imp.Actor.Role), imp.Actor.LibraryID, s.Now()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("create renewal import: %w", err)
	}
	return id, nil
}

// StageRenewalRows adds rows to import id, with the preview of each line,
// in one transaction, and counts them in its total.
func (s *Store) StageRenewalRows(ctx context.Context, id int64, rows []StagedRow, preview []ImportLine) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(rows); start += stagingBatch {
			batch := rows[start:min(start+stagingBatch, len(rows))]
			args := make([]any, 0, len(batch)*11)
			marks := make([]string, 0, len(batch))
			for _, r := range batch {
				marks = append(marks, "("+placeholders(len(args)+1, 11)+")")
				args = append(args, id, r.Line, r.Card, r.Email, r.LastName, r.FirstName, r.LibraryCode,
					r.BirthDate.ISO(), r.RegisteredOn.ISO(), r.ValidUntil.ISO(), r.Problem)
			}
			// #nosec G202 -- marks are placeholders written here; the values are bound.
			if _, err := tx.ExecContext(ctx, `INSERT INTO renewal_import_rows (import_id, line, card, email, last_name, first_name,
				library_code, birth_date, registered_on, valid_until, problem) VALUES `+strings.Join(marks, ", "), args...); err != nil {
				return fmt.Errorf("stage renewal rows: %w", err)
			}
		}
		if err := upsertImportLines(ctx, tx, id, preview); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE renewal_imports SET total = total + $1 WHERE id = $2`, len(rows), id)
		if err != nil {
			return fmt.Errorf("count staged rows: %w", err)
		}
		return nil
	})
}

// upsertImportLines writes what lines did, replacing what the preview said.
func upsertImportLines(ctx context.Context, q queryer, id int64, lines []ImportLine) error {
	for start := 0; start < len(lines); start += stagingBatch {
		batch := lines[start:min(start+stagingBatch, len(lines))]
		args := make([]any, 0, len(batch)*6)
		marks := make([]string, 0, len(batch))
		for _, l := range batch {
			marks = append(marks, "("+placeholders(len(args)+1, 6)+")")
			args = append(args, id, l.Line, l.Card, l.Outcome, l.Reason, l.Detail)
		}
		// #nosec G202 -- marks are placeholders written here; the values are bound.
		if _, err := q.ExecContext(ctx, `INSERT INTO renewal_import_lines (import_id, line, card, outcome, reason, detail) VALUES `+
			strings.Join(marks, ", ")+` ON CONFLICT (import_id, line) DO UPDATE SET
			card = excluded.card, outcome = excluded.outcome, reason = excluded.reason, detail = excluded.detail`, args...); err != nil {
			return fmt.Errorf("record import lines: %w", err)
		}
	}
	return nil
}

const renewalImportColumns = `i.id, COALESCE(i.library_id, 0), i.source, i.actor_label, i.actor_staff_id, i.actor_role, i.actor_library_id,
	i.total, i.done, i.failed, i.created_at, i.started_at, i.finished_at`

func scanRenewalImport(row interface{ Scan(...any) error }) (*RenewalImport, error) {
	var imp RenewalImport
	var role string
	var started, finished sql.NullTime
	if err := row.Scan(&imp.ID, &imp.LibraryID, &imp.Source, &imp.Actor.Label, &imp.Actor.StaffID, &role, &imp.Actor.LibraryID,
		&imp.Total, &imp.Done, &imp.Failed, &imp.CreatedAt, &started, &finished); err != nil {
		return nil, err
	}
	imp.Actor.Role = sesame.Role(role)
	imp.StartedAt, imp.FinishedAt = started.Time, finished.Time
	return &imp, nil
}

// importScope is the clause that keeps a library to its own imports; the
// network admin sees them all.
func importScope(sc Scope, args *[]any) string {
	return sc.clause("COALESCE(i.library_id, 0)", args)
}

// RenewalImport reads import id within sc; another library's is not found.
func (s *Store) RenewalImport(ctx context.Context, sc Scope, id int64) (*RenewalImport, error) {
	return findRenewalImport(ctx, s.readPool, sc, id)
}

func findRenewalImport(ctx context.Context, q queryer, sc Scope, id int64) (*RenewalImport, error) {
	args := []any{id}
	imp, err := scanRenewalImport(q.QueryRowContext(ctx, `SELECT `+renewalImportColumns+` FROM renewal_imports i WHERE i.id = $1`+importScope(sc, &args), args...))
	if err != nil {
		return nil, dbError(err, "Import", "")
	}
	return imp, nil
}

// StartRenewalImport marks import id, within sc, started; the caller
// enqueues its job in the same tx. Started twice is a conflict.
func (t *Tx) StartRenewalImport(ctx context.Context, sc Scope, id int64) (*RenewalImport, error) {
	imp, err := findRenewalImport(ctx, t.sql, sc, id)
	if err != nil {
		return nil, err
	}
	if !imp.StartedAt.IsZero() {
		return nil, sesame.Errorf(sesame.EConflict, "Cet import est déjà lancé.")
	}
	imp.StartedAt = t.store.Now()
	if _, err := t.sql.ExecContext(ctx, `UPDATE renewal_imports SET started_at = $1 WHERE id = $2`, imp.StartedAt, id); err != nil {
		return nil, fmt.Errorf("start renewal import: %w", err)
	}
	return imp, nil
}

// LockRenewalImport reads import id and holds it for tx: a batch of the job
// takes it first, so that two instances running the same job apply its
// batches one after the other. The UPDATE takes the row's lock on
// PostgreSQL; SQLite has one writer anyway.
func (t *Tx) LockRenewalImport(ctx context.Context, id int64) (*RenewalImport, error) {
	if _, err := t.sql.ExecContext(ctx, `UPDATE renewal_imports SET done = done WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("lock renewal import: %w", err)
	}
	return findRenewalImport(ctx, t.sql, NetworkScope(), id)
}

// NextStagedRows returns the first n rows of import id still staged.
func (t *Tx) NextStagedRows(ctx context.Context, id int64, n int) ([]StagedRow, error) {
	rows, err := t.sql.QueryContext(ctx, `
		SELECT line, card, email, last_name, first_name, library_code, birth_date, registered_on, valid_until, problem
		FROM renewal_import_rows WHERE import_id = $1 ORDER BY line LIMIT $2`, id, n)
	if err != nil {
		return nil, fmt.Errorf("read staged rows: %w", err)
	}
	defer rows.Close()
	var out []StagedRow
	for rows.Next() {
		var r StagedRow
		var birth, reg, until string
		if err := rows.Scan(&r.Line, &r.Card, &r.Email, &r.LastName, &r.FirstName, &r.LibraryCode, &birth, &reg, &until, &r.Problem); err != nil {
			return nil, fmt.Errorf("read staged rows: %w", err)
		}
		for _, d := range []struct {
			s    string
			into *sesame.Date
		}{{birth, &r.BirthDate}, {reg, &r.RegisteredOn}, {until, &r.ValidUntil}} {
			if err := parseDate(d.s, d.into); err != nil {
				return nil, fmt.Errorf("read staged rows: %w", err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read staged rows: %w", err)
	}
	return out, nil
}

// RecordAppliedRows writes what the lines of a batch did, deletes their
// staged rows up to lastLine, and counts them done; with finished, marks
// the import finished, and what failed before as past.
func (t *Tx) RecordAppliedRows(ctx context.Context, id int64, lines []ImportLine, lastLine int, finished bool) error {
	if err := upsertImportLines(ctx, t.sql, id, lines); err != nil {
		return err
	}
	res, err := t.sql.ExecContext(ctx, `DELETE FROM renewal_import_rows WHERE import_id = $1 AND line <= $2`, id, lastLine)
	if err != nil {
		return fmt.Errorf("delete applied rows: %w", err)
	}
	n, _ := res.RowsAffected()
	var end any
	if finished {
		end = t.store.Now()
	}
	if _, err := t.sql.ExecContext(ctx, `
		UPDATE renewal_imports SET done = done + $1, finished_at = COALESCE(finished_at, $2),
			failed = CASE WHEN $2 IS NULL THEN failed ELSE '' END
		WHERE id = $3`, n, end, id); err != nil {
		return fmt.Errorf("count applied rows: %w", err)
	}
	return nil
}

// FailRenewalImport records why import id stopped, in words for the page.
func (s *Store) FailRenewalImport(ctx context.Context, id int64, why string) error {
	return s.exec(ctx, "fail renewal import", `UPDATE renewal_imports SET failed = $1 WHERE id = $2`, why, id)
}

// ImportOutcomeCounts counts the lines of import id by outcome.
func (s *Store) ImportOutcomeCounts(ctx context.Context, id int64) (map[string]int, error) {
	rows, err := s.readPool.QueryContext(ctx, `SELECT outcome, COUNT(*) FROM renewal_import_lines WHERE import_id = $1 GROUP BY outcome`, id)
	if err != nil {
		return nil, fmt.Errorf("count import lines: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, fmt.Errorf("count import lines: %w", err)
		}
		out[o] = n
	}
	return out, rows.Err()
}

// ImportLines returns the lines of import id in order, but those whose
// outcome is skip, and at most perOutcome lines of each outcome.
func (s *Store) ImportLines(ctx context.Context, id int64, skip string, perOutcome int) ([]ImportLine, error) {
	rows, err := s.scanPool.QueryContext(ctx, `
		SELECT line, card, outcome, reason, detail FROM (
			SELECT line, card, outcome, reason, detail, ROW_NUMBER() OVER (PARTITION BY outcome ORDER BY line) AS n
			FROM renewal_import_lines WHERE import_id = $1 AND outcome <> $2
		) l WHERE n <= $3 ORDER BY line`, id, skip, perOutcome)
	if err != nil {
		return nil, fmt.Errorf("read import lines: %w", err)
	}
	defer rows.Close()
	var out []ImportLine
	for rows.Next() {
		var l ImportLine
		if err := rows.Scan(&l.Line, &l.Card, &l.Outcome, &l.Reason, &l.Detail); err != nil {
			return nil, fmt.Errorf("read import lines: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// EachImportLine calls fn on every line of import id's report, in order.
func (s *Store) EachImportLine(ctx context.Context, id int64, fn func(ImportLine) error) error {
	rows, err := s.scanPool.QueryContext(ctx, `SELECT line, card, outcome, reason FROM renewal_import_lines WHERE import_id = $1 ORDER BY line`, id)
	if err != nil {
		return fmt.Errorf("read import report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l ImportLine
		if err := rows.Scan(&l.Line, &l.Card, &l.Outcome, &l.Reason); err != nil {
			return fmt.Errorf("read import report: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UnstartedImportLife is how long an import staged and never started is
// kept: the librarian previews, then applies or leaves.
const UnstartedImportLife = time.Hour

// PurgeRenewalImports deletes the imports staged before unstartedBefore and
// never started, and those created before reportsBefore (their report has
// lived as long as the audit trail's details), with their rows and lines.
func (t *Tx) PurgeRenewalImports(ctx context.Context, unstartedBefore, reportsBefore time.Time) (int, error) {
	res, err := t.sql.ExecContext(ctx, `
		DELETE FROM renewal_imports WHERE (started_at IS NULL AND created_at < $1) OR created_at < $2`,
		dbTime(unstartedBefore), dbTime(reportsBefore))
	if err != nil {
		return 0, fmt.Errorf("purge renewal imports: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ImportMapping returns the columns the library's files were last mapped
// to (column → header text), empty when none was saved.
func (s *Store) ImportMapping(ctx context.Context, libraryID int64) (map[string]string, error) {
	var text string
	err := s.readPool.QueryRowContext(ctx, `SELECT mapping FROM import_mappings WHERE library_id = $1`, libraryID).Scan(&text)
	if err == sql.ErrNoRows {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read import mapping: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, fmt.Errorf("read import mapping: %w", err)
	}
	return m, nil
}

// maxMappingColumns bounds what a form may save.
const maxMappingColumns = 32

// SaveImportMapping saves the library's mapping (column → header text),
// replacing the one before: one row per library, never more. libraryID 0
// is the network admin's own.
func (s *Store) SaveImportMapping(ctx context.Context, libraryID int64, mapping map[string]string) error {
	if len(mapping) > maxMappingColumns {
		return sesame.Errorf(sesame.EInvalid, "Trop de colonnes dans la correspondance.")
	}
	for k, v := range mapping {
		if len(k) > 100 || len(v) > 200 || !storableText(k) || !storableText(v) {
			return sesame.Errorf(sesame.EInvalid, "Correspondance des colonnes illisible.")
		}
	}
	text, err := json.Marshal(mapping)
	if err != nil {
		return fmt.Errorf("save import mapping: %w", err)
	}
	return s.exec(ctx, "save import mapping", `
		INSERT INTO import_mappings (library_id, mapping, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (library_id) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at`,
		libraryID, string(text), s.Now())
}
