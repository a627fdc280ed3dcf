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
	"strings"

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
		return "validation", notify.Validated{Name: GreetedName(p), Network: network, Library: lib.Name, ValidUntil: p.ValidUntil.String(),
			Renewed: c.Kind == sesame.ChangeRenewed, Open: names[sesame.GrantValidated], Waiting: names[sesame.GrantPending], AccountURL: account}, nil
	case sesame.ChangeEndDateCorrected:
		return "date-de-fin-corrigee", notify.EndDateCorrected{Name: GreetedName(p), Network: network, Library: lib.Name,
			ValidUntil: p.ValidUntil.String(), AccountURL: account}, nil
	case sesame.ChangeRefused:
		return "refus", notify.Refused{Name: GreetedName(p), Network: network, Library: lib.Name, LibraryEmail: lib.ContactEmail,
			Renewal: c.Renewal, Reason: p.RefusalReason, AccountURL: account}, nil
	}
	return "", nil, fmt.Errorf("no mail tells of a change %v", c.Kind)
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
