// Package apptest runs the whole of Sésame inside a test process, configured
// by SESAME_* variables read by the same code as `sesame serve`: the browser
// tests and the SSO tests drive it over real HTTP.
package apptest

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/storetest"
)

// Serve starts Sésame on a free port of 127.0.0.1, with a fresh database on
// the engine storetest.EngineEnv names and the settings in vars (SMTP,
// secret key…). SESAME_BASE_URL is the address it listens on, so that links
// in mail work. seed, when set, fills the database before the first
// request. The app stops at the end of the test. It returns the app and its
// base URL.
func Serve(t testing.TB, vars map[string]string, hasher auth.Hasher, seed func(ctx context.Context, a *app.App) error) (*app.App, string) {
	t.Helper()
	return ServeMounted(t, vars, hasher, nil, seed)
}

// ServeMounted is Serve with handlers served beside the portal, as the demo
// serves its vendor: mounts, when set, makes them from the settings loaded
// (app.Options.Mounts).
func ServeMounted(t testing.TB, vars map[string]string, hasher auth.Hasher, mounts func(config.Config) map[string]http.Handler,
	seed func(ctx context.Context, a *app.App) error) (*app.App, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{"SESAME_ADDR": ln.Addr().String(), "SESAME_DB": storetest.DSN(t), "SESAME_BASE_URL": base,
		"SESAME_SHUTDOWN_DELAY": "0s"} // no load balancer to drain in a test
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.Load(flag.NewFlagSet("apptest", flag.ContinueOnError), nil, func(k string) string { return env[k] }, config.DefaultDB)
	if err != nil {
		ln.Close()
		t.Fatalf("settings: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := app.Options{Hasher: &hasher, Logger: logger}
	if mounts != nil {
		opts.Mounts = mounts(cfg)
	}
	a, err := app.Open(ctx, cfg, opts)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("open app: %v", err)
	}
	if seed != nil {
		if err := seed(ctx, a); err != nil {
			cancel()
			ln.Close()
			a.Close()
			t.Fatalf("seed: %v", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("close app: %v", err)
		}
	})
	return a, base
}
