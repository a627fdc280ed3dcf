package renewals

import (
	"context"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/sigb"
)

// MatchThenApply matches batch on the read pool as Apply does ahead of its
// transaction, rendering its mails ahead too, calls between, then applies
// it as Apply does: for a test of a patron changed in between. ahead is how
// many mails were rendered ahead.
func (s *Service) MatchThenApply(ctx context.Context, in Input, batch []sigb.Row, actor sesame.Actor, between func()) (lines []Line, ahead int, err error) {
	e, err := s.env(ctx)
	if err != nil {
		return nil, 0, err
	}
	in = in.clean()
	b, err := e.match(ctx, in, batch, s.Store.MatchRenewals)
	if err != nil {
		return nil, 0, err
	}
	s.prepareMails(ctx, e, b)
	for _, ms := range b.mails {
		ahead += len(ms)
	}
	between()
	lines, err = s.applyAhead(ctx, e, in, b, actor, nil)
	return lines, ahead, err
}
