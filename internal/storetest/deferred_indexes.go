package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// migratedStore opens a fresh database of open's engine, migrated, with its DSN.
func migratedStore(t testing.TB, open Opener) (*store.Store, string) {
	t.Helper()
	dsn := freshDSN(t, open)
	st := openCopyTarget(t, dsn)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, dsn
}

// schemaOf lists what a bulk load may put off in dsn's database, each with
// its definition: the indexes, PostgreSQL's constraints, and the triggers
// (on PostgreSQL, only those enabled).
func schemaOf(t testing.TB, dsn string) []string {
	t.Helper()
	query := `SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY 1`
	if store.IsPostgres(dsn) {
		// Without the test's own schema, that each definition names.
		query = `SELECT 'index ' || indexname || ' ' || replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema()
			UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
				WHERE connamespace = current_schema()::regnamespace
			UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
				WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgenabled = 'O'
			ORDER BY 1`
	}
	var out []string
	for _, row := range ReadRows(t, dsn, query) {
		out = append(out, row[0])
	}
	return out
}

// checkFullSchema fails unless dsn's database has every index, constraint
// and trigger of a freshly migrated one, and nothing left to restore.
func checkFullSchema(t testing.TB, open Opener, dsn string) {
	t.Helper()
	_, fresh := migratedStore(t, open)
	want, got := schemaOf(t, fresh), schemaOf(t, dsn)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing after the load: %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("not in a migrated database: %s", g)
		}
	}
	if rows := ReadRows(t, dsn, `SELECT name FROM deferred_indexes`); len(rows) > 0 {
		t.Errorf("indexes still to restore: %v", rows)
	}
}

// checkPendingCounts fails unless each patron's pending_requests is the
// number of its grants « En attente », as the triggers of migration 0039 keep it.
func checkPendingCounts(t testing.TB, dsn string) {
	t.Helper()
	rows := ReadRows(t, dsn, `SELECT p.id, p.pending_requests, COUNT(g.patron_id) FROM patrons p
		LEFT JOIN grants g ON g.patron_id = p.id AND g.state = 'en_attente'
		GROUP BY p.id, p.pending_requests HAVING p.pending_requests <> COUNT(g.patron_id)`)
	for _, r := range rows {
		t.Errorf("patron %s: pending_requests %s, want %s", r[0], r[1], r[2])
	}
}

