package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Copy moves a whole network from one database to another, ids included:
// above all a SQLite pilot into the PostgreSQL of production, but any pair of
// engines works. The target is migrated first. The source is read in one
// snapshot, in pages of copyBatch rows in key order; each page is written in
// one transaction that skips the rows the target already holds, so that a
// copy can be run again: an interrupted one resumes, a finished one writes
// nothing. patron_counts is computed again on the target from the copied
// patrons; sessions, logins waiting for their code, failed-login counters,
// and links and tickets that last minutes or hours are not copied (see
// copyExceptions). The columns copied are read from both schemas, and must
// agree. At the end, the rows of every table are counted on both
// sides, and any difference is an error.
//
// progress, when not nil, is called at the start of each table, after each
// page, and last with done == total.
func Copy(ctx context.Context, from, to *Store, progress func(table string, done, total int)) (report CopyReport, err error) {
	report = CopyReport{NotCopied: notCopied}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if from == to {
		return report, errors.New("copy: the source and the target are the same database")
	}
	pending, err := from.PendingMigrations(ctx)
	if err != nil {
		return report, fmt.Errorf("copy: %w", err)
	}
	if len(pending) > 0 {
		return report, fmt.Errorf("copy: the source database lacks migrations %s: run sesame migrate on it first", strings.Join(pending, ", "))
	}
	if err := to.Migrate(ctx); err != nil {
		return report, fmt.Errorf("copy: migrate the target: %w", err)
	}

	src, err := from.snapshot(ctx)
	if err != nil {
		return report, fmt.Errorf("copy: read the source: %w", err)
	}
	defer src.Rollback()
	if err := from.checkCopiedTables(ctx, src); err != nil {
		return report, err
	}
	tables, err := copyColumns(ctx, from, src, to)
	if err != nil {
		return report, err
	}

	// Into empty tables, the indexes are built once at the end: what
	// pg_restore does. A copy run again finds them built at its start (by
	// Migrate) and its tables not empty, and keeps them up as it goes.
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	if _, err := to.DeferIndexes(ctx, names...); err != nil {
		return report, fmt.Errorf("copy: %w", err)
	}
	defer func() {
		// A copy that failed builds them before it returns; one that was
		// cancelled leaves them to its next run.
		if err != nil && ctx.Err() == nil {
			if _, rerr := to.RestoreIndexes(ctx); rerr != nil {
				err = errors.Join(err, fmt.Errorf("copy: %w", rerr))
			}
		}
	}()

	var wantCounts map[countKey]int
	for _, t := range tables {
		n, err := to.copyTableRows(ctx, src, t, progress)
		report.Tables = append(report.Tables, n)
		if err != nil {
			return report, err
		}
		if t.name == "patrons" {
			// The counts follow the patrons, and come before the grants
			// only so that the report reads in the order of the schema.
			tc, counts, err := to.copyPatronCounts(ctx, src, progress)
			report.Tables = append(report.Tables, tc)
			if err != nil {
				return report, err
			}
			wantCounts = counts
		}
	}

	if _, err := to.RestoreIndexes(ctx); err != nil {
		return report, fmt.Errorf("copy: %w", err)
	}
	if err := to.moveSequences(ctx); err != nil {
		return report, err
	}
	// After a bulk load, even one resumed: merge SQLite's trigram index,
	// or refresh PostgreSQL's statistics.
	if err := to.OptimizeSearch(ctx); err != nil {
		return report, fmt.Errorf("copy: %w", err)
	}
	return report, to.verifyCopy(ctx, &report, wantCounts)
}

// CopyReport is what Copy found and did, table by table, in the order copied.
type CopyReport struct {
	Tables    []TableCopy
	NotCopied []string // tables deliberately left behind
	// Counted is set once the target's rows were counted, into each
	// TableCopy's Target, whether or not they matched.
	Counted bool
}

