package renewals_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// engines opens a fresh, migrated store on each engine, and says where.
var engines = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "sesame.db") }},
	{"postgres", storetest.PostgresDSN},
}

// wantFirstBatchOnly checks that of a failed apply only the first batch
// holds: its one revalidation (F-1) and its mail, F-2 and F-3 untouched.
func wantFirstBatchOnly(t *testing.T, n *network, sum renewals.Summary) {
	t.Helper()
	if sum.Total != renewals.BatchSize || sum.Counts[renewals.Revalidated] != 1 {
		t.Errorf("summary: got %d lines %v, want the first batch's", sum.Total, sum.Counts)
	}
	want := []sesame.Status{sesame.StatusValidated, sesame.StatusToRevalidate, sesame.StatusToRevalidate}
	for i, id := range n.revalidate {
		if p := n.patron(t, id); p.Status != want[i] {
			t.Errorf("F-%d: got %s, want %s", i+1, p.Status, want[i])
		}
	}
	if got := len(n.outbox(t)); got != 1 {
		t.Errorf("outbox: got %d mails, want the first batch's one", got)
	}
}

// onEachEngine runs fn on a fresh network of each engine, as a subtest
// named after the engine.
func onEachEngine(t *testing.T, fn func(t *testing.T, n *network)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { fn(t, newNetwork(t, e.dsn(t))) })
	}
}

func openStore(t testing.TB, dsn string, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// rows is a file already read, as the API sends it.
type rows struct {
	rows []sigb.Row
	i    int
}

func (r *rows) Next() (sigb.Row, error) {
	if r.i == len(r.rows) {
		return sigb.Row{}, io.EOF
	}
	r.i++
	return r.rows[r.i-1], nil
}

func rowsOf(rs ...sigb.Row) sigb.Rows { return &rows{rows: rs} }

// network is Fouesnant and Quimper, and the patrons of the import: the
// tutorial's day is 04/12/2026, the validity 12 months.
type network struct {
	st                 *store.Store
	svc                *renewals.Service
	dsn                string
	fouesnant, quimper int64
	staff              sesame.Actor
	revalidate         []int64 // À revalider, cards F-1, F-2, F-3
	expired            int64   // Expiré, card F-4
	twins              []int64 // same names and birth date, no card
	toValidate         int64   // À valider, card F-5
	quimperF1          int64   // Quimper's patron with card F-1
}

var (
	fileDate = sesame.MustDate(2026, 11, 30)
	birth    = sesame.MustDate(1985, 3, 12)
)

func newNetwork(t testing.TB, dsn string) *network {
	t.Helper()
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, paris)
	n := &network{dsn: dsn, st: openStore(t, dsn, func() time.Time { return now })}
	n.svc = &renewals.Service{Store: n.st, BaseURL: "https://sesame.example.org", Location: paris, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sys := sesame.Actor{Label: "test"}
	if err := n.st.SaveNetwork(ctx, sesame.Network{Name: "Bibliothèques du Finistère", ContactEmail: "r@example.org", ValidityMonths: 12}, sys); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		id   *int64
		code string
	}{{&n.fouesnant, "FOUESNANT"}, {&n.quimper, "QUIMPER"}} {
		if *l.id, err = n.st.CreateLibrary(ctx, sesame.Library{Code: l.code, Name: "Médiathèque de " + l.code, Town: l.code, ContactEmail: "m@example.org"}, sys); err != nil {
			t.Fatal(err)
		}
	}
	n.staff = sesame.Actor{Label: "fouesnant (Médiathèque de Fouesnant)", Role: sesame.RoleLibrary, LibraryID: n.fouesnant, StaffID: 1}
	seq := 0
	patron := func(lib int64, last, first, card string, status sesame.Status) int64 {
		seq++
		p := sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: fmt.Sprintf("usager%d@example.org", seq),
			BirthDate: birth, PostalCode: "29170", Town: "Fouesnant", CardNumber: card, RegisteredOn: sesame.MustDate(2024, 1, 5), Status: status}
		if status != sesame.StatusToValidate {
			p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2025, 11, 20), sesame.MustDate(2026, 11, 20)
		}
		id, err := n.st.CreatePatron(ctx, store.NewPatron{Patron: p}, sys)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for i, first := range []string{"Anne", "Katell", "Loïc"} {
		n.revalidate = append(n.revalidate, patron(n.fouesnant, "MOAL", first, fmt.Sprintf("F-%d", i+1), sesame.StatusToRevalidate))
	}
	n.expired = patron(n.fouesnant, "TANGUY", "Soizic", "F-4", sesame.StatusExpired)
	n.twins = []int64{patron(n.fouesnant, "LE GALL", "Yann", "", sesame.StatusValidated), patron(n.fouesnant, "Le Gall", "Yann", "", sesame.StatusValidated)}
	n.toValidate = patron(n.fouesnant, "QUERE", "Paul", "F-5", sesame.StatusToValidate)
	n.quimperF1 = patron(n.quimper, "CORRE", "Mona", "F-1", sesame.StatusToRevalidate)
	return n
}

