package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
)

const oidcUsage = `usage: sesame-bench oidc [flags]

Drives whole OpenID Connect flows over HTTP against a Sésame already
running (sesame demo or sesame serve), as a vendor and its patrons'
browsers would: authorize, the code, the token with PKCE and the client
secret, the ID token verified with coreos/go-oidc (signature against the
JWKS, nonce, at_hash), then userinfo. Register the vendor first:

  sesame connector add --db DB --kind oidc --resource livres-numeriques \
    --client-id bench --client-secret SECRET --redirect-uri https://bench.invalid/cb

Flags:`

// runOIDC is "sesame-bench oidc".
func runOIDC(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sesame-bench oidc", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), oidcUsage); fs.PrintDefaults() }
	base := fs.String("url", "http://127.0.0.1:8080", "Sésame's address: its SESAME_BASE_URL, the issuer")
	clientID := fs.String("client-id", "bench", "the connector's client_id")
	secret := fs.String("client-secret", "", "the connector's client secret")
	redirect := fs.String("redirect-uri", "https://bench.invalid/cb", "the connector's redirect_uri (never called)")
	email := fs.String("email", "eric.mediateur@example.org", "the patron who logs in; the gate must let them through")
	password := fs.String("password", demo.Password, "the patron's password")
	clients := fs.Int("clients", 8, "concurrent browsers, each with its vendor")
	duration := fs.Duration("duration", 10*time.Second, "time per scenario")
	logins := fs.String("login", "session,password", "scenarios: session (each browser logged in once, every flow rides its session), password (every flow types the password in a new browser)")
	pid := fs.Int("pid", 0, "Sésame's process id: its CPU per flow is reported (Linux /proc)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		return errors.New("oidc: -client-secret is required (see sesame-bench oidc -h)")
	}
	*base = strings.TrimSuffix(*base, "/")
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * *clients}, Timeout: time.Minute}
	provider, err := gooidc.NewProvider(gooidc.ClientContext(ctx, httpc), *base)
	if err != nil {
		return fmt.Errorf("oidc discovery at %s: %w", *base, err)
	}
	b := &oidcBench{base: *base, email: *email, password: *password, http: httpc, provider: provider,
		verifier: provider.Verifier(&gooidc.Config{ClientID: *clientID}),
		conf: oauth2.Config{ClientID: *clientID, ClientSecret: *secret, RedirectURL: *redirect,
			Endpoint: provider.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}}
	fmt.Fprintf(out, "machine: %s/%s, %d CPU, %s; Sésame at %s; %d clients, %s per scenario\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *base, *clients, *duration)
	fmt.Fprintf(out, "| scenario | per second | /healthz requests/s just before | p50 | p95 | errors | Sésame CPU per op | this client's CPU per op |\n|---|---|---|---|---|---|---|---|\n")
	row := func(name string, r oidcResult, baseline float64) {
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %s | %s | %d | %s | %s |\n", name, r.rate, baseline,
			pct(r.latencies, 50), pct(r.latencies, 95), r.errors, perOp(r.serverCPU, r.n), perOp(r.clientCPU, r.n))
		if r.firstErr != nil {
			fmt.Fprintf(out, "first error: %v\n", r.firstErr)
		}
	}
	for _, scenario := range strings.Split(*logins, ",") {
		var flow func(ctx context.Context, c *benchBrowser) error
		var name string
		switch strings.TrimSpace(scenario) {
		case "session":
			name, flow = "OpenID Connect flow, SSO session", b.sessionFlow
		case "password":
			name, flow = "OpenID Connect flow with a password login", b.passwordFlow
		default:
			return fmt.Errorf("oidc: -login %q: want session or password", scenario)
		}
		browsers := make([]*benchBrowser, *clients)
		for i := range browsers {
			if browsers[i], err = b.newBrowser(); err != nil {
				return err
			}
			if scenario == "session" {
				if err := b.login(ctx, browsers[i], ""); err != nil {
					return err
				}
			}
		}
		if err := flow(ctx, browsers[0]); err != nil { // keys made, JWKS fetched, before the clock starts
			return fmt.Errorf("first flow: %w", err)
		}
		healthz := measure(*clients, *duration/2, *pid, func(c int) error { return b.get(ctx, browsers[c].http, b.base+"/healthz") })
		res := measure(*clients, *duration, *pid, func(c int) error { return flow(ctx, browsers[c]) })
		row(name, res, healthz.rate)
		if scenario == "password" {
			h := argon2Bound(*duration / 2)
			fmt.Fprintf(out, "| argon2id bound (%s: %d cores ÷ a hash's median time) | %.0f hashes/s | | | | | | |\n", paramsOf(auth.DefaultParams), runtime.NumCPU(), h)
			fmt.Fprintf(out, "\npassword flows reach %.0f %% of the argon2id bound\n\n", 100*res.rate/h)
		}
	}
	return nil
}

func paramsOf(p auth.Params) string {
	return fmt.Sprintf("t=%d m=%d KiB p=%d", p.Time, p.Memory, p.Threads)
}

func perOp(d time.Duration, n int) string {
	if d <= 0 || n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(n))
}

// oidcBench is the vendor: its client, its provider discovered, its verifier.
type oidcBench struct {
	base, email, password string
	http                  *http.Client
	provider              *gooidc.Provider
	verifier              *gooidc.IDTokenVerifier
	conf                  oauth2.Config
}

// benchBrowser is a patron's browser: its cookies, no redirect followed.
type benchBrowser struct{ http *http.Client }

