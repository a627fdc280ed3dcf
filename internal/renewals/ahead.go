package renewals

import (
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// Matching ahead. Matching a batch (three indexed reads of the patrons) is
// most of what a preview does, and a third of what an apply did inside its
// write transaction. eachMatched moves it out: the next batches are read
// from the file and matched on the store's read pool while the caller
// judges, or writes, the current one. An apply then saves each patron only
// at the version it was read at (store.Tx.SavePatrons,
// NoteSIGBRegistration), so a patron changed since is never overwritten
// (see applyAhead).

const (
	// matchAhead is how many batches may wait, matched or being matched,
	// before the caller takes them: memory stays that of a few batches.
	matchAhead = 3
	// maxMatchers bounds the batches matched at once.
	maxMatchers = 2
)

// matched is a batch of rows, resolved (pending) and matched: matches[k] is
// the match of ps[at[k]].
type matched struct {
	batch   []sigb.Row
	ps      []pending
	at      []int
	matches []store.RenewalMatch
	mails   map[int64][]readyMail // by patron, rendered ahead (prepareMails); nil when none
}

// match resolves and matches a batch with match, which reads either the
// read pool (ahead) or the write transaction.
func (e *env) match(ctx context.Context, in Input, batch []sigb.Row,
	match func(context.Context, []store.RenewalKey) ([]store.RenewalMatch, error)) (*matched, error) {
	b := &matched{batch: batch}
	var keys []store.RenewalKey
	b.ps, keys, b.at = e.resolveBatch(in, batch)
	var err error
	b.matches, err = match(ctx, keys)
	return b, err
}

// lines is the outcome of each line of the batch, in file order.
func (b *matched) lines() []Line {
	out := make([]Line, len(b.ps))
	for i := range b.ps {
		out[i] = b.ps[i].line
	}
	return out
}

// eachMatched reads rows by BatchSize, matches each batch on the store's
// read pool, and calls fn on the batches in file order. Up to maxMatchers
// batches are matched at once, at most matchAhead batches before fn takes
// them. It returns once nothing of it runs any more: the rows are not read
// after it returns.
// With mails, the matcher also renders ahead the mails the batch's
// transaction will write (prepareMails).
func (s *Service) eachMatched(ctx context.Context, e *env, in Input, rows sigb.Rows, mails bool, fn func(*matched) error) error {
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		b   *matched
		err error
	}
	queue := make(chan chan result, matchAhead)
	var running sync.WaitGroup
	var readErr error
	running.Go(func() {
		defer close(queue)
		// An apply leaves a core to its writes (SQLite's one writer, or
		// PostgreSQL's server on the same machine): they, not the matching,
		// are what it waits for.
		cores := runtime.GOMAXPROCS(0)
		if mails {
			cores = max(1, cores-1)
		}
		matchers := make(chan struct{}, min(maxMatchers, cores))
		readErr = eachBatch(rows, func(batch []sigb.Row) error {
			out := make(chan result, 1)
			select {
			case queue <- out:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case matchers <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = slices.Clone(batch) // eachBatch reuses its slice
			running.Go(func() {
				defer func() { <-matchers }()
				b, err := e.match(ctx, in, batch, s.Store.MatchRenewals)
				if err == nil && mails {
					s.prepareMails(ctx, e, b)
				}
				out <- result{b, err}
			})
			return nil
		})
	})
	defer func() {
		cancel()
		for range queue { // let the reader see the cancellation and stop
		}
		running.Wait()
	}()
	for out := range queue {
		r := <-out
		if r.err != nil {
			return r.err
		}
		if err := fn(r.b); err != nil {
			return err
		}
	}
	return readErr
}
