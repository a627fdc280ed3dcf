package sip2_test

import (
	"crypto/rand"
	"runtime"
	"testing"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/sip2"
	"github.com/bdf29/sesame/internal/sip2/sip2client"
	"github.com/bdf29/sesame/internal/storetest"
)

// BenchmarkPatronInformation: vendor connections, each logged in, send 63
// for a valid patron with the right password over loopback to a real
// server on SQLite; each answer is BL Y CQ Y and records a launch. With
// production's argon2id costs and no cache, the password check bounds it;
// with the verified cache, or cheap costs, what remains is the server and
// the store (docs/benchmarks.md).
func BenchmarkPatronInformation(b *testing.B) {
	noCache := func(cfg *sip2.Config) { cfg.Random = nil }
	for _, bc := range []struct {
		name   string
		params auth.Params
		tweak  func(*sip2.Config)
	}{
		// Every answer verified by argon2id: the bound.
		{"argon2id-production/no-cache", auth.DefaultParams, noCache},
		// The same patron's password recognised by the verified cache
		// (verified.go) after its first check.
		{"argon2id-production/verified-cache", auth.DefaultParams, nil},
		{"argon2id-cheap/no-cache", cheap, noCache},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvWith(b, storetest.Open, nil, bc.params, bc.tweak)
			// The vendor's connections log in before the clock starts, as
			// a vendor keeps its connections open.
			b.SetParallelism(4)
			clients := make(chan *sip2client.Client, 4*runtime.GOMAXPROCS(0))
			for range cap(clients) {
				clients <- e.loggedIn(b, false)
			}
			// One answer first: with the cache, the steady state is a
			// patron verified a moment ago.
			warm := <-clients
			if r, err := warm.PatronInformation("bdf29", "CARTE-ALICE", alicePassword); err != nil || r.Fields["BL"] != "Y" {
				b.Fatalf("got %v, %v", r, err)
			}
			clients <- warm
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := <-clients
				for pb.Next() {
					r, err := c.PatronInformation("bdf29", "CARTE-ALICE", alicePassword)
					if err != nil || r.Fields["BL"] != "Y" {
						b.Errorf("got %v, %v", r, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
		})
	}
}

// BenchmarkArgon2idVerify is the bound: one password check with
// production's costs, per CPU.
func BenchmarkArgon2idVerify(b *testing.B) {
	h := auth.Hasher{Params: auth.DefaultParams, Random: rand.Reader}
	hash, err := h.Hash(alicePassword)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := h.Verify(alicePassword, hash); !ok {
				b.Error("no match")
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
