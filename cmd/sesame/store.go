package main

import (
	"context"
	"flag"

	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/store"
)

// openStore opens the database of the settings for a command that is not
// the server, with the vendor secrets' key when there is one, so that
// every command sees the same data the server does.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	box, err := app.Secrets(cfg)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DB, store.Options{Secrets: box})
}

// loadAndOpen reads a command's settings (its own flags, declared in fs,
// and the shared ones) and opens the database they name; the caller
// closes the store.
func loadAndOpen(ctx context.Context, fs *flag.FlagSet, args []string, env config.Env) (*store.Store, config.Config, error) {
	cfg, err := config.Load(fs, args, env, config.DefaultDB)
	if err != nil {
		return nil, cfg, err
	}
	st, err := openStore(ctx, cfg)
	return st, cfg, err
}
