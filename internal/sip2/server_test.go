package sip2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/sip2"
	"github.com/bdf29/sesame/internal/sip2/sip2client"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

var sys = sesame.Actor{Label: "test"}

// Made-up credentials of the tests.
// #nosec G101 -- test passwords, no credential.
const (
	vendorLogin    = "pressreader-bdf29"
	vendorPassword = "sip2-mot-de-passe-du-fournisseur"
	alicePassword  = "alice-mot-de-passe"
	otherPassword  = "autre-mot-de-passe"
)

// cheap keeps argon2id fast in tests; production uses auth.DefaultParams.
var cheap = auth.Params{Time: 1, Memory: 64, Threads: 1}

// env is a SIP2 server on a real port over a real store, with patrons.
type env struct {
	st        *store.Store
	addr      string
	connector *sesame.Connector
	patrons   map[string]int64 // by first name
}

type opener func(testing.TB, func() time.Time) *store.Store

var engines = []struct {
	name string
	open opener
}{
	{"sqlite", storetest.OpenSQLite},
	{"postgres", storetest.OpenPostgres},
}

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newEnv starts a server on 127.0.0.1 (TLS when cfg is set) over a store
// opened by open, with a sip2 connector to pressreader and five patrons.
func newEnv(t testing.TB, open opener, tlsConfig *tls.Config) *env {
	return newEnvWith(t, open, tlsConfig, cheap, nil)
}

