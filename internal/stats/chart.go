package stats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bdf29/sesame/internal/store"
)

// Chart is a bar chart laid out for an inline SVG: the template draws what
// it holds, and a table beside it gives the same figures to screen readers.
// Bars have a dark outline, and series differ by pattern as well as by
// colour, so that colour is never the only clue.
type Chart struct {
	ID            string // unique in the page: prefixes the patterns' ids
	Label         string // the accessible name of the svg
	Width, Height int
	Horizontal    bool
	Axis          Line
	Bars          []Bar
	Grid          []GridLine
	Labels        []Text // categories along the axis
	Values        []Text // figures at the end of the bars
	Legend        []LegendItem
	Series        []Style
}

// Line is a segment.
type Line struct{ X1, Y1, X2, Y2 float64 }

// Bar is one rectangle.
type Bar struct {
	X, Y, W, H float64
	Fill       string // a colour, or url(#pattern)
	Title      string // shown on hover: "03/2025 : 120 lancements"
}

// GridLine is a value line across the chart, with its figure.
type GridLine struct {
	X1, Y1, X2, Y2 float64
	TextX, TextY   float64
	Anchor         string
	Text           string
}

// Text is a label placed on the chart.
type Text struct {
	X, Y   float64
	Anchor string
	Text   string
	Full   string // the whole label when Text is cut
}

// LegendItem names a series beside its swatch.
type LegendItem struct {
	X, Y float64
	Fill string
	Text string
}

// Style is how one series is drawn. Pattern, when set, is one of the
// shapes the template knows: "rayures", "points", "lignes", "croisillons".
type Style struct {
	Colour  string
	Pattern string
	ID      string // the pattern's id, set by the chart
}

// Fill is the SVG fill of the series.
func (s Style) Fill() string {
	if s.Pattern == "" {
		return s.Colour
	}
	return "url(#" + s.ID + ")"
}

// seriesStyles are the series' looks, in order. Every colour has a
// contrast of at least 4.5:1 on white, more than the 3:1 WCAG asks of
// graphics, and each series after the first has its own pattern.
var seriesStyles = []Style{
	{Colour: "#005f63"},
	{Colour: "#8a4600", Pattern: "rayures"},
	{Colour: "#5b2a86", Pattern: "points"},
	{Colour: "#1d5e2e", Pattern: "lignes"},
	{Colour: "#b00020", Pattern: "croisillons"},
}

// Ink is the colour of the outlines, axes and texts: #1b1f24, as the pages' text.
const Ink = "#1b1f24"

// Series is one run of figures, one per category.
type Series struct {
	Name   string
	Values []int
}

// niceStep is a round step for about five grid lines up to max.
func niceStep(max int) int {
	if max <= 5 {
		return 1
	}
	raw := float64(max) / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return int(m * pow)
		}
	}
	return int(10 * pow)
}

func maxOf(series []Series) int {
	top := 0
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	return top
}

// Category is a place along a column chart's axis: a month.
type Category struct {
	Name   string // in the bars' titles: "03/2026"
	Short  string // under the bars: "mars"
	Second string // on a second line, "" for none: "2026"
}

