package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
)

// « Importer depuis le SIGB » (issue #12): the librarian uploads the file
// the library system exported, sees what it would do, then applies it. The
// file is read once, on « Prévisualiser »: its rows are staged by
// renewals.Service.Stage (never the file, which the request's multipart
// temporary files take away when it ends), and « Appliquer les
// renouvellements » only names the staged import. The rules are the
// service's; this file reads the form and shows the result.

// Import form fields.
const (
	importFieldFile     = "fichier"
	importFieldEncoding = "encodage"
	importFieldStep     = "etape"    // "colonnes" when the form maps the columns
	importFieldID       = "import"   // the staged import to apply
	importColumnPrefix  = "colonne-" // + sigb.Column: the header chosen for it
	importStepColumns   = "colonnes"
)

// importMaxFile is the largest file the page takes: 100,000 lines of a
// library system's export weigh about 10 MB, and an XLSX file is read
// whole into memory (sigb.Open).
const importMaxFile = 50 << 20

// importMaxBody bounds the whole request: the file and the multipart
// envelope around it and the few small fields.
const importMaxBody = importMaxFile + 1<<20

// importMemory is how much of the upload stays in memory; the rest goes to
// a temporary file that the server removes when the request ends.
const importMemory = 1 << 20

// importAbsent is the value of « Absente du fichier » in a column's list.
const importAbsent = ""

// importFormPage is the upload form, and the column mapping when the file's
// header was not recognised.
type importFormPage struct {
	Form      form
	Network   bool // the network admin's page: the file names each row's library
	Encodings []sigb.Encoding
	// Columns, when set, asks which header holds each of them.
	Columns []importColumn
	// Missing says why the columns are asked.
	Missing string
	// Source is the name of the file whose header is mapped.
	Source string
}

// importColumn is one list of the mapping form.
type importColumn struct {
	Column  sigb.Column
	Label   string
	Field   string
	Headers []string
}

func (s *Server) renewalService() *renewals.Service {
	return &renewals.Service{Store: s.store, BaseURL: s.cfg.BaseURL, Location: s.cfg.Location, Now: s.cfg.Now, Logger: s.log}
}

// importLibrary is the library an import is for: the librarian's own, or 0
// for the network admin, whose file has a library column.
func importLibrary(st *sesame.Staff) int64 {
	if st.Role == sesame.RoleAdmin {
		return 0
	}
	return st.LibraryID
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	s.showImportForm(w, r, http.StatusOK, importFormPage{Form: form{Values: url.Values{}, Errors: sesame.FieldErrors{}}, Network: st.Role == sesame.RoleAdmin})
}

func (s *Server) showImportForm(w http.ResponseWriter, r *http.Request, status int, p importFormPage) {
	p.Encodings = sigb.Encodings()
	title := "Importer depuis le SIGB"
	if p.Columns != nil {
		title = "Colonnes du fichier à indiquer – " + title
	}
	s.render(w, r, status, "abonnes_import", layout{Title: formTitle(title, p.Form), Section: "abonnes", Content: p})
}