// file is the tutorial's file for Fouesnant: 3 À revalider, 1 Expiré, 1
// ambiguous line, 1 À valider, 1 unknown, 1 malformed.
func (n *network) file() sigb.Rows {
	return rowsOf(
		sigb.Row{Line: 2, Card: " f-1 ", RegisteredOn: fileDate},
		sigb.Row{Line: 3, Card: "F-2", RegisteredOn: fileDate},
		sigb.Row{Line: 4, Card: "", Email: " USAGER3@example.org", ValidUntil: fileDate.AddMonths(12)},
		sigb.Row{Line: 5, Card: "F-4", RegisteredOn: fileDate},
		sigb.Row{Line: 6, LastName: "LE GALL", FirstName: "yann", BirthDate: birth, RegisteredOn: fileDate},
		sigb.Row{Line: 7, Card: "F-5", RegisteredOn: fileDate},
		sigb.Row{Line: 8, Card: "X-404", RegisteredOn: fileDate},
		sigb.Row{Line: 9, Card: "F-3", Problem: "Date d'inscription illisible : « 31/02/2026 »."},
	)
}

func (n *network) patron(t testing.TB, id int64) *sesame.Patron {
	t.Helper()
	p, err := n.st.Patron(context.Background(), store.NetworkScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (n *network) outbox(t testing.TB) []store.Mail {
	t.Helper()
	mails, err := n.st.RecentMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return mails
}

var wantCounts = map[renewals.Outcome]int{renewals.Revalidated: 3, renewals.ExpiredNotified: 1, renewals.Ambiguous: 1,
	renewals.Flagged: 1, renewals.Unknown: 1, renewals.Malformed: 1}

func checkSummary(t testing.TB, what string, sum renewals.Summary, want map[renewals.Outcome]int) {
	t.Helper()
	total := 0
	for o, c := range want {
		total += c
		if sum.Counts[o] != c {
			t.Errorf("%s: %s: got %d, want %d (%v)", what, o, sum.Counts[o], c, sum.Counts)
		}
	}
	if sum.Total != total {
		t.Errorf("%s: total: got %d, want %d", what, sum.Total, total)
	}
}

func lineOf(sum renewals.Summary, line int) renewals.Line {
	for _, l := range sum.Lines {
		if l.Line == line {
			return l
		}
	}
	return renewals.Line{}
}

// TestImport is the import on both engines: previewed without a
// write, applied, applied again to no effect.
func TestImport(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}

		preview, err := n.svc.Preview(ctx, sc, in, n.file())
		if err != nil {
			t.Fatal(err)
		}
		checkSummary(t, "preview", preview, wantCounts)
		if l := lineOf(preview, 6); l.Outcome != renewals.Ambiguous || len(l.Candidates) != 2 {
			t.Errorf("line 6: got %+v, want ambiguous between the twins", l)
		}
		if l := lineOf(preview, 9); l.Outcome != renewals.Malformed || !strings.Contains(l.Reason, "31/02/2026") {
			t.Errorf("line 9: got %+v, want malformed with its reason", l)
		}
		if l := lineOf(preview, 2); l.Patron == nil || l.Patron.ID != n.revalidate[0] || l.Patron.NewLibraryRegisteredOn != fileDate {
			t.Errorf("line 2: got %+v, want Anne with the file's date", l)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusToRevalidate || len(n.outbox(t)) != 0 {
			t.Errorf("after the preview: got %s and %d mails, want nothing written", p.Status, len(n.outbox(t)))
		}

		applied, err := n.svc.Apply(ctx, sc, in, n.file(), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		checkSummary(t, "apply", applied, wantCounts)
		for i, id := range n.revalidate {
			p := n.patron(t, id)
			if p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != fileDate || p.ValidUntil != sesame.MustDate(2027, 11, 30) {
				t.Errorf("À revalider %d: got %s %v until %v, want Validé from the file's date", i, p.Status, p.LibraryRegisteredOn, p.ValidUntil)
			}
		}
		if p := n.patron(t, n.quimperF1); p.Status != sesame.StatusToRevalidate {
			t.Errorf("Quimper's patron with card F-1: got %s, want untouched", p.Status)
		}
		if p := n.patron(t, n.expired); p.Status != sesame.StatusExpired || p.SIGBRegisteredOn != fileDate {
			t.Errorf("Expiré: got %s, SIGB %v; want Expiré, noted", p.Status, p.SIGBRegisteredOn)
		}
		if p := n.patron(t, n.toValidate); p.Status != sesame.StatusToValidate || p.SIGBRegisteredOn != fileDate {
			t.Errorf("À valider: got %s, SIGB %v; want flagged", p.Status, p.SIGBRegisteredOn)
		}
		for _, id := range n.twins {
			if p := n.patron(t, id); p.LibraryRegisteredOn != sesame.MustDate(2025, 11, 20) {
				t.Errorf("twin %d: got library date %v, want untouched", id, p.LibraryRegisteredOn)
			}
		}
		history, err := n.st.PatronHistory(ctx, sc, n.revalidate[1])
		if err != nil {
			t.Fatal(err)
		}
		if h := history[0]; h.Action != string(sesame.ActionRenewal) || !strings.HasPrefix(h.Detail, "Import SIGB export.csv, ligne 3 : ") || h.ActorLabel != n.staff.Label {
			t.Errorf("history: got %+v, want the renewal audited as the import's line 3", h)
		}
		mails := n.outbox(t)
		var validations, invitations int
		for _, m := range mails {
			switch {
			case strings.HasPrefix(m.Subject, "Votre compte est validé jusqu'au 30/11/2027"):
				validations++
			case strings.HasPrefix(m.Subject, "Votre abonnement à la bibliothèque a été renouvelé"):
				invitations++
				if !strings.Contains(m.Text, "https://sesame.example.org/mon-compte/renouvellement") || !strings.Contains(m.Text, "30/11/2026") ||
					m.To != "usager4@example.org" {
					t.Errorf("invitation: got to %s:\n%s", m.To, m.Text)
				}
			}
		}
		if validations != 3 || invitations != 1 || len(mails) != 4 {
			t.Errorf("outbox: got %d validations, %d invitations, %d mails; want 3, 1, 4", validations, invitations, len(mails))
		}

		again, err := n.svc.Apply(ctx, sc, in, n.file(), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		if again.Changed() != 0 || again.Counts[renewals.Unchanged] != 5 {
			t.Errorf("second run: got %v, want 0 changes", again.Counts)
		}
		if got := len(n.outbox(t)); got != 4 {
			t.Errorf("second run: got %d mails, want still 4", got)
		}
	})
}

// TestImportScope: a library imports for itself only; the network admin
// names each line's library, and an unknown code is a malformed line.
func TestImportScope(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		_, err := n.svc.Apply(ctx, store.LibraryScope(n.quimper), renewals.Input{Source: "x.csv", LibraryID: n.fouesnant}, n.file(), n.staff)
		if sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("Quimper imports for Fouesnant: got %v, want ENotFound", err)
		}
		admin := sesame.Actor{Label: "admin", Role: sesame.RoleAdmin}
		sum, err := n.svc.Apply(ctx, store.NetworkScope(), renewals.Input{Source: "reseau.csv"}, rowsOf(
			sigb.Row{Line: 2, Card: "F-1", Library: "quimper", RegisteredOn: fileDate},
			sigb.Row{Line: 3, Card: "F-2", Library: "BREST", RegisteredOn: fileDate},
			sigb.Row{Line: 4, Card: "F-2", RegisteredOn: fileDate},
		), admin)
		if err != nil {
			t.Fatal(err)
		}
		checkSummary(t, "network", sum, map[renewals.Outcome]int{renewals.Revalidated: 1, renewals.Malformed: 2})
		if l := lineOf(sum, 3); !strings.Contains(l.Reason, "BREST") {
			t.Errorf("line 3: got %q, want the unknown code named", l.Reason)
		}
		if p := n.patron(t, n.quimperF1); p.Status != sesame.StatusValidated {
			t.Errorf("Quimper's F-1: got %s, want Validé", p.Status)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusToRevalidate {
			t.Errorf("Fouesnant's F-1: got %s, want untouched", p.Status)
		}
	})
}

