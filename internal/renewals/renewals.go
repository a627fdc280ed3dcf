// Package renewals applies the renewals recorded in the library system
// (SIGB) to the patrons of Sésame: a file uploaded on « Importer depuis le
// SIGB », rows sent to the API, or `sesame import`. All three come here,
// so that the same line gives the same result everywhere.
package renewals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/lifecycle"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// CONTRACT (written by the lead so that the page, the API and the command
// can be built at the same time as the service; the service's author fills
// the bodies and may add to it, never change a signature without updating
// every caller):
//
//	type Service struct {
//		Store    *store.Store
//		BaseURL  string          // for the links of the mails
//		Location *time.Location  // the network's calendar (Europe/Paris)
//		Now      func() time.Time
//		Logger   *slog.Logger
//	}
//
//	// Input names an import: where its rows come from and for which library.
//	type Input struct {
//		Source    string // the file's name, or "API"; said in the audit with the line number
//		LibraryID int64  // the importing library; 0 for the network admin, whose rows name their library (sigb.ColLibrary)
//	}
//
//	// Outcome is what an import does, or would do, with one line.
//	type Outcome string // renewed, revalidated, flagged (À valider, « inscrit au SIGB »),
//	                    // expired_notified (Expiré, mailed), unchanged, unknown, ambiguous, malformed, …
//	func (o Outcome) Label() string // French, for pages and the report
//
//	// Line is one line's outcome.
//	type Line struct {
//		Line       int
//		Card       string
//		Outcome    Outcome
//		Reason     string       // French
//		Patron     *PatronRef   // the patron matched, if any
//		Candidates []PatronRef  // the patrons an ambiguous line could be
//	}
//	type PatronRef struct { ID int64; Name string; Status sesame.Status; Library string; BirthDate, LibraryRegisteredOn, NewLibraryRegisteredOn sesame.Date }
//
//	// Summary counts the outcomes and keeps the lines worth showing.
//	type Summary struct {
//		Total  int
//		Counts map[Outcome]int
//		Lines  []Line // every line but the unchanged ones, in file order, capped (say 1,000 per outcome) with the counts still exact
//	}
//
//	func (s *Service) Preview(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows) (Summary, error) // never writes
//	func (s *Service) Apply(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows, actor sesame.Actor) (Summary, error) // synchronous: the API and `sesame import --apply`
//
//	// For the page: the rows are staged (never the file) and applied by a background job, resumable, with progress.
//	// Stage stores the parsed rows and computes the preview (Progress(id).Summary), changing no patron, sending no
//	// mail and writing no audit; Start queues the job that applies them. A staged import never started is purged
//	// after an hour.
//	func (s *Service) Stage(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows, actor sesame.Actor) (importID int64, err error)
//	func (s *Service) Start(ctx context.Context, sc store.Scope, importID int64, actor sesame.Actor) error
//	type Progress struct { ID int64; Source string; LibraryID int64; Total, Done int; Started, Finished bool; Failed string; Summary Summary; CreatedAt time.Time }
//	// Summary: before Start, the preview; once finished, what was done.
//	func (s *Service) Progress(ctx context.Context, sc store.Scope, importID int64) (Progress, error) // 404 (sesame ENotFound) outside sc
//	func (s *Service) WriteReport(ctx context.Context, sc store.Scope, importID int64, w io.Writer) error // CSV: ligne;carte;résultat;motif

// Service applies renewal files and rows; one per process, shared by the
// page, the API, the job and the command.
type Service struct {
	Store    *store.Store
	BaseURL  string         // for the links of the mails
	Location *time.Location // the network's calendar (Europe/Paris)
	Now      func() time.Time
	Logger   *slog.Logger
}

// Input names an import: where its rows come from and for which library.
type Input struct {
	Source    string // the file's name, or "API"; said in the audit with the line number
	LibraryID int64  // the importing library; 0 for the network admin, whose rows name their library (sigb.ColLibrary)
}

// Outcome is what an import does, or would do, with one line.
type Outcome string

