// Package lifecycle writes the mails that tell a patron what became of
// their account: the library's decision on the Statut tab, in a bulk
// action, or from the library system's renewals (package renewals). The
// web handlers and the renewals service both come here, so that a renewal
// is told the same way whoever made it.
package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/reminders"
	"github.com/bdf29/sesame/internal/store"
)

// Mailer writes the mails into the outbox, in the transaction of the change
// they tell of.
type Mailer struct {
	BaseURL string // the portal's address, for the links
	Logger  *slog.Logger
	// NetworkName names the network in the mails.
	NetworkName func(ctx context.Context) string

	// libraries keeps the libraries read, for a Mailer that writes many
	// mails in one transaction (a batch of an import).
	libraries map[int64]*sesame.Library
	// holding keeps the mails in held until Flush renders and writes them
	// together: the same mails, rendered on every core, and written in two
	// statements for a batch instead of two each.
	holding bool
	held    []heldMail
}

// heldMail is a mail Enqueue was asked for while holding.
type heldMail struct {
	to, toName, name string
	data             any
}

// Hold keeps the mails this Mailer writes until Flush, which the caller
// calls in the same transaction before it commits.
func (m *Mailer) Hold() { m.holding = true }

// Flush renders the mails held since Hold, and writes them into the outbox
// in tx, with their jobs, as Enqueue would have one by one. Rendering, the
// larger part of a mail's cost, runs on every core: the templates are
// only read.
func (m *Mailer) Flush(ctx context.Context, tx *store.Tx) error {
	held := m.held
	m.held = nil
	msgs := make([]mail.Message, len(held))
	errs := make([]error, len(held))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(held)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(held); i = int(next.Add(1) - 1) {
				msgs[i], errs[i] = notify.Render(held[i].name, held[i].data)
			}
		})
	}
	wg.Wait()
	ready := msgs[:0]
	for i, h := range held {
		if errs[i] != nil {
			return errs[i]
		}
		msg := msgs[i]
		msg.To, msg.ToName = h.to, h.toName
		if err := msg.Validate(); err != nil {
			m.Logger.Error("courriel non envoyé", "subject", msg.Subject, "err", err)
			continue
		}
		if msg.Secret != "" {
			if err := mail.Enqueue(ctx, tx, msg); err != nil {
				return err
			}
			continue
		}
		ready = append(ready, msg)
	}
	return mail.EnqueueAll(ctx, tx, ready)
}

// library reads p's library in tx, once per Mailer.
func (m *Mailer) library(ctx context.Context, tx *store.Tx, id int64) (*sesame.Library, error) {
	if lib := m.libraries[id]; lib != nil {
		return lib, nil
	}
	lib, err := tx.Library(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.libraries == nil {
		m.libraries = map[int64]*sesame.Library{}
	}
	m.libraries[id] = lib
	return lib, nil
}

// Decision returns the AfterWrite that tells the patron, in the transaction
// of a save of their record, of the library's decision among changes
// (sesame.Transition): validated, renewed, end date corrected, or refused.
// A validation lists the resources it opens and those still waiting for
// the library.
func (m *Mailer) Decision(ctx context.Context, changes []sesame.Change) store.AfterWrite {
	return func(tx *store.Tx, p *sesame.Patron) error {
		for _, c := range changes {
			switch c.Kind {
			case sesame.ChangeValidated, sesame.ChangeRenewed, sesame.ChangeEndDateCorrected, sesame.ChangeRefused:
				name, data, err := m.decision(ctx, tx, p, c)
				if err != nil {
					return err
				}
				return m.Enqueue(ctx, tx, p.Email, GreetedName(p), name, data)
			}
		}
		return nil
	}
}

// decision is the mail of one decision c on p: its template and data.
func (m *Mailer) decision(ctx context.Context, tx *store.Tx, p *sesame.Patron, c sesame.Change) (string, any, error) {
	lib, err := m.library(ctx, tx, p.LibraryID)
	if err != nil {
		return "", nil, err
	}
	network, account := m.NetworkName(ctx), m.BaseURL+"/mon-compte"
	switch c.Kind {
	case sesame.ChangeValidated, sesame.ChangeRenewed:
		names, err := tx.GrantNames(ctx, p.ID)
		if err != nil {
			return "", nil, err
		}
		return "validation", ValidatedMail(p, c, network, lib.Name, m.BaseURL, names), nil
	case sesame.ChangeEndDateCorrected:
		return "date-de-fin-corrigee", notify.EndDateCorrected{Name: GreetedName(p), Network: network, Library: lib.Name,
			ValidUntil: p.ValidUntil.String(), AccountURL: account}, nil
	case sesame.ChangeRefused:
		return "refus", notify.Refused{Name: GreetedName(p), Network: network, Library: lib.Name, LibraryEmail: lib.ContactEmail,
			Renewal: c.Renewal, Reason: p.RefusalReason, AccountURL: account}, nil
	}
	return "", nil, fmt.Errorf("no mail tells of a change %v", c.Kind)
}

// ValidatedMail is the data of the « validation » mail telling p of c, a
// validation or a renewal, by their library: the resources it opens and
// those still waiting (grants, by state), and their account's address. An
// import renders it ahead of its transaction (internal/renewals) from the
// same function, so both say the same.
func ValidatedMail(p *sesame.Patron, c sesame.Change, network, library, baseURL string, grants map[sesame.GrantState][]string) notify.Validated {
	return notify.Validated{Name: GreetedName(p), Network: network, Library: library, ValidUntil: p.ValidUntil.String(),
		Renewed: c.Kind == sesame.ChangeRenewed, Open: grants[sesame.GrantValidated], Waiting: grants[sesame.GrantPending],
		AccountURL: baseURL + "/mon-compte"}
}

// SIGBRenewal returns the AfterWrite that invites the holder of an Expiré
// account, renewed at their library on p.SIGBRegisteredOn, to ask for the
// renewal of their account, which only they may do.
func (m *Mailer) SIGBRenewal(ctx context.Context) store.AfterWrite {
	return func(tx *store.Tx, p *sesame.Patron) error {
		lib, err := m.library(ctx, tx, p.LibraryID)
		if err != nil {
			return err
		}
		return m.Enqueue(ctx, tx, p.Email, GreetedName(p), "renouvellement-sigb", notify.SIGBRenewal{Name: GreetedName(p),
			Network: m.NetworkName(ctx), Library: lib.Name, RegisteredOn: p.SIGBRegisteredOn.String(), RenewURL: m.BaseURL + reminders.RenewPath})
	}
}

// Enqueue writes the mail of template name for data, to (to, toName), into
// the outbox in tx. A mail that cannot leave as it is (an address refused
// by mail.Message.Validate) is logged and dropped: it must not undo the
// change it tells of.
func (m *Mailer) Enqueue(ctx context.Context, tx *store.Tx, to, toName, name string, data any) error {
	if m.holding {
		m.held = append(m.held, heldMail{to: to, toName: toName, name: name, data: data})
		return nil
	}
	msg, err := notify.Render(name, data)
	if err != nil {
		return err
	}
	msg.To, msg.ToName = to, toName
	if err := msg.Validate(); err != nil {
		m.Logger.Error("courriel non envoyé", "subject", msg.Subject, "err", err)
		return nil
	}
	return mail.Enqueue(ctx, tx, msg)
}

// GreetedName is the patron as a mail greets them: "Prénom NOM".
func GreetedName(p *sesame.Patron) string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }
