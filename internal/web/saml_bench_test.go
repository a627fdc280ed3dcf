package web_test

import (
	"net/http"
	"testing"
)

// BenchmarkSAMLLogin is one SAML login of a patron already logged in, on our
// side: a signed AuthnRequest of the HTTP-Redirect binding checked and kept,
// then answered (Gate, launch recorded, assertion and Response signed). The
// vendor's requests are made before the clock starts; run it with
// BenchmarkHelloBaseline for the ratio.
func BenchmarkSAMLLogin(b *testing.B) {
	w := newWorld(b)
	sp := w.newTestSP(spOptions{name: "pressreader", signRequests: true, resource: w.res[1]})
	w.grant(w.patronB, w.res[1])
	c := w.patronLogin(w.patronB)
	requests := make(chan string, b.N)
	for range b.N {
		path, _ := sp.redirectRequest()
		requests <- path
	}
	close(requests)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res := c.get(<-requests)
			if res.status != http.StatusSeeOther {
				b.Fatalf("sso: %d", res.status)
			}
			if res = c.get(res.header.Get("Location")); res.status != http.StatusOK {
				b.Fatalf("continue: %d", res.status)
			}
		}
	})
}