// MonthCategories are the months as a chart's axis: the month's short
// name, and the year under January and under the first month.
func MonthCategories(months []store.Month) []Category {
	names := [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	out := make([]Category, len(months))
	for i, m := range months {
		out[i] = Category{Name: m.String(), Short: names[m.Month-1]}
		if i == 0 || m.Month == time.January {
			out[i].Second = strconv.Itoa(m.Year)
		}
	}
	return out
}

// ColumnChart draws vertical bars, one group per category (a month), one
// bar per series in each group. one and many name what is counted.
func ColumnChart(id, label, one, many string, categories []Category, series []Series) Chart {
	const (
		left, right, top, bottom = 56.0, 12.0, 16.0, 48.0
		plotHeight               = 240.0
		legendRow, legendWidth   = 24.0, 220.0
	)
	slot := math.Max(48, float64(10*len(series)+14))
	c := Chart{ID: id, Label: label, Height: int(top + plotHeight + bottom)}
	c.Width = int(left + right + slot*float64(len(categories)))
	if len(series) > 1 {
		c.Width = max(c.Width, int(left+legendWidth))
	}
	c.Series = styles(id, len(series))
	top5 := maxOf(series)
	step := niceStep(top5)
	scaleTop := float64(max(step, ((top5+step-1)/step)*step))
	y := func(v int) float64 { return top + plotHeight - plotHeight*float64(v)/scaleTop }
	for v := 0; float64(v) <= scaleTop; v += step {
		c.Grid = append(c.Grid, GridLine{X1: left, Y1: y(v), X2: float64(c.Width) - right, Y2: y(v),
			TextX: left - 6, TextY: y(v) + 4, Anchor: "end", Text: strconv.Itoa(v)})
	}
	c.Axis = Line{left, top + plotHeight, float64(c.Width) - right, top + plotHeight}
	barWidth := (slot - 12) / float64(len(series))
	for i, cat := range categories {
		x0 := left + slot*float64(i) + 6
		for j, s := range series {
			v := s.Values[i]
			b := Bar{X: x0 + barWidth*float64(j), W: barWidth, Y: y(v), H: top + plotHeight - y(v), Fill: c.Series[j].Fill(),
				Title: fmt.Sprintf("%s, %s : %s", cat.Name, s.Name, plural(v, one, many))}
			c.Bars = append(c.Bars, b)
			if len(series) == 1 && v > 0 {
				c.Values = append(c.Values, Text{X: b.X + b.W/2, Y: b.Y - 4, Anchor: "middle", Text: strconv.Itoa(v)})
			}
		}
		c.Labels = append(c.Labels, Text{X: x0 + (slot-12)/2, Y: top + plotHeight + 18, Anchor: "middle", Text: cat.Short, Full: cat.Name})
		if cat.Second != "" {
			c.Labels = append(c.Labels, Text{X: x0 + (slot-12)/2, Y: top + plotHeight + 34, Anchor: "middle", Text: cat.Second})
		}
	}
	if len(series) > 1 {
		for j, s := range series {
			c.Legend = append(c.Legend, LegendItem{X: left, Y: float64(c.Height) + legendRow*float64(j), Fill: c.Series[j].Fill(), Text: s.Name})
		}
		c.Height += int(legendRow*float64(len(series)) + 8)
	}
	return c
}

// BarChart draws horizontal bars, one per category (a resource, a
// library), with its figure at the end.
func BarChart(id, label, one, many string, categories []string, values []int) Chart {
	const (
		right, top, bottom = 64.0, 8.0, 28.0
		plotWidth, row     = 420.0, 28.0
		maxLabel           = 28
		// runeWidth is a generous width of one rune at font-size 12, to
		// make room for the longest label left of the bars.
		runeWidth = 7.0
	)
	labels := barLabels(categories, maxLabel)
	longest := 0
	for _, l := range labels {
		longest = max(longest, utf8.RuneCountInString(l))
	}
	left := max(200.0, 8+runeWidth*float64(longest))
	c := Chart{ID: id, Label: label, Horizontal: true, Width: int(left + plotWidth + right)}
	c.Height = int(top + row*float64(len(categories)) + bottom)
	c.Series = styles(id, 1)
	top5 := maxOf([]Series{{Values: values}})
	step := niceStep(top5)
	scaleTop := float64(max(step, ((top5+step-1)/step)*step))
	x := func(v int) float64 { return left + plotWidth*float64(v)/scaleTop }
	plotBottom := top + row*float64(len(categories))
	for v := 0; float64(v) <= scaleTop; v += step {
		c.Grid = append(c.Grid, GridLine{X1: x(v), Y1: top, X2: x(v), Y2: plotBottom,
			TextX: x(v), TextY: plotBottom + 18, Anchor: "middle", Text: strconv.Itoa(v)})
	}
	c.Axis = Line{left, top, left, plotBottom}
	for i, cat := range categories {
		v := values[i]
		y0 := top + row*float64(i)
		b := Bar{X: left, Y: y0 + 5, W: x(v) - left, H: row - 10, Fill: c.Series[0].Fill(), Title: fmt.Sprintf("%s : %s", cat, plural(v, one, many))}
		c.Bars = append(c.Bars, b)
		c.Values = append(c.Values, Text{X: b.X + b.W + 6, Y: y0 + row/2 + 4, Anchor: "start", Text: strconv.Itoa(v)})
		c.Labels = append(c.Labels, Text{X: left - 8, Y: y0 + row/2 + 4, Anchor: "end", Text: labels[i], Full: cat})
	}
	return c
}

// barLabels shortens each name to at most limit runes, for the room left of
// the bars. The cut is in the middle: names of one kind share their start
// (« Médiathèque municipale de … ») and differ at the end. Two names that
// would still read alike are shown whole, and the chart widens for them.
func barLabels(names []string, limit int) []string {
	labels := make([]string, len(names))
	alike := make(map[string]int, len(names))
	for i, name := range names {
		labels[i] = cutMiddle(name, limit)
		alike[labels[i]]++
	}
	for i, name := range names {
		if alike[labels[i]] > 1 {
			labels[i] = name
		}
	}
	return labels
}

// cutMiddle shortens s to limit runes, the middle replaced by « … ».
func cutMiddle(s string, limit int) string {
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	head := (limit - 1) / 2
	tail := limit - 1 - head
	return strings.TrimSpace(string(r[:head])) + "…" + strings.TrimSpace(string(r[len(r)-tail:]))
}

func styles(id string, n int) []Style {
	out := make([]Style, n)
	for i := range out {
		out[i] = seriesStyles[i%len(seriesStyles)]
		out[i].ID = fmt.Sprintf("%s-motif-%d", id, i)
	}
	return out
}

// plural writes "0 lancement", "1 lancement", "3 lancements", as French counts.
func plural(n int, one, many string) string {
	if n <= 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
