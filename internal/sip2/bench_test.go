package sip2_test

import (
	"crypto/rand"
	"testing"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/storetest"
)

// BenchmarkPatronInformation: vendor connections, each logged in, send 63
// for a valid patron with the right password over loopback to a real
// server on SQLite; each answer is BL Y CQ Y and records a launch. With
// production's argon2id costs, the password check bounds it; with cheap
// costs, what remains is the server and the store (docs/benchmarks.md).
func BenchmarkPatronInformation(b *testing.B) {
	for _, bc := range []struct {
		name   string
		params auth.Params
	}{
		{"argon2id-production", auth.DefaultParams},
		{"argon2id-cheap", cheap},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvWith(b, storetest.Open, nil, bc.params, nil)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := e.loggedIn(b, false)
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
