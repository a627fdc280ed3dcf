package renewals

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/lifecycle"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// The mails of an apply, rendered ahead. Rendering the mail of each
// revalidated or renewed patron (notify's « validation », the one
// lifecycle.Mailer.Decision writes) cost as much as writing the patron, and
// ran inside the batch's transaction, holding SQLite's one writer. Now
// Apply renders them beside the write of the batch before, when the batch
// is matched (prepareMails), from the patrons and grants read then. The
// transaction still builds each mail's data from what it reads itself, as
// Decision does (batchMails.decision); a mail whose data is the one
// rendered ahead takes that rendering, any other is rendered there. So a
// mail says what it would have said, whatever changed in between.

// readyMail is a mail rendered ahead, with the data it was rendered from.
type readyMail struct {
	data  notify.Validated
	msg   mail.Message
	valid error // msg.Validate's
}

func sameValidated(a, b notify.Validated) bool {
	return a.Name == b.Name && a.Network == b.Network && a.Library == b.Library && a.ValidUntil == b.ValidUntil &&
		a.Renewed == b.Renewed && slices.Equal(a.Open, b.Open) && slices.Equal(a.Waiting, b.Waiting) && a.AccountURL == b.AccountURL
}

// decisionOf is the change among changes whose mail Decision writes: the
// first that is told, as Decision looks for it; false when none is.
func decisionOf(changes []sesame.Change) (sesame.Change, bool) {
	for _, c := range changes {
		switch c.Kind {
		case sesame.ChangeValidated, sesame.ChangeRenewed, sesame.ChangeEndDateCorrected, sesame.ChangeRefused:
			return c, true
		}
	}
	return sesame.Change{}, false
}

// prepareMails renders ahead the mails of b's revalidations and renewals,
// judged as applyMatched will judge them (a patron named twice in the batch
// the second time as the first line left them), into b.mails. It is only
// ahead of time: on any error it renders nothing, and the transaction
// renders them all.
func (s *Service) prepareMails(ctx context.Context, e *env, b *matched) {
	current := map[int64]*sesame.Patron{}
	type told struct {
		p *sesame.Patron
		c sesame.Change
	}
	var tell []told
	var ids []int64
	for k, m := range b.matches {
		if m.Patron == nil {
			continue
		}
		if p := current[m.Patron.ID]; p != nil {
			m.Patron = p
		}
		line := b.ps[b.at[k]] // a copy: judge writes the line's outcome
		changed, r := e.judge(&line, m)
		if changed == nil {
			continue
		}
		current[changed.ID] = changed
		if r.Outcome != sesame.RenewalRenewed && r.Outcome != sesame.RenewalRevalidated {
			continue
		}
		if c, ok := decisionOf(r.Changes); ok && (c.Kind == sesame.ChangeValidated || c.Kind == sesame.ChangeRenewed) {
			tell = append(tell, told{changed, c})
			ids = append(ids, changed.ID)
		}
	}
	if len(tell) == 0 {
		return
	}
	grants, err := s.Store.GrantNamesOf(ctx, ids)
	if err != nil {
		return
	}
	network := s.networkName(ctx)
	b.mails = make(map[int64][]readyMail, len(tell))
	for _, t := range tell {
		lib := e.byID[t.p.LibraryID]
		if lib == nil {
			continue
		}
		data := lifecycle.ValidatedMail(t.p, t.c, network, lib.Name, s.BaseURL, grants[t.p.ID])
		msg, err := notify.Render("validation", data)
		if err != nil {
			continue
		}
		msg.To, msg.ToName = t.p.Email, lifecycle.GreetedName(t.p)
		b.mails[t.p.ID] = append(b.mails[t.p.ID], readyMail{data: data, msg: msg, valid: msg.Validate()})
	}
}

