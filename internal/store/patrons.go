package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bdf29/sesame"
)

const patronColumns = `p.id, p.library_id, p.last_name, p.first_name, p.email, p.birth_date, p.postal_code, p.town,
	p.card_number, p.registered_on, p.status, p.library_registered_on, p.valid_until, p.refusal_reason,
	p.version, p.created_at, p.updated_at, p.consent_asked_at, p.sigb_registered_on`

func scanPatron(row interface{ Scan(...any) error }, p *sesame.Patron) error {
	var birth, registered, libDate, until, status, sigbDate string
	var consentAsked sql.NullTime
	err := row.Scan(&p.ID, &p.LibraryID, &p.LastName, &p.FirstName, &p.Email, &birth, &p.PostalCode, &p.Town,
		&p.CardNumber, &registered, &status, &libDate, &until, &p.RefusalReason,
		&p.Version, &p.CreatedAt, &p.UpdatedAt, &consentAsked, &sigbDate)
	if err != nil {
		return err
	}
	p.Status = sesame.Status(status)
	p.ConsentAskedAt = consentAsked.Time
	for _, d := range []struct {
		s    string
		into *sesame.Date
	}{{birth, &p.BirthDate}, {registered, &p.RegisteredOn}, {libDate, &p.LibraryRegisteredOn}, {until, &p.ValidUntil}, {sigbDate, &p.SIGBRegisteredOn}} {
		if err := parseDate(d.s, d.into); err != nil {
			return err
		}
	}
	return nil
}

// searchText is what a search looks into: names, e-mail and card number, folded.
func searchText(p *sesame.Patron) string {
	return Fold(strings.Join([]string{p.LastName, p.FirstName, p.Email, p.CardNumber}, " "))
}

// AfterWrite runs in the transaction of a change to a patron, once it is
// written, with the patron as saved: what it writes, such as a mail into the
// outbox, is committed with the change or not at all, and an error undoes both.
type AfterWrite func(tx *Tx, p *sesame.Patron) error

// NewPatron is a patron to create with the resources they ask for.
type NewPatron struct {
	Patron       sesame.Patron
	PasswordHash string
	ResourceIDs  []int64
	GrantState   sesame.GrantState
	Then         AfterWrite // optional
	// DropTakenCard is for a visitor's registration: a card number already
	// another patron's in the library is left out of the account and noted
	// in its history for staff, so that registering never tells a visitor
	// whether a number exists. Without it, a taken card is an error.
	DropTakenCard bool
	// History, when set, is the account's past (the demo's): its events are
	// written, on their own dates, instead of a registration now.
	History []PastEvent
}

// CreatePatron inserts a patron and their grants, and returns the new id.
func (s *Store) CreatePatron(ctx context.Context, np NewPatron, actor sesame.Actor) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createPatronTx(ctx, tx, np, actor)
		return err
	})
	return id, err
}

