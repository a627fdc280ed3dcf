// Package app wires Sésame together: the store, the web server and their
// settings. cmd/sesame and the end-to-end tests both start it from here.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris even on a machine without zone files

	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/sip2"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/web"
)

// App is a running Sésame.
type App struct {
	Config config.Config
	Store  *store.Store
	Web    *web.Server
	Logger *slog.Logger
	Now    func() time.Time
	// demoMailbox receives the mail when no SMTP server is set (the demo).
	demoMailbox io.Writer
	mounts      map[string]http.Handler
	// Metrics is the instance's Prometheus registry and counters.
	Metrics *metrics.Metrics
	// metricsListener serves /metrics apart from the site when
	// SESAME_METRICS_ADDR is set; nil otherwise.
	metricsListener net.Listener
	// sip2 and sip2Listener serve SIP2 when SESAME_SIP2_ADDR is set; nil
	// otherwise (see sip2.go).
	sip2         *sip2.Server
	sip2Listener net.Listener
}

// Options carry what tests replace: the clock and the demo logins.
type Options struct {
	Now        func() time.Time
	Logger     *slog.Logger
	DemoLogins []web.DemoLogin
	Hasher     *auth.Hasher
	// DemoMailbox, when set and no SMTP server is, receives every message
	// in full, links included: the demo's terminal stands for the patrons'
	// mailboxes. The outbox and the admin's page keep the redacted copy.
	DemoMailbox io.Writer
	// Mounts are handlers served beside the portal, by path prefix (a
	// pattern of net/http's ServeMux ending in "/"): the demo's vendor.
	Mounts map[string]http.Handler
}

// TuneGC lets the heap grow to five times its live size between collections
// unless GOGC says otherwise: Sésame's live heap is a few MiB, and at Go's
// default the collector runs so often under load that it costs more than the
// memory it saves (see docs/benchmarks.md). Unless GOMEMLIMIT says
// otherwise, DefaultMemoryLimit bounds what that lets the heap take.
func TuneGC(env func(string) string) {
	if env("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if env("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}

// DefaultMemoryLimit is the Go runtime's soft memory limit. Five times a
// live heap of 20 to 70 MiB took the PostgreSQL process past its 128 MiB
// budget between collections; near the limit the collector runs sooner
// instead. A heavier day is slower, not killed: past the limit the runtime
// never gives the collector more than half the CPU. The list pages and the
// import ran as fast with it (docs/benchmarks.md, issue 14 §6).
const DefaultMemoryLimit = 96 << 20

// Paris is the network's calendar.
func Paris() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("tzdata is embedded, Europe/Paris must load: " + err.Error())
	}
	return loc
}

// Hasher returns the production password hasher, which runs as many hashes
// at once as there are cores to run them.
func Hasher() auth.Hasher {
	return auth.Hasher{Params: auth.DefaultParams, Random: rand.Reader, Slots: auth.NewSlots(runtime.GOMAXPROCS(0))}
}

// Secrets is the box that seals vendor secrets with SESAME_SECRET_KEY, or
// nil when the key is unset.
func Secrets(cfg config.Config) (*secret.Box, error) {
	if len(cfg.SecretKey) == 0 {
		return nil, nil
	}
	return secret.NewBox(cfg.SecretKey, rand.Reader)
}

