package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

func csvReader(s string) *csv.Reader {
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	return r
}

// statsWorld is the test world with launches and account events spread
// over November and December 2026, through the real routes where there is
// one: « Accéder », and the Statut tab.
//
//	library A (FOUESNANT): Anne LEFÈVRE, validated on 7 December; her
//	  launches of « =SOMME(A1) » on 30 November 23:30 and 1 December 00:10
//	  (Paris), and of Livres numériques on 1 December.
//	library B (QUIMPER): Yann KERJEAN opens Livres numériques on 26 and
//	  27 November and on 7 December through « Accéder ».
type statsWorld struct {
	*world
	formula int64 // the resource named like a formula
}

func newStatsWorld(t *testing.T) *statsWorld {
	t.Helper()
	w := &statsWorld{world: newWorld(t)}
	ctx := context.Background()
	sys := sesame.Actor{Label: "test"}
	var err error
	w.formula, err = w.store.CreateResource(ctx, sesame.Resource{Slug: "tableur", Name: "=SOMME(A1)", Description: "d", URL: "https://example.org/"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	// Yann opens his resource three times, the clock moving.
	for _, step := range []time.Duration{0, 24 * time.Hour, 10 * 24 * time.Hour} {
		w.clock.Advance(step)
		c := w.patronLogin(w.patronB)
		if res := c.post("/acceder/livres-numeriques", nil); res.status != http.StatusSeeOther {
			t.Fatalf("launch: got %d, want 303; %.300s", res.status, res.body)
		}
	}
	// 7 December: Fouesnant validates Anne.
	staff := w.login("fouesnant")
	p := w.patron(w.patronA)
	res := staff.post(fmt.Sprintf("/abonnes/%d/statut", w.patronA), url.Values{"version": {strconv.Itoa(p.Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/12/2026"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("validate Anne: got %d; %.300s", res.status, res.body)
	}
	for _, l := range []struct {
		at       time.Time
		resource int64
	}{
		{time.Date(2026, 11, 30, 23, 30, 0, 0, w.paris), w.formula},
		{time.Date(2026, 12, 1, 0, 10, 0, 0, w.paris), w.formula},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, w.paris), w.res[0]},
	} {
		if err := w.store.RecordLaunch(ctx, store.Launch{At: l.at, PatronID: w.patronA, LibraryID: w.libA, ResourceID: l.resource}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// cells returns the text of each row of the table whose caption starts with caption.
func (r response) cells(caption string) [][]string {
	table := find(r.doc, func(n *html.Node) bool {
		if n.Data != "table" {
			return false
		}
		c := find(n, func(c *html.Node) bool { return c.Data == "caption" })
		return c != nil && strings.HasPrefix(text(c), caption)
	})
	if table == nil {
		return nil
	}
	var rows [][]string
	walk(table, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "tr" {
			return
		}
		var row []string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
				row = append(row, text(c))
			}
		}
		rows = append(rows, row)
	})
	return rows
}

func tableString(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | ") + "\n")
	}
	return b.String()
}

const novDec = "?periode=mois&du=11%2F2026&au=12%2F2026"

func TestStatsFigures(t *testing.T) {
	w := newStatsWorld(t)
	tests := []struct {
		name, login, path string
		caption           string
		want              string
	}{
		{"library A, launches by month", "fouesnant", "/statistiques" + novDec, "Lancements par ressource et par mois",
			"Mois | =SOMME(A1) | Livres numériques | PressReader | Tout apprendre | Total\n11/2026 | 1 | 0 | 0 | 0 | 1\n12/2026 | 1 | 1 | 0 | 0 | 2\nTotal | 2 | 1 | 0 | 0 | 3\n"},
		{"library A, users by resource", "fouesnant", "/statistiques" + novDec, "Usagers actifs et lancements par ressource",
			"Ressource | Usagers actifs | Lancements\n=SOMME(A1) | 1 | 2\nLivres numériques | 1 | 1\nPressReader | 0 | 0\nTout apprendre | 0 | 0\nToutes les ressources | 1 | 3\n"},
		{"library A, users of each month", "fouesnant", "/statistiques" + novDec, "Usagers actifs de chaque mois",
			"Mois | =SOMME(A1) | Livres numériques | PressReader | Tout apprendre\n11/2026 | 1 | 0 | 0 | 0\n12/2026 | 1 | 1 | 0 | 0\n"},
		{"library A, accounts", "fouesnant", "/statistiques" + novDec, "Inscriptions, validations",
			// Anne registered on 17/12/2021: her account, created in November
			// 2026, is one of December 2021's registrations, not November's.
			"Mois | Inscriptions | Validations | Refus | Renouvellements | Expirations\n11/2026 | 0 | 0 | 0 | 0 | 0\n12/2026 | 0 | 1 | 0 | 0 | 0\nTotal | 0 | 1 | 0 | 0 | 0\n"},
		{"library B, launches by month", "quimper", "/statistiques" + novDec, "Lancements par ressource et par mois",
			"Mois | =SOMME(A1) | Livres numériques | PressReader | Tout apprendre | Total\n11/2026 | 0 | 2 | 0 | 0 | 2\n12/2026 | 0 | 1 | 0 | 0 | 1\nTotal | 0 | 3 | 0 | 0 | 3\n"},
		{"library B, year", "quimper", "/statistiques?periode=annee&annee=2026", "Usagers actifs et lancements par ressource",
			"Ressource | Usagers actifs | Lancements\n=SOMME(A1) | 0 | 0\nLivres numériques | 1 | 3\nPressReader | 0 | 0\nTout apprendre | 0 | 0\nToutes les ressources | 1 | 3\n"},
		{"network, users by resource", "admin", "/admin/statistiques" + novDec, "Usagers actifs et lancements par ressource",
			"Ressource | Usagers actifs | Lancements\n=SOMME(A1) | 1 | 2\nLivres numériques | 2 | 4\nPressReader | 0 | 0\nTout apprendre | 0 | 0\nToutes les ressources | 2 | 6\n"},
		{"network, by library", "admin", "/admin/statistiques" + novDec, "Usagers actifs et lancements par bibliothèque",
			"Bibliothèque | Usagers actifs | Lancements\nMédiathèque de Fouesnant (FOUESNANT) | 1 | 3\nMédiathèque de Quimper (QUIMPER) | 1 | 3\nToutes les bibliothèques | 2 | 6\n"},
		{"network, accounts", "admin", "/admin/statistiques" + novDec, "Inscriptions, validations",
			// Anne and Yann registered on 17/12/2021, not in November 2026.
			"Mois | Inscriptions | Validations | Refus | Renouvellements | Expirations\n11/2026 | 0 | 0 | 0 | 0 | 0\n12/2026 | 0 | 1 | 0 | 0 | 0\nTotal | 0 | 1 | 0 | 0 | 0\n"},
		{"network, one library chosen", "admin", "/admin/statistiques" + novDec + "&bibliotheque=quimper", "Lancements par ressource et par mois",
			"Mois | =SOMME(A1) | Livres numériques | PressReader | Tout apprendre | Total\n11/2026 | 0 | 2 | 0 | 0 | 2\n12/2026 | 0 | 1 | 0 | 0 | 1\nTotal | 0 | 3 | 0 | 0 | 3\n"},
	}
	clients := map[string]*client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if clients[tt.login] == nil {
				clients[tt.login] = w.login(tt.login)
			}
			res := clients[tt.login].get(tt.path)
			if res.status != http.StatusOK {
				t.Fatalf("got %d, want 200; %.500s", res.status, res.body)
			}
			if got := tableString(res.cells(tt.caption)); got != tt.want {
				t.Errorf("table « %s »:\n got:\n%s\nwant:\n%s", tt.caption, got, tt.want)
			}
		})
	}
}

