package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/bdf29/sesame"
)

// BenchmarkListPage serves the list's first page and a search to a
// logged-in librarian in process, through the whole handler (session,
// counters, the store's page, the template) but without a network, so that
// a profile of it shows what a page costs Sésame itself. Compare with
// BenchmarkHelloHandler, run in the same command.
func BenchmarkListPage(b *testing.B) {
	w := newWorld(b)
	w.seedPatrons(b, "LEBIHAN", 3000, sesame.StatusValidated)
	c := w.login("fouesnant")
	u, err := url.Parse(w.server.URL)
	if err != nil {
		b.Fatal(err)
	}
	cookies := c.http.Jar.Cookies(u)
	h := w.server.Config.Handler
	for _, path := range []string{"/abonnes", "/abonnes?q=bihan"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
				b.SetBytes(int64(rec.Body.Len()))
			}
		})
	}
}