// The outcomes of a line.
const (
	Renewed         Outcome = "renewed"          // Validé, given a later date: a new period
	Revalidated     Outcome = "revalidated"      // À revalider → Validé
	Flagged         Outcome = "flagged"          // À valider, left to the librarian, « inscrit au SIGB »
	ExpiredNotified Outcome = "expired_notified" // Expiré, unchanged, mailed to ask for renewal
	Unchanged       Outcome = "unchanged"
	Unknown         Outcome = "unknown"   // nobody here: nothing created
	Ambiguous       Outcome = "ambiguous" // several patrons could be this line: nothing done
	Malformed       Outcome = "malformed" // the line cannot be read
	Failed          Outcome = "failed"    // its batch failed and was rolled back
)

// Outcomes lists the outcomes in the order pages and the report show them.
var Outcomes = []Outcome{Renewed, Revalidated, Flagged, ExpiredNotified, Unchanged, Unknown, Ambiguous, Malformed, Failed}

// Label is the outcome in French, for pages and the report.
func (o Outcome) Label() string {
	switch o {
	case Renewed:
		return "Renouvelé"
	case Revalidated:
		return "Revalidé"
	case Flagged:
		return "Inscrit au SIGB, à valider"
	case ExpiredNotified:
		return "Expiré, invité à demander le renouvellement"
	case Unchanged:
		return "Inchangé"
	case Unknown:
		return "Inconnu dans Sésame"
	case Ambiguous:
		return "Ambigu"
	case Malformed:
		return "Ligne incorrecte"
	case Failed:
		return "Non appliqué (erreur)"
	}
	return string(o)
}

// Changes reports whether the outcome changes a patron, or mails one.
func (o Outcome) Changes() bool {
	return o == Renewed || o == Revalidated || o == Flagged || o == ExpiredNotified
}

// Line is one line's outcome.
type Line struct {
	Line       int
	Card       string
	Outcome    Outcome
	Reason     string      // French
	Patron     *PatronRef  // the patron matched, if any
	Candidates []PatronRef // the patrons an ambiguous line could be
}

// PatronRef shows a patron a line matched, or could match.
type PatronRef struct {
	ID                     int64
	Name                   string
	Status                 sesame.Status
	Library                string
	BirthDate              sesame.Date
	LibraryRegisteredOn    sesame.Date
	NewLibraryRegisteredOn sesame.Date
}

// Summary counts the outcomes and keeps the lines worth showing.
type Summary struct {
	Total  int
	Counts map[Outcome]int
	Lines  []Line // every line but the unchanged ones, in file order, capped (LinesKept per outcome) with the counts still exact
}

// Progress is a staged import as the page shows it.
type Progress struct {
	ID        int64
	Source    string
	LibraryID int64
	Total     int
	Done      int
	Started   bool
	Finished  bool
	Failed    string
	// Summary: before Start, the preview; once finished, what was done.
	Summary   Summary
	CreatedAt time.Time
}

// LinesKept is how many lines of each outcome a Summary keeps to show; its
// counts stay exact, and the report lists every line.
const LinesKept = 1000

// BatchSize is how many lines are matched together, and applied in one
// transaction: small enough to hold SQLite's one writer briefly, large
// enough that matching costs a few queries per batch, not per line.
const BatchSize = 500

func (sum *Summary) add(l Line) {
	if sum.Counts == nil {
		sum.Counts = map[Outcome]int{}
	}
	sum.Total++
	sum.Counts[l.Outcome]++
	if l.Outcome != Unchanged && sum.Counts[l.Outcome] <= LinesKept {
		sum.Lines = append(sum.Lines, l)
	}
}

// Changed is how many lines changed a patron or mailed one.
func (sum Summary) Changed() int {
	n := 0
	for o, c := range sum.Counts {
		if o.Changes() {
			n += c
		}
	}
	return n
}

// BatchError is a batch that failed: rolled back whole, nothing of it
// applied; the lines before it were.
type BatchError struct {
	FirstLine, LastLine int // the batch's lines, in the file's numbering
	Err                 error
}

