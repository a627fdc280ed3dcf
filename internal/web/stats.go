package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

// Usage statistics: /statistiques for a library's staff, their own library
// only; /admin/statistiques for the network admin, the whole network or
// one library. Each page has its CSV and XLSX exports, for the same period.

// statsFormat is what a statistics route answers with.
type statsFormat int

const (
	statsHTML statsFormat = iota
	statsCSV
	statsXLSX
)

// topLibraries is how many libraries the network page charts and lists;
// the exports list them all.
const topLibraries = 20

type statsPage struct {
	Admin   bool
	Path    string // the page's path, before its exports' /export.csv
	Form    form
	Years   []int
	Report  *stats.Report // nil when the form has errors
	Query   string        // the period (and library) of the exports' links
	Charts  statsCharts
	Top     []stats.Row // the libraries with the most users, on the network page
	Others  int         // the libraries not in Top
	NoUsers string      // why the period has no count of active users, or ""
	// Libraries are the network admin's choices, in French order.
	Libraries []sesame.Library
	// Seats are the licences' seats used against their caps, and the cost
	// per active user (store.SeatUsages), as they are today.
	Seats []store.SeatUsage
}

type statsCharts struct {
	Launches, Resources, Libraries, Accounts stats.Chart
}

// ExportURL is the link to the page's figures as a file: "csv" or "xlsx".
func (p statsPage) ExportURL(ext string) string {
	return p.Path + "/export." + ext + "?" + p.Query
}

// LibraryURL is the network page's link to one library's figures, for the same period.
func (p statsPage) LibraryURL(code string) string {
	q, _ := url.ParseQuery(p.Query)
	q.Set(stats.FieldLibrary, code)
	return p.Path + "?" + q.Encode()
}

// ChosenLibrary is the code of the library the list shows chosen.
func (p statsPage) ChosenLibrary() string {
	return strings.ToUpper(strings.TrimSpace(p.Form.Get(stats.FieldLibrary)))
}

// AccountLabels head the account events' columns.
func (p statsPage) AccountLabels() []string { return stats.AccountLabels[:] }

// PeriodChoice is the period radio button to check.
func (p statsPage) PeriodChoice() string {
	if p.Form.Get(stats.FieldPeriod) == stats.PeriodMonths {
		return stats.PeriodMonths
	}
	return stats.PeriodYear
}

// SelectedYear is the year the select shows.
func (p statsPage) SelectedYear() int {
	if y, err := strconv.Atoi(p.Form.Get(stats.FieldYear)); err == nil {
		return y
	}
	if p.Report != nil && p.Report.Period.Year != 0 {
		return p.Report.Period.Year
	}
	return p.Years[0]
}

// libraryStats is a library's own statistics. The network admin, who has
// no library of their own, is sent to the network's.
func (s *Server) libraryStats(format statsFormat) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st := staffFrom(r.Context())
		if st.Role == sesame.RoleAdmin {
			target := "/admin/statistiques" + strings.TrimPrefix(r.URL.Path, "/statistiques")
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			// #nosec G710 -- target is a path of this site: it starts with /admin/statistiques.
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		lib, err := s.store.Library(r.Context(), st.LibraryID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// Another library's figures are as unknown as a missing page.
		if code := strings.TrimSpace(r.URL.Query().Get(stats.FieldLibrary)); code != "" && !strings.EqualFold(code, lib.Code) {
			s.notFound(w, r)
			return
		}
		s.showStats(w, r, format, statsPage{Path: "/statistiques"}, lib, nil)
	}
}

// networkStats is the network admin's statistics: every library, or the
// one chosen in the list (by its code, which the links carry).
func (s *Server) networkStats(format statsFormat) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var lib *sesame.Library
		errs := sesame.FieldErrors{}
		libs, err := s.store.Libraries(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if code := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get(stats.FieldLibrary))); code != "" {
			for i := range libs {
				if libs[i].Code == code {
					lib = &libs[i]
				}
			}
			if lib == nil {
				errs.Add(stats.FieldLibrary, "Bibliothèque : aucune bibliothèque du réseau ne porte le code « "+code+" ». Choisissez-en une dans la liste, ou tout le réseau.")
			}
		}
		s.showStats(w, r, format, statsPage{Admin: true, Path: "/admin/statistiques", Libraries: libs}, lib, errs)
	}
}

