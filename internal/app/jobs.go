package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/connhealth"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/reminders"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/store"
)

// jobKind is one row of the job table: a kind of background job, what runs
// it, and when it runs.
type jobKind struct {
	Kind    string
	Handler jobs.Handler
	// Schedule says who enqueues the job and when it comes back, for the
	// reader; AtStart is the part of it that Serve acts on.
	Schedule string
	// AtStart: Serve enqueues one to run at once when none is pending, so
	// that a job which schedules itself again starts on a new database.
	AtStart bool
}

// jobTable lists every kind of background job, like routes.go lists the
// routes, and is the one place that binds a kind (internal/jobs/kinds.go)
// to its handler: a kind enqueued but missing here would fail at run time
// with "no handler" (TestJobTableHasEveryKind checks).
func (a *App) jobTable(sender *mail.Sender) []jobKind {
	return []jobKind{
		{Kind: jobs.KindPing, Handler: jobs.Ping(),
			Schedule: "à la demande : sesame jobs ping"},
		{Kind: jobs.KindPurge, Handler: jobs.Purge(a.Now), AtStart: true,
			Schedule: "au démarrage, puis toutes les heures (jobs.PurgeEvery)"},
		{Kind: jobs.KindRetention, Handler: jobs.Retention(a.Now, Paris()), AtStart: true,
			Schedule: "au démarrage, puis chaque jour (jobs.RetentionEvery)"},
		{Kind: jobs.KindFoldLaunches, Handler: jobs.FoldLaunches(a.Now, Paris(), a.Config.LaunchRetention), AtStart: true,
			Schedule: "au démarrage, puis chaque nuit à 3 h"},
		{Kind: jobs.KindMail, Handler: mail.Handler(a.Store, sender),
			Schedule: "un par courriel écrit dans la boîte d'envoi (mail.Enqueue)"},
		{Kind: jobs.KindResetRequest, Handler: a.Web.ResetRequestJob(),
			Schedule: "à chaque demande de « Mot de passe oublié ? »"},
		{Kind: jobs.KindRegistrationResend, Handler: a.Web.RegistrationResendJob(),
			Schedule: "à chaque demande de renvoi du lien d'inscription"},
		{Kind: jobs.KindLibraryDigest, Handler: a.Web.LibraryDigestJob(),
			Schedule: "chaque jour à 7 h, programmé par la première demande du récapitulatif"},
		{Kind: jobs.KindReminders, Handler: ReminderSender(a.Store, a.Config, a.Now, a.Logger).Job(), AtStart: true,
			Schedule: "au démarrage, puis chaque matin à 8 h (le même envoi que sesame reminders)"},
		{Kind: jobs.KindRenewalImport, Handler: RenewalService(a.Store, a.Config, a.Now, a.Logger).Job(),
			Schedule: "à chaque « Appliquer les renouvellements » d'un import SIGB"},
		{Kind: jobs.KindConnectorHealth, Handler: ConnectorWatcher(a.Store, a.Config, a.Now, a.Logger).Job(), AtStart: true,
			Schedule: "au démarrage, puis chaque matin à 7 h : alertes de connecteurs, une fois par épisode"},
		{Kind: jobs.KindSeatSweep, Handler: jobs.SweepSeats(a.Now, Paris()), AtStart: true,
			Schedule: "au démarrage, puis chaque nuit à 2 h : les places des comptes dont la date de fin est passée vont à la liste d'attente"},
	}
}

// ReminderSender sends the reminders before the end of validity of st's
// network, with links to cfg's address: for the nightly job and for
// `sesame reminders`.
func ReminderSender(st *store.Store, cfg config.Config, now func() time.Time, logger *slog.Logger) *reminders.Sender {
	return &reminders.Sender{Store: st, BaseURL: cfg.BaseURL, Location: Paris(), Now: now, Logger: logger}
}

// RenewalService applies the library system's renewals to st's patrons,
// with links to cfg's address in the mails: for the import page, the API,
// the job and `sesame import`.
func RenewalService(st *store.Store, cfg config.Config, now func() time.Time, logger *slog.Logger) *renewals.Service {
	return &renewals.Service{Store: st, BaseURL: cfg.BaseURL, Location: Paris(), Now: now, Logger: logger}
}

// ConnectorWatcher checks st's connectors and mails their warnings to the
// network, with a link to cfg's address: for the daily job.
func ConnectorWatcher(st *store.Store, cfg config.Config, now func() time.Time, logger *slog.Logger) *connhealth.Watcher {
	return &connhealth.Watcher{Store: st, BaseURL: cfg.BaseURL, Location: Paris(), Now: now, Logger: logger}
}

// jobHandlers indexes the table by kind, for the runner.
func jobHandlers(table []jobKind) (map[string]jobs.Handler, error) {
	handlers := make(map[string]jobs.Handler, len(table))
	for _, k := range table {
		if _, dup := handlers[k.Kind]; dup {
			return nil, fmt.Errorf("job table: kind %q twice", k.Kind)
		}
		if k.Handler.Do == nil && k.Handler.Record == nil {
			return nil, fmt.Errorf("job table: kind %q has no handler", k.Kind)
		}
		handlers[k.Kind] = k.Handler
	}
	return handlers, nil
}

// ensureStarted enqueues, for each kind of the table that starts with the
// instance, one job to run at once when none is pending.
func (a *App) ensureStarted(ctx context.Context, table []jobKind) error {
	for _, k := range table {
		if !k.AtStart {
			continue
		}
		if err := jobs.Ensure(ctx, a.Store, k.Kind, a.Now()); err != nil {
			return err
		}
	}
	return nil
}
