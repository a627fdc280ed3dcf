package renewals

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

// The page's imports: the rows are staged (never the file), previewed, then
// applied by a background job (jobs.KindRenewalImport) batch by batch. Each
// batch takes its staged rows, applies them and deletes them in one
// transaction, so that a job that dies resumes with the first row not
// applied, and a row is never applied twice.

// detail is what a report line keeps of the patrons beside it, for the page.
type detail struct {
	Patron     *PatronRef  `json:",omitempty"`
	Candidates []PatronRef `json:",omitempty"`
}

// importLines is lines as the store keeps them.
func importLines(lines []Line) ([]store.ImportLine, error) {
	out := make([]store.ImportLine, len(lines))
	for i, l := range lines {
		out[i] = store.ImportLine{Line: l.Line, Card: l.Card, Outcome: string(l.Outcome), Reason: l.Reason}
		if l.Outcome == Unchanged || (l.Patron == nil && len(l.Candidates) == 0) {
			continue
		}
		b, err := json.Marshal(detail{Patron: l.Patron, Candidates: l.Candidates})
		if err != nil {
			return nil, fmt.Errorf("import line %d: %w", l.Line, err)
		}
		out[i].Detail = string(b)
	}
	return out, nil
}

// lineOf is a stored line as Summary shows it.
func lineOf(l store.ImportLine) Line {
	out := Line{Line: l.Line, Card: l.Card, Outcome: Outcome(l.Outcome), Reason: l.Reason}
	var d detail
	if l.Detail != "" && json.Unmarshal([]byte(l.Detail), &d) == nil {
		out.Patron, out.Candidates = d.Patron, d.Candidates
	}
	return out
}

// Stage stores the parsed rows and computes the preview (Progress(id).Summary),
// changing no patron, sending no mail and writing no audit; Start queues the
// job that applies them. A staged import never started is purged after
// store.UnstartedImportLife.
func (s *Service) Stage(ctx context.Context, sc store.Scope, in Input, rows sigb.Rows, actor sesame.Actor) (int64, error) {
	e, err := s.env(ctx)
	if err != nil {
		return 0, err
	}
	if err := e.checkInput(sc, &in); err != nil {
		return 0, err
	}
	id, err := s.Store.CreateRenewalImport(ctx, store.RenewalImport{LibraryID: in.LibraryID, Source: in.Source, Actor: actor})
	if err != nil {
		return 0, err
	}
	seen := map[int64]*sesame.Patron{}
	err = s.eachMatched(ctx, e, in, rows, false, func(b *matched) error {
		batch, lines := b.batch, e.preview(b, seen)
		stored, err := importLines(lines)
		if err != nil {
			return err
		}
		staged := make([]store.StagedRow, len(batch))
		for i, r := range batch {
			staged[i] = store.StagedRow{Line: r.Line, Card: storable(r.Card), Email: storable(r.Email), LastName: storable(r.LastName),
				FirstName: storable(r.FirstName), LibraryCode: storable(r.Library), BirthDate: r.BirthDate, RegisteredOn: r.RegisteredOn,
				ValidUntil: r.ValidUntil, Problem: r.Problem}
			// A line malformed for what it holds stays so once stored.
			if lines[i].Outcome == Malformed {
				staged[i].Problem = lines[i].Reason
			}
		}
		return s.Store.StageRenewalRows(ctx, id, staged, stored)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// storable is s as a column may hold it: valid UTF-8, no NUL, clipped.
func storable(s string) string {
	return clip(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?"))
}

// Start queues the job that applies a staged import, once.
func (s *Service) Start(ctx context.Context, sc store.Scope, importID int64, actor sesame.Actor) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		imp, err := tx.StartRenewalImport(ctx, sc, importID)
		if err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, sesame.ActionImport, fmt.Sprintf("Import SIGB %s lancé (n° %d, %d lignes).", imp.Source, importID, imp.Total)); err != nil {
			return err
		}
		return tx.EnqueueJob(ctx, jobs.KindRenewalImport, strconv.FormatInt(importID, 10), tx.Now())
	})
}

