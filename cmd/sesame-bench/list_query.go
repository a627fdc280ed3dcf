package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// listQueryTable measures what the list asks the store for one page (its
// status counts, then store.ListPatrons with the page's search, filter,
// page and cursor, as the handler asks them), without HTTP, the session,
// the menu and the layout: the part of a page this benchmark's scenarios
// are about. The trivial HTTP handler is measured just before each, as in
// the main table.
func listQueryTable(ctx context.Context, out io.Writer, st *store.Store, helloBase string, scenarios []scenario, only string, clients int, d time.Duration) error {
	libs, err := st.Libraries(ctx)
	if err != nil {
		return err
	}
	var library int64
	for _, l := range libs {
		if l.Code == "FOUESNANT" {
			library = l.ID
		}
	}
	if library == 0 {
		return fmt.Errorf("no library FOUESNANT")
	}
	sc := store.LibraryScope(library)
	fmt.Fprintf(out, "\nThe list's store queries alone (TallyWithResources + ListPatrons, as the page reads them), %d clients:\n\n", clients)
	fmt.Fprintf(out, "| scenario | queries/s | hello requests/s just before | p50 | p95 | errors |\n|---|---|---|---|---|---|\n")
	var measured []scenario
	for _, s := range scenarios {
		if s.hello || only != "" && !strings.Contains(s.name, only) {
			continue
		}
		measured = append(measured, s)
		baseline := load(helloBase, []string{"/"}, nil, clients, d/2)
		res := loadQueries(ctx, st, sc, listFilters(s.paths), clients, d)
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %s | %s | %d |\n", s.name, res.rate, baseline.rate, pct(res.latencies, 50), pct(res.latencies, 95), res.errors)
	}
	fmt.Fprintf(out, "\nEach page's ListPatrons alone, one client, %d runs each:\n\n| page | p25 | p50 | p95 |\n|---|---|---|---|\n", queryRunsAlone)
	for _, s := range measured {
		eachQueryAlone(ctx, out, st, sc, s.paths)
	}
	return nil
}

func listFilters(paths []string) []store.PatronFilter {
	filters := make([]store.PatronFilter, len(paths))
	for i, p := range paths {
		filters[i] = listFilter(p)
	}
	return filters
}

// queryRunsAlone is how many times eachQueryAlone reads each page.
const queryRunsAlone = 300

// eachQueryAlone times ListPatrons for each of a scenario's pages in turn,
// one client: what one page costs the store, without a queue.
func eachQueryAlone(ctx context.Context, out io.Writer, st *store.Store, sc store.Scope, paths []string) {
	for i, f := range listFilters(paths) {
		tally, _, err := st.TallyWithResources(ctx, sc)
		if err != nil {
			fmt.Fprintf(out, "| %s | %v | | |\n", paths[i], err)
			continue
		}
		f.Counts = tally.ByStatus
		lats := make([]time.Duration, 0, queryRunsAlone)
		for range queryRunsAlone {
			t0 := time.Now()
			if _, err := st.ListPatrons(ctx, sc, f); err != nil {
				fmt.Fprintf(out, "| %s | %v | | |\n", paths[i], err)
				break
			}
			lats = append(lats, time.Since(t0))
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", paths[i], pct(lats, 25), pct(lats, 50), pct(lats, 95))
	}
}

// listFilter is the filter the list's handler builds for path, with 10 rows a page.
func listFilter(path string) store.PatronFilter {
	f := store.PatronFilter{Sort: store.SortLastName, Limit: 10, CountUpTo: store.SearchCountUpTo}
	u, err := url.Parse(path)
	if err != nil {
		return f
	}
	q := u.Query()
	f.Query = q.Get("q")
	if st, ok := sesame.ParseStatus(q.Get("statut")); ok {
		f.Status = st
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		f.Offset = (n - 1) * 10
	}
	if id, err := strconv.ParseInt(q.Get("apres"), 10, 64); err == nil {
		f.After = id
	}
	return f
}

// loadQueries runs clients loops for d, each going through filters in turn.
func loadQueries(ctx context.Context, st *store.Store, sc store.Scope, filters []store.PatronFilter, clients int, d time.Duration) loadResult {
	return drive(clients, d, func() func(i int) error {
		return func(i int) error {
			f := filters[i%len(filters)]
			tally, _, err := st.TallyWithResources(ctx, sc)
			if err != nil {
				return err
			}
			f.Counts = tally.ByStatus
			_, err = st.ListPatrons(ctx, sc, f)
			return err
		}
	})
}
