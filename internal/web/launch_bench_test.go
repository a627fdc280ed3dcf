package web_test

import (
	"net/http"
	"testing"
)

// BenchmarkSignedLinkLaunch is « Accéder » with a signed-link connector that
// carries a callback token: the account and grant checks, the launch record,
// the token stored and the link built, on SQLite (or the engine
// SESAME_TEST_ENGINE names). Compare with BenchmarkHelloHandler, run in the
// same command.
func BenchmarkSignedLinkLaunch(b *testing.B) {
	w := newWorld(b)
	w.toutApprendre("cle-partagee-tout-apprendre")
	c := w.patronLogin(w.patronB)
	c.http.Transport = benchTransport()
	cpu := processCPU(b)
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.post("/acceder/livres-numeriques", nil); res.status != http.StatusSeeOther {
				b.Errorf("launch: %d", res.status)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "launches/s")
	b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/launch")
}