// TestStatsOwnLibraryOnly: a library sees its own figures only, and any
// other library's are as missing as an unknown page; the network page is
// the admin's.
func TestStatsOwnLibraryOnly(t *testing.T) {
	w := newStatsWorld(t)
	quimper := w.login("quimper")
	for _, path := range []string{
		"/statistiques?bibliotheque=FOUESNANT", "/statistiques/export.csv?bibliotheque=FOUESNANT",
		"/statistiques/export.xlsx?bibliotheque=fouesnant", "/statistiques?bibliotheque=INCONNUE" + strings.TrimPrefix(novDec, "?"),
	} {
		if res := quimper.get(path); res.status != http.StatusNotFound {
			t.Errorf("quimper GET %s: got %d, want 404", path, res.status)
		}
	}
	for _, path := range []string{"/admin/statistiques", "/admin/statistiques/export.csv", "/admin/statistiques/export.xlsx?bibliotheque=FOUESNANT"} {
		if res := quimper.get(path); res.status != http.StatusForbidden {
			t.Errorf("quimper GET %s: got %d, want 403", path, res.status)
		}
	}
	// Its own code is fine, in any case.
	if res := quimper.get("/statistiques?bibliotheque=quimper"); res.status != http.StatusOK {
		t.Errorf("quimper with its own code: got %d, want 200", res.status)
	}
	// The page names no other library, and counts none of its launches.
	res := quimper.get("/statistiques" + novDec)
	if body := text(res.doc); strings.Contains(body, "FOUESNANT") || strings.Contains(body, "Fouesnant") {
		t.Errorf("Quimper's page mentions Fouesnant")
	}
	csv := quimper.get("/statistiques/export.csv" + novDec)
	if strings.Contains(csv.body, "FOUESNANT") || !strings.Contains(csv.body, "QUIMPER") {
		t.Errorf("Quimper's CSV: want Quimper's figures only:\n%s", csv.body)
	}
	// The admin who follows a library's link reaches the network page.
	admin := w.login("admin")
	if res := admin.get("/statistiques" + novDec); res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/statistiques"+novDec {
		t.Errorf("admin on /statistiques: got %d to %q, want 303 to the network page", res.status, res.header.Get("Location"))
	}
}