// Open opens the database (migrating it) and builds the web server, with
// the settings config.Load returned.
func Open(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	hasher := Hasher()
	if opts.Hasher != nil {
		hasher = *opts.Hasher
	}
	box, err := Secrets(cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{Now: opts.Now, Secrets: box})
	if err != nil {
		return nil, err
	}
	// SQLite migrated itself in Open. Instances sharing a PostgreSQL database
	// leave migrations to one deliberate "sesame migrate".
	pending, err := st.PendingMigrations(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(pending) > 0 {
		st.Close()
		return nil, fmt.Errorf("the database schema is not up to date (%d migrations pending, first %s): run \"sesame migrate\" first", len(pending), pending[0])
	}
	m := metrics.New(st, opts.Now, opts.Logger)
	// The site serves /metrics only with a token and no listener of their
	// own: with SESAME_METRICS_ADDR, they leave the public address.
	siteToken := cfg.MetricsToken
	if cfg.MetricsAddr != "" {
		siteToken = ""
	}
	w, err := web.New(web.Config{
		Store: st, Logger: opts.Logger, Now: opts.Now, Random: rand.Reader, Hasher: hasher,
		Location: Paris(), SecureCookies: cfg.Secure(), DemoLogins: opts.DemoLogins, TrustProxy: cfg.TrustProxy,
		BaseURL: cfg.BaseURL, CASTicketTTL: cfg.CASTicketTTL, SessionIdle: cfg.SessionIdle,
		Metrics: m, MetricsToken: siteToken,
		API: api.New(api.Config{Store: st, Logger: opts.Logger, Now: opts.Now,
			Renewals: &renewals.Service{Store: st, BaseURL: cfg.BaseURL, Location: Paris(), Now: opts.Now, Logger: opts.Logger}}).Handler(),
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	// A place of a full licence that frees goes to the next in line, who is mailed.
	st.OnSeatGranted(w.SeatGranted)
	a := &App{Config: cfg, Store: st, Web: w, Logger: opts.Logger, Now: opts.Now, demoMailbox: opts.DemoMailbox, mounts: opts.Mounts, Metrics: m}
	if cfg.MetricsAddr != "" {
		// Taken now, so that a busy port stops the start before anything runs.
		if a.metricsListener, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			st.Close()
			return nil, fmt.Errorf("SESAME_METRICS_ADDR: %w", err)
		}
	}
	if err := a.openSIP2(hasher); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// MetricsAddr is the address /metrics listens on apart from the site
// (SESAME_METRICS_ADDR, its port chosen when it was 0), or "" when none.
func (a *App) MetricsAddr() string {
	if a.metricsListener == nil {
		return ""
	}
	return a.metricsListener.Addr().String()
}

// serveMetrics serves /metrics alone on its own listener until ctx ends.
// Only the operators' network reaches it: no token is asked unless one is
// set, and nothing else of the site is there.
func (a *App) serveMetrics(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler(a.Config.MetricsToken))
	srv := a.httpServer(mux)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(a.metricsListener) }()
	a.Logger.Info("métriques Prometheus", "addr", a.metricsListener.Addr().String(), "path", "/metrics")
	select {
	case err := <-errc:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	// Scraped until the site itself stops.
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown metrics: %w", err)
	}
	return nil
}

// Close releases the database, and the metrics' listener if Serve never
// took it.
func (a *App) Close() error {
	if a.metricsListener != nil {
		a.metricsListener.Close() // already closed once served
	}
	if a.sip2Listener != nil {
		a.sip2Listener.Close() // already closed once served
	}
	return a.Store.Close()
}

// workerName names this instance in the jobs table: host, process and a
// random suffix, so that a restarted process is a new worker.
func workerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// Serve listens on ln and runs the background jobs until ctx ends, then lets
// requests in flight finish.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	sender, err := mail.NewSender(a.Config.SMTP)
	if err != nil {
		return err
	}
	if !sender.Configured() && a.demoMailbox != nil {
		sender = mail.NewTerminalSender(a.demoMailbox)
	}
	table := a.jobTable(sender)
	handlers, err := jobHandlers(table)
	if err != nil {
		return err
	}
	// A stop asked for while starting must not fail the start half way.
	if err := a.ensureStarted(context.WithoutCancel(ctx), table); err != nil {
		return err
	}
	runner := &jobs.Runner{Store: a.Store, Worker: workerName(), Handlers: handlers, Logger: a.Logger, Now: a.Now,
		Lease: a.Config.JobLease}
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		runner.Run(jobsCtx)
	}()
	defer func() {
		stopJobs()
		<-jobsDone
	}()

	handler := a.Web.Handler()
	if len(a.mounts) > 0 {
		mux := http.NewServeMux()
		mux.Handle("/", handler)
		for prefix, h := range a.mounts {
			mux.Handle(prefix, h)
		}
		handler = mux
	}
	srv := a.httpServer(limitBodies(handler))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopSIP2 := a.startSIP2()
	defer stopSIP2()
	if a.metricsListener != nil {
		metricsCtx, stopMetrics := context.WithCancel(context.Background())
		metricsDone := make(chan struct{})
		go func() {
			defer close(metricsDone)
			// A failure here leaves the site serving: only the scrapes fail.
			if err := a.serveMetrics(metricsCtx); err != nil {
				a.Logger.Error("métriques", "err", err)
			}
		}()
		defer func() {
			stopMetrics()
			<-metricsDone
		}()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Draining: /readyz answers 503 so that the load balancer stops sending
	// requests, while this instance still serves those that arrive meanwhile;
	// net/http's Shutdown drops a request it reads after it has begun.
	a.Web.Drain()
	time.Sleep(a.Config.ShutdownDelay)
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// limitBodies caps every request body at 1 MiB, except the uploads of the
// SIGB's renewals, the import page's file and the API's rows, which may
// reach api.MaxBody (50 MB) and check that cap themselves, with their own
// message: a cap of 1 MiB here would cut them first. Those uploads also get
// more time than the server's 30 s: 50 MB from a library's ADSL line takes
// minutes.
func limitBodies(next http.Handler) http.Handler {
	small, large := http.MaxBytesHandler(next, 1<<20), http.MaxBytesHandler(next, api.MaxBody+1<<20) // room for a multipart envelope
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (r.URL.Path == "/abonnes/import" || strings.HasPrefix(r.URL.Path, api.LibrariesPath)) {
			rc := http.NewResponseController(w)
			// Unsupported only by writers that have no deadline to extend.
			_ = rc.SetReadDeadline(time.Now().Add(uploadTime))
			_ = rc.SetWriteDeadline(time.Now().Add(uploadTime + time.Minute))
			large.ServeHTTP(w, r)
			return
		}
		small.ServeHTTP(w, r)
	})
}

// uploadTime is how long a large upload may take to arrive.
const uploadTime = 10 * time.Minute

// httpServer serves h with the timeouts that keep a slow client from
// holding a connection, logging through the app's logger.
func (a *App) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
}
