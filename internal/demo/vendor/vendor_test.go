package vendor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
)

// syncLog is a log a server writes while the test reads it.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testKeyVars is a fresh SESAME_SECRET_KEY, as a variable and as bytes.
func testKeyVars(t testing.TB) (map[string]string, []byte) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"SESAME_SECRET_KEY": base64.StdEncoding.EncodeToString(key)}, key
}

// TestRegisterKeepsOrMoves: the demo registers its vendor at every start;
// on the same address it keeps the connectors an earlier start sealed, on
// another it moves the resources and their connectors there.
func TestRegisterKeepsOrMoves(t *testing.T) {
	ctx := context.Background()
	vars, key := testKeyVars(t)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
	a, _ := apptest.Serve(t, vars, hasher, func(ctx context.Context, a *app.App) error {
		_, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 20, Today: sesame.DateOf(time.Now(), app.Paris())})
		return err
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, step := range []struct {
		base    string
		changed bool
	}{{"http://127.0.0.1:8080", true}, {"http://127.0.0.1:8080", false}, {"http://localhost:9090", true}} {
		v := New(step.base, key, time.Now, rand.Reader, logger)
		changed, err := v.Register(ctx, a.Store)
		if err != nil || changed != step.changed {
			t.Fatalf("Register at %s: changed %v, %v; want changed %v", step.base, changed, err, step.changed)
		}
		all, err := a.Store.Connectors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// One per web protocol: SIP2 is spoken by vendors' servers, not through a browser.
		if len(all) != len(sesame.ConnectorKinds)-1 {
			t.Errorf("at %s: %d connectors, want one per protocol", step.base, len(all))
		}
		for _, c := range all {
			if !strings.HasPrefix(address(c), step.base+Prefix) || c.SecretUnreadable {
				t.Errorf("at %s: %s connector for %q (secret unreadable: %v)", step.base, c.Kind, address(c), c.SecretUnreadable)
			}
		}
		for _, e := range v.Connectors() {
			res, err := a.Store.ResourceBySlug(ctx, e.Slug)
			if err != nil || res.URL != e.URL {
				t.Errorf("at %s: resource %s has address %q (%v), want %q", step.base, e.Slug, res.URL, err, e.URL)
			}
		}
	}
}

// TestVendorRefuses: the demo vendor lets no one in on an answer it cannot
// check, says why on its page, and logs the reason.
func TestVendorRefuses(t *testing.T) {
	vars, _ := testKeyVars(t)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
	logs := &syncLog{}
	var v *Vendor
	_, base := apptest.ServeMounted(t, vars, hasher,
		func(cfg config.Config) map[string]http.Handler {
			v = New(cfg.BaseURL, cfg.SecretKey, time.Now, rand.Reader, slog.New(slog.NewTextHandler(logs, nil)))
			return map[string]http.Handler{Prefix: v.Handler()}
		},
		func(ctx context.Context, a *app.App) error {
			if _, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 20, Today: sesame.DateOf(time.Now(), app.Paris())}); err != nil {
				return err
			}
			_, err := v.Register(ctx, a.Store)
			return err
		})
	var link sesame.SignedLinkSettings
	for _, e := range v.Connectors() {
		if e.Connector.Kind == sesame.ConnectorSignedLink {
			link = e.Connector.Link
		}
	}
	signed := func(at time.Time, secret string) string {
		u, err := link.Build(sesame.LinkFields{Card: "COMPTE-TEST", UID: "1", LastName: "MEDIATEUR-NUM", FirstName: "Eric",
			Library: "FOUESNANT", Time: at, Token: "jeton-inconnu"}, secret)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tampered, err := url.Parse(signed(time.Now(), v.linkSecret))
	if err != nil {
		t.Fatal(err)
	}
	q := tampered.Query()
	q.Set("carte", "COMPTE-AUTRE")
	tampered.RawQuery = q.Encode()

	tests := []struct {
		name, method, url string
		want              string // on the page and in the log
	}{
		{"signed link, another card", "GET", tampered.String(), "l'empreinte ne correspond pas"},
		{"signed link, another key", "GET", signed(time.Now(), "une-autre-cle"), "l'empreinte ne correspond pas"},
		{"signed link, too old", "GET", signed(time.Now().Add(-10*time.Minute), v.linkSecret), "Lien signé périmé"},
		{"signed link, token unknown to Sésame", "GET", signed(time.Now(), v.linkSecret), "Sésame n'a pas confirmé le jeton"},
		{"OpenID Connect, return without a start", "GET", base + oidcReturnPath + "?code=abc&state=def", "aucune connexion OpenID Connect"},
		{"CAS, unknown ticket", "GET", base + casPath + "?ticket=ST-inconnu", "Sésame a refusé le ticket"},
		{"SAML, answer to no request", "POST", base + samlACSPath, "La réponse SAML n'a pas été acceptée"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			page := strings.ReplaceAll(string(body), "&#39;", "'")
			if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Accès refusé") || !strings.Contains(page, tt.want) {
				t.Errorf("status %d, want 403 with « Accès refusé » and %q:\n%s", res.StatusCode, tt.want, page)
			}
			if !strings.Contains(logs.String(), tt.want) {
				t.Errorf("the log lacks the reason %q:\n%s", tt.want, logs.String())
			}
		})
	}

	res, err := http.Get(base + Prefix)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("home page: status %d, want 200", res.StatusCode)
	}
}