// createPatronTx is CreatePatron in the caller's transaction.
func (s *Store) createPatronTx(ctx context.Context, tx *sql.Tx, np NewPatron, actor sesame.Actor) (int64, error) {
	p := np.Patron
	now := s.Now()
	var id int64
	err := func() error {
		p.CardNumber = strings.TrimSpace(p.CardNumber)
		taken, err := cardTaken(ctx, tx, p.LibraryID, p.CardNumber, 0)
		if err != nil {
			return err
		}
		droppedCard := ""
		if taken {
			if !np.DropTakenCard {
				return errCardTaken()
			}
			droppedCard, p.CardNumber = p.CardNumber, ""
		}
		err = tx.QueryRowContext(ctx, `
			INSERT INTO patrons (library_id, last_name, first_name, email, birth_date, postal_code, town, card_number,
				registered_on, status, library_registered_on, valid_until, refusal_reason, password_hash,
				sort_last, sort_first, search_text, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18, $18)
			RETURNING id`,
			p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(), p.PostalCode, p.Town, p.CardNumber,
			p.RegisteredOn.ISO(), string(p.Status), p.LibraryRegisteredOn.ISO(), p.ValidUntil.ISO(), p.RefusalReason, np.PasswordHash,
			Fold(p.LastName), Fold(p.FirstName), searchText(&p), now).Scan(&id)
		if err != nil {
			return patronWriteError(err, "Un compte existe déjà avec cette adresse e-mail.")
		}
		if err := adjustCount(ctx, tx, p.LibraryID, p.Status, 1); err != nil {
			return err
		}
		if err := s.indexSearch(ctx, tx, p.LibraryID, id, searchText(&p)); err != nil {
			return err
		}
		state := np.GrantState
		if state == "" {
			state = sesame.GrantPending
		}
		for _, rid := range np.ResourceIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO grants (patron_id, resource_id, state, updated_at) VALUES ($1, $2, $3, $4)`,
				id, rid, string(state), now); err != nil {
				return fmt.Errorf("insert grant: %w", err)
			}
		}
		p.ID = id
		if len(np.History) > 0 {
			if err := writeHistory(ctx, tx, &p, np.History, actor); err != nil {
				return err
			}
		} else if err := auditEvent(ctx, tx, now, actor, p.LibraryID, id, &p, sesame.ActionRegistration, "Inscription aux ressources numériques."); err != nil {
			return err
		}
		if droppedCard != "" {
			if err := audit(ctx, tx, now, actor, p.LibraryID, id, sesame.ActionInformation,
				"N° d'inscription demandé : « "+droppedCard+" », déjà attribué à un autre abonné de la bibliothèque ; le compte est créé sans numéro."); err != nil {
				return err
			}
		}
		if np.Then == nil {
			return nil
		}
		p.ID, p.Version, p.CreatedAt, p.UpdatedAt = id, 1, now, now
		p.Email = sesame.NormalizeEmail(p.Email)
		return np.Then(s.wrap(tx), &p)
	}()
	return id, err
}

// adjustCount keeps patron_counts in step with patrons; call it in the same
// transaction as the change.
func adjustCount(ctx context.Context, q queryer, libraryID int64, status sesame.Status, delta int) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO patron_counts (library_id, status, n) VALUES ($1, $2, $3)
		ON CONFLICT (library_id, status) DO UPDATE SET n = patron_counts.n + excluded.n`,
		libraryID, string(status), delta)
	if err != nil {
		return fmt.Errorf("adjust count: %w", err)
	}
	return nil
}

// Patron returns one patron within scope; outside it, not found.
func (s *Store) Patron(ctx context.Context, sc Scope, id int64) (*sesame.Patron, error) {
	return findPatron(ctx, s.readStmts, sc, id)
}

func findPatron(ctx context.Context, q queryer, sc Scope, id int64) (*sesame.Patron, error) {
	args := []any{id}
	query := `SELECT ` + patronColumns + ` FROM patrons p WHERE p.id = $1` + sc.clause("p.library_id", &args)
	var p sesame.Patron
	if err := scanPatron(q.QueryRowContext(ctx, query, args...), &p); err != nil {
		return nil, dbError(err, "Abonné", "")
	}
	return &p, nil
}

// Change is what an update made, for the audit trail; an empty Action means
// nothing changed and nothing is written.
type Change struct {
	Action sesame.AuditAction
	Detail string
	Then   AfterWrite // optional; not called when nothing changed
}

// UpdatePatron reads the patron within scope, lets fn change it, and saves it
// if its version is still the one read: two staff saving the same record
// cannot overwrite each other. When expectedVersion is not zero and differs
// from the stored one, fn is not called and the error is EStale. Nor is it
// called when the domain's EditableBy refuses actor the record; the network
// admin's correction of an Expiré record is audited as such.
func (s *Store) UpdatePatron(ctx context.Context, sc Scope, id int64, expectedVersion int, actor sesame.Actor,
	fn func(p *sesame.Patron) (Change, error)) (*sesame.Patron, error) {
	var saved *sesame.Patron
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		saved, err = s.updatePatronTx(ctx, tx, sc, id, expectedVersion, actor, fn)
		return err
	})
	return saved, err
}

// UpdatePatron is Store.UpdatePatron in tx: for a change of many patrons
// that commits whole or not at all, such as a batch of an import.
func (t *Tx) UpdatePatron(ctx context.Context, sc Scope, id int64, expectedVersion int, actor sesame.Actor,
	fn func(p *sesame.Patron) (Change, error)) (*sesame.Patron, error) {
	return t.store.updatePatronTx(ctx, t.sql, sc, id, expectedVersion, actor, fn)
}

