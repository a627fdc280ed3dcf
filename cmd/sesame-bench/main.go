// Command sesame-bench measures the library back office under load: the
// patrons list, a name search and a status filter in the largest library,
// beside a trivial handler measured in the same run. See docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/store"
)

func main() {
	app.TuneGC(os.Getenv)
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sesame-bench:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name  string
	paths []string // rotated through by the clients
	hello bool     // served by the trivial handler
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "oidc" {
		return runOIDC(ctx, args[1:], out)
	}
	if len(args) > 0 && args[0] == "load-bound" {
		return runLoadBound(ctx, args[1:], out)
	}
	fs := flag.NewFlagSet("sesame-bench", flag.ContinueOnError)
	db := fs.String("db", "bench-1m.db", "SQLite file; seeded when empty, reused otherwise")
	patrons := fs.Int("patrons", 1_000_000, "patrons to seed")
	libraries := fs.Int("libraries", 200, "libraries to seed")
	largest := fs.Int("largest", 50_000, "patrons of FOUESNANT, the library measured")
	clients := fs.Int("clients", 16, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "time per scenario")
	only := fs.String("only", "", "run only the scenarios whose name contains this text (the baseline always runs)")
	seedOnly := fs.Bool("seed-only", false, "seed the database, then stop")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured scenarios (of the seeding, with --seed-only) to this file")
	logErrors := fs.Bool("log-errors", false, "log the server's errors to stderr")
	listQuery := fs.Bool("list-query", false, "also measure the list's store queries alone, without HTTP and the page around them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var logTo io.Writer = io.Discard
	if *logErrors {
		logTo = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelError}))
	if store.IsPostgres(*db) { // instances leave migrations to "sesame migrate"; the benchmark is that step too
		st, err := store.Open(ctx, *db, store.Options{})
		if err != nil {
			return err
		}
		err = st.Migrate(ctx)
		st.Close()
		if err != nil {
			return err
		}
	}
	a, err := app.Open(ctx, config.Config{Addr: "127.0.0.1:0", DB: *db}, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer a.Close()
	if *seedOnly && *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start, startCPU := time.Now(), cpuTime()
	seeded, err := demo.Seed(ctx, a.Store, app.Hasher(), demo.Options{Patrons: *patrons, Libraries: *libraries, Largest: *largest,
		Today: sesame.DateOf(time.Now(), app.Paris()), Seed: 1})
	if err != nil {
		return err
	}
	if seeded {
		took := time.Since(start)
		fmt.Fprintf(out, "seeded %d patrons over %d libraries in %s (%.0f patrons/s) on %s\n",
			*patrons, *libraries, took.Round(time.Second), float64(*patrons)/took.Seconds(), a.Store.Engine())
		cpu := cpuTime() - startCPU
		fmt.Fprintf(out, "seeding used %s of CPU in this process (%.0f patrons per CPU-second); memory then: %s\n",
			cpu.Round(time.Second), float64(*patrons)/cpu.Seconds(), seedMemory())
	}
	if *seedOnly {
		return nil
	}

	timings := &serverTimings{byPath: map[string][]time.Duration{}}
	handler := timings.wrap(a.Web.Handler())
	hello := timings.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Bonjour\n")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	helloLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// A client that never finishes its headers must not hold a connection forever.
	go (&http.Server{Handler: handler, ReadHeaderTimeout: time.Minute}).Serve(ln)
	go (&http.Server{Handler: hello, ReadHeaderTimeout: time.Minute}).Serve(helloLn)
	base, helloBase := "http://"+ln.Addr().String(), "http://"+helloLn.Addr().String()

	cookies, err := login(base, "fouesnant", demo.Password)
	if err != nil {
		return err
	}
	scenarios := []scenario{
		{name: "hello (trivial handler)", paths: []string{"/"}, hello: true},
		{name: "list, default sort (Nom ▲)", paths: []string{"/abonnes", "/abonnes?page=2", "/abonnes?page=3"}},
		{name: "status filter", paths: []string{"/abonnes?statut=valide", "/abonnes?statut=a_valider", "/abonnes?statut=expire&page=2"}},
		// « le » and « an » match thousands in any real library.
		{name: "name search (substring, accents ignored)", paths: []string{"/abonnes?q=gueguen", "/abonnes?q=le+bihan", "/abonnes?q=nolwenn", "/abonnes?q=kerj", "/abonnes?q=le", "/abonnes?q=an"}},
		{name: "deep page (list, page 4,000 of 5,000)", paths: []string{"/abonnes?page=4000"}},
		{name: "deep page, middle (list, page 2,500 of 5,000)", paths: []string{"/abonnes?page=2500"}},
	}
	// « Page suivante » from page 3,999 carries a cursor (« apres »): the
	// page a librarian reaches by clicking, however deep.
	if next, err := nextLink(base, cookies, "/abonnes?page=3999"); err == nil {
		scenarios = append(scenarios, scenario{name: "deep page by « Page suivante » (page 4,000, cursor)", paths: []string{next}})
	} else {
		fmt.Fprintln(out, "no « Page suivante » link on page 3,999:", err)
	}
	fmt.Fprintf(out, "\nmachine: %s/%s, %d CPU, %s; %d clients, %s per scenario; largest library %d patrons\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *clients, *duration, *largest)
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Fprintf(out, "| scenario | requests/s | hello requests/s just before | server p50 | server p95 | client p50 | client p95 | errors |\n|---|---|---|---|---|---|---|---|\n")
	var memory []memorySample
	for _, sc := range scenarios {
		if *only != "" && !sc.hello && !strings.Contains(sc.name, *only) {
			continue
		}
		target := base
		if sc.hello {
			target = helloBase
		}
		// The machine is shared and noisy: the trivial handler, measured
		// just before each scenario, says how fast the machine was then.
		baseline := load(helloBase, []string{"/"}, nil, *clients, *duration/2)
		timings.reset()
		res := load(target, sc.paths, cookies, *clients, *duration)
		server := timings.all()
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %s | %s | %s | %s | %d |\n", sc.name, res.rate, baseline.rate,
			pct(server, 50), pct(server, 95), pct(res.latencies, 50), pct(res.latencies, 95), res.errors)
		memory = append(memory, sampleMemory(sc.name))
	}
	writeMemory(out, memory)
	if *listQuery {
		if err := listQueryTable(ctx, out, a.Store, helloBase, scenarios, *only, *clients, *duration); err != nil {
			return err
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "\nGo heap in use after the run: %.1f MiB; process resident memory (server and load generator): %s\n",
		float64(ms.HeapInuse)/(1<<20), residentMemory())
	return nil
}

// serverTimings records how long the handler took for each request.
type serverTimings struct {
	mu     sync.Mutex
	byPath map[string][]time.Duration
}

func (t *serverTimings) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(start)
		t.mu.Lock()
		t.byPath[r.URL.Path] = append(t.byPath[r.URL.Path], d)
		t.mu.Unlock()
	})
}