// TableCopy is one table of a copy. For patron_counts, which is computed
// rather than copied, Source is the number of (library, status) pairs among
// the source's patrons and Target the number of non-zero counts.
type TableCopy struct {
	Table   string
	Source  int // rows in the source
	Written int // rows written by this run: 0 when run again
	Target  int // rows in the target after the copy
}

// Written is the number of rows written by this run, all tables together.
func (r CopyReport) Written() int {
	n := 0
	for _, t := range r.Tables {
		n += t.Written
	}
	return n
}

// copyException is a table, or a column of a copied table, that a copy
// deliberately does not carry row for row.
type copyException struct {
	table  string
	column string // empty for the whole table
	// rebuilt is set for what the target makes again by itself, rather
	// than leaves behind.
	rebuilt bool
	why     string
}

const (
	shortLived = "lasts minutes or hours: everyone signs in again on the new database, and a pending registration is sent again"
	linkSecret = "completes the link of a password reset or a registration, which are not copied: on the target it would open nothing, so it is not carried"
)

// copyExceptions are all the exceptions to "every column of every table is
// copied", each with its reason. A table or a column of the source found
// neither in copyTables nor here makes Copy refuse to start, and so does a
// column only one of the two databases has.
var copyExceptions = []copyException{
	{table: "sessions", why: shortLived},
	{table: "patron_sessions", why: shortLived},
	{table: "login_throttle", why: "failed-login counters last minutes"},
	{table: "password_resets", why: shortLived},
	{table: "registrations", why: shortLived},
	{table: "consent_requests", why: "a parent's consent link lasts 48 hours and is not worth carrying: the patron still waits for the consent (patrons.consent_asked_at is copied)"},
	{table: "sso_tokens", why: shortLived},
	{table: "cas_tickets", why: shortLived},
	{table: "cas_logins", why: shortLived},
	{table: "oidc_auth_requests", why: shortLived},
	{table: "oidc_tokens", why: shortLived},
	{table: "saml_requests", why: shortLived},
	{table: "sso_participants", why: shortLived},
	{table: "staff_pending_logins", why: "staff logins waiting for their code last minutes"},
	{table: "server_keys", why: "the key of device cookies is drawn anew: each browser is recognised again from its next login"},
	{table: "deferred_indexes", rebuilt: true, why: "the indexes a bulk load put off, built again by the database's own next migration: the target keeps its own list"},
	{table: "schema_migrations", rebuilt: true, why: "Copy migrates the target itself"},
	{table: "patron_counts", rebuilt: true, why: "computed again on the target from the copied patrons (copyPatronCounts)"},
	{table: "patrons", column: "pending_requests", why: "counted again on the target as the grants are copied: by the triggers on grants (migration 0039), on PostgreSQL in one UPDATE per page (insertGrantsCounted)"},
	{table: "mail_outbox", column: "secret", why: linkSecret},
	{table: "mail_outbox", column: "secret_expires_at", why: linkSecret},
}

// notCopied are the tables a copy leaves behind, as the report lists them.
var notCopied = func() []string {
	var tables []string
	for _, e := range copyExceptions {
		if e.column == "" && !e.rebuilt {
			tables = append(tables, e.table)
		}
	}
	return tables
}()

// skippedColumn reports whether table.column is one of copyExceptions.
func skippedColumn(table, column string) bool {
	for _, e := range copyExceptions {
		if e.table == table && e.column == column {
			return true
		}
	}
	return false
}

// copyBatch is the number of rows read at once, and written in one transaction.
const copyBatch = 5000

// columnKind is how a column's values travel. The drivers give back each
// engine's types: SQLite's BOOLEAN comes as an int64 0 or 1, PostgreSQL's as a
// bool; TIMESTAMP as a time.Time from both. Civil dates are TEXT on both.
type columnKind int

const (
	intColumn columnKind = iota
	textColumn
	boolColumn
	timeColumn
)

type copyColumn struct {
	name     string
	kind     columnKind
	nullable bool // on both sides
}