func (s *Store) updatePatronTx(ctx context.Context, tx *sql.Tx, sc Scope, id int64, expectedVersion int, actor sesame.Actor,
	fn func(p *sesame.Patron) (Change, error)) (*sesame.Patron, error) {
	var saved *sesame.Patron
	err := func() error {
		p, err := findPatron(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && p.Version != expectedVersion {
			return sesame.Errorf(sesame.EStale, "Cette fiche a été modifiée entre-temps par quelqu'un d'autre. Voici les valeurs actuelles ; vérifiez-les avant d'enregistrer à nouveau.")
		}
		// Who may change the record is the domain's rule, applied here so
		// that no caller can forget it.
		editing, err := p.EditableBy(actor)
		if err != nil {
			return err
		}
		before := *p
		held, err := s.heldSeats(ctx, tx, p)
		if err != nil {
			return err
		}
		change, err := fn(p)
		if err != nil {
			return err
		}
		if editing == sesame.EditExpiredCorrection && change.Action != "" {
			change.Detail = sesame.ExpiredCorrectionNote + " : " + change.Detail
		}
		if change.Action == "" {
			saved = p
			return nil
		}
		p.CardNumber = strings.TrimSpace(p.CardNumber)
		if p.LibraryID != before.LibraryID || !strings.EqualFold(p.CardNumber, before.CardNumber) {
			taken, err := cardTaken(ctx, tx, p.LibraryID, p.CardNumber, id)
			if err != nil {
				return err
			}
			if taken {
				return errCardTaken()
			}
		}
		now := s.Now()
		res, err := tx.ExecContext(ctx, `
			UPDATE patrons SET library_id = $1, last_name = $2, first_name = $3, email = $4, birth_date = $5,
				postal_code = $6, town = $7, card_number = $8, status = $9, library_registered_on = $10,
				valid_until = $11, refusal_reason = $12, sort_last = $13, sort_first = $14, search_text = $15,
				version = version + 1, updated_at = $16
			WHERE id = $17 AND version = $18`,
			p.LibraryID, p.LastName, p.FirstName, sesame.NormalizeEmail(p.Email), p.BirthDate.ISO(),
			p.PostalCode, p.Town, p.CardNumber, string(p.Status), p.LibraryRegisteredOn.ISO(),
			p.ValidUntil.ISO(), p.RefusalReason, Fold(p.LastName), Fold(p.FirstName), searchText(p),
			now, id, before.Version)
		if err != nil {
			return patronWriteError(err, "Un compte existe déjà avec cette adresse e-mail.")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return sesame.Errorf(sesame.EStale, "Cette fiche a été modifiée entre-temps par quelqu'un d'autre. Voici les valeurs actuelles ; vérifiez-les avant d'enregistrer à nouveau.")
		}
		if text := searchText(p); text != searchText(&before) || before.LibraryID != p.LibraryID {
			if err := s.unindexSearch(ctx, tx, before.LibraryID, id); err != nil {
				return err
			}
			if err := s.indexSearch(ctx, tx, p.LibraryID, id, text); err != nil {
				return err
			}
		}
		if before.Status != p.Status || before.LibraryID != p.LibraryID {
			if err := adjustCount(ctx, tx, before.LibraryID, before.Status, -1); err != nil {
				return err
			}
			if err := adjustCount(ctx, tx, p.LibraryID, p.Status, 1); err != nil {
				return err
			}
		}
		if err := auditEvent(ctx, tx, now, actor, p.LibraryID, id, p, change.Action, change.Detail); err != nil {
			return err
		}
		p.Version = before.Version + 1
		p.UpdatedAt = now
		if change.Then != nil {
			if err := change.Then(s.wrap(tx), p); err != nil {
				return err
			}
		}
		// Licence caps (licences.go): a seat taken or freed by this save.
		if err := s.settlePatron(ctx, tx, &before, p, held); err != nil {
			return err
		}
		saved = p
		return nil
	}()
	return saved, err
}

// DeletePatron deletes a patron within scope, with their grants. The audit
// trail keeps the event under the patron's id only.
func (s *Store) DeletePatron(ctx context.Context, sc Scope, id int64, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := findPatron(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := s.removePatron(ctx, tx, p); err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, p.LibraryID, id, sesame.ActionDeletion, "Compte supprimé.")
	})
}

// Sort orders of the patrons list.
const (
	SortLastName   = "nom"
	SortFirstName  = "prenom"
	SortStatus     = "statut"
	SortRegistered = "inscription"
	// SortWaiting puts the longest-waiting request first, for the to-do view.
	SortWaiting = "attente"
)

// PatronFilter selects a page of patrons.
type PatronFilter struct {
	Query  string // searched in names, e-mail and card number, ignoring case and accents
	Status sesame.Status
	// Awaiting keeps only the accounts waiting for the library, the « À
	// traiter » queue: see sesame.Patron.AwaitsStaff and awaitingClause.
	Awaiting bool
	// Subset keeps one of the lists a librarian asks for (ending soon, past
	// the end date, a resource awaiting); Today is the day it is read on.
	Subset Subset
	Today  sesame.Date
	// IDs, when set, keeps only these patrons: a selection ticked on the list.
	IDs []int64
	// LibraryID, when set, narrows the network admin's list to one library;
	// a library's own scope ignores it (see within).
	LibraryID int64
	// Counts, when the caller already has them from StatusCounts for the
	// same scope, give the total of an unsearched list without asking again.
	Counts StatusCountMap
	Sort   string
	Desc   bool
	Limit  int
	Offset int
	// After and Before, when set, are a patron's id: the page is the one
	// right after (Before: right before) that patron in the list's order,
	// found by seeking the index whatever the depth (keyset pagination).
	// Offset is then ignored.
	After, Before int64
	// CountUpTo, when set, stops counting a search's matches past it:
	// PatronPage.More then says that more match than Total.
	CountUpTo int
}

// PatronRow is one line of the list: the patron and the names of their validated resources.
type PatronRow struct {
	sesame.Patron
	Resources []string // validated
	Pending   []string // asked for, awaiting the library
}

// PatronPage is a page of the list and the total count matching the filter.
type PatronPage struct {
	Rows  []PatronRow
	Total int
	// More says that the count stopped at Total (PatronFilter.CountUpTo):
	// more patrons match, and the page must say « plus de ».
	More bool
}

// within is the scope f reads in sc: the network narrowed to f.LibraryID
// reads as that library's own list, through its indexes and counters.
// Counts taken for the network no longer apply. A library's scope stays
// what it is, whatever f asks.
func (f PatronFilter) within(sc Scope) (Scope, PatronFilter) {
	if sc.Network && f.LibraryID != 0 {
		sc, f.Counts = LibraryScope(f.LibraryID), nil
	}
	return sc, f
}

// SearchCountUpTo is where the list stops counting a search's matches: past
// it the page says « plus de 1 000 » (PatronPage.More), the same bound as a
// bulk action's, rather than count every « le » of a library.
const SearchCountUpTo = 1000

// ListPatrons returns one page of the patrons within scope matching f.
func (s *Store) ListPatrons(ctx context.Context, sc Scope, f PatronFilter) (PatronPage, error) {
	done, err := s.takeListTurn(ctx)
	if err != nil {
		return PatronPage{}, err
	}
	defer done()
	sc, f = f.within(sc)
	var page PatronPage
	from, where, args, search := s.patronQuery(sc, f)
	reader := s.listReader(search)
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 10
	}

	trigramAlone := search.trigramAlone(sc, f)
	counted := false
	if matched, margs, ok := s.fewMatchesFirst(sc, f, search, from, where, args); ok {
		page, err = s.listFewMatches(ctx, f, matched, margs, limit)
		if err != nil || len(page.Rows) > 0 || !page.More && f.Offset == 0 {
			return page, err // the page, or nothing matches
		}
		// Matches are many (page.More), or the page is past the last one.
		counted = page.More
	}
	// The counters do not know the requests that keep a Validé account in
	// the queue, nor the subsets: their totals are counted from the rows.
	switch {
	case counted:
		// listFewMatches stopped at SearchCountUpTo: page.Total says so.
	case search.empty() && f.Counts != nil && f.counted():
		page.Total = f.Counts.total(f)
	case search.empty() && f.counted():
		page.Total, err = s.countFromCounters(ctx, sc, f)
	case trigramAlone:
		// The trigram index alone decides: count there, without reading the patrons.
		cargs := []any{}
		page.Total, page.More, err = s.countUpTo(ctx, reader, "patron_search WHERE 1 = 1"+search.clause(sc, &cargs), cargs, f.CountUpTo)
	default:
		page.Total, page.More, err = s.countUpTo(ctx, reader, from+" "+where, args, f.CountUpTo)
	}
	if err != nil {
		return page, err
	}

	offset, desc, reversed := f.Offset, f.Desc, false
	var cursor int64
	switch {
	case f.After != 0:
		cursor, offset = f.After, 0
	case f.Before != 0:
		// The page before a patron is the page after it in the reverse order.
		cursor, offset, desc, reversed = f.Before, 0, !desc, true
	case !page.More && offset > 0 && offset+limit/2 > page.Total/2:
		// A page past the middle is counted from the end: a link to the
		// last pages skips at most half the list.
		rest := page.Total - offset
		if rest <= 0 {
			return page, nil
		}
		offset, desc, reversed = max(rest-limit, 0), !desc, true
		limit = min(limit, rest)
	}
	if !search.empty() && s.dialect == sqliteDialect && search.match != "" &&
		searchInOrder(page.More) {
		// Matches are many: read the list in its order, every word checked
		// on the index's entries, and stop at the page's last match.
		from, where, args, search = s.patronQueryLike(sc, f, true)
	}
	if !search.empty() && s.dialect == postgresDialect && !page.More {
		// Matches are few: all of them are read from the trigram index,
		// then sorted. Asked for a page in name order, PostgreSQL walks the
		// library's name index until the page's last match, and a
		// surname's matches cluster far down the list (GUEGUEN: 16,000
		// entries read for 10 rows). OFFSET 0 keeps the matches apart
		// from the order. Past SearchCountUpTo, matches are many and come
		// soon: the walk in order is then the better way.
		from, where = "(SELECT * FROM "+from+" "+where+" OFFSET 0) p", "WHERE 1 = 1"
	}
	if cursor != 0 {
		where += keysetClause(f.Sort, desc, cursor, &args)
	}
	order := orderBy(f.Sort, desc)
	// The page's ids come from the index alone (or the trigram table); only
	// its rows are read, with their resources gathered in the same
	// statement (one round trip), so skipping to a later page skips index
	// entries, not rows.
	ids := fmt.Sprintf(`SELECT p.id FROM %s %s ORDER BY %s %s`, from, where, order, s.pageWindow(limit, offset, &args))
	rows, err := reader.QueryContext(ctx, pageRowsQuery(ids, order, "", &args), args...)
	if err != nil {
		return page, fmt.Errorf("list patrons: %w", err)
	}
	if page.Rows, err = scanPageRows(rows); err != nil {
		return page, err
	}
	if reversed {
		slices.Reverse(page.Rows)
	}
	return page, nil
}

// phraseOfTrigrams tells whether a word of the search is four letters or
// more: a phrase of several trigrams, whose matches cost the trigram table
// more to find (positions checked) than listFewMatches to keep. A search of
// three-letter words reads one trigram's list, cheaply twice, and its
// matches are often many: « mar » took 0.29 ms counted then read in order,
// 0.50 ms through listFewMatches.
func (s search) phraseOfTrigrams() bool {
	return slices.ContainsFunc(s.words, func(w string) bool { return utf8.RuneCountInString(w) > 3 })
}

// trigramAlone tells whether SQLite's trigram table alone decides which
// patrons of the list match q: every word is long enough for it, and f
// asks nothing it does not hold (a status, the queue, a subset), within one
// library's range of the table.
func (q search) trigramAlone(sc Scope, f PatronFilter) bool {
	return q.match != "" && len(q.short) == 0 && f.Status == "" && f.counted() && !sc.Network
}

// fewMatchesFirst tells whether ListPatrons asks listFewMatches first, and
// gives it the matches: a SELECT of the id and the order's columns
// (sortKeys) of each, or of the ids alone on SQLite, with its arguments.
// Only when a word is a phrase of trigrams (phraseOfTrigrams): such a
// search's matches are few, and finding them is the costly part, done
// once instead of twice (to count, then for the page). On SQLite, only when
// the trigram table alone decides. On PostgreSQL, whatever the filter: a
// search was two statements, each planned for its words (planEachTime);
// listFewMatches is one, prepared, whose one plan reads the trigram index
// on (library_id, search_text) whatever the word. One client, « gueguen »
// took 2.3 ms, 0.8 now. A search of short words, « le » or « an », whose
// matches are many and whose plans differ, is counted then read in order,
// planned for its words, as before (docs/benchmarks.md).
func (s *Store) fewMatchesFirst(sc Scope, f PatronFilter, q search, from, where string, args []any) (matched string, margs []any, ok bool) {
	if !q.phraseOfTrigrams() || f.CountUpTo <= 0 || f.After != 0 || f.Before != 0 {
		return "", nil, false
	}
	switch {
	case s.dialect == postgresDialect:
		// Each match's order is read with it: found again by id, 815
		// matches took PostgreSQL 4.4 of a page's 11 ms (EXPLAIN ANALYZE).
		return "SELECT p." + strings.Join(sortKeys(f.Sort), ", p.") + " FROM " + from + " " + where, slices.Clone(args), true
	case q.trigramAlone(sc, f):
		margs = []any{}
		return "SELECT patron_search.rowid & 4294967295 AS id FROM patron_search WHERE 1 = 1" + q.clause(sc, &margs), margs, true
	}
	return "", nil, false
}

// listFewMatches is ListPatrons for a search in one statement: the
// matches (matched, a SELECT of ids, with its arguments args) are read
// once, up to SearchCountUpTo, counted, and sorted for the page. Counting
// them first, then reading them again for the page, read the trigram index
// twice, and SQLite's phrases of several trigrams are the costly part
// (nolwenn: 1.51 → 1.18 ms, docs/benchmarks.md). Past the bound, the
// statement stops there and returns one match, to carry the count: the
// page is then more than SearchCountUpTo matches, read in order
// (page.More), as ListPatrons does. No row at all is no match, or a page
// past the last. The statement is prepared on both engines, its bound and
// its first pages' window written in (pageWindow).
func (s *Store) listFewMatches(ctx context.Context, f PatronFilter, matched string, args []any, limit int) (PatronPage, error) {
	var page PatronPage
	args = append(args, f.CountUpTo)
	n := len(args)
	order := orderBy(f.Sort, f.Desc)
	// The matches' order: PostgreSQL's come with their columns of the
	// order, SQLite's are found by id, the trigram table first (CROSS JOIN).
	ordered := "matched p"
	if s.dialect == sqliteDialect {
		ordered = "matched CROSS JOIN patrons p ON p.id = matched.id"
	}
	ids := fmt.Sprintf(`SELECT id FROM (SELECT p.id FROM %[3]s
			WHERE (SELECT n FROM counted) <= $%[1]d ORDER BY %[2]s %[4]s) few
		UNION ALL SELECT id FROM (SELECT id FROM matched WHERE (SELECT n FROM counted) > $%[1]d LIMIT 1) one`,
		n, order, ordered, s.pageWindow(limit, f.Offset, &args))
	// The bound is written in, for the reason pageWindow gives.
	query := fmt.Sprintf(`WITH matched AS MATERIALIZED (%s LIMIT %d),
		counted(n) AS (SELECT COUNT(*) FROM matched)
		`, matched, f.CountUpTo+1) + pageRowsQuery(ids, order, ", (SELECT n FROM counted)", &args)
	rows, err := s.scanStmts.QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("list patrons: %w", err)
	}
	if page.Rows, err = scanPageRows(rows, &page.Total); err != nil {
		return page, err
	}
	if page.Total > f.CountUpTo {
		page.Rows, page.Total, page.More = nil, f.CountUpTo, true
	}
	return page, nil
}

// pageRowsQuery is the SELECT of a page's rows: the patrons whose id ids
// (a subquery) gives, in order, each with its resources gathered in one
// column (scanPageRows), then the columns extra adds.
func pageRowsQuery(ids, order, extra string, args *[]any) string {
	*args = append(*args, string(sesame.GrantValidated), string(sesame.GrantPending), grantSeparator)
	n := len(*args)
	return fmt.Sprintf(`SELECT %s, COALESCE((SELECT string_agg(g.state || ':' || r.name, $%d ORDER BY r.name)
		FROM grants g JOIN resources r ON r.id = g.resource_id
		WHERE g.patron_id = p.id AND g.state IN ($%d, $%d)), '')%s
		FROM patrons p WHERE p.id IN (%s) ORDER BY %s`, patronColumns, n, n-2, n-1, extra, ids, order)
}

// scanPageRows reads pageRowsQuery's rows, each row's extra columns into
// extra, and closes them. Each row's resources come in French order.
func scanPageRows(rows *sql.Rows, extra ...any) ([]PatronRow, error) {
	defer rows.Close()
	var list []PatronRow
	fc := newFrenchCollator()
	byName := func(name string) string { return name }
	for rows.Next() {
		var r PatronRow
		var grants string
		if err := scanPatron(scanAlso{rows, append([]any{&grants}, extra...)}, &r.Patron); err != nil {
			return nil, fmt.Errorf("scan patron: %w", err)
		}
		r.Resources, r.Pending = splitGrants(grants)
		sortFrenchWith(fc, r.Resources, byName)
		sortFrenchWith(fc, r.Pending, byName)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list patrons: %w", err)
	}
	return list, nil
}

// takeListTurn waits for a turn of SQLite's list reads, in the order asked,
// and returns what gives it back. A list page on SQLite is work for this
// process's cores alone (the database is in process and its pages mapped),
// so more pages reading at once than cores only share the cores; and when
// they outnumber the connections, database/sql hands a freed connection
// to a waiter chosen at random, so under load some pages waited many
// turns: the search's p95 was three times its median (docs/benchmarks.md).
// A channel's waiters are served first come, first served. PostgreSQL reads
// in its own processes and needs no turns.
func (s *Store) takeListTurn(ctx context.Context) (done func(), err error) {
	if s.listTurns == nil {
		return func() {}, nil
	}
	select {
	case s.listTurns <- struct{}{}:
		return func() { <-s.listTurns }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("list patrons: %w", ctx.Err())
	}
}