// TestBatchFailure: a batch that fails is rolled back whole; the batches
// before it stay applied, and the error says up to which line.
func TestBatchFailure(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		var rs []sigb.Row
		for line := 2; line < 2+renewals.BatchSize+100; line++ {
			rs = append(rs, sigb.Row{Line: line, Card: fmt.Sprintf("X-%d", line), RegisteredOn: fileDate})
		}
		rs[10].Card = "F-1"                    // first batch
		rs[renewals.BatchSize+10].Card = "F-2" // second batch, applied
		rs[renewals.BatchSize+20].Card = "F-3" // second batch, fails
		storetest.FailUpdatesOf(t, n.dsn, n.revalidate[2])
		sum, err := n.svc.Apply(ctx, store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}, rowsOf(rs...), n.staff)
		var be *renewals.BatchError
		if !errors.As(err, &be) || be.FirstLine != 2+renewals.BatchSize || be.LastLine != 1+renewals.BatchSize+100 {
			t.Fatalf("got %v, want the second batch's failure", err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("jusqu'à la ligne %d ont été appliquées", 1+renewals.BatchSize)) {
			t.Errorf("message: got %q", err)
		}
		wantFirstBatchOnly(t, n, sum)
	})
}

// TestBatchFailureBeside: on PostgreSQL the batch after one being written is
// written beside it; when the first fails, the one beside it is rolled back
// too, so that the lines applied are still those before the failure.
func TestBatchFailureBeside(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		var rs []sigb.Row
		for line := 2; line < 2+2*renewals.BatchSize+100; line++ {
			rs = append(rs, sigb.Row{Line: line, Card: fmt.Sprintf("X-%d", line), RegisteredOn: fileDate})
		}
		rs[10].Card = "F-1"                      // first batch
		rs[renewals.BatchSize+20].Card = "F-3"   // second batch, fails
		rs[2*renewals.BatchSize+10].Card = "F-2" // third batch, beside the second: rolled back
		repair := storetest.FailUpdatesOf(t, n.dsn, n.revalidate[2])
		sum, err := n.svc.Apply(ctx, store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}, rowsOf(rs...), n.staff)
		var be *renewals.BatchError
		if !errors.As(err, &be) || be.FirstLine != 2+renewals.BatchSize || be.LastLine != 1+2*renewals.BatchSize {
			t.Fatalf("got %v, want the second batch's failure", err)
		}
		wantFirstBatchOnly(t, n, sum)
		// Applied again once the cause is gone, it does the rest.
		repair()
		sum, err = n.svc.Apply(ctx, store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}, rowsOf(rs...), n.staff)
		if err != nil || sum.Changed() != 2 {
			t.Errorf("again: got %v, %v; want F-2 and F-3 revalidated", sum.Counts, err)
		}
	})
}

