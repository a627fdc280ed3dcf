package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/demo/vendor"
	"github.com/bdf29/sesame/internal/store"
)

// useDemoKey gives the demo, when SESAME_SECRET_KEY is unset, the key kept
// beside its database, made on the first start: a second start still opens
// the connectors, OIDC keys and SAML identity the first one sealed. It
// returns the key file, or "" when the setting gave the key.
func useDemoKey(cfg *config.Config, stdout io.Writer) (string, error) {
	if len(cfg.SecretKey) > 0 {
		return "", nil
	}
	keyFile := demo.KeyFile(cfg.DB)
	key, created, err := demo.LoadKey(keyFile, rand.Reader)
	if err != nil {
		return "", err
	}
	cfg.SecretKey = key
	if created {
		fmt.Fprintf(stdout, "SESAME_SECRET_KEY is unset: the demo made its own key in %s (mode 0600), and will use it again at the next start.\n", keyFile)
	} else {
		fmt.Fprintf(stdout, "SESAME_SECRET_KEY is unset: the demo uses its key in %s.\n", keyFile)
	}
	return keyFile, nil
}

// seedDemo fills an empty database with the demo network, and connects four
// of its resources to the demo vendor, one per protocol, at this address.
// The number of patrons it prints is the store's, as the lists show it.
func seedDemo(ctx context.Context, a *app.App, opts demo.Options, v *vendor.Vendor, stdout io.Writer) error {
	start := time.Now()
	seeded, err := demo.Seed(ctx, a.Store, app.Hasher(), opts)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	moved, err := v.Register(ctx, a.Store)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if !seeded {
		fmt.Fprintf(stdout, "Database %s already holds data: not seeded again.\n", a.Config.SafeDB())
		if moved {
			fmt.Fprintf(stdout, "The demo vendor's connectors now point at %s.\n", a.Config.BaseURL)
		}
		return nil
	}
	n, err := demo.PatronCount(ctx, a.Store)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	fmt.Fprintf(stdout, "Demo network seeded in %s: %d patrons.\n", time.Since(start).Round(time.Millisecond), n)
	return nil
}

// printDemoGuide tells what the demo vendor shows and how to start the demo
// again from scratch.
func printDemoGuide(stdout io.Writer, cfg config.Config, keyFile string) {
	fmt.Fprintf(stdout, "Demo vendor: %s%s. As eric.mediateur@example.org, « Accéder » on Livres numériques (OpenID Connect), "+
		"Médiathèque Numérique (signed link), PressReader (SAML) or Tout apprendre (CAS) shows what it received.\n", cfg.BaseURL, vendor.Prefix)
	var remove []string
	if store.IsPostgres(cfg.DB) {
		fmt.Fprintf(stdout, "To start again from scratch: stop the demo, empty the PostgreSQL database %s (DROP SCHEMA public CASCADE; CREATE SCHEMA public;)", cfg.SafeDB())
	} else {
		remove = []string{cfg.DB, cfg.DB + "-wal", cfg.DB + "-shm"}
		fmt.Fprint(stdout, "To start again from scratch: stop the demo")
	}
	if keyFile != "" {
		remove = append(remove, keyFile)
	}
	if len(remove) > 0 {
		fmt.Fprintf(stdout, ", delete %s", strings.Join(remove, " "))
	}
	fmt.Fprintln(stdout, ", then run sesame demo again.")
}