func TestStatsBadInput(t *testing.T) {
	w := newStatsWorld(t)
	admin := w.login("admin")
	tests := []struct {
		name, query, field, message string
	}{
		{"month 13", "periode=mois&du=13%2F2026&au=12%2F2026", "du", "de 01 à 12"},
		{"not a month", "periode=mois&du=novembre&au=12%2F2026", "du", "mm/aaaa"},
		{"empty", "periode=mois&du=&au=12%2F2026", "du", "indiquez un mois"},
		{"backwards", "periode=mois&du=12%2F2026&au=11%2F2026", "au", "précéder"},
		{"future", "periode=mois&du=11%2F2026&au=01%2F2027", "au", "pas encore commencé"},
		{"too long", "periode=mois&du=01%2F2020&au=12%2F2026", "au", "36 mois"},
		{"year out of range", "periode=annee&annee=1999", "annee", "choisissez une année"},
		{"year not a number", "periode=annee&annee=%3Cscript%3E", "annee", "choisissez une année"},
		{"unknown library", "bibliotheque=%3Cb%3ENULLE%3C%2Fb%3E", "bibliotheque", "aucune bibliothèque"},
	}
	library := w.login("fouesnant")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/admin/statistiques?", "/admin/statistiques/export.csv?", "/statistiques?", "/statistiques/export.xlsx?"} {
				c := admin
				if strings.HasPrefix(path, "/statistiques") {
					if tt.field == "bibliotheque" {
						continue // another library's code is a 404 there: TestStatsOwnLibraryOnly
					}
					c = library
				}
				res := c.get(path + tt.query)
				if res.status != http.StatusUnprocessableEntity {
					t.Fatalf("%s: got %d, want 422", path, res.status)
				}
				if msg := res.fieldError(tt.field); !strings.Contains(msg, tt.message) {
					t.Errorf("%s: message next to %s: got %q, want it to say %q", path, tt.field, msg, tt.message)
				}
				if !strings.HasPrefix(text(find(res.doc, func(n *html.Node) bool { return n.Data == "title" })), "Erreur") {
					t.Errorf("%s: the title does not start with « Erreur »", path)
				}
				sent, _ := url.ParseQuery(tt.query)
				// The year and the library are chosen in lists, which hold their options only.
				if tt.field != "annee" && tt.field != "bibliotheque" && res.value(tt.field) != sent.Get(tt.field) {
					t.Errorf("%s: %s holds %q, want what was typed, %q", path, tt.field, res.value(tt.field), sent.Get(tt.field))
				}
				if strings.Contains(res.body, "<script>") || strings.Contains(res.body, "<b>NULLE") {
					t.Errorf("%s: what was typed is not escaped", path)
				}
			}
		})
	}
}