// showStats reads the period, then answers the page or an export of lib
// (nil for the whole network). Mistakes in the form come back on the page.
func (s *Server) showStats(w http.ResponseWriter, r *http.Request, format statsFormat, page statsPage, lib *sesame.Library, errs sesame.FieldErrors) {
	ctx := r.Context()
	q := r.URL.Query()
	if errs == nil {
		errs = sesame.FieldErrors{}
	}
	first, err := s.store.StatsFirstYear(ctx, s.cfg.Location)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.cfg.Now()
	current := store.MonthOf(now, s.cfg.Location).Year
	for y := current; y >= min(first, current); y-- {
		page.Years = append(page.Years, y)
	}
	period, perrs := stats.ParsePeriod(q, now, s.cfg.Location, first)
	for k, v := range perrs {
		errs.Add(k, v)
	}
	page.Form = form{Values: q, Errors: errs}
	title := "Statistiques d'usage"
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "statistiques", layout{Title: formTitle(title, page.Form), Section: "statistiques", Content: page})
		return
	}
	rep, err := stats.Build(ctx, s.store, lib, period, now, s.cfg.Location)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch format {
	case statsCSV, statsXLSX:
		s.sendStats(w, r, format, rep)
		return
	}
	page.Report = rep
	links := period.Query()
	if page.Admin && lib != nil {
		links.Set(stats.FieldLibrary, lib.Code)
	}
	page.Query = links.Encode()
	if !rep.UsersKnown {
		page.NoUsers = stats.UsersUnknownNote(rep)
	}
	page.Charts = statsChartsOf(rep)
	if lib == nil {
		page.Top = rep.ByLibrary[:min(topLibraries, len(rep.ByLibrary))]
		page.Others = len(rep.ByLibrary) - len(page.Top)
		page.Charts.Libraries = librariesChart(rep, page.Top)
	}
	var seatsOf int64
	if lib != nil {
		seatsOf = lib.ID
	}
	if page.Seats, err = s.store.SeatUsages(ctx, seatsOf); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "statistiques", layout{Title: title, Section: "statistiques", Content: page})
}

// sendStats answers the report as a file to download.
func (s *Server) sendStats(w http.ResponseWriter, r *http.Request, format statsFormat, rep *stats.Report) {
	who := "reseau"
	if rep.Library != nil {
		who = strings.ToLower(rep.Library.Code)
	}
	name := "statistiques-" + who + "-" + rep.Period.First.Key() + "-a-" + rep.Period.Last.Key()
	var buf bytes.Buffer
	var err error
	contentType := contentTypeCSV
	switch format {
	case statsXLSX:
		err = rep.WriteXLSX(&buf)
		name += ".xlsx"
		contentType = contentTypeXLSX
	default:
		err = rep.WriteCSV(&buf)
		name += ".csv"
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	attachment(w, name, contentType)
	w.WriteHeader(http.StatusOK)
	buf.WriteTo(w)
}

// statsChartsOf lays out the charts every statistics page has.
func statsChartsOf(rep *stats.Report) statsCharts {
	var c statsCharts
	months := stats.MonthCategories(rep.Period.Months())
	totals := make([]int, len(rep.Months))
	for i, m := range rep.Months {
		totals[i] = m.Total
	}
	c.Launches = stats.ColumnChart("graphique-lancements", "Graphique en barres : lancements de toutes les ressources par mois, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
		"lancement", "lancements", months, []stats.Series{{Name: "Lancements", Values: totals}})

	names := make([]string, len(rep.ByResource))
	values := make([]int, len(rep.ByResource))
	for i, row := range rep.ByResource {
		names[i], values[i] = row.Name, row.Users
		if !rep.UsersKnown {
			values[i] = row.Launches
		}
	}
	if rep.UsersKnown {
		c.Resources = stats.BarChart("graphique-ressources", "Graphique en barres : usagers actifs par ressource, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
			"usager actif", "usagers actifs", names, values)
	} else {
		c.Resources = stats.BarChart("graphique-ressources", "Graphique en barres : lancements par ressource, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
			"lancement", "lancements", names, values)
	}

	series := make([]stats.Series, len(stats.AccountLabels))
	for i, label := range stats.AccountLabels {
		series[i].Name = label
		for _, a := range rep.Accounts {
			series[i].Values = append(series[i].Values, a.Counts[i])
		}
	}
	c.Accounts = stats.ColumnChart("graphique-comptes", "Graphique en barres groupées : inscriptions, validations, refus, renouvellements et expirations par mois, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
		"compte", "comptes", months, series)
	return c
}

// librariesChart charts the libraries of top: by users, or by launches
// when the period's users are not known.
func librariesChart(rep *stats.Report, top []stats.Row) stats.Chart {
	names := make([]string, len(top))
	values := make([]int, len(top))
	for i, row := range top {
		names[i], values[i] = row.Name, row.Users
		if !rep.UsersKnown {
			values[i] = row.Launches
		}
	}
	if rep.UsersKnown {
		return stats.BarChart("graphique-bibliotheques", "Graphique en barres : usagers actifs des bibliothèques qui en comptent le plus, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
			"usager actif", "usagers actifs", names, values)
	}
	return stats.BarChart("graphique-bibliotheques", "Graphique en barres : lancements des bibliothèques qui en comptent le plus, "+rep.Period.Label()+". Les chiffres sont dans le tableau qui suit.",
		"lancement", "lancements", names, values)
}

// decisionAction names a save of the Statut tab in the audit trail, from
// its changes (sesame.Transition), so that the statistics count
// validations, refusals and renewals: an end date moved back is a
// correction, "statut", never a renewal.
func decisionAction(changes []sesame.Change) sesame.AuditAction {
	return sesame.ActionOf(changes, sesame.ActionStatus)
}
