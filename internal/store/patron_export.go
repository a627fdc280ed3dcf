package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/bdf29/sesame"
)

// Subset is one of the lists a librarian asks for beside the status: the
// accounts that end soon, those past their end date, those with a resource
// request awaiting the library.
type Subset string

const (
	// SubsetEndingSoon keeps the Validé accounts whose end date falls
	// within EndingSoonDays from today, today included.
	SubsetEndingSoon Subset = "fin-30-jours"
	// SubsetPastEndDate keeps the Validé accounts past their end date:
	// sesame.Patron.PastEndDate in SQL.
	SubsetPastEndDate Subset = "date-depassee"
	// SubsetPendingResource keeps the accounts with a resource request
	// « En attente ».
	SubsetPendingResource Subset = "ressource-en-attente"
	// SubsetWaitingList keeps the accounts waiting for a seat of a full
	// licence (sesame.GrantWaiting).
	SubsetWaitingList Subset = "liste-attente"
)

// EndingSoonDays is how far ahead SubsetEndingSoon looks.
const EndingSoonDays = 30

// ParseSubset reads a subset from a form; ok is false for anything else.
func ParseSubset(s string) (Subset, bool) {
	switch v := Subset(s); v {
	case SubsetEndingSoon, SubsetPastEndDate, SubsetPendingResource, SubsetWaitingList:
		return v, true
	}
	return "", false
}

// clause is the condition, on patrons p, of the subset read on day today;
// it appends its arguments to args. Dates are stored as ISO text, which
// sorts as the dates do; an account without an end date stores an empty text.
func (sub Subset) clause(today sesame.Date, args *[]any) string {
	switch sub {
	case SubsetEndingSoon:
		*args = append(*args, string(sesame.StatusValidated), today.ISO(), today.AddDays(EndingSoonDays).ISO())
		n := len(*args)
		return fmt.Sprintf(" AND p.status = $%d AND p.valid_until >= $%d AND p.valid_until <= $%d", n-2, n-1, n)
	case SubsetPastEndDate:
		*args = append(*args, string(sesame.StatusValidated), today.ISO())
		n := len(*args)
		return fmt.Sprintf(" AND p.status = $%d AND p.valid_until <> '' AND p.valid_until < $%d", n-1, n)
	case SubsetPendingResource:
		*args = append(*args, string(sesame.GrantPending))
		// Pending requests are few: they are read from grants_by_state.
		return fmt.Sprintf(" AND p.id IN (SELECT g.patron_id FROM grants g WHERE g.state = $%d)", len(*args))
	case SubsetWaitingList:
		*args = append(*args, string(sesame.GrantWaiting))
		return fmt.Sprintf(" AND p.id IN (SELECT g.patron_id FROM grants g WHERE g.state = $%d)", len(*args))
	}
	return ""
}

// counted reports whether patron_counts, which counts by library and
// status, knows the filter's total without reading the rows.
func (f PatronFilter) counted() bool { return !f.Awaiting && f.Subset == "" && len(f.IDs) == 0 }

// patronQuery is the FROM and WHERE of the patrons within scope matching
// f, with their arguments, for the list, its exports and its bulk actions
// alike: they all act on exactly what the list shows.
func (s *Store) patronQuery(sc Scope, f PatronFilter) (from, where string, args []any, q search) {
	return s.patronQueryLike(sc, f, s.dialect == postgresDialect)
}

// patronQueryLike is patronQuery, with every search word checked by LIKE
// on the rows when likeAll is set: a search read in the list's order
// (ListPatrons, searchInOrder) rather than through SQLite's trigram table.
func (s *Store) patronQueryLike(sc Scope, f PatronFilter, likeAll bool) (from, where string, args []any, q search) {
	q = parseSearch(f.Query)
	from = "patrons p"
	where = "WHERE 1 = 1" + sc.clause("p.library_id", &args)
	if f.Status != "" {
		args = append(args, string(f.Status))
		where += fmt.Sprintf(" AND p.status = $%d", len(args))
	}
	if f.Awaiting {
		where += awaitingClause(&args)
	}
	where += f.Subset.clause(f.Today, &args)
	if len(f.IDs) > 0 {
		marks := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where += " AND p.id IN (" + strings.Join(marks, ", ") + ")"
	}
	likeWords := q.short
	if likeAll {
		// PostgreSQL's trigram index serves LIKE '%word%' directly.
		likeWords = q.words
		q.match = ""
	}
	for _, w := range likeWords {
		where += s.containsClause("p.search_text", w, &args)
	}
	if q.match != "" {
		from = "patron_search CROSS JOIN patrons p ON p.id = (patron_search.rowid & 4294967295)"
		where += q.clause(sc, &args)
	}
	return from, where, args, q
}