// TestStatsPageAccessible checks what the browser checks cannot see without
// a screen reader: every field has its label, every chart a name and a
// table beside it, with a caption and headers.
func TestStatsPageAccessible(t *testing.T) {
	w := newStatsWorld(t)
	for _, tt := range []struct{ login, path string }{
		{"fouesnant", "/statistiques"}, {"admin", "/admin/statistiques" + novDec}, {"admin", "/admin/statistiques?periode=mois&du=13%2F2026&au=12%2F2026"},
	} {
		res := w.login(tt.login).get(tt.path)
		for _, tag := range []string{"input", "select"} {
			for _, n := range res.all(tag) {
				if attr(n, "type") == "hidden" {
					continue
				}
				label := find(res.doc, func(l *html.Node) bool { return l.Data == "label" && attr(l, "for") == attr(n, "id") && text(l) != "" })
				if attr(n, "id") == "" || label == nil {
					t.Errorf("%s: %s %q has no visible label", tt.path, tag, attr(n, "name"))
				}
			}
		}
		for _, b := range res.all("button") {
			if text(b) == "" {
				t.Errorf("%s: a button has no name", tt.path)
			}
		}
		svgs := res.all("svg")
		if res.status == http.StatusOK && len(svgs) < 3 {
			t.Errorf("%s: %d charts, want at least 3", tt.path, len(svgs))
		}
		for _, svg := range svgs {
			if attr(svg, "role") != "img" || !strings.HasPrefix(attr(svg, "aria-label"), "Graphique") {
				t.Errorf("%s: chart without role img and a name: role %q, label %q", tt.path, attr(svg, "role"), attr(svg, "aria-label"))
			}
			// The next element after the chart's wrapper is its table.
			next := svg.Parent.NextSibling
			for next != nil && next.Type != html.ElementNode {
				next = next.NextSibling
			}
			table := find(next, func(n *html.Node) bool { return n.Data == "table" })
			if table == nil {
				t.Errorf("%s: chart %q has no table beside it", tt.path, attr(svg, "aria-label"))
				continue
			}
			if c := find(table, func(n *html.Node) bool { return n.Data == "caption" }); c == nil || text(c) == "" {
				t.Errorf("%s: the table of %q has no caption", tt.path, attr(svg, "aria-label"))
			}
			walk(table, func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "th" && attr(n, "scope") != "col" && attr(n, "scope") != "row" {
					t.Errorf("%s: a header cell %q has no scope", tt.path, text(n))
				}
			})
		}
		// Series differ by pattern, not by colour alone.
		if strings.Contains(tt.path, novDec) && len(res.all("pattern")) < 4 {
			t.Errorf("%s: %d patterns, want one per account series after the first", tt.path, len(res.all("pattern")))
		}
	}
}

func TestStatsExportCSV(t *testing.T) {
	w := newStatsWorld(t)
	page := w.login("fouesnant").get("/statistiques" + novDec)
	var csvHref, xlsxHref string
	for _, a := range page.all("a") {
		switch text(a) {
		case "Télécharger en CSV":
			csvHref = attr(a, "href")
		case "Télécharger en XLSX":
			xlsxHref = attr(a, "href")
		}
	}
	for _, l := range []struct{ href, path string }{{csvHref, "/statistiques/export.csv"}, {xlsxHref, "/statistiques/export.xlsx"}} {
		u, err := url.Parse(l.href)
		if err != nil || u.Path != l.path || u.Query().Encode() != "au=12%2F2026&du=11%2F2026&periode=mois" {
			t.Fatalf("link %q: want %s for the same period", l.href, l.path)
		}
	}
	res := w.login("fouesnant").get(csvHref)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.header.Get("Content-Disposition"), `filename="statistiques-fouesnant-2026-11-a-2026-12.csv"`) {
		t.Fatalf("got %d, %q, %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(res.body, "\ufeff") {
		t.Error("no byte order mark")
	}
	lines := strings.Split(strings.TrimPrefix(res.body, "\ufeff"), "\r\n")
	want := []string{
		"Mois;'=SOMME(A1);Livres numériques;PressReader;Tout apprendre;Total",
		"11/2026;1;0;0;0;1",
		"12/2026;1;1;0;0;2",
		"Total;2;1;0;0;3",
		"'=SOMME(A1);1;2",
		"Toutes les ressources;1;3",
		"Mois;Inscriptions;Validations;Refus;Renouvellements;Expirations",
		"12/2026;0;1;0;0;0",
		"Bibliothèques;Médiathèque de Fouesnant (FOUESNANT)",
		"Période;11/2026 à 12/2026",
		"Extrait le;07/12/2026",
	}
	for _, l := range want {
		found := false
		for _, got := range lines {
			found = found || got == l
		}
		if !found {
			t.Errorf("no line %q in:\n%s", l, res.body)
		}
	}
	for _, l := range lines {
		for _, cell := range strings.Split(l, ";") {
			if cell != "" && strings.ContainsRune("=+-@\t", rune(cell[0])) {
				t.Errorf("cell %q starts with a formula character", cell)
			}
		}
	}
}