// columnKindOf reads a column's kind from the type its migration declares:
// SQLite's INTEGER, TEXT, BOOLEAN and TIMESTAMP, PostgreSQL's bigint,
// integer, text, boolean and timestamp with time zone.
func columnKindOf(declared string) (columnKind, bool) {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "INT"):
		return intColumn, true
	case strings.Contains(t, "BOOL"):
		return boolColumn, true
	case strings.Contains(t, "TIMESTAMP"):
		return timeColumn, true
	case strings.Contains(t, "TEXT"), strings.Contains(t, "CHAR"):
		return textColumn, true
	}
	return 0, false
}

// copyTable is a table copied row for row, in pages read in key order. Its
// columns are read from the schemas of both databases (copyColumns), key
// columns first, so that a column added by a migration is copied without
// anyone remembering to list it here.
type copyTable struct {
	name    string
	key     []string
	columns []copyColumn
	// identity is set for the tables whose id PostgreSQL generates: their
	// sequence must be moved past the copied ids.
	identity bool
}

// copyTables are copied in this order, in which every foreign key points to
// a table already copied. Every table of the schema is here, in notCopied,
// or computed (patron_counts), else Copy refuses to start.
var copyTables = []copyTable{
	{name: "network", key: []string{"id"}},
	{name: "libraries", key: []string{"id"}, identity: true},
	{name: "resources", key: []string{"id"}, identity: true},
	// Which libraries offer a resource, and those with seats of their own.
	{name: "resource_offers", key: []string{"resource_id", "library_id"}},
	{name: "library_seat_caps", key: []string{"resource_id", "library_id"}},
	{name: "staff", key: []string{"id"}, identity: true},
	{name: "staff_recovery_codes", key: []string{"staff_id", "code_hash"}},
	{name: "patrons", key: []string{"id"}, identity: true},
	{name: "grants", key: []string{"patron_id", "resource_id"}},
	{name: "parental_consents", key: []string{"patron_id"}},
	{name: "digest_requests", key: []string{"id"}, identity: true},
	// The reminders sent: copied, so that none is sent twice after the move.
	{name: "reminders_sent", key: []string{"patron_id", "valid_until", "offset_days"}},
	{name: "audit_events", key: []string{"id"}, identity: true},
	// A connector's secret is sealed with its id as context: ids are kept,
	// so the same SESAME_SECRET_KEY opens it in the copy.
	{name: "connectors", key: []string{"id"}, identity: true},
	{name: "launches", key: []string{"id"}, identity: true},
	// The last failures of each connector, as the Connecteurs page lists them.
	{name: "connector_failures", key: []string{"id"}, identity: true},
	// The warnings mailed to the network admin: copied, so that none is
	// mailed twice after the move.
	{name: "connector_alerts", key: []string{"connector_id", "kind"}},
	// The API keys (hashed): copied, so that the library system's nightly
	// job keeps its key after the move.
	{name: "api_keys", key: []string{"id"}, identity: true},
	// Imports from the library system: the reports, kept as long as the
	// audit's details; the rows of an import under way, which its job,
	// copied too, goes on applying; the columns each library maps.
	{name: "renewal_imports", key: []string{"id"}, identity: true},
	{name: "renewal_import_rows", key: []string{"import_id", "line"}},
	{name: "renewal_import_lines", key: []string{"import_id", "line"}},
	{name: "import_mappings", key: []string{"library_id"}},
	// The usage statistics (stats.go): what is counted, and how far.
	{name: "stats_months", key: []string{"month", "library_id", "resource_id"}},
	{name: "stats_library_months", key: []string{"month", "library_id"}},
	{name: "stats_network_months", key: []string{"month", "resource_id"}},
	{name: "stats_years", key: []string{"year", "library_id", "resource_id"}},
	{name: "stats_library_years", key: []string{"year", "library_id"}},
	{name: "stats_year_patrons", key: []string{"year", "library_id", "patron_id", "resource_id"}},
	{name: "stats_account_months", key: []string{"month", "library_id"}},
	{name: "stats_patron_months", key: []string{"library_id", "patron_id", "resource_id"}},
	{name: "stats_user_firsts", key: []string{"library_id", "month", "since", "resource_id"}},
	{name: "stats_library_user_firsts", key: []string{"library_id", "month", "since"}},
	{name: "stats_network_user_firsts", key: []string{"month", "since", "resource_id"}},
	{name: "stats_network_years", key: []string{"year", "resource_id"}},
	{name: "stats_network_account_months", key: []string{"month"}},
	{name: "stats_fold", key: []string{"id"}},
	// The patrons' CAS pseudonyms: vendors know their users by them.
	{name: "cas_users", key: []string{"patron_id", "resource_id"}},
	// The OpenID Connect keys: vendors trust the signing keys, and know
	// patrons by the subjects the pairwise key makes. Sealed with their id
	// as context, they open in the copy with the same SESAME_SECRET_KEY.
	{name: "oidc_keys", key: []string{"id"}},
	// The SAML identity goes along: the vendors trust its certificate, and
	// its salt keeps each patron's NameIDs. Its secrets are sealed under
	// fixed contexts, so the same SESAME_SECRET_KEY opens them in the copy.
	{name: "saml_identity", key: []string{"id"}},
	{name: "mail_outbox", key: []string{"id"}, identity: true},
	{name: "jobs", key: []string{"id"}, identity: true},
}

// snapshot opens the read transaction the whole copy reads from, so that the
// rows of every table, and their counts, belong to one moment of the source.
func (s *Store) snapshot(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == postgresDialect {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.scanPool.BeginTx(ctx, opts)
}

// tableColumn is a column as a database's schema declares it.
type tableColumn struct {
	name, declared string
	nullable       bool
}

// schemaColumns reads the columns of table from q's schema, in their order;
// PostgreSQL's generated columns, which cannot be written, are left out, as
// SQLite's table_info leaves out its own.
func (s *Store) schemaColumns(ctx context.Context, q queryer, table string) ([]tableColumn, error) {
	query := `SELECT name, type, "notnull" = 0 FROM pragma_table_info($1) ORDER BY cid`
	if s.dialect == postgresDialect {
		query = `SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`
	}
	rows, err := q.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []tableColumn
	for rows.Next() {
		var c tableColumn
		if err := rows.Scan(&c.name, &c.declared, &c.nullable); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// copyColumns returns copyTables with the columns of each, read from the
// schemas of the source (through its snapshot src) and of the target. A
// column that only one of them has, not listed in copyExceptions, is an
// error naming it before anything is written: a copy never drops a column
// silently, nor leaves one of the target empty.
func copyColumns(ctx context.Context, from *Store, src *sql.Tx, to *Store) ([]copyTable, error) {
	tables := make([]copyTable, len(copyTables))
	var problems []string
	for i, t := range copyTables {
		srcCols, err := from.schemaColumns(ctx, src, t.name)
		if err != nil {
			return nil, fmt.Errorf("copy %s: read the source's columns: %w", t.name, err)
		}
		dstCols, err := to.schemaColumns(ctx, to.readPool, t.name)
		if err != nil {
			return nil, fmt.Errorf("copy %s: read the target's columns: %w", t.name, err)
		}
		target := map[string]tableColumn{}
		for _, c := range dstCols {
			target[c.name] = c
		}
		var keys, rest []copyColumn
		seen := map[string]bool{}
		for _, c := range srcCols {
			seen[c.name] = true
			if skippedColumn(t.name, c.name) {
				continue
			}
			d, ok := target[c.name]
			if !ok {
				problems = append(problems, fmt.Sprintf("column %s.%s is in the source but not in the target", t.name, c.name))
				continue
			}
			kind, ok := columnKindOf(c.declared)
			if dkind, dok := columnKindOf(d.declared); !ok || !dok || kind != dkind {
				problems = append(problems, fmt.Sprintf("column %s.%s is %s in the source and %s in the target", t.name, c.name, c.declared, d.declared))
				continue
			}
			col := copyColumn{name: c.name, kind: kind, nullable: c.nullable && d.nullable}
			if slices.Contains(t.key, c.name) {
				keys = append(keys, col)
			} else {
				rest = append(rest, col)
			}
		}
		for _, c := range dstCols {
			if !seen[c.name] && !skippedColumn(t.name, c.name) {
				problems = append(problems, fmt.Sprintf("column %s.%s is in the target but not in the source", t.name, c.name))
			}
		}
		if len(keys) != len(t.key) {
			problems = append(problems, fmt.Sprintf("table %s lacks its key (%s) in the source or the target", t.name, strings.Join(t.key, ", ")))
			continue
		}
		// Key columns first, in the key's order: a page's last key is the
		// start of the next.
		slices.SortFunc(keys, func(a, b copyColumn) int { return slices.Index(t.key, a.name) - slices.Index(t.key, b.name) })
		tables[i] = t
		tables[i].columns = append(keys, rest...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("copy: the source and the target differ, nothing was copied: %s", strings.Join(problems, "; "))
	}
	return tables, nil
}

// checkCopiedTables refuses a source holding a table this code does not know
// of, whose rows a copy would silently leave behind.
func (s *Store) checkCopiedTables(ctx context.Context, q queryer) error {
	query := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.dialect == postgresDialect {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("copy: list the source's tables: %w", err)
	}
	defer rows.Close()
	known := map[string]bool{}
	for _, t := range copyTables {
		known[t.name] = true
	}
	for _, e := range copyExceptions {
		if e.column == "" {
			known[e.table] = true
		}
	}
	var unknown []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("copy: list the source's tables: %w", err)
		}
		// SQLite's own tables, and the trigram index, which is rebuilt from
		// search_text, with the tables FTS5 keeps it in.
		if known[name] || strings.HasPrefix(name, "sqlite_") || strings.HasPrefix(name, "patron_search") {
			continue
		}
		unknown = append(unknown, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy: list the source's tables: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("copy: the source has tables this version of sesame copy does not know (%s): nothing was copied", strings.Join(unknown, ", "))
	}
	return nil
}

// copyTableRows copies one table from the snapshot src into s, page by page.
// The next page is read from the source while the last one is written: the
// source's reads and conversions took a quarter of a copy's time, and
// PostgreSQL's writes the rest, each waiting for the other.
func (s *Store) copyTableRows(ctx context.Context, src *sql.Tx, t copyTable, progress func(string, int, int)) (TableCopy, error) {
	tc := TableCopy{Table: t.name}
	if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&tc.Source); err != nil {
		return tc, fmt.Errorf("copy %s: count the source: %w", t.name, err)
	}
	fresh, err := s.emptyAtStart(ctx, t)
	if err != nil {
		return tc, fmt.Errorf("copy %s: %w", t.name, err)
	}
	progress(t.name, 0, tc.Source)
	pages, stop := t.readAhead(ctx, src)
	defer stop()
	done := 0
	for read := range pages {
		if read.err != nil {
			return tc, fmt.Errorf("copy %s: read the source: %w", t.name, read.err)
		}
		page := read.rows
		n, err := s.writePage(ctx, t, page, fresh)
		if err != nil {
			return tc, fmt.Errorf("copy %s, rows %s to %s: %w", t.name, t.keyString(page[0]), t.keyString(page[len(page)-1]), err)
		}
		tc.Written += n
		done += len(page)
		progress(t.name, done, tc.Source)
	}
	return tc, nil
}

// pageRead is a page of the source, or why it could not be read.
type pageRead struct {
	rows [][]any
	err  error
}

// readAhead reads t from src page by page in its key order, one page ahead
// of the writer, and sends each page that holds rows, then the error that
// ended the reading, if any. stop ends the reading and returns once src is
// no longer used: the next table reads from it.
func (t copyTable) readAhead(ctx context.Context, src *sql.Tx) (pages <-chan pageRead, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan pageRead, 1)
	go func() {
		defer close(ch)
		var after []any // the key of the last row read
		for {
			page, err := t.readPage(ctx, src, after)
			if len(page) == 0 && err == nil {
				return
			}
			select {
			case ch <- pageRead{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(page) < copyBatch {
				return
			}
			after = page[len(page)-1][:len(t.key)]
		}
	}()
	return ch, func() {
		cancel()
		for range ch { // until the reader has returned
		}
	}
}

// emptyAtStart tells whether t holds no row in s as the copy of t begins.
// On PostgreSQL such a table takes its pages by COPY straight into it
// (copyRowsPostgres): pages come in key order, each after the last, so
// none of this run's rows can already be there. A run interrupted then
// run again finds the table not empty, and skips what it holds.
func (s *Store) emptyAtStart(ctx context.Context, t copyTable) (bool, error) {
	if s.dialect != postgresDialect {
		return false, nil
	}
	used, err := hasRows(ctx, s.writePool, t.name)
	if err != nil {
		return false, fmt.Errorf("read the target: %w", err)
	}
	return !used, nil
}

// readPage reads the copyBatch rows after the key after (from the start when
// nil), converted to the values both engines accept.
func (t copyTable) readPage(ctx context.Context, src *sql.Tx, after []any) ([][]any, error) {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	where := ""
	args := append([]any{}, after...)
	switch {
	case after == nil:
	case len(t.key) == 1:
		where = fmt.Sprintf(" WHERE %s > $1", t.key[0])
	default:
		// (patron_id, resource_id) > ($1, $2): a row-value comparison, in
		// the order of the primary key, on both engines.
		where = fmt.Sprintf(" WHERE (%s) > (%s)", strings.Join(t.key, ", "), placeholders(1, len(t.key)))
	}
	args = append(args, copyBatch)
	// #nosec G201 -- table and column names come from copyTables, values are placeholders.
	query := fmt.Sprintf(`SELECT %s FROM %s%s ORDER BY %s LIMIT $%d`,
		strings.Join(names, ", "), t.name, where, strings.Join(t.key, ", "), len(args))
	rows, err := src.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page [][]any
	for rows.Next() {
		raw := make([]any, len(t.columns))
		ptrs := make([]any, len(t.columns))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(t.columns))
		for i, c := range t.columns {
			v, err := c.convert(raw[i])
			if err != nil {
				return nil, fmt.Errorf("row %s: %w", t.keyString(raw), err)
			}
			row[i] = v
		}
		page = append(page, row)
	}
	return page, rows.Err()
}

// convert turns a value as the source's driver gives it into the one to write.
func (c copyColumn) convert(v any) (any, error) {
	if v == nil && c.nullable {
		return nil, nil
	}
	switch c.kind {
	case intColumn:
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case textColumn:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case boolColumn:
		switch x := v.(type) {
		case bool: // PostgreSQL
			return x, nil
		case int64: // SQLite keeps BOOLEAN as 0 or 1
			if x == 0 || x == 1 {
				return x == 1, nil
			}
		}
	case timeColumn:
		if x, ok := v.(time.Time); ok {
			// In UTC, as the store writes them, to the microsecond, which
			// is all PostgreSQL keeps (and all the store's clock gives).
			return dbTime(x), nil
		}
	}
	return nil, fmt.Errorf("column %s: unexpected value %v (%T)", c.name, v, v)
}

func (t copyTable) keyString(row []any) string {
	parts := make([]string, len(t.key))
	for i := range t.key {
		parts[i] = fmt.Sprint(row[i])
	}
	return strings.Join(parts, "/")
}

func (t copyTable) column(name string) int {
	for i, c := range t.columns {
		if c.name == name {
			return i
		}
	}
	panic("copy: no column " + name + " in " + t.name)
}

// placeholders returns "$from, …, $(from+n-1)".
func placeholders(from, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(marks, ", ")
}

// writePage writes a page in one transaction and returns the number of rows
// written, leaving out those whose key the target already holds; none when
// the table was empty at the copy's start (emptyAtStart).
func (s *Store) writePage(ctx context.Context, t copyTable, page [][]any, fresh bool) (int, error) {
	if s.dialect == postgresDialect {
		return s.copyRowsPostgres(ctx, t, page, fresh)
	}
	written := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		written, err = s.insertRowsSQLite(ctx, tx, t, page)
		return err
	})
	return written, err
}

// insertRowsSQLite inserts a page into SQLite a row at a time through one
// prepared statement (rowInserter), skipping those whose key is already
// there. The patrons inserted, and only they, are added to the trigram
// index as well.
func (s *Store) insertRowsSQLite(ctx context.Context, tx *sql.Tx, t copyTable, page [][]any) (int, error) {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	// #nosec G201 -- table and column names come from copyTables.
	ins, err := newRowInserter(ctx, tx, fmt.Sprintf(`INSERT INTO %s (%s)`, t.name, strings.Join(names, ", ")),
		fmt.Sprintf(` ON CONFLICT (%s) DO NOTHING`, strings.Join(t.key, ", ")), len(t.columns))
	if err != nil {
		return 0, err
	}
	defer ins.close()
	args := make([]any, 0, len(page)*len(t.columns))
	for _, row := range page {
		args = append(args, row...)
	}
	var inserted [][]any
	err = ins.each(ctx, args, func(i int, res sql.Result) error {
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			inserted = append(inserted, page[i])
		}
		return nil
	})
	if err != nil {
		return len(inserted), err
	}
	if t.name == "patrons" {
		if err := s.indexCopiedPatrons(ctx, tx, t, inserted); err != nil {
			return len(inserted), err
		}
	}
	return len(inserted), nil
}

// indexCopiedPatrons adds patrons to SQLite's trigram table from their
// copied search_text, as creating them does. They go in the order of their
// keys there: FTS5 writes its pending entries out each time a key comes
// lower than the one before, and patrons in id order hop between libraries.
func (s *Store) indexCopiedPatrons(ctx context.Context, tx *sql.Tx, t copyTable, patrons [][]any) error {
	idCol, libCol, textCol := t.column("id"), t.column("library_id"), t.column("search_text")
	key := func(row []any) int64 { return searchKey(row[libCol].(int64), row[idCol].(int64)) }
	sort.Slice(patrons, func(i, j int) bool { return key(patrons[i]) < key(patrons[j]) })
	args := make([]any, 0, 2*len(patrons))
	for _, p := range patrons {
		args = append(args, key(p), p[textCol].(string))
	}
	ins, err := newRowInserter(ctx, tx, `INSERT INTO patron_search (rowid, search_text)`, ``, 2)
	if err != nil {
		return fmt.Errorf("index search: %w", err)
	}
	defer ins.close()
	if _, err := ins.exec(ctx, args); err != nil {
		return fmt.Errorf("index search: %w", err)
	}
	return nil
}

type countKey struct {
	libraryID int64
	status    string
}

// patronGroups counts patrons by library and status.
func patronGroups(ctx context.Context, q queryer) (map[countKey]int, error) {
	return readCounts(ctx, q, `SELECT library_id, status, COUNT(*) FROM patrons GROUP BY library_id, status`)
}

func readCounts(ctx context.Context, q queryer, query string) (map[countKey]int, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[countKey]int{}
	for rows.Next() {
		var k countKey
		var n int
		if err := rows.Scan(&k.libraryID, &k.status, &n); err != nil {
			return nil, err
		}
		counts[k] = n
	}
	return counts, rows.Err()
}

// copyPatronCounts sets the target's patron_counts from its patrons, rather
// than copying the source's, and returns the counts of the source's patrons,
// which the target's must equal. Only the counts that differ are written.
func (s *Store) copyPatronCounts(ctx context.Context, src *sql.Tx, progress func(string, int, int)) (TableCopy, map[countKey]int, error) {
	const table = "patron_counts"
	tc := TableCopy{Table: table}
	want, err := patronGroups(ctx, src)
	if err != nil {
		return tc, nil, fmt.Errorf("copy %s: count the source's patrons: %w", table, err)
	}
	tc.Source = len(want)
	progress(table, 0, tc.Source)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		tc.Written = 0
		counted, err := patronGroups(ctx, tx)
		if err != nil {
			return err
		}
		stored, err := readCounts(ctx, tx, `SELECT library_id, status, n FROM patron_counts`)
		if err != nil {
			return err
		}
		for k, n := range counted {
			if old, ok := stored[k]; ok && old == n {
				continue
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO patron_counts (library_id, status, n) VALUES ($1, $2, $3)
				ON CONFLICT (library_id, status) DO UPDATE SET n = excluded.n`, k.libraryID, k.status, n); err != nil {
				return err
			}
			tc.Written++
		}
		for k, n := range stored {
			if _, ok := counted[k]; ok || n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM patron_counts WHERE library_id = $1 AND status = $2`, k.libraryID, k.status); err != nil {
				return err
			}
			tc.Written++
		}
		return nil
	})
	if err != nil {
		return tc, nil, fmt.Errorf("copy %s: %w", table, err)
	}
	progress(table, tc.Source, tc.Source)
	return tc, want, nil
}

// moveSequences sets each PostgreSQL identity past the largest id copied, so
// that the next row created gets a free id. SQLite takes max(id)+1 by itself.
func (s *Store) moveSequences(ctx context.Context) error {
	if s.dialect != postgresDialect {
		return nil
	}
	for _, t := range copyTables {
		if !t.identity {
			continue
		}
		// #nosec G201 -- t.name comes from copyTables.
		query := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM %[1]s`, t.name)
		if _, err := s.writePool.ExecContext(ctx, query); err != nil {
			return fmt.Errorf("copy %s: move the id sequence: %w", t.name, err)
		}
	}
	return nil
}

// verifyCopy counts the target's rows into the report and fails when a
// table's differ from the source's, or a patron count from the source's patrons.
func (s *Store) verifyCopy(ctx context.Context, report *CopyReport, wantCounts map[countKey]int) error {
	var diffs []string
	for i := range report.Tables {
		tc := &report.Tables[i]
		if tc.Table == "patron_counts" {
			have, err := readCounts(ctx, s.scanPool, `SELECT library_id, status, n FROM patron_counts WHERE n <> 0`)
			if err != nil {
				return fmt.Errorf("copy: verify patron_counts: %w", err)
			}
			tc.Target = len(have)
			diffs = append(diffs, countDiffs(wantCounts, have)...)
			continue
		}
		if err := s.scanPool.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tc.Table).Scan(&tc.Target); err != nil {
			return fmt.Errorf("copy: verify %s: %w", tc.Table, err)
		}
		if tc.Target != tc.Source {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows in the source, %d in the target", tc.Table, tc.Source, tc.Target))
		}
	}
	report.Counted = true
	if len(diffs) > 0 {
		return fmt.Errorf("copy: the target differs from the source: %s", strings.Join(diffs, "; "))
	}
	return nil
}

func countDiffs(want, have map[countKey]int) []string {
	var diffs []string
	for k, n := range want {
		if have[k] != n {
			diffs = append(diffs, fmt.Sprintf("patron_counts: library %d, status %s: %d patrons in the source, counted %d in the target", k.libraryID, k.status, n, have[k]))
		}
	}
	for k, n := range have {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("patron_counts: library %d, status %s: no patrons in the source, counted %d in the target", k.libraryID, k.status, n))
		}
	}
	sort.Strings(diffs)
	return diffs
}