func (e *BatchError) Error() string {
	done := "aucune ligne n'a été appliquée"
	if e.FirstLine > 2 {
		done = fmt.Sprintf("les lignes jusqu'à la ligne %d ont été appliquées", e.FirstLine-1)
	}
	return fmt.Sprintf("Les lignes %d à %d n'ont pas été appliquées (%s) ; %s. Relancez l'import : les lignes déjà appliquées ne changeront rien.",
		e.FirstLine, e.LastLine, sesame.ErrorMessage(e.Err), done)
}

func (e *BatchError) Unwrap() error { return e.Err }

// env is what every line of an import is judged against, read once.
type env struct {
	today   sesame.Date
	network sesame.Network             // its ValidityFor a library gives the validity
	byCode  map[string]*sesame.Library // lower-cased codes
	byID    map[int64]*sesame.Library
}

func (s *Service) env(ctx context.Context) (*env, error) {
	n, err := s.Store.Network(ctx)
	if err != nil {
		return nil, err
	}
	libs, err := s.Store.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{today: sesame.DateOf(s.Now(), s.Location), network: n,
		byCode: map[string]*sesame.Library{}, byID: map[int64]*sesame.Library{}}
	for i := range libs {
		e.byCode[strings.ToLower(strings.TrimSpace(libs[i].Code))] = &libs[i]
		e.byID[libs[i].ID] = &libs[i]
	}
	return e, nil
}

// maxField bounds a field of a line: a card number, an address or a name
// is far shorter.
const maxField = 200

// clip is s cut to maxField bytes, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxField {
		return s
	}
	cut := maxField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// clean is in as it may be written: the source's name, said in the audit
// and the report, valid UTF-8 without NUL and of reasonable length.
func (in Input) clean() Input {
	in.Source = storable(in.Source)
	if strings.TrimSpace(in.Source) == "" {
		in.Source = "sans nom"
	}
	return in
}

// checkInput refuses an import sc may not make: a library imports for
// itself only; the network admin for any library, or for all (0).
func (e *env) checkInput(sc store.Scope, in *Input) error {
	*in = in.clean()
	if !sc.Network && in.LibraryID != sc.LibraryID {
		return sesame.Errorf(sesame.ENotFound, "Bibliothèque introuvable.")
	}
	if in.LibraryID != 0 && e.byID[in.LibraryID] == nil {
		return sesame.Errorf(sesame.ENotFound, "Bibliothèque introuvable.")
	}
	return nil
}

// pending is a line of a batch on its way: its row, its library, and its
// outcome once known.
type pending struct {
	row     sigb.Row
	library int64
	line    Line
	done    bool // the outcome is known before matching (malformed)
}

// resolve reads a row: its library, and what makes it malformed.
func (e *env) resolve(in Input, r sigb.Row) pending {
	p := pending{row: r, line: Line{Line: r.Line, Card: strings.TrimSpace(r.Card)}}
	malformed := func(why string) pending {
		p.line.Outcome, p.line.Reason, p.done = Malformed, why, true
		return p
	}
	if r.Problem != "" {
		return malformed(r.Problem)
	}
	for _, f := range []string{r.Card, r.Email, r.LastName, r.FirstName, r.Library} {
		// The API's JSON can carry what no column may hold (PostgreSQL
		// refuses NUL and broken UTF-8): the line is refused, not the import.
		if !utf8.ValidString(f) || strings.ContainsRune(f, 0) || len(f) > maxField {
			p.line.Card = storable(p.line.Card)
			return malformed("Caractères illisibles, ou champ de plus de 200 caractères.")
		}
	}
	p.library = in.LibraryID
	if p.library == 0 {
		code := strings.TrimSpace(r.Library)
		if code == "" {
			return malformed("Bibliothèque non indiquée : un fichier de tout le réseau donne le code de la bibliothèque de chaque ligne.")
		}
		lib := e.byCode[strings.ToLower(code)]
		if lib == nil {
			return malformed("Code de bibliothèque inconnu : « " + code + " ».")
		}
		p.library = lib.ID
	}
	if r.RegisteredOn.IsZero() && r.ValidUntil.IsZero() {
		return malformed("Ni date d'inscription ni date de fin d'abonnement.")
	}
	if p.line.Card == "" && strings.TrimSpace(r.Email) == "" && (strings.TrimSpace(r.LastName) == "" || r.BirthDate.IsZero()) {
		return malformed("Ni numéro de carte, ni adresse e-mail, ni nom et date de naissance : impossible de retrouver l'abonné.")
	}
	return p
}

func keyOf(p pending) store.RenewalKey {
	return store.RenewalKey{LibraryID: p.library, Card: p.row.Card, Email: p.row.Email, LastName: p.row.LastName,
		FirstName: p.row.FirstName, BirthDate: p.row.BirthDate}
}

func (e *env) ref(p *sesame.Patron) PatronRef {
	r := PatronRef{ID: p.ID, Name: p.FullName(), Status: p.Status, BirthDate: p.BirthDate, LibraryRegisteredOn: p.LibraryRegisteredOn}
	if lib := e.byID[p.LibraryID]; lib != nil {
		r.Library = lib.Name
	}
	return r
}

// judge sets the outcome of a matched or unmatched line, and returns the
// patron it changes (nil when none): the rule is the domain's, on a copy
// of the patron as read.
func (e *env) judge(p *pending, m store.RenewalMatch) (*sesame.Patron, sesame.Renewal) {
	switch {
	case len(m.Candidates) > 1:
		p.line.Outcome = Ambiguous
		p.line.Reason = fmt.Sprintf("%d abonnés de la bibliothèque ont ces nom, prénom et date de naissance : rien n'est fait. Ajoutez le numéro de carte ou l'adresse e-mail.", len(m.Candidates))
		for i := range m.Candidates {
			p.line.Candidates = append(p.line.Candidates, e.ref(&m.Candidates[i]))
		}
		return nil, sesame.Renewal{}
	case m.Patron == nil:
		p.line.Outcome = Unknown
		p.line.Reason = "Aucun abonné de la bibliothèque n'a ce numéro de carte, cette adresse e-mail, ou ces nom, prénom et date de naissance : rien n'est créé."
		return nil, sesame.Renewal{}
	}
	changed := *m.Patron
	r := changed.RenewFromSIGB(sesame.SIGBDates{RegisteredOn: p.row.RegisteredOn, ValidUntil: p.row.ValidUntil}, e.today, e.network.ValidityFor(e.byID[changed.LibraryID]))
	ref := e.ref(m.Patron)
	ref.NewLibraryRegisteredOn = r.Date
	p.line.Patron = &ref
	p.line.Outcome, p.line.Reason = Outcome(r.Outcome), r.Reason
	if !r.Changed() {
		return nil, r
	}
	return &changed, r
}

// Preview says what the rows would do; it never writes.
func (s *Service) Preview(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows) (Summary, error) {
	e, err := s.env(ctx)
	if err != nil {
		return Summary{}, err
	}
	if err := e.checkInput(sc, &in); err != nil {
		return Summary{}, err
	}
	var sum Summary
	seen := map[int64]*sesame.Patron{}
	err = s.eachMatched(ctx, e, in, rows, false, func(b *matched) error {
		for _, l := range e.preview(b, seen) {
			sum.add(l)
		}
		return nil
	})
	return sum, err
}

// preview judges a batch against the patrons as they are, or as earlier
// lines of the file left them in seen: a patron named twice in a file is
// judged the second time as the first line leaves them, as Apply does.
func (e *env) preview(b *matched, seen map[int64]*sesame.Patron) []Line {
	for k, m := range b.matches {
		if m.Patron != nil {
			if p := seen[m.Patron.ID]; p != nil {
				m.Patron = p
			}
		}
		if changed, _ := e.judge(&b.ps[b.at[k]], m); changed != nil {
			seen[changed.ID] = changed
		}
	}
	return b.lines()
}

