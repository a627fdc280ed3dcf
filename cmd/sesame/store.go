package main

import (
	"context"

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