// batchMails writes the mails of a batch in its transaction: the decision
// mails of the saved patrons, rendered ahead when their data is the same,
// and the others through mailer, held until the end as before.
type batchMails struct {
	s      *Service
	mailer *lifecycle.Mailer
	ahead  map[int64][]readyMail
	grants map[int64]map[sesame.GrantState][]string // read in tx before the save
	libs   map[int64]*sesame.Library
	out    []outMail // in the order of the saves
}

// outMail is a decision mail of the batch: rendered ahead, or to render.
type outMail struct {
	readyMail
	to, toName string
	rendered   bool
}

// prefetch reads in tx the grant names of the patrons ids, once for the
// patrons a save writes.
func (bm *batchMails) prefetch(ctx context.Context, tx *store.Tx, ids []int64) error {
	names, err := tx.GrantNamesOf(ctx, ids)
	if err != nil {
		return err
	}
	bm.grants = names
	return nil
}

// decision is Mailer.Decision's AfterWrite: the mail telling the patron of
// the library's decision among changes.
func (bm *batchMails) decision(ctx context.Context, changes []sesame.Change) store.AfterWrite {
	c, ok := decisionOf(changes)
	if !ok || (c.Kind != sesame.ChangeValidated && c.Kind != sesame.ChangeRenewed) {
		return bm.mailer.Decision(ctx, changes)
	}
	return func(tx *store.Tx, p *sesame.Patron) error {
		lib := bm.libs[p.LibraryID]
		if lib == nil {
			var err error
			if lib, err = tx.Library(ctx, p.LibraryID); err != nil {
				return err
			}
			if bm.libs == nil {
				bm.libs = map[int64]*sesame.Library{}
			}
			bm.libs[p.LibraryID] = lib
		}
		names := bm.grants[p.ID]
		if names == nil {
			var err error
			if names, err = tx.GrantNames(ctx, p.ID); err != nil {
				return err
			}
		}
		m := outMail{readyMail: readyMail{data: lifecycle.ValidatedMail(p, c, bm.mailer.NetworkName(ctx), lib.Name, bm.s.BaseURL, names)},
			to: p.Email, toName: lifecycle.GreetedName(p)}
		ahead := bm.ahead[p.ID]
		if i := slices.IndexFunc(ahead, func(r readyMail) bool { return sameValidated(r.data, m.data) }); i >= 0 {
			m.readyMail, m.rendered = ahead[i], true
			bm.ahead[p.ID] = slices.Delete(ahead, i, i+1)
		}
		bm.out = append(bm.out, m)
		return nil
	}
}

// flush renders the mails not rendered ahead, on every core as
// Mailer.Flush does, and writes the batch's mails and their jobs in tx.
func (bm *batchMails) flush(ctx context.Context, tx *store.Tx) error {
	if err := bm.mailer.Flush(ctx, tx); err != nil {
		return err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(bm.out))
	for range min(runtime.GOMAXPROCS(0), len(bm.out)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(bm.out); i = int(next.Add(1) - 1) {
				if m := &bm.out[i]; !m.rendered {
					m.msg, errs[i] = notify.Render("validation", m.data)
					m.msg.To, m.msg.ToName = m.to, m.toName
					m.valid = m.msg.Validate()
				}
			}
		})
	}
	wg.Wait()
	ready := make([]mail.Message, 0, len(bm.out))
	for i, m := range bm.out {
		if errs[i] != nil {
			return errs[i]
		}
		// As Mailer.Enqueue: a mail that cannot leave is logged and
		// dropped, and does not undo the change it tells of.
		if m.valid != nil {
			bm.s.Logger.Error("courriel non envoyé", "subject", m.msg.Subject, "err", m.valid)
			continue
		}
		if m.msg.Secret != "" { // none expected: kept apart as Mailer.Flush does
			if err := mail.Enqueue(ctx, tx, m.msg); err != nil {
				return err
			}
			continue
		}
		ready = append(ready, m.msg)
	}
	return mail.EnqueueAll(ctx, tx, ready)
}
