package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Router finds a request's route without serving it: *http.ServeMux.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Measure times every request through next, the whole site with its
// middleware, and counts it under its route pattern and status class.
// mux is the router inside next, which Routed wraps: it names the route
// once it has matched it, on the ResponseWriter Measure handed down (the
// middleware between them hand on copies of the request, but the same
// writer). A request that never reached the router (refused before
// routing, or a panic) is looked up in mux afterwards.
func (m *Metrics) Measure(next http.Handler, mux Router) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The wall clock, not the injected one: this is a duration, and a
		// test's clock stands still.
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// Counted even when a panic unwinds through here (an aborted
			// handler), then passed on.
			v := recover()
			if v != nil && sw.status == 0 {
				sw.status = http.StatusInternalServerError
			}
			pattern := sw.pattern
			if pattern == "" {
				_, pattern = mux.Handler(r)
			}
			if pattern == "" {
				pattern = unrouted
			}
			m.observer(pattern, sw.status).Observe(time.Since(start).Seconds())
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// Routed wraps the router so that Measure learns the pattern it matched
// (http.Request.Pattern, set by ServeMux on the request it serves).
func (m *Metrics) Routed(mux http.Handler) http.Handler {
	if m == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		for w != nil {
			if sw, ok := w.(*statusWriter); ok {
				sw.pattern = r.Pattern
				return
			}
			u, ok := w.(interface{ Unwrap() http.ResponseWriter })
			if !ok {
				return
			}
			w = u.Unwrap()
		}
	})
}

// observer is the histogram of a route and a status class. The pairs met
// are kept in a sync.Map, read without a lock: HistogramVec's own lookup
// hashes the labels under a lock that every request would contend for.
// There are as many as routes times classes, a few hundred at most.
func (m *Metrics) observer(pattern string, status int) prometheus.Observer {
	class := statusClass(status)
	key := routeClass{pattern, class}
	if o, ok := m.observers.Load(key); ok {
		return o.(prometheus.Observer)
	}
	o := m.requests.WithLabelValues(pattern, class)
	m.observers.Store(key, o)
	return o
}

type routeClass struct{ pattern, class string }

// statusWriter keeps the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status  int
	pattern string // the route that served the request, told by Routed
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushes, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusClass is a status's class, "2xx" to "5xx": a label with five
// values rather than sixty.
func statusClass(code int) string {
	switch {
	case code == 0:
		// Nothing written: net/http answers 200 with an empty body.
		return "2xx"
	case code < 200:
		return "1xx"
	case code < 300:
		return "2xx"
	case code < 400:
		return "3xx"
	case code < 500:
		return "4xx"
	default:
		return "5xx"
	}
}
