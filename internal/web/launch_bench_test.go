package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHelloBaseline is the trivial handler, measured in the same run
// as the launches so that the ratio, not the noisy absolute, is quoted.
func BenchmarkHelloBaseline(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "bonjour") }))
	defer srv.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := srv.Client().Post(srv.URL+"/", "application/x-www-form-urlencoded", nil)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
		}
	})
}

// BenchmarkSignedLinkLaunch is « Accéder » with a signed-link connector that
// carries a callback token: the account and grant checks, the launch record,
// the token stored and the link built, on SQLite (or the engine
// SESAME_TEST_ENGINE names).
func BenchmarkSignedLinkLaunch(b *testing.B) {
	w := newWorld(b)
	w.toutApprendre("cle-partagee-tout-apprendre")
	c := w.patronLogin(w.patronB)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.post("/acceder/livres-numeriques", nil); res.status != http.StatusSeeOther {
				b.Fatalf("launch: %d", res.status)
			}
		}
	})
}