func TestCSVCellNeutralised(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sys := sesame.Actor{Label: "test"}
	for _, name := range []string{"+33 Presse", "-Cours", "@Musique", "\tVidéo", "=1+1"} {
		if _, err := w.store.CreateResource(ctx, sesame.Resource{Slug: fmt.Sprintf("r%d", len(name)), Name: name, Description: "d", URL: "https://example.org/"}, sys); err != nil {
			t.Fatal(err)
		}
	}
	res := w.login("admin").get("/admin/statistiques/export.csv")
	for _, want := range []string{";'+33 Presse;", ";'-Cours;", ";'@Musique;", ";'\tVidéo;", ";'=1+1;"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("CSV lacks %q:\n%s", want, res.body)
		}
	}
}

// TestStatsExportXLSX opens the workbook with excelize: it holds the
// numbers of the CSV, as numbers.
func TestStatsExportXLSX(t *testing.T) {
	w := newStatsWorld(t)
	admin := w.login("admin")
	res := admin.get("/admin/statistiques/export.xlsx" + novDec)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("got %d, %q", res.status, res.header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	defer f.Close()
	wantSheets := "Informations|Lancements par mois|Usagers actifs par mois|Par ressource|Par bibliothèque|Comptes par mois"
	if got := strings.Join(f.GetSheetList(), "|"); got != wantSheets {
		t.Errorf("sheets: got %s, want %s", got, wantSheets)
	}
	// Every sheet holds its section of the CSV, cell for cell.
	body := strings.TrimPrefix(admin.get("/admin/statistiques/export.csv"+novDec).body, "\ufeff")
	sections := strings.Split(body, "\r\n\r\n")
	if len(sections) != len(f.GetSheetList()) {
		t.Fatalf("%d sections in the CSV, %d sheets", len(sections), len(f.GetSheetList()))
	}
	for i, sheet := range f.GetSheetList() {
		want, err := csvReader(sections[i]).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for j, c := range r {
				r[j] = stats.CSVCell(c)
			}
		}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("sheet %s:\n%q\nCSV:\n%q", sheet, rows, want)
		}
	}
	// Numbers are numbers.
	if typ, err := f.GetCellType("Par ressource", "C5"); err != nil || typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("C5 of Par ressource: type %v (%v), want a number", typ, err)
	}
	if v, _ := f.GetCellValue("Par ressource", "B5"); v != "2" {
		t.Errorf("users of Livres numériques: got %q, want 2", v)
	}
}

