package oidc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkSignIDToken is the cost of one ID token's signature with each
// algorithm the provider offers, for the share of a flow it takes
// (BenchmarkOIDCFlow in internal/web).
func BenchmarkSignIDToken(b *testing.B) {
	payload := []byte(`{"iss":"https://sesame.example.org","sub":"q2X0Yw8mB3vZ5r1kT9uJ4nE6sL7aC2dF0gH8iK1oP3s","aud":["vendor-a"],` +
		`"exp":1795687200,"iat":1795686600,"nonce":"n-0S6_WzA2Mj","at_hash":"77QmUPtjPfzWtF2AnpK9RQ","amr":["pwd"],"azp":"vendor-a",` +
		`"family_name":"KERJEAN","given_name":"Yann","name":"Yann KERJEAN","library":"QUIMPER","valid_until":"2027-06-01"}`)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{{jose.RS256, rsaKey}, {jose.ES256, ecKey}} {
		b.Run(string(tc.alg), func(b *testing.B) {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: tc.alg, Key: &jose.JSONWebKey{Key: tc.key, KeyID: "k"}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := signer.Sign(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