// splitGrants reads the column of a patron's grants that ListPatrons and
// EachPatron gather: « state:name » joined by grantSeparator.
func splitGrants(grants string) (validated, pending []string) {
	if grants == "" {
		return nil, nil
	}
	for _, g := range strings.Split(grants, grantSeparator) {
		state, name, _ := strings.Cut(g, ":")
		switch sesame.GrantState(state) {
		case sesame.GrantValidated:
			validated = append(validated, name)
		case sesame.GrantPending:
			pending = append(pending, name)
		}
	}
	return validated, pending
}

// searchInOrder tells whether a search's page is read in the list's order,
// each entry checked until the page's last match, rather than through the
// trigram index, which reads and sorts every match: only when the count
// stopped (more), for then matches are many and the page's last one comes
// soon. Under the bound the trigram index reads at most SearchCountUpTo
// matches, whereas a scan in order could read half the library before a
// surname's first match: names cluster in name order.
func searchInOrder(more bool) bool { return more }

// pageWindow is a page's LIMIT and OFFSET. On PostgreSQL, those of the
// first pages are written in the statement: a prepared statement whose
// LIMIT or OFFSET is a parameter is planned again at every call, since
// PostgreSQL's plan for any value guesses a tenth of the rows and costs
// more than a plan for the values given; with numbers it keeps one plan
// after five calls. Planning took 0.47 ms of the list's 0.69 ms in
// PostgreSQL (docs/benchmarks.md). Only the first literalPages pages (a
// page after a cursor is a first page) are written so, each at most 100
// rows: a few statements, where every page by number would be one more.
// SQLite plans a statement once whatever its LIMIT.
func (s *Store) pageWindow(limit, offset int, args *[]any) string {
	if s.dialect == postgresDialect && offset < literalPages*limit {
		return fmt.Sprintf("LIMIT %d OFFSET %d", limit, offset)
	}
	*args = append(*args, limit, offset)
	return fmt.Sprintf("LIMIT $%d OFFSET $%d", len(*args)-1, len(*args))
}

// literalPages is how many first pages pageWindow writes in the statement.
const literalPages = 10