// testDeferIndexes: the secondary indexes of empty tables (and foreign keys
// on PostgreSQL) are dropped and recorded, those of a table with rows are
// kept, unique ones stay and still refuse a duplicate; a load in between
// leaves the pending counts right; the next migration, as after an
// interrupted load, builds everything again, and search works.
func testDeferIndexes(t *testing.T, open Opener) {
	ctx := context.Background()
	st, dsn := migratedStore(t, open)
	full := schemaOf(t, dsn)
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Fouesnant", Town: "Fouesnant", ContactEmail: "f@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	var res []int64
	for _, slug := range []string{"presse", "cinema", "musique"} {
		id, err := st.CreateResource(ctx, sesame.Resource{Slug: slug, Name: slug, URL: "https://" + slug + ".example.org/"}, sys)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, id)
	}
	n, err := st.DeferIndexes(ctx, "libraries", "patrons", "grants", "audit_events")
	if err != nil {
		t.Fatal(err)
	}
	deferred := schemaOf(t, dsn)
	// patrons and grants are empty; libraries and audit_events (the
	// library's creation) are not.
	for _, ix := range []string{"patrons_by_name", "patrons_search", "grants_by_state", "grants_patron_id_fkey"} {
		if slices.ContainsFunc(deferred, func(s string) bool { return containsWord(s, ix) }) {
			t.Errorf("%s kept during the load", ix)
		}
	}
	for _, ix := range []string{"patrons_card_unique", "patrons_pkey", "audit_by_patron", "grants_pending_inserted"} {
		if slices.ContainsFunc(full, func(s string) bool { return containsWord(s, ix) }) &&
			!slices.ContainsFunc(deferred, func(s string) bool { return containsWord(s, ix) }) {
			t.Errorf("%s dropped, want it kept", ix)
		}
	}
	if recorded := ReadRows(t, dsn, `SELECT name FROM deferred_indexes`); n == 0 || len(recorded) != n {
		t.Fatalf("got %d dropped, %d recorded; want as many, and some", n, len(recorded))
	}

	var batch []store.NewPatron
	for i := range 40 {
		np := store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: fmt.Sprintf("LE GOFF-%02d", i), FirstName: "Maël",
			Email: fmt.Sprintf("m%d@example.org", i), BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1),
			CardNumber: fmt.Sprintf("C%04d", i), Status: sesame.StatusToValidate}, ResourceIDs: res[:1+i%3], GrantState: sesame.GrantPending}
		if i%2 == 0 {
			np.Patron.Status, np.GrantState = sesame.StatusValidated, sesame.GrantValidated
			np.Patron.LibraryRegisteredOn, np.Patron.ValidUntil = sesame.MustDate(2026, 1, 1), sesame.MustDate(2027, 1, 1)
		}
		batch = append(batch, np)
	}
	if err := st.BulkCreatePatrons(ctx, batch, sys); err != nil {
		t.Fatal(err)
	}
	again := []store.NewPatron{batch[0]}
	again[0].Patron.Email = "autre@example.org"
	if err := st.BulkCreatePatrons(ctx, again, sys); sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("same card during the load: got %v, want it refused", err)
	}
	checkPendingCounts(t, dsn)

	// As the next start after an interrupted load: the migration builds
	// what was put off.
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	checkFullSchema(t, open, dsn)
	checkPendingCounts(t, dsn)
	page, err := st.ListPatrons(ctx, store.LibraryScope(lib), store.PatronFilter{Query: "goff-07"})
	if err != nil || page.Total != 1 || page.Rows[0].ID != batch[7].Patron.ID {
		t.Errorf("search after the load: got %+v (%v)", page, err)
	}
	if n, err := st.RestoreIndexes(ctx); err != nil || n != 0 {
		t.Errorf("restore again: got %d, %v; want nothing to do", n, err)
	}
}

// testRestoreIndexesFailure: an index that cannot be built stops the
// restore, which says which one, counts those it built, and leaves it and
// those it did not reach recorded, for the next restore to build.
func testRestoreIndexesFailure(t *testing.T, open Opener) {
	ctx := context.Background()
	st, dsn := migratedStore(t, open)
	if _, err := st.DeferIndexes(ctx, "patrons", "grants", "audit_events"); err != nil {
		t.Fatal(err)
	}
	execRaw(t, dsn, `INSERT INTO deferred_indexes (name, table_name, definition)
		VALUES ('patrons_broken', 'patrons', 'CREATE INDEX patrons_broken ON patrons (no_such_column)')`)
	recorded := len(ReadRows(t, dsn, `SELECT name FROM deferred_indexes`))

	built, err := st.RestoreIndexes(ctx)
	if err == nil || !strings.Contains(err.Error(), "patrons_broken") {
		t.Fatalf("got %v, want the failure of patrons_broken", err)
	}
	left := ReadRows(t, dsn, `SELECT name FROM deferred_indexes`)
	if built+len(left) != recorded || !slices.ContainsFunc(left, func(r []string) bool { return r[0] == "patrons_broken" }) {
		t.Errorf("got %d built and %v left of %d, want the rest left, patrons_broken among them", built, left, recorded)
	}

	execRaw(t, dsn, `DELETE FROM deferred_indexes WHERE name = 'patrons_broken'`)
	if n, err := st.RestoreIndexes(ctx); err != nil || n != len(left)-1 {
		t.Errorf("restore again: got %d, %v; want %d built", n, err, len(left)-1)
	}
	checkFullSchema(t, open, dsn)
}

// containsWord reports whether word is one of s's names (letters, digits, _).
func containsWord(s, word string) bool {
	return slices.Contains(strings.FieldsFunc(s, func(r rune) bool {
		return r != '_' && (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}), word)
}
