package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame"
)

// benchTransport keeps enough idle connections for the parallel clients:
// the default two per host would make every run measure TCP handshakes.
func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// BenchmarkOIDCFlow measures whole OpenID Connect flows for a patron who
// already has a Sésame session, on SQLite: authorize, the login step, the
// code exchanged for tokens (client secret, PKCE), the ID token verified
// against the JWKS with its nonce and at_hash, userinfo. The vendor's side
// (go-oidc, x/oauth2) runs on the same two cores. Compare with
// BenchmarkHelloHandler, run in the same command.
func BenchmarkOIDCFlow(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			w := newWorld(b)
			v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-" + alg, IDTokenSignedResponseAlg: alg}, "secret-du-fournisseur-1234")
			transport := benchTransport()
			v.ctx = gooidc.ClientContext(context.Background(), &http.Client{Transport: benchVendorTransport{transport, mustParseURL(b, w.server.URL)}})
			browser := w.patronLogin(w.patronB)
			browser.http.Transport = transport
			if err := v.benchFlow(browser.http, w.server.URL); err != nil { // keys made before the clock starts
				b.Fatal(err)
			}
			cpu := processCPU(b)
			b.ResetTimer()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := v.benchFlow(browser.http, w.server.URL); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
			b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/flow")
		})
	}
}

// BenchmarkHelloHandler is the floor: one GET of a handler that writes a
// word, through the same kind of client and server. A flow makes four
// requests, one of them a POST.
func BenchmarkHelloHandler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Bonjour") }))
	b.Cleanup(srv.Close)
	c := &http.Client{Transport: benchTransport()}
	cpu := processCPU(b)
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Get(srv.URL)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/request")
}

// cpuTime is the CPU the test process used so far, client and server
// together: unlike the wall clock, it does not depend on what else the
// machine runs at the same moment.
func processCPU(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func mustParseURL(b *testing.B, s string) *url.URL {
	b.Helper()
	u, err := url.Parse(s)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// benchVendorTransport is toTestServer over the benchmark's transport.
type benchVendorTransport struct {
	rt     http.RoundTripper
	server *url.URL
}

func (t benchVendorTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.server.Scheme, t.server.Host
	return t.rt.RoundTrip(r)
}

// benchFlow is one flow, as login does it, with errors instead of failing
// the test: it runs on the benchmark's goroutines.
func (v *oidcRP) benchFlow(browser *http.Client, base string) error {
	a := newOIDCAttempt()
	path := strings.TrimPrefix(v.conf.AuthCodeURL(a.state, gooidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)), testBaseURL)
	back, err := redirectOf(browser, base+path)
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	if strings.HasPrefix(back, "/") { // the login step, where a patron with a session is not sent
		if back, err = redirectOf(browser, base+back); err != nil {
			return fmt.Errorf("login step: %w", err)
		}
	}
	u, err := url.Parse(back)
	if err != nil || u.Query().Get("code") == "" || u.Query().Get("state") != a.state {
		return fmt.Errorf("back at the vendor with %q", back)
	}
	tok, err := v.conf.Exchange(v.ctx, u.Query().Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := v.verifier.Verify(v.ctx, raw)
	if err != nil {
		return fmt.Errorf("ID token: %w", err)
	}
	if idToken.Nonce != a.nonce {
		return fmt.Errorf("nonce %q, want %q", idToken.Nonce, a.nonce)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		return fmt.Errorf("at_hash: %w", err)
	}
	info, err := v.provider.UserInfo(v.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if info.Subject != idToken.Subject {
		return fmt.Errorf("userinfo sub %q, ID token sub %q", info.Subject, idToken.Subject)
	}
	return nil
}

// redirectOf GETs target and returns where it redirects.
func redirectOf(c *http.Client, target string) (string, error) {
	res, err := c.Get(target)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		return "", fmt.Errorf("%s: status %d", target, res.StatusCode)
	}
	return res.Header.Get("Location"), nil
}