// resolveBatch resolves each row, and lists the keys to match with, for
// each key, the index of its row.
func (e *env) resolveBatch(in Input, batch []sigb.Row) (ps []pending, keys []store.RenewalKey, at []int) {
	ps = make([]pending, len(batch))
	for i, r := range batch {
		ps[i] = e.resolve(in, r)
		if !ps[i].done {
			keys = append(keys, keyOf(ps[i]))
			at = append(at, i)
		}
	}
	return ps, keys, at
}

// eachBatch reads rows by BatchSize and calls fn on each batch.
func eachBatch(rows sigb.Rows, fn func([]sigb.Row) error) error {
	batch := make([]sigb.Row, 0, BatchSize)
	for {
		r, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		batch = append(batch, r)
		if len(batch) == BatchSize {
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// Apply applies the rows at once: for the API and `sesame import --apply`.
// Each batch of BatchSize lines is one transaction; a batch that fails is
// rolled back, the import stops, and the error (a *BatchError) says which
// lines were applied. The Summary tells what the lines before it did. The
// batches are matched ahead, while the one before is written (applyAhead);
// on an engine with more than one writer, the next batch is written beside
// the one before and committed after it (see flight).
func (s *Service) Apply(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows, actor sesame.Actor) (Summary, error) {
	e, err := s.env(ctx)
	if err != nil {
		return Summary{}, err
	}
	if err := e.checkInput(sc, &in); err != nil {
		return Summary{}, err
	}
	var sum Summary
	writers := max(1, s.Store.ConcurrentWriters())
	var flying []*flight // oldest first
	checkpoint := s.checkpointer(ctx)
	defer checkpoint.wait()
	land := func() error {
		f := flying[0]
		<-f.done
		flying = flying[1:]
		if f.err != nil {
			return &BatchError{FirstLine: f.b.batch[0].Line, LastLine: f.b.batch[len(f.b.batch)-1].Line, Err: f.err}
		}
		checkpoint.start()
		for _, l := range f.lines {
			sum.add(l)
		}
		return nil
	}
	err = s.eachMatched(ctx, e, in, rows, true, func(b *matched) error {
		var before *flight
		if len(flying) > 0 {
			before = flying[len(flying)-1]
			if before.b.shares(b) {
				// A patron named in both: this batch is matched once the
				// other is written, not beside it.
				for len(flying) > 0 {
					if err := land(); err != nil {
						return err
					}
				}
				before = nil
			}
		}
		f := &flight{b: b, done: make(chan struct{})}
		flying = append(flying, f)
		go func() {
			defer close(f.done)
			f.lines, f.err = s.applyAhead(ctx, e, in, b, actor, before)
		}()
		for len(flying) >= writers {
			if err := land(); err != nil {
				return err
			}
		}
		return nil
	})
	// The batches still in flight: counted if they were applied (the rows
	// failed to be read after them), rolled back after a batch that failed.
	for len(flying) > 0 {
		if lerr := land(); err == nil {
			err = lerr
		}
	}
	return sum, err
}

// flight is a batch being applied beside the one before it. It commits
// only once that one has (wait), and rolls back if that one failed: the
// lines applied are still those before the first batch that failed, as
// when the batches are applied one after the other. Two batches in flight
// never name the same patron (matched.shares), and write the rows they
// could share (the status counters) only once the one before is over
// (store.Tx.SavePatronsAfter), so neither waits for the other's locks.
type flight struct {
	b     *matched
	done  chan struct{} // closed once committed or rolled back
	lines []Line
	err   error
}

// checkpointer runs store.CheckpointAside beside an apply, after each batch
// written, one at a time: a batch written while one runs is copied by the
// next.
type checkpointer struct {
	ctx     context.Context
	store   *store.Store
	logger  *slog.Logger
	running chan struct{} // holds a token while a checkpoint runs
	done    sync.WaitGroup
}

func (s *Service) checkpointer(ctx context.Context) *checkpointer {
	return &checkpointer{ctx: ctx, store: s.Store, logger: s.Logger, running: make(chan struct{}, 1)}
}

// start starts a checkpoint unless one is running.
func (c *checkpointer) start() {
	select {
	case c.running <- struct{}{}:
	default:
		return
	}
	c.done.Go(func() {
		defer func() { <-c.running }()
		// Only ahead of time: SQLite's own checkpoint does it otherwise.
		if err := c.store.CheckpointAside(c.ctx); err != nil && c.ctx.Err() == nil {
			c.logger.Warn("import SIGB : point de contrôle non fait", "err", err)
		}
	})
}

// wait returns once no checkpoint runs.
func (c *checkpointer) wait() { c.done.Wait() }

// errBatchBefore rolls back a batch whose predecessor failed.
var errBatchBefore = errors.New("the batch before failed")

// errBesideTooLong rolls back a batch that waited too long for the one
// before: it is applied again once that one is over (applyAhead).
var errBesideTooLong = errors.New("the batch before is taking too long")

// besidePatience bounds how long a batch waits for the one before while
// it holds its own patrons' locks. A third transaction (staff saving many
// records at once) could wait for those locks while holding one the batch
// before needs: PostgreSQL sees no cycle, whose last link is here, so the
// wait is cut, and the locks released.
const besidePatience = 5 * time.Second

// wait returns once the batch f is over; an error if it failed. A nil f
// (no batch before) is over.
func (f *flight) wait(ctx context.Context) error {
	return f.waitAtMost(ctx, 0)
}

// holding is wait for a transaction that holds locks: errBesideTooLong
// after besidePatience.
func (f *flight) holding(ctx context.Context) error {
	return f.waitAtMost(ctx, besidePatience)
}

func (f *flight) waitAtMost(ctx context.Context, patience time.Duration) error {
	if f == nil {
		return nil
	}
	var late <-chan time.Time
	if patience > 0 {
		t := time.NewTimer(patience)
		defer t.Stop()
		late = t.C
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return ctx.Err()
	case <-late:
		return errBesideTooLong
	}
	if f.err != nil {
		return errBatchBefore
	}
	return nil
}

// shares reports whether b and o match a patron in common.
func (b *matched) shares(o *matched) bool {
	ids := make(map[int64]bool, len(b.matches))
	for _, m := range b.matches {
		if m.Patron != nil {
			ids[m.Patron.ID] = true
		}
	}
	for _, m := range o.matches {
		if m.Patron != nil && ids[m.Patron.ID] {
			return true
		}
	}
	return false
}

// applyAhead applies, in one transaction, a batch matched before it began
// (eachMatched). What it changes is what the rule says of each patron as
// read then, and each is written only at the version it was read at; a
// patron changed since (by staff, or by the batch before, when a file
// names a patron twice) makes the batch stale: it is rolled back whole and
// applied again, matched this time inside its transaction (applyBatch).
// before, if set, is the batch written beside it: this one commits only
// after it, and is applied again after it if it waited too long (see
// flight).
func (s *Service) applyAhead(ctx context.Context, e *env, in Input, b *matched, actor sesame.Actor, before *flight) ([]Line, error) {
	var lines []Line
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if lines, err = s.applyMatched(ctx, tx, e, in, b, actor, before.holding); err != nil {
			return err
		}
		return before.holding(ctx)
	})
	if sesame.ErrorCode(err) != sesame.EStale && !errors.Is(err, errBesideTooLong) {
		return lines, err
	}
	// Matched again once the batch before is written, as it then is.
	if err := before.wait(ctx); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		lines, err = s.applyBatch(ctx, tx, e, in, b.batch, actor)
		return err
	})
	return lines, err
}

