package renewals

import (
	"context"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/sigb"
)

// MatchThenApply matches batch on the read pool as Apply does ahead of its
// transaction, calls between, then applies it as Apply does: for a test of
// a patron changed in between.
func (s *Service) MatchThenApply(ctx context.Context, in Input, batch []sigb.Row, actor sesame.Actor, between func()) ([]Line, error) {
	e, err := s.env(ctx)
	if err != nil {
		return nil, err
	}
	in = in.clean()
	b, err := e.match(ctx, in, batch, s.Store.MatchRenewals)
	if err != nil {
		return nil, err
	}
	between()
	return s.applyAhead(ctx, e, in, b, actor)
}
