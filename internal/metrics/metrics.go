// Package metrics gives operators, in Prometheus's format, the figures the
// benchmarks measure (docs/benchmarks.md): request latency per route, the
// background jobs waiting and failing, the mail outbox's backlog, logins and
// their throttling, and launches of resources per protocol. It owns its
// registry, made by New and handed to whoever counts: there is no global
// one. A nil *Metrics counts nothing, so that code built without it (a test
// of one handler, a command) needs no special case.
//
// Labels stay few whatever the traffic: a route is its ServeMux pattern
// (« GET /abonnes/{id} », never « /abonnes/123 »), a status its class, and
// no label ever names a patron, a library or a staff member.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/store"
)

// Audience is whose login form an attempt came through.
type Audience string

// The two login forms of Connexion.
const (
	Staff  Audience = "staff"
	Patron Audience = "patron"
)

// Outcome is what became of a login's password check.
type Outcome string

const (
	// LoginSuccess is a right password (a second factor may still follow).
	LoginSuccess Outcome = "success"
	// LoginFailure is a wrong identifier or password.
	LoginFailure Outcome = "failure"
	// LoginThrottled is an attempt refused unchecked: its account, address
	// or device waits out a delay after too many failures.
	LoginThrottled Outcome = "throttled"
)

// Protocols through which a patron is let into a resource: the connector
// kinds (sesame.ConnectorKind), the resource's own page when it has no
// connector, and a library system's SIP2 check. Launch counts any other
// name as ProtocolOther, so that the label stays bounded.
const (
	ProtocolOIDC       = "oidc"
	ProtocolCAS        = "cas"
	ProtocolSAML       = "saml"
	ProtocolSignedLink = "signed-link"
	ProtocolPage       = "page"
	ProtocolSIP2       = "sip2"
	ProtocolOther      = "other"
)

var protocols = []string{ProtocolOIDC, ProtocolCAS, ProtocolSAML, ProtocolSignedLink, ProtocolPage, ProtocolSIP2, ProtocolOther}

// unrouted labels a request no route of the table took: refused before
// routing (a cross-site POST) or whose path the router only redirects.
const unrouted = "unrouted"

// latencyBuckets, in seconds, start at a millisecond: a list page answers in
// a few (docs/benchmarks.md), and the default buckets of client_golang,
// from 5 ms, would put nearly every request in the first one.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is one instance's registry and the figures it counts.
type Metrics struct {
	registry *prometheus.Registry
	store    *store.Store
	now      func() time.Time
	log      *slog.Logger

	requests  *prometheus.HistogramVec
	observers sync.Map // routeClass → prometheus.Observer, see observer
	logins    *prometheus.CounterVec
	launches  *prometheus.CounterVec

	// Read from the database at each scrape (refresh).
	jobsWaiting  *prometheus.GaugeVec
	jobsFailing  *prometheus.GaugeVec
	oldestJob    prometheus.Gauge
	outbox       prometheus.Gauge
	outboxOldest prometheus.Gauge
	databaseUp   prometheus.Gauge
	scrapes      sync.Mutex // one refresh and gather at a time
	exposition   http.Handler
}

