package web

import (
	"context"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// SeatGranted is the store's hook (store.Store.OnSeatGranted) when a place
// of a full licence frees and the next patron in line gets the resource:
// they receive, in the same transaction, the mail of an activation.
func (s *Server) SeatGranted(ctx context.Context, tx *store.Tx, p *sesame.Patron, changes []sesame.Change) error {
	return s.resourcesMail(ctx)(tx, p, changes)
}