// containsClause is the condition that column holds word, folded as the
// column is. SQLite's is instr: a LIKE whose pattern is a parameter makes
// SQLite plan the statement again at every call, as the pattern could
// have allowed an index, and a list page's statement took longer to
// plan than to run. PostgreSQL's trigram index serves LIKE '%word%'.
func (s *Store) containsClause(column, word string, args *[]any) string {
	if s.dialect == sqliteDialect {
		*args = append(*args, word)
		return fmt.Sprintf(` AND instr(%s, $%d) > 0`, column, len(*args))
	}
	*args = append(*args, likeContains(word))
	return fmt.Sprintf(` AND %s LIKE $%d ESCAPE '\'`, column, len(*args))
}

// EachPatron calls fn with every patron within scope matching f (Limit and
// Offset aside), in f's order, with their validated and pending resources,
// as it reads them: an export of 50,000 rows never holds them all. It is one
// query, each patron's resources gathered in one column, so that no second
// connection is needed while the rows are read.
func (s *Store) EachPatron(ctx context.Context, sc Scope, f PatronFilter, fn func(PatronRow) error) error {
	sc, f = f.within(sc)
	from, where, args, _ := s.patronQuery(sc, f)
	args = append(args, string(sesame.GrantValidated), string(sesame.GrantPending), grantSeparator)
	n := len(args)
	// string_agg is both PostgreSQL's and SQLite's (3.44 and later).
	query := fmt.Sprintf(`SELECT %s, COALESCE((SELECT string_agg(g.state || ':' || r.name, $%d ORDER BY r.name)
		FROM grants g JOIN resources r ON r.id = g.resource_id
		WHERE g.patron_id = p.id AND g.state IN ($%d, $%d)), '')
		FROM %s %s ORDER BY %s`, patronColumns, n, n-2, n-1, from, where, orderBy(f.Sort, f.Desc))
	rows, err := s.scanStmts.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("export patrons: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row PatronRow
		var grants string
		if err := scanPatron(scanAlso{rows, []any{&grants}}, &row.Patron); err != nil {
			return fmt.Errorf("scan patron: %w", err)
		}
		row.Resources, row.Pending = splitGrants(grants)
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export patrons: %w", err)
	}
	return nil
}

// grantSeparator separates a patron's grants in EachPatron's column: the
// ASCII unit separator, which no resource name holds.
const grantSeparator = "\x1f"

// scanAlso scans a patron's columns, then the extra columns that follow them.
type scanAlso struct {
	rows  *sql.Rows
	extra []any
}

func (s scanAlso) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra...)...) }

// MatchingPatronIDs returns the ids of at most limit patrons within scope
// matching f, in f's order: the patrons a bulk action on « tous les
// abonnés de cette recherche » goes through.
func (s *Store) MatchingPatronIDs(ctx context.Context, sc Scope, f PatronFilter, limit int) ([]int64, error) {
	sc, f = f.within(sc)
	from, where, args, _ := s.patronQuery(sc, f)
	args = append(args, limit)
	rows, err := s.scanStmts.QueryContext(ctx, fmt.Sprintf(`SELECT p.id FROM %s %s ORDER BY %s LIMIT $%d`,
		from, where, orderBy(f.Sort, f.Desc), len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list patron ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan patron id: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PatronPseudonym is the pseudonym the patron already has at a resource
// (ResourcePseudonym), "" when none was made yet: what « Ce que les
// fournisseurs savent de moi » shows, without making one.
func (s *Store) PatronPseudonym(ctx context.Context, patronID, resourceID int64) (string, error) {
	var user string
	err := s.readStmts.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
		patronID, resourceID).Scan(&user)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read pseudonym: %w", err)
	}
	return user, nil
}
