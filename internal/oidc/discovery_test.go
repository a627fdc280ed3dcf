package oidc_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/oidc"
	"github.com/bdf29/sesame/internal/storetest"
)

var update = flag.Bool("update", false, "write testdata/*.golden from what the code gives")

func newProvider(t testing.TB, issuer string) *oidc.Provider {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	st := storetest.Open(t, now)
	p, err := oidc.New(oidc.Config{Store: st, Gate: &access.Gate{Store: st, Now: now, Location: time.UTC}, Issuer: issuer, Now: now, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDiscoveryDocument compares the discovery document with the golden
// file: vendors configure themselves from it, so any change must be meant.
func TestDiscoveryDocument(t *testing.T) {
	srv := httptest.NewServer(newProvider(t, "https://sesame.example.org"))
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + oidc.DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("got status %d: %s", res.StatusCode, body)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("discovery %s: %v", body, err)
	}
	pretty.WriteByte('\n')
	golden := filepath.Join("testdata", "discovery.golden")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestDiscoveryDocument -update to write it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("discovery document differs from %s:\ngot:\n%s\nwant:\n%s", golden, pretty.Bytes(), want)
	}
}

func TestNewNeedsAnIssuer(t *testing.T) {
	if _, err := oidc.New(oidc.Config{Issuer: ""}); err == nil {
		t.Error("a provider without an issuer was built")
	}
	if _, err := oidc.New(oidc.Config{Issuer: "https://sesame.example.org?x=1"}); err == nil {
		t.Error("a provider with a query in its issuer was built")
	}
}