// applyBatch judges and applies a batch in tx: the patrons are matched and
// read in tx, so that what is applied is what the rule says of them now.
func (s *Service) applyBatch(ctx context.Context, tx *store.Tx, e *env, in Input, batch []sigb.Row, actor sesame.Actor) ([]Line, error) {
	b, err := e.match(ctx, in, batch, tx.MatchRenewals)
	if err != nil {
		return nil, err
	}
	return s.applyMatched(ctx, tx, e, in, b, actor, nil)
}

// applyMatched judges and applies in tx a batch matched in tx, or ahead of
// it: the patrons as read, each saved at the version it was read at. The
// renewed patrons are saved together (store.Tx.SavePatrons), and the mails
// written together at the end (lifecycle.Mailer.Hold): a few statements
// per batch, not a few per line. A patron named again in the batch is
// saved first, and judged the second time as saved. ready, if set, is
// store.Tx.SavePatronsAfter's.
func (s *Service) applyMatched(ctx context.Context, tx *store.Tx, e *env, in Input, b *matched, actor sesame.Actor, ready func(context.Context) error) ([]Line, error) {
	ps, at := b.ps, b.at
	mailer := s.mailer()
	network := ""
	mailer.NetworkName = func(ctx context.Context) string {
		if network == "" {
			network = s.networkName(ctx)
		}
		return network
	}
	mailer.Hold()
	mails := &batchMails{s: s, mailer: mailer, ahead: b.mails}
	current := map[int64]*sesame.Patron{}
	var saves []store.PatronSave
	var saveLines []int
	saving := map[int64]bool{}
	save := func() error {
		if len(saves) == 0 {
			return nil
		}
		ids := make([]int64, len(saves))
		for i, sv := range saves {
			ids[i] = sv.Before.ID
		}
		if err := mails.prefetch(ctx, tx, ids); err != nil {
			return err
		}
		saved, err := tx.SavePatronsAfter(ctx, actor, saves, ready)
		if err != nil {
			return fmt.Errorf("lines %d to %d: %w", saveLines[0], saveLines[len(saveLines)-1], err)
		}
		for _, p := range saved {
			current[p.ID] = p
		}
		saves, saveLines = saves[:0], saveLines[:0]
		clear(saving)
		return nil
	}
	for k, m := range b.matches {
		if m.Patron != nil {
			if saving[m.Patron.ID] {
				if err := save(); err != nil {
					return nil, err
				}
			}
			if p := current[m.Patron.ID]; p != nil {
				m.Patron = p
			}
		}
		p := &ps[at[k]]
		changed, r := e.judge(p, m)
		if changed == nil {
			continue
		}
		detail := fmt.Sprintf("Import SIGB %s, ligne %d : %s", in.Source, p.row.Line, r.Reason)
		switch r.Outcome {
		case sesame.RenewalRenewed, sesame.RenewalRevalidated:
			saves = append(saves, store.PatronSave{Before: m.Patron, After: changed,
				Action: sesame.ActionOf(r.Changes, sesame.ActionImport), Detail: detail, Then: mails.decision(ctx, r.Changes)})
			saveLines = append(saveLines, p.row.Line)
			saving[changed.ID] = true
		case sesame.RenewalFlagged, sesame.RenewalExpiredNotified:
			var then store.AfterWrite
			if r.Outcome == sesame.RenewalExpiredNotified {
				then = mailer.SIGBRenewal(ctx)
			}
			if err := tx.NoteSIGBRegistration(ctx, changed, actor, detail, then); err != nil {
				return nil, fmt.Errorf("line %d: %w", p.row.Line, err)
			}
			current[changed.ID] = changed
		}
	}
	if err := save(); err != nil {
		return nil, err
	}
	if err := mails.flush(ctx, tx); err != nil {
		return nil, err
	}
	return b.lines(), nil
}

func (s *Service) mailer() *lifecycle.Mailer {
	return &lifecycle.Mailer{BaseURL: s.BaseURL, Logger: s.Logger, NetworkName: s.networkName}
}

func (s *Service) networkName(ctx context.Context) string {
	if n, err := s.Store.Network(ctx); err == nil && n.Name != "" {
		return n.Name
	}
	return "Sésame"
}
