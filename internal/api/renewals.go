package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// source is the Input.Source of the API's imports, said in each patron's
// history beside the line number.
const source = "API"

// reportOut is the answer of POST …/renewals: what was done (or, with
// dry_run, what would be), as the import page shows it.
type reportOut struct {
	DryRun bool           `json:"dry_run"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
	// Lines are every line but the unchanged ones, in order; a very long
	// import keeps the first ones of each outcome, the counts staying exact.
	Lines []lineOut `json:"lines"`
}

type lineOut struct {
	// Line is the line of the CSV (the header being line 1), or the
	// position in the JSON array counted from 1.
	Line       int         `json:"line"`
	Card       string      `json:"card"`
	Outcome    string      `json:"outcome"`
	Label      string      `json:"label"`
	Reason     string      `json:"reason"`
	Patron     *patronRef  `json:"patron,omitempty"`
	Candidates []patronRef `json:"candidates,omitempty"`
}

type patronRef struct {
	Name                   string `json:"name"`
	Status                 string `json:"status"`
	LibraryRegisteredOn    string `json:"library_registered_on,omitempty"`
	NewLibraryRegisteredOn string `json:"new_library_registered_on,omitempty"`
}

func refOut(p renewals.PatronRef) patronRef {
	return patronRef{Name: p.Name, Status: string(p.Status), LibraryRegisteredOn: p.LibraryRegisteredOn.ISO(), NewLibraryRegisteredOn: p.NewLibraryRegisteredOn.ISO()}
}

func report(s renewals.Summary, dryRun bool) reportOut {
	out := reportOut{DryRun: dryRun, Total: s.Total, Counts: map[string]int{}, Lines: make([]lineOut, 0, len(s.Lines))}
	for o, n := range s.Counts {
		out.Counts[string(o)] = n
	}
	for _, l := range s.Lines {
		lo := lineOut{Line: l.Line, Card: l.Card, Outcome: string(l.Outcome), Label: l.Outcome.Label(), Reason: l.Reason}
		if l.Patron != nil {
			p := refOut(*l.Patron)
			lo.Patron = &p
		}
		for _, c := range l.Candidates {
			lo.Candidates = append(lo.Candidates, refOut(c))
		}
		out.Lines = append(out.Lines, lo)
	}
	return out
}

// badInput is a body the API cannot read: a 400, its detail in French.
type badInput struct{ detail string }

func (e *badInput) Error() string { return e.detail }

// format is how a body is written.
type format int

const (
	formatJSON format = iota + 1
	formatCSV
)

// postRenewals applies (or previews, with ?dry_run=true) the renewals sent
// as JSON or CSV, through the same service as the import page.
func (a *API) postRenewals(w http.ResponseWriter, r *http.Request, key sesame.APIKey) {
	dryRun := false
	switch v := r.URL.Query().Get("dry_run"); v {
	case "", "false", "0":
	case "true", "1":
		dryRun = true
	default:
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("Le paramètre « dry_run » vaut true ou false ; reçu « %s ».", clip(v)))
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var f format
	switch {
	case err != nil:
	case mt == "application/json":
		f = formatJSON
	case mt == "text/csv":
		f = formatCSV
	}
	if f == 0 {
		writeProblem(w, r, http.StatusUnsupportedMediaType, "Envoyez les lignes en JSON (Content-Type: application/json) ou en CSV (Content-Type: text/csv).")
		return
	}
	if r.ContentLength > MaxBody {
		tooLarge(w, r)
		return
	}
	body, err := a.spool(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, r)
			return
		}
		a.internal(w, r, err)
		return
	}
	defer func() {
		body.Close()
		if err := os.Remove(body.Name()); err != nil {
			a.log.Warn("api: remove spooled body", "err", err)
		}
	}()

	// A first reading checks the whole body, so that a body broken at its
	// end is refused before any line of it is applied.
	if err := drain(body, f); err != nil {
		var bad *badInput
		if errors.As(err, &bad) {
			writeProblem(w, r, http.StatusBadRequest, bad.detail)
			return
		}
		a.internal(w, r, err)
		return
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		a.internal(w, r, err)
		return
	}
	rows, err := open(body, f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	sc, in := store.LibraryScope(key.LibraryID), renewals.Input{Source: source, LibraryID: key.LibraryID}
	var sum renewals.Summary
	if dryRun {
		sum, err = a.cfg.Renewals.Preview(r.Context(), sc, in, rows)
	} else {
		sum, err = a.cfg.Renewals.Apply(r.Context(), sc, in, rows, key.Actor())
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := writeJSON(w, report(sum, dryRun)); err != nil {
		a.log.Warn("api: answer", "path", r.URL.Path, "err", err)
	}
}

func tooLarge(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("Le corps de la requête dépasse %d Mo : envoyez les lignes en plusieurs fois.", MaxBody>>20))
}

// spool copies the body, up to MaxBody, into a temporary file: read twice
// (checked, then applied) without being held in memory.
func (a *API) spool(w http.ResponseWriter, r *http.Request) (*os.File, error) {
	tmp, err := os.CreateTemp(a.cfg.TempDir, "sesame-api-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if _, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, MaxBody)); err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("spool: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("spool: %w", err)
	}
	return tmp, nil
}

// open returns the rows of a body.
func open(body io.Reader, f format) (sigb.Rows, error) {
	if f == formatJSON {
		return newJSONRows(body), nil
	}
	rd, err := sigb.Open(body, "API.csv", sigb.Options{})
	if err != nil {
		if sesame.ErrorCode(err) == sesame.EInvalid {
			return nil, &badInput{detail: sesame.ErrorMessage(err)}
		}
		return nil, err
	}
	if msg := rd.MissingMessage(); msg != "" {
		_ = rd.Close()
		return nil, &badInput{detail: msg}
	}
	return rd, nil
}

// drain reads every row of a body, to find what makes it unreadable.
func drain(body io.Reader, f format) error {
	rows, err := open(body, f)
	if err != nil {
		return err
	}
	for {
		_, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var bad *badInput
			if f == formatCSV && !errors.As(err, &bad) {
				return &badInput{detail: "Le CSV n'a pas pu être lu jusqu'au bout : " + sesame.ErrorMessage(err)}
			}
			return err
		}
	}
}

// jsonRow is one element of a JSON body: the columns of a file, named in
// English. Dates are AAAA-MM-JJ.
type jsonRow struct {
	Card         string `json:"card"`
	RegisteredOn string `json:"registered_on"`
	ValidUntil   string `json:"valid_until"`
	Email        string `json:"email"`
	LastName     string `json:"last_name"`
	FirstName    string `json:"first_name"`
	BirthDate    string `json:"birth_date"`
}

// jsonRows streams the rows of a JSON array: the decoder reads one element
// at a time, so memory stays flat whatever the body's length.
type jsonRows struct {
	dec   *json.Decoder
	index int // elements read
	state int // 0 before '[', 1 inside, 2 after ']'
}

func newJSONRows(r io.Reader) *jsonRows {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields() // a misspelt field must not be ignored silently
	return &jsonRows{dec: dec}
}

func (j *jsonRows) Next() (sigb.Row, error) {
	switch j.state {
	case 0:
		tok, err := j.dec.Token()
		if d, ok := tok.(json.Delim); err != nil || !ok || d != '[' {
			return sigb.Row{}, &badInput{detail: "Le corps doit être un tableau JSON de lignes, par exemple [{\"card\": \"12345\", \"registered_on\": \"2026-12-03\"}]."}
		}
		j.state = 1
	case 2:
		return sigb.Row{}, io.EOF
	}
	if !j.dec.More() {
		if _, err := j.dec.Token(); err != nil { // the closing ']'
			return sigb.Row{}, j.syntax(err)
		}
		if _, err := j.dec.Token(); !errors.Is(err, io.EOF) {
			return sigb.Row{}, &badInput{detail: "Le corps contient autre chose après le tableau JSON."}
		}
		j.state = 2
		return sigb.Row{}, io.EOF
	}
	var in jsonRow
	if err := j.dec.Decode(&in); err != nil {
		return sigb.Row{}, j.syntax(err)
	}
	j.index++
	return in.row(j.index), nil
}

// syntax describes a JSON error at the element being read.
func (j *jsonRows) syntax(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &badInput{detail: fmt.Sprintf("Élément n° %d du tableau : le champ « %s » doit être une chaîne de caractères.", j.index+1, te.Field)}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &badInput{detail: fmt.Sprintf("Élément n° %d du tableau : champ inconnu %s. Champs possibles : card, registered_on, valid_until, email, last_name, first_name, birth_date.", j.index+1, clip(msg))}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &badInput{detail: "Le tableau JSON s'arrête avant sa fin."}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &badInput{detail: fmt.Sprintf("JSON mal formé à l'octet %d (élément n° %d du tableau).", se.Offset, j.index+1)}
	}
	return &badInput{detail: fmt.Sprintf("Élément n° %d du tableau illisible : ce doit être un objet dont les champs sont des chaînes.", j.index+1)}
}

// row checks an element as the file reader checks a line (sigb's
// Reader.row): the same problems make the same outcome.
func (in jsonRow) row(n int) sigb.Row {
	row := sigb.Row{Line: n}
	var problems []string
	text := func(name, s string) string {
		s = strings.TrimSpace(s)
		if len(s) > sigb.MaxField || !utf8.ValidString(s) {
			problems = append(problems, fmt.Sprintf("Champ « %s » trop long (plus de %d caractères)", name, sigb.MaxField))
			return ""
		}
		return s
	}
	date := func(name, s string) sesame.Date {
		s = text(name, s)
		if s == "" {
			return sesame.Date{}
		}
		d, err := sesame.ParseISODate(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Champ « %s » illisible : « %s » (attendu AAAA-MM-JJ)", name, clip(s)))
		}
		return d
	}
	row.Card = text("card", in.Card)
	row.Email = text("email", in.Email)
	row.LastName = text("last_name", in.LastName)
	row.FirstName = text("first_name", in.FirstName)
	row.BirthDate = date("birth_date", in.BirthDate)
	row.RegisteredOn = date("registered_on", in.RegisteredOn)
	row.ValidUntil = date("valid_until", in.ValidUntil)
	if len(problems) == 0 {
		if msg := row.Incomplete(); msg != "" {
			problems = append(problems, msg)
		}
	}
	row.Problem = strings.Join(problems, " ; ")
	return row
}