func (t *serverTimings) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byPath = map[string][]time.Duration{}
}

func (t *serverTimings) all() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var all []time.Duration
	for _, d := range t.byPath {
		all = append(all, d...)
	}
	return all
}

type loadResult struct {
	rate      float64
	latencies []time.Duration
	errors    int
}

// load runs clients loops for d, each going through paths in turn.
func load(base string, paths []string, cookies []*http.Cookie, clients int, d time.Duration) loadResult {
	return drive(clients, d, func() func(i int) error {
		httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		return func(i int) error {
			req, _ := http.NewRequest(http.MethodGet, base+paths[i%len(paths)], nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			r, err := httpc.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if err == nil && r.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", r.StatusCode)
			}
			return err
		}
	})
}

// drive runs clients loops for d. Each loop gets its own step from
// newStep and calls it with a running index, starting at the loop's
// number so that the loops spread over the scenario's paths; every call's
// latency and error are counted.
func drive(clients int, d time.Duration, newStep func() func(i int) error) loadResult {
	var mu sync.Mutex
	var res loadResult
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			step := newStep()
			var lats []time.Duration
			errs := 0
			for i := c; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				err := step(i)
				lats = append(lats, time.Since(t0))
				if err != nil {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lats...)
			res.errors += errs
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	res.rate = float64(len(res.latencies)) / time.Since(start).Seconds()
	return res
}

func pct(ds []time.Duration, p int) string {
	if len(ds) == 0 {
		return "–"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	d := s[(len(s)-1)*p/100]
	return fmt.Sprintf("%.3f ms", float64(d.Nanoseconds())/1e6)
}

func login(base, user, password string) ([]*http.Cookie, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/connexion", url.Values{"identifiant": {user}, "mot_de_passe": {password}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "connexion") {
		return nil, fmt.Errorf("login as %s: status %d", user, res.StatusCode)
	}
	u, _ := url.Parse(base)
	return jar.Cookies(u), nil
}

// nextLink returns the « Page suivante » link of the page at path.
func nextLink(base string, cookies []*http.Cookie, path string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return "", err
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	page := string(body)
	end := strings.Index(page, `" rel="next"`)
	if end < 0 {
		return "", fmt.Errorf("%s: status %d, no rel=next link", path, res.StatusCode)
	}
	start := strings.LastIndex(page[:end], `href="`)
	if start < 0 {
		return "", fmt.Errorf("%s: no href before rel=next", path)
	}
	return html.UnescapeString(page[start+len(`href="`) : end]), nil
}

// residentMemory reads the process's resident set, now and at its peak, from
// /proc (Linux). On SQLite it counts the database pages mapped in memory.
func residentMemory() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	var rss, peak string
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("%s now, %s at peak", rss, peak)
}

// startProfile writes a CPU profile to path until the function it returns is called.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path) // #nosec G304 -- the path the operator gave
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
