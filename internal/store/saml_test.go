package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// samlClock is a clock the SAML tests move by hand.
type samlClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *samlClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *samlClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func identityMaker(key string, calls *int) func() (store.SAMLIdentity, error) {
	return func() (store.SAMLIdentity, error) {
		*calls++
		return store.SAMLIdentity{Certificate: "cert " + key, Key: "key " + key, Salt: "salt " + key}, nil
	}
}

func TestSAMLIdentityIsMadeOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, time.Now)
	var calls int
	first, err := st.SAMLIdentity(ctx, identityMaker("A", &calls))
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.SAMLIdentity(ctx, identityMaker("B", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || again.Key != "key A" || again.Salt != "salt A" || again.Certificate != first.Certificate {
		t.Errorf("second call: got %+v after %d makes, want A's identity made once", again, calls)
	}
}

// Two instances start on a new database: both make an identity, the
// first saved is the one both use.
func TestSAMLIdentityRace(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, time.Now)
	var calls int
	got, err := st.SAMLIdentity(ctx, func() (store.SAMLIdentity, error) {
		// While this instance makes its key, the other saves its own.
		if _, err := st.SAMLIdentity(ctx, identityMaker("other", &calls)); err != nil {
			return store.SAMLIdentity{}, err
		}
		return identityMaker("mine", &calls)()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != "key other" || got.Certificate != "cert other" {
		t.Errorf("got %+v, want the identity saved first", got)
	}
}

func TestSAMLIdentityIsSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	open := func(key []byte) *store.Store {
		var box *secret.Box
		if key != nil {
			var err error
			if box, err = secret.NewBox(key, rand.Reader); err != nil {
				t.Fatal(err)
			}
		}
		st, err := store.Open(ctx, path, store.Options{Secrets: box})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	var calls int
	if _, err := open(key).SAMLIdentity(ctx, identityMaker("A", &calls)); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cert, sealedKey, sealedSalt string
	if err := db.QueryRow(`SELECT certificate, private_key, pairwise_salt FROM saml_identity`).Scan(&cert, &sealedKey, &sealedSalt); err != nil {
		t.Fatal(err)
	}
	if cert != "cert A" || !strings.HasPrefix(sealedKey, "v1:") || strings.Contains(sealedKey, "key A") || !strings.HasPrefix(sealedSalt, "v1:") {
		t.Errorf("stored %q, %q, %q: want the certificate in clear, key and salt sealed", cert, sealedKey, sealedSalt)
	}
	other := make([]byte, secret.KeySize)
	rand.Read(other)
	for name, st := range map[string]*store.Store{"no key": open(nil), "another key": open(other)} {
		if id, err := st.SAMLIdentity(ctx, identityMaker("B", &calls)); err == nil {
			t.Errorf("%s: got %+v, want an error: the database alone opens nothing", name, id)
		}
	}
}

func TestSAMLRequestServesOnce(t *testing.T) {
	ctx := context.Background()
	clock := &samlClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	st := storetest.Open(t, clock.Now)
	actor := sesame.Actor{Label: "test"}
	res, err := st.CreateResource(ctx, sesame.Resource{Slug: "presse", Name: "Presse", Description: "d", URL: "https://example.org/"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorSAML,
		SAML: sesame.SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: "<EntityDescriptor/>"}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	req := store.SAMLRequest{ConnectorID: conn, RequestID: "id-42", IssuedAt: now.Add(-time.Second), RelayState: "état",
		ACSURL: "https://vendeur.example/acs", ForceAuthn: true, ReceivedAt: now, ExpiresAt: now.Add(30 * time.Minute)}
	if err := st.SaveSAMLRequest(ctx, "poignée-1", req); err != nil {
		t.Fatal(err)
	}
	got, err := st.SAMLRequestByHandle(ctx, "poignée-1")
	if err != nil {
		t.Fatal(err)
	}
	got.IssuedAt, got.ReceivedAt, got.ExpiresAt = got.IssuedAt.UTC(), got.ReceivedAt.UTC(), got.ExpiresAt.UTC()
	if got != req {
		t.Errorf("read back: got %+v, want %+v", got, req)
	}
	if err := st.SaveSAMLRequest(ctx, "poignée-2", req); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same request ID again: got %v, want EConflict", err)
	}
	if _, err := st.TakeSAMLRequest(ctx, "poignée-1"); err != nil {
		t.Fatalf("take: %v", err)
	}
	if _, err := st.TakeSAMLRequest(ctx, "poignée-1"); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("take again: got %v, want EConflict", err)
	}
	if got, _ := st.SAMLRequestByHandle(ctx, "poignée-1"); !got.Answered {
		t.Error("a taken request does not read as answered")
	}

	// Past its time, a request is not answered, and the purge removes it.
	req.RequestID = "id-43"
	if err := st.SaveSAMLRequest(ctx, "poignée-3", req); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Minute)
	if _, err := st.TakeSAMLRequest(ctx, "poignée-3"); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("take after expiry: got %v, want EConflict", err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		return tx.PurgeExpired(ctx, clock.Now().Add(-12*time.Hour), clock.Now().Add(-24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"poignée-1", "poignée-3"} {
		if _, err := st.SAMLRequestByHandle(ctx, h); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("%s after the purge: got %v, want ENotFound", h, err)
		}
	}
}

// Two instances answer the same request at once: one gets it.
func TestSAMLRequestTakenByOneInstance(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, time.Now)
	actor := sesame.Actor{Label: "test"}
	res, err := st.CreateResource(ctx, sesame.Resource{Slug: "presse", Name: "Presse", Description: "d", URL: "https://example.org/"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorSAML,
		SAML: sesame.SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: "<EntityDescriptor/>"}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.SaveSAMLRequest(ctx, "h", store.SAMLRequest{ConnectorID: conn, RequestID: "id-1", IssuedAt: now,
		ACSURL: "https://vendeur.example/acs", ReceivedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken, refused := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.TakeSAMLRequest(ctx, "h")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				taken++
			case sesame.ErrorCode(err) == sesame.EConflict:
				refused++
			default:
				t.Errorf("take: %v", err)
			}
		}()
	}
	wg.Wait()
	if taken != 1 || refused != 7 {
		t.Errorf("got %d taken, %d refused; want 1 and 7", taken, refused)
	}
}