// TestStatsSameAfterFold runs the daily fold five months later: the
// nominative launches of November and December are gone, the figures are
// the same.
func TestStatsSameAfterFold(t *testing.T) {
	w := newStatsWorld(t)
	handlers := map[string]jobs.Handler{jobs.KindFoldLaunches: jobs.FoldLaunches(w.clock.Now, w.paris, 4)}
	runner := &jobs.Runner{Store: w.store, Worker: "test", Handlers: handlers, Now: w.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	// The tables whose figures a fold must not change, by page: the
	// exports' date of extraction and note on what is kept are left out,
	// and so are the users of a run of months that starts before the
	// cutoff, which a fold makes unknown (FoldKeepsFigures in storetest).
	pages := []struct {
		path     string
		captions []string
	}{
		{"/admin/statistiques" + novDec, []string{"Lancements par ressource et par mois", "Usagers actifs de chaque mois", "Inscriptions"}},
		{"/admin/statistiques?periode=annee&annee=2026", []string{"Lancements par ressource et par mois", "Usagers actifs et lancements par ressource",
			"Usagers actifs de chaque mois", "Usagers actifs et lancements par bibliothèque", "Inscriptions"}},
		{"/admin/statistiques/export.csv?periode=annee&annee=2026", nil},
		{"/statistiques/export.csv?periode=annee&annee=2026", nil},
	}
	figures := func() []string {
		admin, quimper := w.login("admin"), w.login("quimper")
		var out []string
		for _, p := range pages {
			c := admin
			if strings.HasPrefix(p.path, "/statistiques") {
				c = quimper
			}
			res := c.get(p.path)
			if res.status != http.StatusOK {
				t.Fatalf("%s: got %d", p.path, res.status)
			}
			if p.captions == nil {
				var keep []string
				for _, l := range strings.Split(res.body, "\r\n") {
					if !strings.HasPrefix(l, "Extrait le;") && !strings.HasPrefix(l, "Détail des lancements") {
						keep = append(keep, l)
					}
				}
				out = append(out, p.path+"\n"+strings.Join(keep, "\n"))
				continue
			}
			for _, caption := range p.captions {
				rows := res.cells(caption)
				if len(rows) < 2 {
					t.Fatalf("%s: no table « %s »", p.path, caption)
				}
				out = append(out, p.path+", "+caption+"\n"+tableString(rows))
			}
		}
		return out
	}
	kept := func() int {
		n := 0
		for _, id := range []int64{w.patronA, w.patronB} {
			n += len(w.launches(id))
		}
		return n
	}
	if err := jobs.Ensure(ctx, w.store, jobs.KindFoldLaunches, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := kept(); n != 6 {
		t.Fatalf("launches kept after a fold on 7 December: %d, want all 6", n)
	}
	before := figures()

	// 2 April 2027: what is older than 2 December 2026 goes.
	w.clock.t = time.Date(2027, 4, 2, 4, 0, 0, 0, w.paris)
	if n, err := runner.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the fold due at 3:00: ran %d (%v), want 1", n, err)
	}
	if n := kept(); n != 1 {
		t.Errorf("launches kept after the fold of 2 April: %d, want the one of 7 December", n)
	}
	after := figures()
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("changed with the fold:\nbefore:\n%s\nafter:\n%s", before[i], after[i])
		}
	}
	// Run again the same day, as a second instance would: nothing changes,
	// and one fold only is scheduled, for tomorrow 3:00.
	if err := w.store.Enqueue(ctx, jobs.KindFoldLaunches, "", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := figures(); fmt.Sprint(got) != fmt.Sprint(after) {
		t.Error("a second fold the same day changed the figures")
	}
	done, pending, err := w.store.JobCounts(ctx, jobs.KindFoldLaunches)
	if err != nil || done != 3 || pending != 1 {
		t.Errorf("folds: %d done, %d pending (%v); want 3 done and the next night's only", done, pending, err)
	}

	// 8 April: the last launch goes; a period starting before 2 December
	// but not a calendar year no longer has its users.
	w.clock.t = time.Date(2027, 4, 8, 4, 0, 0, 0, w.paris)
	if _, err := runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := kept(); n != 0 {
		t.Errorf("launches kept on 8 April: %d, want none", n)
	}
	res := w.login("admin").get("/admin/statistiques?periode=mois&du=11%2F2026&au=03%2F2027")
	if got := tableString(res.cells("Lancements par ressource,")); !strings.Contains(got, "Toutes les ressources | 6") {
		t.Errorf("launches by resource, November to March:\n%s", got)
	}
	if note := text(find(res.doc, func(n *html.Node) bool { return attr(n, "role") == "note" })); !strings.Contains(note, "non disponibles") {
		t.Errorf("no note saying why users are missing: %q", note)
	}
	year := w.login("admin").get("/admin/statistiques?periode=annee&annee=2026")
	if got := tableString(year.cells("Usagers actifs et lancements par ressource")); !strings.Contains(got, "Toutes les ressources | 2 | 6") {
		t.Errorf("2026 after every launch was folded:\n%s", got)
	}
}

func TestDecisionActions(t *testing.T) {
	w := newWorld(t)
	staff := w.login("fouesnant")
	save := func(form url.Values) {
		t.Helper()
		form.Set("version", strconv.Itoa(w.patron(w.patronA).Version))
		if res := staff.post(fmt.Sprintf("/abonnes/%d/statut", w.patronA), form); res.status != http.StatusSeeOther {
			t.Fatalf("save %v: got %d; %.300s", form, res.status, res.body)
		}
	}
	save(url.Values{"statut": {"refuse"}, "motif": {"Abonnement introuvable."}})
	save(url.Values{"statut": {"refuse"}, "motif": {"Abonnement introuvable dans le SIGB."}})
	save(url.Values{"statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}})
	save(url.Values{"statut": {"valide"}, "date_bibliotheque": {"20/11/2026"}})
	events, err := w.store.PatronHistory(context.Background(), store.NetworkScope(), w.patronA)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(events) - 1; i >= 0; i-- {
		got = append(got, events[i].Action)
	}
	if want := "creation refus statut validation revalidation"; strings.Join(got, " ") != want {
		t.Errorf("actions: got %q, want %q", strings.Join(got, " "), want)
	}
}