// TestStagedImport is the page's way: staged and previewed without a
// write, started, applied by the job, reported; another library sees none
// of it.
func TestStagedImport(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}
		id, err := n.svc.Stage(ctx, sc, in, n.file(), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := n.svc.Progress(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Started || pr.Finished || pr.Total != 8 || pr.Done != 0 || pr.Source != "export.csv" {
			t.Errorf("staged: got %+v", pr)
		}
		checkSummary(t, "staged preview", pr.Summary, wantCounts)
		if l := lineOf(pr.Summary, 6); len(l.Candidates) != 2 {
			t.Errorf("line 6: got %+v, want its two candidates", l)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusToRevalidate || len(n.outbox(t)) != 0 {
			t.Errorf("after staging: got %s, %d mails; want nothing written", p.Status, len(n.outbox(t)))
		}
		quimper := store.LibraryScope(n.quimper)
		if _, err := n.svc.Progress(ctx, quimper, id); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("Quimper's progress: got %v, want ENotFound", err)
		}
		if err := n.svc.Start(ctx, quimper, id, n.staff); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("Quimper starts it: got %v, want ENotFound", err)
		}
		if err := n.svc.WriteReport(ctx, quimper, id, io.Discard); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("Quimper's report: got %v, want ENotFound", err)
		}
		if err := n.svc.Start(ctx, sc, id, n.staff); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.Start(ctx, sc, id, n.staff); sesame.ErrorCode(err) != sesame.EConflict {
			t.Errorf("started twice: got %v, want EConflict", err)
		}
		if pending, err := n.st.HasPendingJob(ctx, jobs.KindRenewalImport); err != nil || !pending {
			t.Fatalf("job: pending %v (%v), want one", pending, err)
		}
		job := n.svc.Job()
		// Run twice, as after a crash: the second run finds nothing to do.
		for run := 1; run <= 2; run++ {
			if err := job.Do(ctx, store.Job{Kind: jobs.KindRenewalImport, Payload: fmt.Sprint(id)}); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
		}
		pr, err = n.svc.Progress(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if !pr.Started || !pr.Finished || pr.Done != 8 || pr.Failed != "" {
			t.Errorf("finished: got %+v", pr)
		}
		checkSummary(t, "applied", pr.Summary, wantCounts)
		if p := n.patron(t, n.revalidate[2]); p.Status != sesame.StatusValidated || len(n.outbox(t)) != 4 {
			t.Errorf("applied: got %s and %d mails, want Validé and 4", p.Status, len(n.outbox(t)))
		}
		var report bytes.Buffer
		if err := n.svc.WriteReport(ctx, sc, id, &report); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(report.String()), "\n")
		if len(lines) != 9 || lines[0] != "\ufeffligne;carte;résultat;motif" || !strings.HasPrefix(lines[1], "2;f-1;Revalidé;") ||
			!strings.HasPrefix(lines[8], "9;F-3;Ligne incorrecte;") {
			t.Errorf("report:\n%s", report.String())
		}
	})
}

