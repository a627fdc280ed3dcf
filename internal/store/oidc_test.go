package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// oidcFixture is a store with a patron and an OpenID Connect connector, and
// a clock the test moves.
type oidcFixture struct {
	st        *store.Store
	mu        sync.Mutex
	now       time.Time
	patron    int64
	connector int64
}

func (f *oidcFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *oidcFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func newOIDCFixture(t testing.TB) *oidcFixture {
	t.Helper()
	ctx := context.Background()
	f := &oidcFixture{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	f.st = storetest.Open(t, f.clock)
	actor := sesame.Actor{Label: "test"}
	lib, err := f.st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque", Town: "Quimper", ContactEmail: "b@example.org"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.st.CreateResource(ctx, sesame.Resource{Slug: "presse", Name: "Presse", Description: "d", URL: "https://example.org/"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	f.patron, err = f.st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "KERJEAN", FirstName: "Yann",
		Email: "yann@example.org", BirthDate: sesame.MustDate(1980, 5, 17), PostalCode: "29000", Town: "Quimper",
		RegisteredOn: sesame.MustDate(2026, 1, 1), Status: sesame.StatusToValidate}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	f.connector, err = f.st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorOIDC,
		OIDC: sesame.OIDCSettings{ClientID: "vendor-a", RedirectURIs: []string{"https://vendor.example/cb"}}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// grantedRequest saves a request let through with code, and returns its id.
func (f *oidcFixture) grantedRequest(t testing.TB, id, codeHash string) {
	t.Helper()
	ctx := context.Background()
	err := f.st.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ID: id, ConnectorID: f.connector, ClientID: "vendor-a",
		RedirectURI: "https://vendor.example/cb", Scopes: []string{"openid", "profile"}, State: "s", Nonce: "n",
		CodeChallenge: "c", CodeChallengeMethod: "S256", ExpiresAt: f.clock().Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	err = f.st.GrantOIDCAuthRequest(ctx, id, store.OIDCGrant{PatronID: f.patron, Subject: "sub", Claims: "{}",
		CodeHash: codeHash, CodeExpiresAt: f.clock().Add(time.Minute), Launch: f.launch()})
	if err != nil {
		t.Fatal(err)
	}
}

// launch is the launch a grant records: the fixture's patron at its clock.
func (f *oidcFixture) launch() store.Launch {
	p, _ := f.st.Patron(context.Background(), store.NetworkScope(), f.patron)
	return store.Launch{At: f.clock(), PatronID: f.patron, LibraryID: p.LibraryID, ResourceID: 1, ConnectorID: f.connector}
}

func (f *oidcFixture) token(t testing.TB, idHash, requestID string, expires time.Time) {
	t.Helper()
	err := f.st.CreateOIDCToken(context.Background(), store.OIDCToken{IDHash: idHash, AuthRequestID: requestID, PatronID: f.patron,
		ConnectorID: f.connector, ClientID: "vendor-a", Subject: "sub", Scopes: []string{"openid"}, Claims: "{}", ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOIDCRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newOIDCFixture(t)
	f.grantedRequest(t, "req-1", "code-1")
	if err := f.st.GrantOIDCAuthRequest(ctx, "req-1", store.OIDCGrant{PatronID: f.patron, CodeHash: "code-1b",
		CodeExpiresAt: f.clock().Add(time.Minute), Launch: f.launch()}); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("granted twice: got %v, want ENotFound", err)
	}
	if l, err := f.st.PatronLaunches(ctx, f.patron); err != nil || len(l) != 1 {
		t.Errorf("launches after one grant and one refused: %d (%v), want 1", len(l), err)
	}
	r, err := f.st.UseOIDCCode(ctx, "code-1", f.clock().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r.PatronID != f.patron || r.Subject != "sub" || r.CodeChallenge != "c" || len(r.Scopes) != 2 || !r.CodeUsed {
		t.Errorf("request of the code: got %+v", r)
	}
	f.token(t, "tok-1", "req-1", f.clock().Add(10*time.Minute))
	if _, err := f.st.OIDCAuthRequest(ctx, "req-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("a request whose code is used: got %v, want ENotFound", err)
	}
	if _, err := f.st.UseOIDCCode(ctx, "code-1", f.clock().Add(10*time.Minute)); !errors.Is(err, store.ErrOIDCCodeReplayed) {
		t.Errorf("code used again: got %v, want ErrOIDCCodeReplayed", err)
	}
	if _, err := f.st.OIDCToken(ctx, "tok-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("token of a replayed code: got %v, want revoked", err)
	}
	err = f.st.CreateOIDCToken(ctx, store.OIDCToken{IDHash: "tok-late", AuthRequestID: "req-1", PatronID: f.patron,
		ConnectorID: f.connector, ClientID: "vendor-a", Subject: "sub", Claims: "{}", ExpiresAt: f.clock().Add(time.Hour)})
	if !errors.Is(err, store.ErrOIDCCodeReplayed) {
		t.Errorf("token for a replayed code, made after the replay: got %v, want ErrOIDCCodeReplayed", err)
	}
	if _, err := f.st.UseOIDCCode(ctx, "inconnu", f.clock()); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("unknown code: got %v, want ENotFound", err)
	}

	f.grantedRequest(t, "req-2", "code-2")
	f.advance(61 * time.Second)
	if _, err := f.st.UseOIDCCode(ctx, "code-2", f.clock().Add(10*time.Minute)); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("code older than a minute: got %v, want ENotFound", err)
	}
}

// Two instances exchange the same code at the same moment: one gets it.
func TestOIDCCodeUsedOnceUnderRace(t *testing.T) {
	ctx := context.Background()
	f := newOIDCFixture(t)
	f.grantedRequest(t, "req-1", "code-1")
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			_, results[i] = f.st.UseOIDCCode(ctx, "code-1", f.clock().Add(10*time.Minute))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrOIDCCodeReplayed):
			t.Errorf("got %v, want success or ErrOIDCCodeReplayed", err)
		}
	}
	if won != 1 {
		t.Errorf("%d exchanges got the code, want 1", won)
	}
}