// newEnvWith is newEnv with argon2id's costs, and tweak, when set, changing
// the server's settings.
func newEnvWith(t testing.TB, open opener, tlsConfig *tls.Config, params auth.Params, tweak func(*sip2.Config)) *env {
	t.Helper()
	ctx := context.Background()
	loc := paris(t)
	now := time.Date(2026, 11, 26, 10, 30, 15, 0, loc)
	clock := func() time.Time { return now }
	st := open(t, clock)
	hasher := auth.Hasher{Params: params, Random: rand.Reader}
	lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "b@example.org"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	press, err := st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "Presse", URL: "https://example.org/"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateResource(ctx, sesame.Resource{Slug: "tout-apprendre", Name: "Tout apprendre", Description: "Cours", URL: "https://example.org/"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	vh, err := hasher.Hash(vendorPassword)
	if err != nil {
		t.Fatal(err)
	}
	c := sesame.Connector{ResourceID: press, Kind: sesame.ConnectorSIP2, SIP2: sesame.SIP2Settings{Login: vendorLogin, PasswordHash: vh}}
	if c.ID, err = st.CreateConnector(ctx, c, sys); err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, connector: &c, patrons: map[string]int64{}}
	for _, p := range []struct {
		first, card string
		status      sesame.Status
		until       sesame.Date
		resource    int64
	}{
		{"Alice", "CARTE-ALICE", sesame.StatusValidated, sesame.MustDate(2027, 4, 7), press},
		{"Bruno", "CARTE-BRUNO", sesame.StatusValidated, sesame.MustDate(2027, 4, 7), other},
		{"Carole", "CARTE-CAROLE", sesame.StatusToValidate, sesame.Date{}, press},
		{"David", "CARTE-DAVID", sesame.StatusValidated, sesame.MustDate(2026, 11, 1), press},
		{"Emma", "CARTE-EMMA", sesame.StatusValidated, sesame.MustDate(2027, 4, 7), press},
	} {
		pw := otherPassword
		if p.first == "Alice" {
			pw = alicePassword
		}
		h, err := hasher.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		patron := sesame.Patron{LibraryID: lib, LastName: "Martin", FirstName: p.first, Email: strings.ToLower(p.first) + "@example.org",
			BirthDate: sesame.MustDate(1980, 2, 29), PostalCode: "29000", Town: "Quimper", CardNumber: p.card,
			RegisteredOn: sesame.MustDate(2021, 12, 17), Status: p.status}
		if p.status == sesame.StatusValidated {
			patron.LibraryRegisteredOn, patron.ValidUntil = sesame.MustDate(2025, 11, 1), p.until
		}
		id, err := st.CreatePatron(ctx, store.NewPatron{Patron: patron, PasswordHash: h, ResourceIDs: []int64{p.resource}, GrantState: sesame.GrantValidated}, sys)
		if err != nil {
			t.Fatalf("create %s: %v", p.first, err)
		}
		e.patrons[p.first] = id
	}
	gate := &access.Gate{Store: st, Now: clock, Location: loc}
	cfg := sip2.Config{Store: st, Gate: gate, Now: clock, Location: loc,
		Auth: auth.Authenticator{Hasher: hasher, Throttles: store.LoginThrottles{Store: st}, Now: clock}, MaxConns: 64, Random: rand.Reader}
	if tweak != nil {
		tweak(&cfg)
	}
	srv := sip2.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, sip2.ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	e.addr = ln.Addr().String()
	return e
}

func (e *env) dial(t testing.TB) *sip2client.Client {
	t.Helper()
	c, err := sip2client.Dial(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// loggedIn is a client logged in as the vendor.
func (e *env) loggedIn(t testing.TB, detect bool) *sip2client.Client {
	t.Helper()
	c := e.dial(t)
	c.ErrorDetection = detect
	r, err := c.Login(vendorLogin, vendorPassword)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "94" || r.Fixed["ok"] != "1" {
		t.Fatalf("login answered %q, want 941", r.Raw)
	}
	return c
}

// closed reports whether the server closed c's connection.
func closed(t testing.TB, c *sip2client.Client) bool {
	t.Helper()
	_, err := c.Read()
	return errors.Is(err, io.EOF) || (err != nil && strings.Contains(err.Error(), "reset"))
}

var sipDate = regexp.MustCompile(`^\d{8} {4}\d{6}$`)

func TestSIP2(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open, nil)
			t.Run("login required first", func(t *testing.T) { testLoginFirst(t, e) })
			t.Run("vendor login", func(t *testing.T) { testVendorLogin(t, e) })
			t.Run("status", func(t *testing.T) { testStatus(t, e) })
			t.Run("patron answers", func(t *testing.T) { testPatronAnswers(t, e) })
			t.Run("throttled like the web", func(t *testing.T) { testThrottle(t, e) })
			t.Run("checksums", func(t *testing.T) { testChecksums(t, e) })
			t.Run("end session", func(t *testing.T) { testEndSession(t, e) })
			t.Run("message too long", func(t *testing.T) { testTooLong(t, e) })
			t.Run("unsupported message", func(t *testing.T) { testUnsupported(t, e) })
		})
	}
}

func testLoginFirst(t *testing.T, e *env) {
	c := e.dial(t)
	for i, send := range []func() (*sip2client.Response, error){
		c.SCStatus,
		func() (*sip2client.Response, error) {
			return c.PatronInformation("bdf29", "CARTE-ALICE", alicePassword)
		},
		func() (*sip2client.Response, error) { return c.PatronStatus("bdf29", "CARTE-ALICE", alicePassword) },
	} {
		r, err := send()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if r.Code != "94" || r.Fixed["ok"] != "0" {
			t.Fatalf("message %d before login answered %q, want the login's refusal 940", i, r.Raw)
		}
	}
	if !closed(t, c) {
		t.Error("the connection stays open after three messages without a login")
	}
}

func testVendorLogin(t *testing.T, e *env) {
	tests := []struct {
		name, user, password string
		want                 string
	}{
		{"right", vendorLogin, vendorPassword, "1"},
		{"wrong password", vendorLogin, "pas-le-bon-mot-de-passe", "0"},
		{"unknown login", "inconnu", vendorPassword, "0"},
		{"empty", "", "", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dial(t)
			r, err := c.Login(tt.user, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != "94" || r.Fixed["ok"] != tt.want {
				t.Errorf("got %q, want 94%s", r.Raw, tt.want)
			}
		})
	}
	t.Run("closed after repeated failures", func(t *testing.T) {
		c := e.dial(t)
		for range sip2.MaxFailures {
			if r, err := c.Login(vendorLogin, "faux-mot-de-passe"); err != nil || r.Fixed["ok"] != "0" {
				t.Fatalf("got %v, %v", r, err)
			}
		}
		if !closed(t, c) {
			t.Error("the connection stays open after repeated refused logins")
		}
	})
}