// importUpload reads the uploaded file and stages its rows, then shows the
// preview; a file whose columns are not recognised asks for them first.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	p := importFormPage{Form: form{Values: url.Values{}, Errors: sesame.FieldErrors{}}, Network: st.Role == sesame.RoleAdmin}
	refuse := func(field, msg string) {
		p.Form.Errors.Add(field, msg)
		s.showImportForm(w, r, http.StatusUnprocessableEntity, p)
	}
	r.Body = http.MaxBytesReader(w, r.Body, importMaxBody)
	if err := r.ParseMultipartForm(importMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(importFieldFile, "Le fichier dépasse 50 Mo : exportez moins de lignes à la fois (une année, ou une partie des lecteurs), puis importez chaque fichier.")
			return
		}
		refuse(importFieldFile, "Choisissez le fichier exporté du SIGB (CSV ou XLSX).")
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	p.Form.Values = url.Values(r.MultipartForm.Value)
	opt := sigb.Options{Encoding: p.Form.Get(importFieldEncoding)}
	if opt.Encoding != "" && !slices.ContainsFunc(sigb.Encodings(), func(e sigb.Encoding) bool { return e.Key == opt.Encoding }) {
		p.Form.Values.Set(importFieldEncoding, "")
		refuse(importFieldEncoding, "Encodage du fichier : choisissez un encodage de la liste.")
		return
	}
	files := r.MultipartForm.File[importFieldFile]
	if len(files) == 0 || files[0].Size == 0 {
		msg := "Choisissez le fichier exporté du SIGB (CSV ou XLSX)."
		if len(files) > 0 {
			msg = fmt.Sprintf("Le fichier « %s » est vide : exportez-le de nouveau depuis le SIGB.", clipName(files[0].Filename))
		}
		refuse(importFieldFile, msg)
		return
	}
	if files[0].Size > importMaxFile {
		refuse(importFieldFile, "Le fichier dépasse 50 Mo : exportez moins de lignes à la fois (une année, ou une partie des lecteurs), puis importez chaque fichier.")
		return
	}
	name := clipName(files[0].Filename)
	f, err := files[0].Open()
	if err != nil {
		s.fail(w, r, fmt.Errorf("open upload: %w", err))
		return
	}
	defer f.Close()
	rd, err := openUpload(f, name, opt)
	if err != nil {
		if sesame.ErrorCode(err) == sesame.EInvalid {
			refuse(importFieldFile, sesame.ErrorMessage(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	lib := importLibrary(st)
	// The lists shown are those of what the file's header lacks, so that
	// the librarian's choices stay on the page when one is refused.
	asked, askedWhy := importMissing(rd, lib), rd.MissingMessage()
	mapping := p.Form.Get(importFieldStep) == importStepColumns && len(asked) > 0
	var mapErrs sesame.FieldErrors
	saved := false
	switch {
	case mapping:
		var chosen sigb.Mapping
		if chosen, mapErrs = importChosenMapping(p.Form, rd.Header()); len(mapErrs) == 0 {
			rd, err = reopenMapped(f, name, opt, rd, chosen)
		}
	case len(asked) > 0:
		// A file of the same header as a mapped one: the librarian's
		// choice of last time, read again.
		remembered, err2 := s.store.ImportMapping(ctx, lib)
		if err2 != nil {
			s.fail(w, r, err2)
			return
		}
		if m := mappingFromHeaders(remembered, rd.Header()); m != nil {
			if again, err2 := reopenMapped(f, name, opt, rd, m); err2 == nil && len(importMissing(again, lib)) == 0 {
				rd, saved = again, true
			}
		}
	}
	if err != nil {
		if sesame.ErrorCode(err) != sesame.EInvalid {
			s.fail(w, r, err)
			return
		}
		refuse(importFieldFile, sesame.ErrorMessage(err))
		return
	}
	if missing := importMissing(rd, lib); len(missing) > 0 || len(mapErrs) > 0 {
		p.Columns = importColumns(asked, rd.Header())
		p.Missing = askedWhy
		if slices.Contains(asked, sigb.ColLibrary) {
			// sigb does not know that a network's file names its libraries.
			p.Missing = strings.TrimSpace(p.Missing + " Pour tout le réseau, il faut aussi la colonne « " + sigb.ColLibrary.Label() + " », qui dit à quelle bibliothèque est chaque ligne : indiquez laquelle la contient.")
		}
		p.Source = name
		if mapping {
			for field, msg := range mapErrs {
				p.Form.Errors.Add(field, msg)
			}
			for _, c := range missing {
				p.Form.Errors.Add(importColumnPrefix+string(c), "« "+c.Label()+" » : choisissez la colonne du fichier qui la contient.")
			}
		}
		status := http.StatusOK
		if len(p.Form.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.showImportForm(w, r, status, p)
		return
	}
	if mapping {
		if err := s.store.SaveImportMapping(ctx, lib, headersOf(rd.Mapping(), rd.Header())); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id, err := s.renewalService().Stage(ctx, scopeOf(st), renewals.Input{Source: name, LibraryID: lib}, rd, actorOf(st))
	_ = rd.Close()
	if err != nil {
		if sesame.ErrorCode(err) == sesame.EInvalid {
			refuse(importFieldFile, sesame.ErrorMessage(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	prog, err := s.renewalService().Progress(ctx, scopeOf(st), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showImport(w, r, prog, importDetails{Encoding: rd.Encoding(), Remembered: saved, Mapping: mappingView(rd.Mapping(), rd.Header())})
}

// openUpload opens the file as sigb reads it, and refuses what is no table:
// an image or a PDF read as CSV has a header of control characters.
func openUpload(f io.ReadSeeker, name string, opt sigb.Options) (*sigb.Reader, error) {
	var head [8 << 10]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if binary(head[:n]) {
		return nil, sesame.Errorf(sesame.EInvalid, "Le fichier « %s » n'est ni un CSV ni un classeur XLSX : exportez la liste des lecteurs du SIGB au format CSV (UTF-8 ou Windows) ou XLSX.", name)
	}
	rd, err := sigb.Open(f, name, opt)
	if err != nil {
		return nil, err
	}
	for _, h := range rd.Header() {
		if strings.ContainsFunc(h, func(c rune) bool { return c == unicode.ReplacementChar || (unicode.IsControl(c) && c != '\t') }) {
			_ = rd.Close()
			return nil, sesame.Errorf(sesame.EInvalid, "Le fichier « %s » n'est ni un CSV ni un classeur XLSX : exportez la liste des lecteurs du SIGB au format CSV ou XLSX.", name)
		}
	}
	return rd, nil
}

// binary reports whether the start of a file is no text: an image, a PDF,
// a UTF-16 file. A zip (XLSX) is left to sigb, which reads it.
func binary(head []byte) bool {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false
	}
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' {
			return true
		}
	}
	return false
}

// reopenMapped reads the file again from its start with the recognised
// columns and those of m (which wins).
func reopenMapped(f multipart.File, name string, opt sigb.Options, rd *sigb.Reader, m sigb.Mapping) (*sigb.Reader, error) {
	full := rd.Mapping()
	for c, i := range m {
		full[c] = i
	}
	_ = rd.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read upload again: %w", err)
	}
	opt.Mapping = full
	return openUpload(f, name, opt)
}

// importMissing is what the file lacks: sigb's needs, and for the network
// admin the library of each line.
func importMissing(rd *sigb.Reader, lib int64) []sigb.Column {
	missing := rd.Missing()
	if _, ok := rd.Mapping()[sigb.ColLibrary]; lib == 0 && !ok {
		missing = append(missing, sigb.ColLibrary)
	}
	return missing
}

// importColumns are the lists of the mapping form.
func importColumns(missing []sigb.Column, header []string) []importColumn {
	out := make([]importColumn, 0, len(missing))
	for _, c := range missing {
		out = append(out, importColumn{Column: c, Label: c.Label(), Field: importColumnPrefix + string(c), Headers: header})
	}
	return out
}

// importChosenMapping reads the mapping form: each column's chosen header,
// by its text, found in header. A header that is not there (another file
// than the one mapped) is refused next to its list.
func importChosenMapping(f form, header []string) (sigb.Mapping, sesame.FieldErrors) {
	m := sigb.Mapping{}
	errs := sesame.FieldErrors{}
	for _, c := range sigb.Columns() {
		field := importColumnPrefix + string(c)
		chosen := f.Get(field)
		if chosen == importAbsent {
			continue
		}
		i := slices.Index(header, chosen)
		if i < 0 {
			errs.Add(field, "« "+c.Label()+" » : la colonne choisie n'est pas dans ce fichier ; choisissez-en une de la liste.")
			continue
		}
		m[c] = i
	}
	return m, errs
}

// mappingFromHeaders finds a remembered mapping (column → header text) in
// header; nil unless every header it names is there.
func mappingFromHeaders(saved map[string]string, header []string) sigb.Mapping {
	if len(saved) == 0 {
		return nil
	}
	m := sigb.Mapping{}
	for col, h := range saved {
		c := sigb.Column(col)
		if !slices.Contains(sigb.Columns(), c) {
			return nil
		}
		i := slices.Index(header, h)
		if i < 0 {
			return nil
		}
		m[c] = i
	}
	return m
}

// headersOf is a mapping as the store remembers it: column → header text.
func headersOf(m sigb.Mapping, header []string) map[string]string {
	out := map[string]string{}
	for c, i := range m {
		if i >= 0 && i < len(header) {
			out[string(c)] = header[i]
		}
	}
	return out
}

// importMapped is one column of the file as the preview tells it.
type importMapped struct{ Label, Header string }

func mappingView(m sigb.Mapping, header []string) []importMapped {
	var out []importMapped
	for _, c := range sigb.Columns() {
		if i, ok := m[c]; ok && i >= 0 && i < len(header) {
			out = append(out, importMapped{Label: c.Label(), Header: header[i]})
		}
	}
	return out
}

// clipName keeps a file name short enough for a page and the audit.
func clipName(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:] // some browsers send the whole path
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100]) + "…"
	}
	if name == "" {
		name = "fichier"
	}
	return name
}

// importDetails is what only the upload knows: how the file was read.
type importDetails struct {
	Encoding   string
	Remembered bool // the columns are the ones mapped last time
	Mapping    []importMapped
}

// importPage is the preview of a staged import, its progress once started,
// and its result once finished.
type importPage struct {
	Progress renewals.Progress
	Details  importDetails
	Network  bool
	Groups   []importGroup
	Changed  int
	// Unchanged is only counted: nothing is shown of those lines.
	Unchanged int
	Running   bool
	Percent   int
}

// EncodingLabel is the file's encoding in French.
func (p importPage) EncodingLabel() string {
	if p.Details.Encoding == "" {
		return ""
	}
	for _, e := range sigb.Encodings() {
		if e.Key == p.Details.Encoding {
			return e.Label
		}
	}
	return p.Details.Encoding
}

// importGroup is the lines of one outcome.
type importGroup struct {
	Outcome   renewals.Outcome
	Heading   string
	Count     int
	Lines     []renewals.Line
	Ambiguous bool
	Patrons   bool // the lines name a patron
}

// More is how many lines of the group are not shown.
func (g importGroup) More() int { return g.Count - len(g.Lines) }

// importHeadings name each group's table, as the librarian says it.
var importHeadings = map[renewals.Outcome]string{
	renewals.Renewed:         "Renouvelés",
	renewals.Revalidated:     "Revalidés (À revalider → Validé)",
	renewals.Flagged:         "Inscrits au SIGB (À valider)",
	renewals.ExpiredNotified: "Expirés prévenus par courriel",
	renewals.Unknown:         "Inconnus dans Sésame",
	renewals.Ambiguous:       "Ambigus",
	renewals.Malformed:       "Lignes invalides",
	renewals.Failed:          "Lignes non appliquées (erreur)",
}

func newImportPage(prog renewals.Progress, d importDetails, network bool) importPage {
	p := importPage{Progress: prog, Details: d, Network: network, Changed: prog.Summary.Changed(),
		Unchanged: prog.Summary.Counts[renewals.Unchanged], Running: prog.Started && !prog.Finished}
	if prog.Total > 0 {
		p.Percent = prog.Done * 100 / prog.Total
	}
	for _, o := range renewals.Outcomes {
		n := prog.Summary.Counts[o]
		if o == renewals.Unchanged || n == 0 {
			continue
		}
		g := importGroup{Outcome: o, Heading: importHeadings[o], Count: n, Ambiguous: o == renewals.Ambiguous,
			Patrons: o.Changes() || o == renewals.Failed}
		if g.Heading == "" {
			g.Heading = o.Label()
		}
		for _, l := range prog.Summary.Lines {
			if l.Outcome == o {
				g.Lines = append(g.Lines, l)
			}
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}

// importTitleWords count each outcome in a page's title, singular and plural.
var importTitleWords = map[renewals.Outcome][2]string{
	renewals.Renewed:         {"renouvellement", "renouvellements"},
	renewals.Revalidated:     {"revalidation", "revalidations"},
	renewals.Flagged:         {"inscrit au SIGB à valider", "inscrits au SIGB à valider"},
	renewals.ExpiredNotified: {"expiré prévenu", "expirés prévenus"},
	renewals.Unknown:         {"inconnu", "inconnus"},
	renewals.Ambiguous:       {"ligne ambiguë", "lignes ambiguës"},
	renewals.Malformed:       {"ligne invalide", "lignes invalides"},
	renewals.Failed:          {"ligne non appliquée", "lignes non appliquées"},
}

// Title says the result first, as a screen reader reads it on load.
func (p importPage) Title() string {
	count := func() string {
		var parts []string
		for _, g := range p.Groups {
			w, ok := importTitleWords[g.Outcome]
			if !ok {
				w = [2]string{strings.ToLower(g.Outcome.Label()), strings.ToLower(g.Outcome.Label())}
			}
			parts = append(parts, plural(g.Count, w[0], w[1]))
		}
		if len(parts) == 0 {
			return "aucun changement"
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case !p.Progress.Started:
		return "Prévisualisation de l'import : " + count()
	case p.Progress.Failed != "" && !p.Progress.Finished:
		return "Import interrompu : " + plural(p.Progress.Done, "ligne appliquée", "lignes appliquées")
	case p.Running:
		return fmt.Sprintf("Import en cours : %d lignes sur %d", p.Progress.Done, p.Progress.Total)
	}
	return "Import terminé : " + count()
}

func (s *Server) showImport(w http.ResponseWriter, r *http.Request, prog renewals.Progress, d importDetails) {
	st := staffFrom(r.Context())
	p := newImportPage(prog, d, st.Role == sesame.RoleAdmin)
	l := layout{Title: p.Title(), Section: "abonnes", Content: p}
	if p.Running {
		// Without a script, the page reloads itself until the job ends;
		// slower while a failed batch waits for the job to try again.
		l.Refresh = 2
		if p.Progress.Failed != "" {
			l.Refresh = 30
		}
	}
	s.render(w, r, http.StatusOK, "abonnes_import_suivi", l)
}

// importID reads an import's id; what is not one is no import.
func importID(raw string) (int64, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil && id > 0
}

// importProgress shows a staged import: its preview before it is applied,
// its progress, then its result. Another library's import is not found.
func (s *Server) importProgress(w http.ResponseWriter, r *http.Request) {
	id, ok := importID(r.PathValue("id"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Cet import n'existe pas.")
		return
	}
	st := staffFrom(r.Context())
	prog, err := s.renewalService().Progress(r.Context(), scopeOf(st), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showImport(w, r, prog, importDetails{})
}

// importApply starts the job that applies a staged import; it refuses what
// the preview did not offer: an import that changes nothing.
func (s *Server) importApply(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	st := staffFrom(ctx)
	id, ok := importID(r.PostForm.Get(importFieldID))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Cet import n'existe pas.")
		return
	}
	svc := s.renewalService()
	prog, err := svc.Progress(ctx, scopeOf(st), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	target := "/abonnes/import/" + strconv.FormatInt(id, 10) + "/suivi"
	if prog.Started {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if prog.Summary.Changed() == 0 {
		s.renderError(w, r, http.StatusUnprocessableEntity, "Cet import ne change rien : il n'y a rien à appliquer.")
		return
	}
	if err := svc.Start(ctx, scopeOf(st), id, actorOf(st)); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// importReport downloads the import's report: one CSV line per line of the file.
func (s *Server) importReport(w http.ResponseWriter, r *http.Request) {
	id, ok := importID(r.PathValue("id"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Cet import n'existe pas.")
		return
	}
	ctx := r.Context()
	sc := scopeOf(staffFrom(ctx))
	svc := s.renewalService()
	// Read first, so that another library's import is a 404 page, not
	// half a download.
	if _, err := svc.Progress(ctx, sc, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="import-sigb-%d-rapport.csv"`, id))
	if err := svc.WriteReport(ctx, sc, id, w); err != nil {
		// The download has begun: the librarian sees it cut short.
		s.log.Error("rapport d'import", "import", id, "err", err)
	}
}