// TestStagedImportResumes: the job's batch that fails is rolled back, the
// page says which lines were applied, and the job run again goes on from
// that batch.
func TestStagedImportResumes(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		var rs []sigb.Row
		for line := 2; line < 2+renewals.BatchSize+100; line++ {
			rs = append(rs, sigb.Row{Line: line, Card: fmt.Sprintf("X-%d", line), RegisteredOn: fileDate})
		}
		rs[10].Card, rs[renewals.BatchSize+20].Card = "F-1", "F-3"
		sc := store.LibraryScope(n.fouesnant)
		id, err := n.svc.Stage(ctx, sc, renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}, rowsOf(rs...), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.svc.Start(ctx, sc, id, n.staff); err != nil {
			t.Fatal(err)
		}
		repair := storetest.FailUpdatesOf(t, n.dsn, n.revalidate[2])
		job := n.svc.Job()
		run := func() error { return job.Do(ctx, store.Job{Kind: jobs.KindRenewalImport, Payload: fmt.Sprint(id)}) }
		var be *renewals.BatchError
		if err := run(); !errors.As(err, &be) {
			t.Fatalf("first run: got %v, want a batch error", err)
		}
		pr, err := n.svc.Progress(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Finished || pr.Done != renewals.BatchSize || !strings.Contains(pr.Failed, fmt.Sprintf("jusqu'à la ligne %d", 1+renewals.BatchSize)) {
			t.Errorf("after the failure: got done %d, finished %v, failed %q", pr.Done, pr.Finished, pr.Failed)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusValidated {
			t.Errorf("first batch: got %s, want Validé", p.Status)
		}
		repair()
		if err := run(); err != nil {
			t.Fatal(err)
		}
		pr, err = n.svc.Progress(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if !pr.Finished || pr.Done != len(rs) || pr.Failed != "" || pr.Summary.Counts[renewals.Revalidated] != 2 {
			t.Errorf("resumed: got done %d, finished %v, failed %q, %v", pr.Done, pr.Finished, pr.Failed, pr.Summary.Counts)
		}
		if p := n.patron(t, n.revalidate[2]); p.Status != sesame.StatusValidated {
			t.Errorf("second batch: got %s, want Validé", p.Status)
		}
		if got := len(n.outbox(t)); got != 2 {
			t.Errorf("outbox: got %d mails, want 2 (none twice)", got)
		}
	})
}

// TestUnreadableFields: a line the API sends with what no column may hold
// is malformed; the rest of the import goes on.
func TestUnreadableFields(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc := store.LibraryScope(n.fouesnant)
		in := renewals.Input{Source: "API\x00\xff", LibraryID: n.fouesnant}
		sum, err := n.svc.Apply(ctx, sc, in, rowsOf(
			sigb.Row{Line: 1, Card: "F-1\x00", RegisteredOn: fileDate},
			sigb.Row{Line: 2, Card: "F-2", Email: "\xff@example.org", RegisteredOn: fileDate},
			sigb.Row{Line: 3, Card: "F-3", RegisteredOn: fileDate},
		), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		checkSummary(t, "apply", sum, map[renewals.Outcome]int{renewals.Malformed: 2, renewals.Revalidated: 1})
		if _, err := n.svc.Stage(ctx, sc, in, rowsOf(sigb.Row{Line: 1, Card: "F-1\x00", RegisteredOn: fileDate}), n.staff); err != nil {
			t.Errorf("stage: %v", err)
		}
	})
}