func TestOIDCPatronEndAndPurge(t *testing.T) {
	ctx := context.Background()
	f := newOIDCFixture(t)
	f.grantedRequest(t, "req-1", "code-1")
	f.token(t, "tok-1", "req-1", f.clock().Add(10*time.Minute))
	if err := f.st.EndPatronOIDC(ctx, f.patron); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.OIDCToken(ctx, "tok-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("token after the patron's logout: got %v, want revoked", err)
	}
	if _, err := f.st.UseOIDCCode(ctx, "code-1", f.clock()); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("code after the patron's logout: got %v, want ENotFound", err)
	}

	f.grantedRequest(t, "req-2", "code-2")
	f.token(t, "tok-2", "req-2", f.clock().Add(10*time.Minute))
	f.token(t, "tok-3", "req-2", f.clock().Add(time.Hour))
	for _, k := range []store.OIDCKey{
		{ID: "old", Slot: "RS256:1", Algorithm: "RS256", PublicJWK: "{}", Private: "clé privée ancienne", ExpiresAt: f.clock().Add(20 * time.Minute)},
		{ID: "new", Slot: "RS256:2", Algorithm: "RS256", PublicJWK: "{}", Private: "clé privée nouvelle", ExpiresAt: f.clock().Add(40 * 24 * time.Hour)},
		{ID: "pairwise-x", Slot: "pairwise", Algorithm: "secret", Private: "secret des sujets"},
		{ID: "pairwise-y", Slot: "pairwise", Algorithm: "secret", Private: "un autre, créé en même temps"},
	} {
		if err := f.st.AddOIDCKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(30 * time.Minute)
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		return tx.PurgeExpired(ctx, f.clock().Add(-12*time.Hour), f.clock().Add(-24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.OIDCToken(ctx, "tok-2"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("expired token: got %v, want purged", err)
	}
	if _, err := f.st.OIDCToken(ctx, "tok-3"); err != nil {
		t.Errorf("live token: got %v, want kept", err)
	}
	keys, err := f.st.OIDCKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range keys {
		got[k.ID] = k.Private
	}
	if len(got) != 2 || got["new"] != "clé privée nouvelle" || got["pairwise-x"] != "secret des sujets" {
		t.Errorf("keys after the purge: got %v, want the new signing key and the first pairwise secret, opened", got)
	}
}

// A request granted at /oauth/authorize is one write: the request, its
// code and its launch. Its code is then exchanged in one write too: spent,
// and its token saved; a refused check spends the code without a token; a
// replay revokes the token; racing exchanges give one token.
func TestOIDCGrantedAtOnceAndExchanged(t *testing.T) {
	ctx := context.Background()
	f := newOIDCFixture(t)
	granted := func(id, codeHash string) {
		t.Helper()
		err := f.st.CreateGrantedOIDCAuthRequest(ctx, store.OIDCAuthRequest{ID: id, ConnectorID: f.connector, ClientID: "vendor-a",
			RedirectURI: "https://vendor.example/cb", Scopes: []string{"openid", "profile"}, State: "s", Nonce: "n",
			CodeChallenge: "c", CodeChallengeMethod: "S256"},
			store.OIDCGrant{PatronID: f.patron, Subject: "sub", Claims: `{"library":"QUIMPER"}`, CodeHash: codeHash,
				CodeExpiresAt: f.clock().Add(time.Minute), AuthTime: f.clock().Add(-time.Hour), Launch: f.launch()})
		if err != nil {
			t.Fatal(err)
		}
	}
	exchange := func(codeHash, tokenHash string, check func(*store.OIDCAuthRequest) error) (*store.OIDCAuthRequest, error) {
		return f.st.ExchangeOIDCCode(ctx, store.OIDCExchange{CodeHash: codeHash, TokenIDHash: tokenHash,
			KeepUntil: f.clock().Add(10 * time.Minute), Check: check})
	}
	granted("req-1", "code-1")
	if l, err := f.st.PatronLaunches(ctx, f.patron); err != nil || len(l) != 1 {
		t.Errorf("launches after one grant: %d (%v), want 1", len(l), err)
	}
	if r, err := f.st.OIDCAuthRequest(ctx, "req-1"); err != nil || r.PatronID != f.patron {
		t.Errorf("a request granted at once: got %+v (%v), want its patron (the login step grants no more)", r, err)
	}
	r, err := exchange("code-1", "tok-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.PatronID != f.patron || r.Subject != "sub" || r.CodeChallenge != "c" || len(r.Scopes) != 2 || !r.CodeUsed ||
		!r.AuthTime.Equal(f.clock().Add(-time.Hour)) {
		t.Errorf("request of the code: got %+v", r)
	}
	tok, err := f.st.OIDCToken(ctx, "tok-1")
	if err != nil || tok.Subject != "sub" || tok.Claims != `{"library":"QUIMPER"}` || tok.AuthRequestID != "req-1" {
		t.Errorf("token saved with the exchange: got %+v (%v)", tok, err)
	}
	if _, err := exchange("code-1", "tok-2", nil); !errors.Is(err, store.ErrOIDCCodeReplayed) {
		t.Errorf("code used again: got %v, want ErrOIDCCodeReplayed", err)
	}
	for _, h := range []string{"tok-1", "tok-2"} {
		if _, err := f.st.OIDCToken(ctx, h); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("token %s after a replay: got %v, want none", h, err)
		}
	}

	granted("req-2", "code-2")
	wrong := errors.New("wrong verifier")
	if _, err := exchange("code-2", "tok-3", func(*store.OIDCAuthRequest) error { return wrong }); !errors.Is(err, wrong) {
		t.Errorf("check refused: got %v, want its error", err)
	}
	if _, err := f.st.OIDCToken(ctx, "tok-3"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("token of a refused exchange: got %v, want none", err)
	}
	if _, err := exchange("code-2", "tok-4", nil); !errors.Is(err, store.ErrOIDCCodeReplayed) {
		t.Errorf("code of a refused exchange, used again: got %v, want ErrOIDCCodeReplayed", err)
	}
	if _, err := exchange("inconnu", "tok-5", nil); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("unknown code: got %v, want ENotFound", err)
	}

	granted("req-3", "code-3")
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Go(func() { _, results[i] = exchange("code-3", fmt.Sprintf("race-%d", i), nil) })
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrOIDCCodeReplayed):
			t.Errorf("got %v, want success or ErrOIDCCodeReplayed", err)
		}
	}
	if won != 1 {
		t.Errorf("%d exchanges got the code, want 1", won)
	}
	for i := range results {
		if _, err := f.st.OIDCToken(ctx, fmt.Sprintf("race-%d", i)); err == nil {
			t.Errorf("token race-%d kept after the code was replayed", i)
		}
	}

	granted("req-4", "code-4")
	f.advance(61 * time.Second)
	if _, err := exchange("code-4", "tok-6", nil); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("code older than a minute: got %v, want ENotFound", err)
	}
}