func testStatus(t *testing.T, e *env) {
	c := e.loggedIn(t, false)
	r, err := c.SCStatus()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "98" || r.Fixed["online"] != "Y" || r.Fixed["version"] != "2.00" || !sipDate.MatchString(r.Fixed["date"]) {
		t.Fatalf("got %q", r.Raw)
	}
	if r.Fixed["date"] != "20261126    103015" {
		t.Errorf("date %q, want Paris local time 20261126    103015", r.Fixed["date"])
	}
	if r.Fields["AO"] != "pressreader" || r.Fields["AM"] != "Sésame" {
		t.Errorf("AO %q, AM %q: want the connector's resource and Sésame", r.Fields["AO"], r.Fields["AM"])
	}
	if bx := r.Fields["BX"]; len(bx) != 16 || bx[0] != 'Y' || bx[6] != 'Y' || bx[7] != 'Y' || bx[8] != 'Y' || bx[1] != 'N' {
		t.Errorf("supported messages %q", bx)
	}
}

func testPatronAnswers(t *testing.T, e *env) {
	ctx := context.Background()
	tests := []struct {
		name, msg, id, password string
		wantOK                  bool
		wantAF                  string // part of the screen message
	}{
		{"valid by card, information", "63", "CARTE-ALICE", alicePassword, true, ""},
		{"valid by card in lower case, status", "23", "carte-alice", alicePassword, true, ""},
		{"valid by e-mail, information", "63", " Alice@Example.org", alicePassword, true, ""},
		{"wrong password", "63", "CARTE-ALICE", "pas-le-sien", false, "mot de passe incorrect"},
		{"resource not granted", "63", "CARTE-BRUNO", otherPassword, false, "n'est pas encore activée"},
		{"awaiting the library", "23", "carole@example.org", otherPassword, false, "pas encore validé"},
		{"past end date", "63", "CARTE-DAVID", otherPassword, false, "a expiré"},
		{"unknown", "63", "CARTE-INCONNUE", otherPassword, false, "mot de passe incorrect"},
		{"no password", "63", "CARTE-ALICE", "", false, "Indiquez le mot de passe"},
		{"no patron", "23", "", alicePassword, false, "Indiquez le numéro de carte"},
	}
	c := e.loggedIn(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := e.st.PatronLaunches(ctx, e.patrons["Alice"])
			if err != nil {
				t.Fatal(err)
			}
			var r *sip2client.Response
			if tt.msg == "63" {
				r, err = c.PatronInformation("bdf29", tt.id, tt.password)
			} else {
				r, err = c.PatronStatus("bdf29", tt.id, tt.password)
			}
			if err != nil {
				t.Fatal(err)
			}
			wantCode := map[string]string{"63": "64", "23": "24"}[tt.msg]
			if r.Code != wantCode || r.Fixed["language"] != "002" || !sipDate.MatchString(r.Fixed["date"]) || len(r.Fixed["patron status"]) != 14 {
				t.Fatalf("fixed fields wrong in %q", r.Raw)
			}
			if tt.msg == "63" && r.Fixed["charged items"] != "0000" {
				t.Errorf("charged items %q", r.Fixed["charged items"])
			}
			if r.Fields["AA"] != tt.id || r.Fields["AO"] != "bdf29" {
				t.Errorf("AA %q, AO %q: want them echoed", r.Fields["AA"], r.Fields["AO"])
			}
			if _, ok := r.Fields["AE"]; !ok {
				t.Errorf("no AE (required) in %q", r.Raw)
			}
			after, err := e.st.PatronLaunches(ctx, e.patrons["Alice"])
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantOK {
				if r.Fields["BL"] != "Y" || r.Fields["CQ"] != "Y" || r.Fields["AE"] != "Alice Martin" || r.Fields["PA"] != "20270407" {
					t.Errorf("got %q, want BL Y, CQ Y, AE Alice Martin, PA 20270407", r.Raw)
				}
				if r.Fixed["patron status"] != strings.Repeat(" ", 14) {
					t.Errorf("patron status %q, want no privilege denied", r.Fixed["patron status"])
				}
				if len(after) != len(before)+1 || after[0].ConnectorID != e.connector.ID || after[0].ResourceID != e.connector.ResourceID {
					t.Errorf("launches %d → %d (%+v), want one more through the connector", len(before), len(after), after)
				}
				if strings.Contains(r.Raw, "@example.org") || strings.Contains(r.Raw, "1980") {
					t.Errorf("the answer gives the e-mail or the birth date: %q", r.Raw)
				}
				return
			}
			if r.Fields["BL"] != "N" || r.Fields["CQ"] != "N" || r.Fields["AE"] != "" || r.Fields["PA"] != "" {
				t.Errorf("got %q, want BL N, CQ N, no name, no end date", r.Raw)
			}
			if !strings.Contains(r.Fields["AF"], tt.wantAF) {
				t.Errorf("AF %q, want it to say %q", r.Fields["AF"], tt.wantAF)
			}
			if len(after) != len(before) {
				t.Errorf("a refusal counted a launch")
			}
		})
	}
	// David's account, used past its end date, is now Expiré, as at login.
	p, err := e.st.Patron(ctx, store.NetworkScope(), e.patrons["David"])
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != sesame.StatusExpired {
		t.Errorf("David is %s, want Expiré", p.Status)
	}
	failures, err := e.st.ConnectorFailures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(failures[e.connector.ID]) < 3 {
		t.Errorf("connector failures %+v, want the refusals of Bruno, Carole and David", failures[e.connector.ID])
	}
}