// TestApplyMailsAndTwice: the mails of a batch, written together, are the
// ones a save of each record writes: the decision mail lists the patron's
// resources, opened and waiting, each mail has its job; and a patron named
// on two lines of a batch is saved once per line, the second time as the
// first left them, with its counters exact.
func TestApplyMailsAndTwice(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "deux.csv", LibraryID: n.fouesnant}
		sys := sesame.Actor{Label: "test"}
		var res []int64
		for _, name := range []string{"Cafeyn", "Tout apprendre"} {
			id, err := n.st.CreateResource(ctx, sesame.Resource{Slug: strings.ToLower(strings.ReplaceAll(name, " ", "-")), Name: name,
				Description: "d", URL: "https://example.org/"}, sys)
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, id)
		}
		if _, err := n.st.SetGrants(ctx, sc, n.revalidate[0], res[:1], sesame.GrantValidated, sys); err != nil {
			t.Fatal(err)
		}
		if _, err := n.st.SetGrants(ctx, sc, n.revalidate[0], res[1:], sesame.GrantPending, sys); err != nil {
			t.Fatal(err)
		}
		before, err := n.st.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		p0, err := n.st.Patron(ctx, sc, n.revalidate[0])
		if err != nil {
			t.Fatal(err)
		}
		// F-1 twice: revalidated on line 2, renewed again on line 4
		// with a later date; F-2 once.
		sum, err := n.svc.Apply(ctx, sc, in, rowsOf(
			sigb.Row{Line: 2, Card: "F-1", RegisteredOn: fileDate.AddMonths(-1)},
			sigb.Row{Line: 3, Card: "F-2", RegisteredOn: fileDate},
			sigb.Row{Line: 4, Card: "F-1", RegisteredOn: fileDate},
		), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Counts[renewals.Revalidated] != 2 || sum.Counts[renewals.Renewed] != 1 {
			t.Fatalf("summary: %v", sum.Counts)
		}
		p, err := n.st.Patron(ctx, sc, n.revalidate[0])
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != fileDate || p.Version != p0.Version+2 {
			t.Errorf("F-1: %s from %s, version %d", p.Status, p.LibraryRegisteredOn, p.Version)
		}
		history, err := n.st.PatronHistory(ctx, sc, n.revalidate[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(history) < 2 || !strings.HasPrefix(history[0].Detail, "Import SIGB deux.csv, ligne 4 : ") ||
			!strings.HasPrefix(history[1].Detail, "Import SIGB deux.csv, ligne 2 : ") {
			t.Errorf("F-1's history: %+v", history)
		}
		after, err := n.st.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if after[sesame.StatusToRevalidate] != before[sesame.StatusToRevalidate]-2 || after[sesame.StatusValidated] != before[sesame.StatusValidated]+2 {
			t.Errorf("counters: before %v, after %v", before, after)
		}
		mails := n.outbox(t)
		if len(mails) != 3 {
			t.Fatalf("outbox: %d mails, want 3", len(mails))
		}
		var toF1 int
		for _, m := range mails {
			if m.To == "usager1@example.org" {
				toF1++
				if !strings.Contains(m.Text, "Cafeyn") || !strings.Contains(m.Text, "Tout apprendre") || !strings.Contains(m.Text, "Médiathèque de FOUESNANT") {
					t.Errorf("F-1's mail does not list their resources and library:\n%s", m.Text)
				}
			}
		}
		if toF1 != 2 {
			t.Errorf("F-1 got %d mails, want 2", toF1)
		}
		jobs, err := n.st.ClaimJobs(ctx, "test", 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range mails {
			ids[strconv.FormatInt(m.ID, 10)] = true
		}
		for _, j := range jobs {
			if j.Kind == "mail" && ids[j.Payload] {
				delete(ids, j.Payload)
			}
		}
		if len(ids) != 0 {
			t.Errorf("mails without a job: %v", ids)
		}
	})
}

// TestApplyAhead: a batch is matched before its transaction begins; a
// patron changed in between (here refused by the librarian) is never
// overwritten: the batch is judged again inside its transaction, against
// the patron as they are now.
func TestApplyAhead(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "course.csv", LibraryID: n.fouesnant}
		lines, _, err := n.svc.MatchThenApply(ctx, in, []sigb.Row{
			{Line: 2, Card: "F-1", RegisteredOn: fileDate},
			{Line: 3, Card: "F-2", RegisteredOn: fileDate},
		}, n.staff, func() {
			_, err := n.st.UpdatePatron(ctx, sc, n.revalidate[0], 0, n.staff, func(p *sesame.Patron) (store.Change, error) {
				p.Status, p.RefusalReason = sesame.StatusRefused, "Dossier incomplet."
				return store.Change{Action: sesame.ActionRefusal, Detail: "refusé pendant l'import"}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || lines[0].Outcome != renewals.Unchanged || lines[1].Outcome != renewals.Revalidated {
			t.Fatalf("got %+v, want F-1 unchanged (refused meanwhile), F-2 revalidated", lines)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusRefused || p.RefusalReason != "Dossier incomplet." {
			t.Errorf("F-1: got %s (%q), want still refused", p.Status, p.RefusalReason)
		}
		if p := n.patron(t, n.revalidate[1]); p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != fileDate {
			t.Errorf("F-2: got %s from %s, want validated from %s", p.Status, p.LibraryRegisteredOn, fileDate)
		}
		if got := len(n.outbox(t)); got != 1 {
			t.Errorf("outbox: got %d mails, want F-2's only", got)
		}
	})
}

// TestApplyAcrossBatches: a patron named in two batches is matched for the
// second before the first is written; the second batch finds them changed,
// and judges them as the first batch left them, whatever the timing.
func TestApplyAcrossBatches(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "long.csv", LibraryID: n.fouesnant}
		p0 := n.patron(t, n.revalidate[0])
		var rs []sigb.Row
		for line := 2; line < 2+3*renewals.BatchSize; line++ {
			rs = append(rs, sigb.Row{Line: line, Card: fmt.Sprintf("X-%d", line), RegisteredOn: fileDate})
		}
		rs[5] = sigb.Row{Line: rs[5].Line, Card: "F-1", RegisteredOn: fileDate.AddMonths(-1)}                         // first batch: revalidated
		rs[renewals.BatchSize+5] = sigb.Row{Line: rs[renewals.BatchSize+5].Line, Card: "F-1", RegisteredOn: fileDate} // second: renewed
		rs[2*renewals.BatchSize+5] = sigb.Row{Line: rs[2*renewals.BatchSize+5].Line, Card: "F-2", RegisteredOn: fileDate}
		sum, err := n.svc.Apply(ctx, sc, in, rowsOf(rs...), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != len(rs) || sum.Counts[renewals.Revalidated] != 2 || sum.Counts[renewals.Renewed] != 1 || sum.Counts[renewals.Unknown] != len(rs)-3 {
			t.Fatalf("summary: %d lines, %v", sum.Total, sum.Counts)
		}
		if p := n.patron(t, n.revalidate[0]); p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != fileDate || p.Version != p0.Version+2 {
			t.Errorf("F-1: %s from %s, version %d, want validated from %s, version %d", p.Status, p.LibraryRegisteredOn, p.Version, fileDate, p0.Version+2)
		}
		if got := len(n.outbox(t)); got != 3 {
			t.Errorf("outbox: got %d mails, want 3", got)
		}
		again, err := n.svc.Apply(ctx, sc, in, rowsOf(rs...), n.staff)
		if err != nil || again.Changed() != 0 {
			t.Errorf("again: %v, %v, want nothing changed", again.Counts, err)
		}
	})
}
