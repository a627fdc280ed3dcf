package stats_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParsePeriod(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	tests := []struct {
		name, query string
		want        string // Period.Label, or the field in error
		wantErr     string
	}{
		{"nothing chosen: this year", "", "année 2026", ""},
		{"a year", "periode=annee&annee=2025", "année 2025", ""},
		{"the first year", "annee=2023", "année 2023", ""},
		{"before the first year", "annee=2022", "", "annee"},
		{"next year", "annee=2027", "", "annee"},
		{"months", "periode=mois&du=03%2F2025&au=06%2F2026", "de 03/2025 à 06/2026", ""},
		{"one month, typed loosely", "periode=mois&du=3-2026&au=2026-03", "mois de 03/2026", ""},
		{"months with spaces", "periode=mois&du=+03/2026+&au=03.2026", "mois de 03/2026", ""},
		{"the months win over the year", "periode=mois&annee=2024&du=01%2F2026&au=02%2F2026", "de 01/2026 à 02/2026", ""},
		{"backwards", "periode=mois&du=06%2F2026&au=03%2F2026", "", "au"},
		{"to a month not begun", "periode=mois&du=06%2F2026&au=12%2F2026", "", "au"},
		{"37 months", "periode=mois&du=10%2F2023&au=10%2F2026", "", "au"},
		{"36 months", "periode=mois&du=11%2F2023&au=10%2F2026", "de 11/2023 à 10/2026", ""},
		{"month 0", "periode=mois&du=00%2F2026&au=10%2F2026", "", "du"},
		{"two-digit year", "periode=mois&du=01%2F26&au=10%2F2026", "", "du"},
		{"a word", "periode=mois&du=janvier&au=10%2F2026", "", "du"},
		{"missing", "periode=mois&au=10%2F2026", "", "du"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			p, errs := stats.ParsePeriod(q, now, loc, 2023)
			if tt.wantErr != "" {
				if errs[tt.wantErr] == "" {
					t.Errorf("got %s and %v, want a message for %s", p.Label(), errs, tt.wantErr)
				}
				return
			}
			if len(errs) > 0 || p.Label() != tt.want {
				t.Errorf("got %q (%v), want %q", p.Label(), errs, tt.want)
			}
			// The exports' links give the same period back.
			again, errs := stats.ParsePeriod(p.Query(), now, loc, 2023)
			if len(errs) > 0 || again != p {
				t.Errorf("through Query: got %q (%v), want %q", again.Label(), errs, p.Label())
			}
		})
	}
}

func TestParseMonthMessagesAreFrench(t *testing.T) {
	for _, in := range []string{"", "13/2026", "abc", "1/1999"} {
		_, msg := stats.ParseMonth(in, paris(t))
		if msg == "" || !strings.HasSuffix(msg, ".") {
			t.Errorf("ParseMonth(%q): message %q, want a French sentence", in, msg)
		}
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Livres numériques", "Livres numériques"},
		{"=HYPERLIEN(\"https://x\")", "'=HYPERLIEN(\"https://x\")"},
		{"+33 2 98", "'+33 2 98"},
		{"-2", "'-2"},
		{"@SOMME(A1)", "'@SOMME(A1)"},
		{"\tcaché", "'\tcaché"},
		{"\rligne", "'\rligne"},
		{"", ""},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := stats.CSVCell(tt.in); got != tt.want {
			t.Errorf("CSVCell(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestChartsFitTheirFigures(t *testing.T) {
	loc := paris(t)
	months := stats.MonthCategories(store.Months(store.NewMonth(2025, time.November, loc), store.NewMonth(2026, time.February, loc)))
	if got := months[0].Short + " " + months[0].Second + ", " + months[2].Short + " " + months[2].Second + ", " + months[3].Second; got != "nov. 2025, janv. 2026, " {
		t.Errorf("month labels: got %q", got)
	}
	c := stats.ColumnChart("g", "Graphique", "compte", "comptes", months, []stats.Series{
		{Name: "Inscriptions", Values: []int{0, 7, 12, 3}}, {Name: "Refus", Values: []int{1, 0, 0, 0}},
	})
	if len(c.Bars) != 8 || len(c.Legend) != 2 || c.Series[1].Pattern == "" {
		t.Fatalf("got %d bars, %d legend items, second series pattern %q", len(c.Bars), len(c.Legend), c.Series[1].Pattern)
	}
	top := c.Grid[len(c.Grid)-1]
	for _, b := range c.Bars {
		if b.H < 0 || b.Y < top.Y1 || b.Y+b.H > c.Axis.Y1+0.001 || b.X+b.W > float64(c.Width) {
			t.Errorf("bar %+v out of the plot (top %v, axis %v, width %d)", b, top.Y1, c.Axis.Y1, c.Width)
		}
	}
	if c.Bars[4].Title != "01/2026, Inscriptions : 12 comptes" || c.Bars[1].Title != "11/2025, Refus : 1 compte" {
		t.Errorf("titles: %q, %q", c.Bars[4].Title, c.Bars[1].Title)
	}
	if tallest, grid := c.Bars[4].H, c.Axis.Y1-top.Y1; tallest > grid {
		t.Errorf("the tallest bar (%v) goes past the top grid line (%v)", tallest, grid)
	}
	h := stats.BarChart("h", "Graphique", "usager actif", "usagers actifs", []string{"Une très longue bibliothèque au nom interminable", "Court"}, []int{40, 0})
	if h.Labels[0].Full == "" || len([]rune(h.Labels[0].Text)) > 28 || h.Bars[1].W != 0 {
		t.Errorf("horizontal chart: labels %+v, bars %+v", h.Labels, h.Bars)
	}
}

// TestBarChartLabelsStayDistinct: names cut to fit left of the bars never
// read alike, so a chart never shows two bars under one name.
func TestBarChartLabelsStayDistinct(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{"short names kept", []string{"Briec", "Bénodet"}, []string{"Briec", "Bénodet"}},
		{"same start: the end tells them apart",
			[]string{"Médiathèque municipale de Plougastel-Daoulas", "Médiathèque municipale de Pont-l'Abbé"},
			[]string{"Médiathèque m…gastel-Daoulas", "Médiathèque m…de Pont-l'Abbé"}},
		{"alike even when cut: shown whole",
			[]string{"Bibliothèque A du réseau des médiathèques de Cornouaille", "Bibliothèque B du réseau des médiathèques de Cornouaille"},
			[]string{"Bibliothèque A du réseau des médiathèques de Cornouaille", "Bibliothèque B du réseau des médiathèques de Cornouaille"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stats.BarChart("h", "Graphique", "lancement", "lancements", tt.names, make([]int, len(tt.names)))
			var got []string
			for _, l := range c.Labels {
				got = append(got, l.Text)
				if l.Full == "" || l.X <= 0 {
					t.Errorf("label %q: full name %q, x %v: want the full name kept and the text inside the chart", l.Text, l.Full, l.X)
				}
				if width := 7 * len([]rune(l.Text)); l.X < float64(width) {
					t.Errorf("label %q ends at x %v: too little room for it", l.Text, l.X)
				}
			}
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("labels %q, want %q", got, tt.want)
			}
		})
	}
}