func testThrottle(t *testing.T, e *env) {
	ctx := context.Background()
	c := e.loggedIn(t, false)
	for i := range auth.FreeFailures {
		r, err := c.PatronInformation("bdf29", "CARTE-EMMA", "pas-le-bon")
		if err != nil {
			t.Fatal(err)
		}
		if r.Fields["CQ"] != "N" || !strings.Contains(r.Fields["AF"], "incorrect") {
			t.Fatalf("failure %d: %q", i, r.Raw)
		}
	}
	// Blocked now, even with the right password, on the web's own key.
	r, err := c.PatronInformation("bdf29", "CARTE-EMMA", otherPassword)
	if err != nil {
		t.Fatal(err)
	}
	if r.Fields["CQ"] != "N" || !strings.Contains(r.Fields["AF"], "Trop de tentatives") {
		t.Errorf("got %q, want a throttled refusal", r.Raw)
	}
	th, err := e.st.ThrottleOf(ctx, auth.AccountKey("usager:emma@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if th.BlockedUntil.IsZero() {
		t.Error("the web login's throttle of emma@example.org is not blocked")
	}
}

func testChecksums(t *testing.T, e *env) {
	c := e.loggedIn(t, true)
	r, err := c.PatronInformation("bdf29", "CARTE-ALICE", alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	if r.Checksum == "" || !r.ChecksumOK || r.Sequence != "1" || r.Fields["BL"] != "Y" {
		t.Errorf("got %q, want BL Y with AY1 and a right AZ", r.Raw)
	}
	// The same request with its checksum altered: the server asks to resend.
	msg := "63000" + sip2client.Date(time.Now()) + "          AObdf29|AACARTE-ALICE|AD" + alicePassword + "|AY2AZ"
	bad := "0000"
	if sip2client.Checksum(msg) == bad {
		bad = "FFFF"
	}
	if err := c.SendRaw(msg + bad); err != nil {
		t.Fatal(err)
	}
	r, err = c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "96" || !r.ChecksumOK {
		t.Errorf("a bad checksum answered %q, want 96", r.Raw)
	}
	// Without error detection, answers carry neither AY nor AZ.
	plain := e.loggedIn(t, false)
	r, err = plain.SCStatus()
	if err != nil {
		t.Fatal(err)
	}
	if r.Checksum != "" || r.Sequence != "" {
		t.Errorf("got %q, want no AY/AZ", r.Raw)
	}
}

func testEndSession(t *testing.T, e *env) {
	c := e.loggedIn(t, true)
	r, err := c.EndSession("bdf29", "CARTE-ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "36" || r.Fixed["end session"] != "Y" || !sipDate.MatchString(r.Fixed["date"]) || r.Fields["AA"] != "CARTE-ALICE" || !r.ChecksumOK {
		t.Errorf("got %q", r.Raw)
	}
}

func testTooLong(t *testing.T, e *env) {
	c := e.loggedIn(t, false)
	if err := c.SendRaw("63000" + strings.Repeat("x", sip2.DefaultMaxMessage+10)); err != nil {
		t.Fatal(err)
	}
	if !closed(t, c) {
		t.Error("the connection stays open after a message too long")
	}
}

// testCertificate is a self-signed certificate for 127.0.0.1.
func testCertificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sesame-sip2-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSIP2OverTLS(t *testing.T) {
	cert, pool := testCertificate(t)
	e := newEnv(t, storetest.OpenSQLite, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	conn, err := tls.Dial("tcp", e.addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	c := sip2client.New(conn)
	defer c.Close()
	r, err := c.Login(vendorLogin, vendorPassword)
	if err != nil || r.Fixed["ok"] != "1" {
		t.Fatalf("login over TLS: %v, %v", r, err)
	}
	r, err = c.PatronInformation("bdf29", "alice@example.org", alicePassword)
	if err != nil || r.Fields["BL"] != "Y" {
		t.Fatalf("patron information over TLS: %v, %v", r, err)
	}
	// A client speaking in clear to the TLS port gets nothing.
	plain := e.dial(t)
	if _, err := plain.Login(vendorLogin, vendorPassword); err == nil {
		t.Error("a plain-text login was answered on the TLS port")
	}
}

func TestTooManyConnections(t *testing.T) {
	e := newEnv(t, storetest.OpenSQLite, nil)
	for range 64 {
		e.loggedIn(t, false)
	}
	c := e.dial(t)
	if _, err := c.Login(vendorLogin, vendorPassword); err == nil {
		t.Error("connection 65 was served with MaxConns 64")
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	e := newEnvWith(t, storetest.OpenSQLite, nil, cheap, func(c *sip2.Config) { c.IdleTimeout = 200 * time.Millisecond })
	c := e.loggedIn(t, false)
	time.Sleep(400 * time.Millisecond)
	if !closed(t, c) {
		t.Error("an idle connection stays open past the idle timeout")
	}
}

// A checkout (11), which Sésame does not do, is answered 96, and three of
// them close the connection.
func testUnsupported(t *testing.T, e *env) {
	c := e.loggedIn(t, false)
	checkout := "11YN" + sip2client.Date(time.Now()) + sip2client.Date(time.Now()) + "AObdf29|AACARTE-ALICE|ABLIVRE-1|AC|"
	for i := range sip2.MaxFailures {
		if err := c.SendRaw(checkout); err != nil {
			t.Fatal(err)
		}
		r, err := c.Read()
		if err != nil || r.Code != "96" {
			t.Fatalf("checkout %d answered %v, %v; want 96", i, r, err)
		}
	}
	if !closed(t, c) {
		t.Error("the connection stays open after repeated unsupported messages")
	}
}

// countingThrottles counts what the authenticator writes to the throttles:
// an argon2id success clears them, a hit of the verified cache does not.
type countingThrottles struct {
	auth.ThrottleStore
	clears, failures atomic.Int64
}

func (c *countingThrottles) ClearThrottle(ctx context.Context, key string) error {
	c.clears.Add(1)
	return c.ThrottleStore.ClearThrottle(ctx, key)
}

func (c *countingThrottles) RecordFailure(ctx context.Context, key string, block func(int) time.Time) error {
	c.failures.Add(1)
	return c.ThrottleStore.RecordFailure(ctx, key, block)
}

// TestSIP2VerifiedCache: a password argon2id verified is recognised for
// five minutes by the server's clock; a wrong one after it is refused and
// counted; a new password invalidates the old; a throttled account is
// refused even with the cached password.
func TestSIP2VerifiedCache(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			var (
				mu      sync.Mutex
				elapsed time.Duration
			)
			advance := func(d time.Duration) { mu.Lock(); elapsed += d; mu.Unlock() }
			counts := &countingThrottles{}
			e := newEnvWith(t, eng.open, nil, cheap, func(cfg *sip2.Config) {
				base := cfg.Now
				cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return base().Add(elapsed) }
				counts.ThrottleStore = cfg.Auth.Throttles
				cfg.Auth.Throttles = counts
			})
			c := e.loggedIn(t, false)
			newPassword := "alice-nouveau-mot-de-passe"
			steps := []struct {
				name             string
				before           func(t *testing.T)
				password         string
				want             string // BL
				argon, failed    bool   // the check went to argon2id (clears the throttles), counted a failure
				screenContaining string
			}{
				{name: "first check: argon2id", password: alicePassword, want: "Y", argon: true},
				{name: "same password: cached", password: alicePassword, want: "Y"},
				{name: "wrong password after a good one", password: otherPassword, want: "N", failed: true, screenContaining: "incorrect"},
				{name: "after a failure: argon2id again", password: alicePassword, want: "Y", argon: true},
				{name: "cached again", password: alicePassword, want: "Y"},
				{name: "four minutes later: still cached", before: func(*testing.T) { advance(4 * time.Minute) }, password: alicePassword, want: "Y"},
				{name: "past the TTL: argon2id", before: func(*testing.T) { advance(time.Minute) }, password: alicePassword, want: "Y", argon: true},
				{name: "password changed: the old one is refused", before: func(t *testing.T) {
					h, err := (auth.Hasher{Params: cheap, Random: rand.Reader}).Hash(newPassword)
					if err != nil {
						t.Fatal(err)
					}
					if err := e.st.SetPatronPassword(ctx, e.patrons["Alice"], h); err != nil {
						t.Fatal(err)
					}
				}, password: alicePassword, want: "N", failed: true},
				{name: "the new password: argon2id", password: newPassword, want: "Y", argon: true},
				{name: "the new password: cached", password: newPassword, want: "Y"},
				{name: "throttled account: refused though cached", before: func(t *testing.T) {
					until := time.Now().Add(24 * time.Hour) // whatever the test clock, far ahead
					block := func(int) time.Time { return until }
					if err := counts.ThrottleStore.RecordFailure(ctx, auth.AccountKey("usager:alice@example.org"), block); err != nil {
						t.Fatal(err)
					}
				}, password: newPassword, want: "N", screenContaining: "Trop de tentatives"},
			}
			for _, st := range steps {
				if st.before != nil {
					st.before(t)
				}
				clears, failures := counts.clears.Load(), counts.failures.Load()
				r, err := c.PatronInformation("bdf29", "CARTE-ALICE", st.password)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if got := r.Fields["BL"]; got != st.want {
					t.Errorf("%s: BL got %q, want %q (AF %q)", st.name, got, st.want, r.Fields["AF"])
				}
				if got := counts.clears.Load() > clears; got != st.argon {
					t.Errorf("%s: went to argon2id got %v, want %v", st.name, got, st.argon)
				}
				if got := counts.failures.Load() > failures; got != st.failed {
					t.Errorf("%s: failure counted got %v, want %v", st.name, got, st.failed)
				}
				if !strings.Contains(r.Fields["AF"], st.screenContaining) {
					t.Errorf("%s: AF got %q, want it to contain %q", st.name, r.Fields["AF"], st.screenContaining)
				}
			}
		})
	}
}
