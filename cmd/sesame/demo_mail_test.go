package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bdf29/sesame/internal/storetest"
)

// Without an SMTP server, the demo prints each mail with its links in its
// terminal, so that whoever tries it can follow a reset or registration
// link; the outbox keeps only the redacted copy, as in production.
func TestDemoPrintsMailWithItsLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo network; skipped in short mode")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--db", db, "--addr", "127.0.0.1:0", "--patrons", "200"}, nil, &out, &out, noEnv)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	waitFor(t, &out, "Demo logins")
	if !strings.Contains(out.String(), "the demo prints each mail here") {
		t.Errorf("the demo does not say where its mail goes:\n%s", out.String())
	}
	base := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if base == nil {
		t.Fatalf("no address in the output:\n%s", out.String())
	}
	res, err := http.PostForm(base[1]+"/mot-de-passe-oublie", url.Values{"email": {"eric.mediateur@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reset request: got %d", res.StatusCode)
	}
	waitFor(t, &out, "--- fin du courriel ---")
	// The link names the listen address as configured (port 0 here): only
	// its path is followed.
	link := regexp.MustCompile(`/mot-de-passe/([A-Za-z0-9_-]{43})`).FindStringSubmatch(out.String())
	if link == nil {
		t.Fatalf("no reset link in the printed mail:\n%s", out.String())
	}
	page, err := http.Get(base[1] + link[0])
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Errorf("the printed link: got %d, want the new password form", page.StatusCode)
	}
	leaks := storetest.OpenRaw(t, db).Count(t, `SELECT count(*) FROM mail_outbox WHERE instr(text_body, $1) > 0 OR instr(html_body, $1) > 0 OR instr(coalesce(secret, ''), $1) > 0`, link[1])
	if leaks != 0 {
		t.Errorf("the outbox keeps the live link in %d rows", leaks)
	}
}