func (b *oidcBench) newBrowser() (*benchBrowser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &benchBrowser{http: &http.Client{Jar: jar, Transport: b.http.Transport, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// login posts the patron login form, then returns where it sends: next
// (a path on Sésame) or the patron's page.
func (b *oidcBench) login(ctx context.Context, c *benchBrowser, next string) error {
	form := url.Values{"email": {b.email}, "mot_de_passe_usager": {b.password}}
	if next != "" {
		form.Set("suite", next)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/connexion/usager", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "/connexion") {
		return fmt.Errorf("login as %s: status %d, to %q", b.email, res.StatusCode, res.Header.Get("Location"))
	}
	return nil
}

// sessionFlow is one flow of a patron whose browser has a Sésame session.
func (b *oidcBench) sessionFlow(ctx context.Context, c *benchBrowser) error {
	return b.flow(ctx, c, false)
}

// passwordFlow is one flow from a new browser: the patron types their
// password on the way.
func (b *oidcBench) passwordFlow(ctx context.Context, _ *benchBrowser) error {
	c, err := b.newBrowser()
	if err != nil {
		return err
	}
	return b.flow(ctx, c, true)
}

func (b *oidcBench) flow(ctx context.Context, c *benchBrowser, password bool) error {
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	at, err := b.redirect(ctx, c, b.conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	for range 3 { // the login form, the login step: at most these before the vendor
		if strings.HasPrefix(at, b.conf.RedirectURL) {
			break
		}
		u, err := url.Parse(at)
		if err != nil {
			return err
		}
		if u.Path == "/connexion" {
			if !password {
				return errors.New("sent to the login form: the session ended")
			}
			if err := b.login(ctx, c, u.Query().Get("suite")); err != nil {
				return err
			}
			at = u.Query().Get("suite")
			continue
		}
		if at, err = b.redirect(ctx, c, b.base+u.RequestURI()); err != nil {
			return fmt.Errorf("%s: %w", u.Path, err)
		}
	}
	back, err := url.Parse(at)
	if err != nil || !strings.HasPrefix(at, b.conf.RedirectURL) || back.Query().Get("code") == "" || back.Query().Get("state") != state {
		return fmt.Errorf("back at the vendor with %q", at)
	}
	vctx := gooidc.ClientContext(ctx, b.http)
	tok, err := b.conf.Exchange(vctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := b.verifier.Verify(vctx, raw)
	if err != nil {
		return fmt.Errorf("ID token: %w", err)
	}
	if idToken.Nonce != nonce {
		return fmt.Errorf("nonce %q, want %q", idToken.Nonce, nonce)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		return fmt.Errorf("at_hash: %w", err)
	}
	info, err := b.provider.UserInfo(vctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if info.Subject != idToken.Subject {
		return fmt.Errorf("userinfo sub %q, ID token sub %q", info.Subject, idToken.Subject)
	}
	return nil
}

// redirect GETs target and returns where it redirects.
func (b *oidcBench) redirect(ctx context.Context, c *benchBrowser, target string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("status %d", res.StatusCode)
	}
	return res.Header.Get("Location"), nil
}

func (b *oidcBench) get(ctx context.Context, c *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", target, res.StatusCode)
	}
	return nil
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type oidcResult struct {
	n                    int
	rate                 float64
	latencies            []time.Duration
	errors               int
	firstErr             error
	serverCPU, clientCPU time.Duration
}

// measure runs op on clients goroutines for d.
func measure(clients int, d time.Duration, pid int, op func(client int) error) oidcResult {
	var mu sync.Mutex
	var res oidcResult
	serverBefore, clientBefore := processCPUOf(pid), processCPUOf(os.Getpid())
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var lats []time.Duration
			var errs []error
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := op(c); err != nil {
					errs = append(errs, err)
					continue
				}
				lats = append(lats, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lats...)
			res.errors += len(errs)
			if len(errs) > 0 && res.firstErr == nil {
				res.firstErr = errs[0]
			}
		})
	}
	wg.Wait()
	res.n = len(res.latencies)
	res.rate = float64(res.n) / time.Since(start).Seconds()
	if serverBefore >= 0 {
		res.serverCPU = processCPUOf(pid) - serverBefore
	}
	res.clientCPU = processCPUOf(os.Getpid()) - clientBefore
	return res
}

// processCPUOf is the CPU a process used so far, user and system, read
// from /proc; -1 when unknown.
func processCPUOf(pid int) time.Duration {
	if pid == os.Getpid() {
		var u syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
			return -1
		}
		return time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The fields after the command's closing parenthesis: utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// argon2Bound is how many password hashes a second this machine computes
// on all its cores with Sésame's parameters: the most password logins it
// could ever serve. It is argon2id's own work, each hash finding its 19 MiB
// in place. Counted over a run, it fell with the page faults of the hashes'
// memory, given back to the kernel and faulted in again: on a virtual
// machine where a fault costs 13–40 µs, 18 hashes/s in one run against
// 60 in another, and password flows « at 115 % » of it. So the soft memory
// limit, which makes the runtime give memory back, is lifted while the
// bound runs, and the bound is the cores over a hash's median time, which
// the bursts of faults do not move.
func argon2Bound(d time.Duration) float64 {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	h := auth.Hasher{Params: auth.DefaultParams, Random: rand.Reader}
	phc, err := h.Hash(demo.Password)
	if err != nil {
		return 0
	}
	var mu sync.Mutex
	var took []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				h.Verify(demo.Password, phc)
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	return float64(runtime.NumCPU()) / took[len(took)/2].Seconds()
}
