package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/storetest"
)

// helloSite is the smallest site: one route that says hello, with a route
// of a pattern with a wildcard beside it, as the real table has.
func helloSite() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "bonjour") })
	mux.HandleFunc("GET /abonnes/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("id")) })
	return mux
}

// BenchmarkHello measures what the metrics middleware costs a request: the
// same hello handler bare and measured (Measure and Routed, as
// web.Server.Handler wires them), in process and over loopback HTTP, in
// one run (docs/benchmarks.md).
func BenchmarkHello(b *testing.B) {
	m := metrics.New(storetest.Open(b, time.Now), nil, nil)
	bare := helloSite()
	measuredMux := helloSite()
	measured := m.Measure(m.Routed(measuredMux), measuredMux)
	for _, site := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"measured", measured}} {
		b.Run("in-process/"+site.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, "/hello", nil)
				for pb.Next() {
					site.h.ServeHTTP(discard{}, req)
				}
			})
		})
	}
	for _, site := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"measured", measured}} {
		b.Run("http/"+site.name, func(b *testing.B) {
			srv := httptest.NewServer(site.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := c.Get(srv.URL + "/hello")
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
		})
	}
}

// discard is a ResponseWriter that keeps nothing, so that the in-process
// figures are the handlers' own.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