// countUpTo counts the rows of fromWhere, stopping past upTo when it is
// set: more then says that the count is a floor.
func (s *Store) countUpTo(ctx context.Context, reader queryer, fromWhere string, args []any, upTo int) (n int, more bool, err error) {
	if upTo <= 0 {
		n, err = s.count(ctx, fromWhere, args)
		return n, false, err
	}
	// The bound is written in the statement, for the reason pageWindow gives.
	query := fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT %d) counted`, fromWhere, upTo+1)
	if err := reader.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("count patrons: %w", err)
	}
	if n > upTo {
		return upTo, true, nil
	}
	return n, false, nil
}

func (s *Store) count(ctx context.Context, fromWhere string, args []any) (int, error) {
	var n int
	if err := s.scanStmts.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+fromWhere, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count patrons: %w", err)
	}
	return n, nil
}

// sortKeys are the columns of the list's order, the last one unique.
func sortKeys(sort string) []string {
	switch sort {
	case SortFirstName:
		return []string{"sort_first", "sort_last", "id"}
	case SortStatus:
		return []string{"status", "sort_last", "sort_first", "id"}
	case SortRegistered:
		return []string{"registered_on", "id"}
	case SortWaiting:
		return []string{"updated_at", "id"}
	}
	return []string{"sort_last", "sort_first", "id"}
}

// orderBy is the list's ORDER BY. The network admin's list is sorted across
// every library, as a library's own: the patrons_network_by_* indexes serve it.
func orderBy(sort string, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	keys := sortKeys(sort)
	cols := make([]string, len(keys))
	for i, k := range keys {
		cols[i] = "p." + k + dir
	}
	return strings.Join(cols, ", ")
}

// keysetClause keeps the patrons after the patron cursor in the order
// (sort, desc): the page is found by seeking the index to the cursor's
// key, read from its row by id, so that page 4,000 costs what page 1 does.
// A cursor that no longer exists matches nothing.
func keysetClause(sort string, desc bool, cursor int64, args *[]any) string {
	*args = append(*args, cursor)
	n := len(*args)
	keys := sortKeys(sort)
	cols, vals := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		cols[i] = "p." + k
		vals[i] = fmt.Sprintf("(SELECT c.%s FROM patrons c WHERE c.id = $%d)", k, n)
	}
	op := ">"
	if desc {
		op = "<"
	}
	return fmt.Sprintf(" AND (%s) %s (%s)", strings.Join(cols, ", "), op, strings.Join(vals, ", "))
}

// searchKey is a patron's rowid in patron_search: the library in the high
// bits, so that one library's entries sit together in the trigram index.
func searchKey(libraryID, patronID int64) int64 { return libraryID<<32 | patronID }

// search is what the search box asks: patrons whose names, e-mail or card
// number contain every word, in any order. Words of three letters or more go
// through the trigram index (match); shorter ones are checked on the rows.
type search struct {
	words []string // every word, folded
	match string   // an FTS5 query, "" when no word is long enough
	short []string // words under three letters
}

func parseSearch(q string) search {
	var s search
	var phrases []string
	// A control character ends a word: a NUL would end the FTS5 phrase
	// early ("unterminated string") and PostgreSQL refuses it in any text.
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, q)
	s.words = strings.Fields(Fold(q))
	for _, w := range s.words {
		if len([]rune(w)) < 3 {
			s.short = append(s.short, w)
			continue
		}
		phrases = append(phrases, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	s.match = strings.Join(phrases, " AND ")
	return s
}

func (s search) empty() bool { return len(s.words) == 0 }

// clause is the condition on patron_search: the match, within the library's
// own range of the index.
func (s search) clause(sc Scope, args *[]any) string {
	*args = append(*args, s.match)
	c := fmt.Sprintf(" AND patron_search MATCH $%d", len(*args))
	if !sc.Network {
		*args = append(*args, searchKey(sc.LibraryID, 0), searchKey(sc.LibraryID+1, 0)-1)
		c += fmt.Sprintf(" AND patron_search.rowid BETWEEN $%d AND $%d", len(*args)-1, len(*args))
	}
	return c
}

// countFromCounters answers "how many" from patron_counts, which the
// writes keep up to date, instead of counting up to 50,000 rows. The
// counters do not know the queue (f.Awaiting): ListPatrons counts it from
// the rows.
func (s *Store) countFromCounters(ctx context.Context, sc Scope, f PatronFilter) (int, error) {
	var total int
	args := []any{}
	where := "WHERE 1 = 1" + sc.clause("library_id", &args)
	if f.Status != "" {
		args = append(args, string(f.Status))
		where += fmt.Sprintf(" AND status = $%d", len(args))
	}
	if err := s.readStmts.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM patron_counts `+where, args...).Scan(&total); err != nil {
		return 0, fmt.Errorf("count patrons: %w", err)
	}
	return total, nil
}

// StatusCountMap is how many patrons stand in each status.
type StatusCountMap map[sesame.Status]int

// total is how many patrons an unsearched list with f's filters shows,
// outside the queue (f.Awaiting), which the counters do not know.
func (m StatusCountMap) total(f PatronFilter) int {
	n := 0
	for st, c := range m {
		switch {
		case f.Status != "" && st != f.Status:
		default:
			n += c
		}
	}
	return n
}

// StatusCounts returns how many patrons within scope stand in each status.
func (s *Store) StatusCounts(ctx context.Context, sc Scope) (StatusCountMap, error) {
	args := []any{}
	rows, err := s.readStmts.QueryContext(ctx, `SELECT status, SUM(n) FROM patron_counts WHERE 1 = 1`+sc.clause("library_id", &args)+` GROUP BY status`, args...)
	if err != nil {
		return nil, fmt.Errorf("count statuses: %w", err)
	}
	defer rows.Close()
	counts := StatusCountMap{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("scan count: %w", err)
		}
		counts[sesame.Status(st)] = n
	}
	return counts, rows.Err()
}

// indexSearch adds a patron to SQLite's trigram table; PostgreSQL indexes
// the search_text column itself.
func (s *Store) indexSearch(ctx context.Context, q queryer, libraryID, patronID int64, text string) error {
	if s.dialect != sqliteDialect {
		return nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO patron_search (rowid, search_text) VALUES ($1, $2)`, searchKey(libraryID, patronID), text); err != nil {
		return fmt.Errorf("index search: %w", err)
	}
	return nil
}

func (s *Store) unindexSearch(ctx context.Context, q queryer, libraryID, patronID int64) error {
	if s.dialect != sqliteDialect {
		return nil
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM patron_search WHERE rowid = $1`, searchKey(libraryID, patronID)); err != nil {
		return fmt.Errorf("unindex search: %w", err)
	}
	return nil
}