// New makes the registry of an instance. st is read at every scrape for the
// jobs and the outbox; now is the clock their ages are measured with.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Metrics {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{registry: reg, store: st, now: now, log: log,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sesame_http_request_duration_seconds",
			Help:    "Time to answer a request, by route pattern of internal/web/routes.go and status class.",
			Buckets: latencyBuckets,
		}, []string{"route", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_logins_total",
			Help: "Password logins, by form (staff, patron) and outcome (success, failure, throttled).",
		}, []string{"audience", "outcome"}),
		launches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_launches_total",
			Help: "Patrons let into a resource, by protocol.",
		}, []string{"protocol"}),
		jobsWaiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sesame_jobs_waiting",
			Help: "Background jobs due and not done, by kind (shared by every instance of the database).",
		}, []string{"kind"}),
		jobsFailing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sesame_jobs_failing",
			Help: "Background jobs not done whose last attempt failed, by kind.",
		}, []string{"kind"}),
		oldestJob: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sesame_jobs_oldest_waiting_seconds",
			Help: "How long the longest-waiting due job has been due; 0 when none waits.",
		}),
		outbox: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sesame_mail_outbox_backlog",
			Help: "Messages of the mail outbox not sent yet (counted up to 100000).",
		}),
		outboxOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sesame_mail_outbox_oldest_seconds",
			Help: "Age of the oldest message waiting in the outbox; 0 when none waits.",
		}),
		databaseUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sesame_database_up",
			Help: "1 when the last scrape could read the jobs and the outbox from the database, else 0.",
		}),
	}
	reg.MustRegister(m.requests, m.logins, m.launches, m.jobsWaiting, m.jobsFailing, m.oldestJob, m.outbox, m.outboxOldest, m.databaseUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series that counts events exists from the start, at 0: a rate
	// over a series that appears only at its first event misses that event.
	for _, a := range []Audience{Staff, Patron} {
		for _, o := range []Outcome{LoginSuccess, LoginFailure, LoginThrottled} {
			m.logins.WithLabelValues(string(a), string(o))
		}
	}
	for _, p := range protocols {
		m.launches.WithLabelValues(p)
	}
	m.exposition = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
	return m
}

// Registry is the instance's registry, for tests and for more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Login counts a login's password check on audience's form.
func (m *Metrics) Login(audience Audience, outcome Outcome) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(string(audience), string(outcome)).Inc()
}

// Launch counts a patron let into a resource through protocol, one of the
// Protocol constants (a connector's kind names its protocol).
func (m *Metrics) Launch(protocol string) {
	if m == nil {
		return
	}
	for _, p := range protocols {
		if p == protocol {
			m.launches.WithLabelValues(p).Inc()
			return
		}
	}
	m.launches.WithLabelValues(ProtocolOther).Inc()
}

// refresh reads the jobs and the outbox from the database, for the scrape
// under way.
func (m *Metrics) refresh(ctx context.Context) {
	err := m.readStore(ctx)
	if err != nil {
		m.log.Error("métriques : lecture de la base", "err", err)
		m.databaseUp.Set(0)
		return
	}
	m.databaseUp.Set(1)
}

func (m *Metrics) readStore(ctx context.Context) error {
	backlogs, err := m.store.JobBacklogs(ctx)
	if err != nil {
		return err
	}
	oldest, err := m.store.OldestWaitingJob(ctx)
	if err != nil {
		return err
	}
	mails, oldestMail, err := m.store.PendingJobs(ctx, jobs.KindMail)
	if err != nil {
		return err
	}
	now := m.now()
	// A kind whose jobs are all done disappears from the backlog: it shows 0
	// rather than its last figure.
	m.jobsWaiting.Reset()
	m.jobsFailing.Reset()
	for _, b := range backlogs {
		m.jobsWaiting.WithLabelValues(b.Kind).Set(float64(b.Waiting))
		m.jobsFailing.WithLabelValues(b.Kind).Set(float64(b.Failing))
	}
	m.oldestJob.Set(age(now, oldest))
	m.outbox.Set(float64(mails))
	m.outboxOldest.Set(age(now, oldestMail))
	return nil
}

// age is how long ago since was, in seconds; 0 for the zero time.
func age(now, since time.Time) float64 {
	if since.IsZero() || since.After(now) {
		return 0
	}
	return now.Sub(since).Seconds()
}

// Handler serves the exposition, the database's figures read for each
// scrape. When token is not empty, a scrape must present it as a Bearer
// token (Authorization: Bearer …), compared in constant time; any other
// request gets 401.
func (m *Metrics) Handler(token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			// Both sides hashed: the comparison takes the same time
			// whatever the length of what was sent.
			sent := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sent[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sesame-metrics"`)
				http.Error(w, "Jeton d'accès aux métriques manquant ou incorrect.", http.StatusUnauthorized)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		m.scrapes.Lock()
		defer m.scrapes.Unlock()
		m.refresh(r.Context())
		m.exposition.ServeHTTP(w, r)
	})
}