// Progress reads a staged import; outside sc, not found (sesame.ENotFound).
func (s *Service) Progress(ctx context.Context, sc store.Scope, importID int64) (Progress, error) {
	imp, err := s.Store.RenewalImport(ctx, sc, importID)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{ID: imp.ID, Source: imp.Source, LibraryID: imp.LibraryID, Total: imp.Total, Done: imp.Done,
		Started: !imp.StartedAt.IsZero(), Finished: !imp.FinishedAt.IsZero(), Failed: imp.Failed, CreatedAt: imp.CreatedAt}
	counts, err := s.Store.ImportOutcomeCounts(ctx, imp.ID)
	if err != nil {
		return Progress{}, err
	}
	p.Summary.Counts = map[Outcome]int{}
	for o, n := range counts {
		p.Summary.Counts[Outcome(o)] = n
		p.Summary.Total += n
	}
	lines, err := s.Store.ImportLines(ctx, imp.ID, string(Unchanged), LinesKept)
	if err != nil {
		return Progress{}, err
	}
	for _, l := range lines {
		p.Summary.Lines = append(p.Summary.Lines, lineOf(l))
	}
	return p, nil
}

// WriteReport writes the import's report as CSV, one row per line of the
// file: ligne;carte;résultat;motif, in UTF-8 with a BOM so that Excel reads
// its accents. Before the import is applied, it is the preview's.
func (s *Service) WriteReport(ctx context.Context, sc store.Scope, importID int64, w io.Writer) error {
	if _, err := s.Store.RenewalImport(ctx, sc, importID); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write([]string{"ligne", "carte", "résultat", "motif"}); err != nil {
		return err
	}
	err := s.Store.EachImportLine(ctx, importID, func(l store.ImportLine) error {
		return cw.Write([]string{strconv.Itoa(l.Line), stats.CSVCell(l.Card), Outcome(l.Outcome).Label(), stats.CSVCell(l.Reason)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Job is the handler of jobs.KindRenewalImport, whose payload is the
// import's id: it applies the staged rows batch by batch, each batch in one
// transaction that also counts it done. A batch that fails is rolled back,
// its reason kept for the page, and the job fails: the runner tries it
// again later, and it goes on from that batch.
func (s *Service) Job() jobs.Handler {
	return jobs.Handler{Do: func(ctx context.Context, job store.Job) error {
		id, err := strconv.ParseInt(job.Payload, 10, 64)
		if err != nil {
			return fmt.Errorf("renewal import job: payload %q: %w", job.Payload, err)
		}
		return s.run(ctx, id)
	}}
}

// run applies import id's staged rows until none is left.
func (s *Service) run(ctx context.Context, id int64) error {
	e, err := s.env(ctx)
	if err != nil {
		return err
	}
	for {
		var finished bool
		var first, last int
		err := s.Store.Update(ctx, func(tx *store.Tx) error {
			imp, err := tx.LockRenewalImport(ctx, id)
			if err != nil {
				return err
			}
			if !imp.FinishedAt.IsZero() {
				finished = true
				return nil
			}
			staged, err := tx.NextStagedRows(ctx, id, BatchSize)
			if err != nil {
				return err
			}
			if len(staged) == 0 {
				finished = true
				return tx.RecordAppliedRows(ctx, id, nil, 0, true)
			}
			batch := make([]sigb.Row, len(staged))
			for i, r := range staged {
				batch[i] = sigb.Row{Line: r.Line, Card: r.Card, Email: r.Email, LastName: r.LastName, FirstName: r.FirstName,
					Library: r.LibraryCode, BirthDate: r.BirthDate, RegisteredOn: r.RegisteredOn, ValidUntil: r.ValidUntil, Problem: r.Problem}
			}
			first, last = batch[0].Line, batch[len(batch)-1].Line
			lines, err := s.applyBatch(ctx, tx, e, Input{Source: imp.Source, LibraryID: imp.LibraryID}, batch, imp.Actor)
			if err != nil {
				return err
			}
			stored, err := importLines(lines)
			if err != nil {
				return err
			}
			return tx.RecordAppliedRows(ctx, id, stored, last, false)
		})
		if err != nil {
			be := &BatchError{FirstLine: first, LastLine: last, Err: err}
			if first == 0 {
				return fmt.Errorf("renewal import %d: %w", id, err)
			}
			if ferr := s.Store.FailRenewalImport(ctx, id, be.Error()); ferr != nil {
				s.Logger.Error("import SIGB : échec non enregistré", "import", id, "err", ferr)
			}
			return fmt.Errorf("renewal import %d: %w", id, be)
		}
		if finished {
			return nil
		}
	}
}
