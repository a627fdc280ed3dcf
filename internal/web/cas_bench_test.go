package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/store"
)

// BenchmarkCASValidate measures ticket validations per second through the
// real router on loopback, on the test engine (SQLite unless
// SESAME_TEST_ENGINE=postgres), beside a handler that only says hello. The
// tickets are issued beforehand, outside the timer, straight into the
// store: the timed part is the vendor's validation request alone, the
// ticket's atomic DELETE … RETURNING included (and, on p3, the read of the
// patron's attributes). 16 clients at once on 2 CPUs.
//
//	go test ./internal/web/ -run XXX -bench CASValidate -benchtime 3s
func BenchmarkCASValidate(b *testing.B) {
	// 8 per CPU, 16 on this machine: vendors' servers validate at once, as
	// the back office benchmark's 16 clients browse at once.
	const clients = 8
	w := newCASWorld(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, u, want string) {
		res, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || !strings.Contains(string(body), want) {
			b.Fatalf("GET %s: %v %s", u, err, body)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}

	hello := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	b.Cleanup(hello.Close)
	b.Run("hello", func(b *testing.B) {
		b.SetParallelism(clients)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, hello.URL, "hello")
			}
		})
		report(b)
	})

	for _, endpoint := range []string{"serviceValidate", "p3/serviceValidate"} {
		b.Run(endpoint, func(b *testing.B) {
			urls := w.issueTickets(b, b.N, endpoint)
			var next atomic.Int64
			b.ResetTimer()
			b.SetParallelism(clients)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b, urls[next.Add(1)-1], "<cas:authenticationSuccess>")
				}
			})
			report(b)
		})
	}
}

// issueTickets saves n tickets of patron B for the Livres numériques
// service and returns their validation URLs at endpoint.
func (w *casWorld) issueTickets(b *testing.B, n int, endpoint string) []string {
	b.Helper()
	ctx := context.Background()
	urls := make([]string, n)
	now := w.clock.Now()
	for i := range urls {
		ticket, err := cas.NewServiceTicket(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		_, err = w.store.IssueCASTicket(ctx, store.CASTicket{Hash: cas.HashTicket(ticket), Service: casLivres, PatronID: w.patronB,
			ConnectorID: w.livres, AuthAt: now, ExpiresAt: now.Add(time.Hour),
			Attributes: store.CASAttributes{FirstName: "Yann", LastName: "KERJEAN", LibraryCode: "QUIMPER", ValidUntil: "2027-06-01"}},
			w.res[0], "pseudonyme")
		if err != nil {
			b.Fatal(err)
		}
		urls[i] = w.server.URL + "/cas/" + endpoint + "?" + url.Values{"service": {casLivres}, "ticket": {ticket}}.Encode()
	}
	return urls
}
