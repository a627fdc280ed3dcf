package app

import (
	"context"
	"fmt"

	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/web"
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
// routes: a kind enqueued but missing here would fail at run time with
// "unknown kind" (TestJobTableHasEveryKind checks).
func (a *App) jobTable(sender *mail.Sender) []jobKind {
	builtin := jobs.Builtin(a.Store, a.Now, Paris())
	webJobs := a.Web.JobHandlers()
	return []jobKind{
		{Kind: jobs.KindPing, Handler: builtin[jobs.KindPing],
			Schedule: "à la demande : sesame jobs ping"},
		{Kind: jobs.KindPurge, Handler: builtin[jobs.KindPurge], AtStart: true,
			Schedule: "au démarrage, puis toutes les heures (jobs.PurgeEvery)"},
		{Kind: jobs.KindRetention, Handler: builtin[jobs.KindRetention], AtStart: true,
			Schedule: "au démarrage, puis chaque jour (jobs.RetentionEvery)"},
		{Kind: jobs.KindFoldLaunches, Handler: jobs.FoldLaunches(a.Store, a.Now, Paris(), a.Config.LaunchRetention), AtStart: true,
			Schedule: "au démarrage, puis chaque nuit à 3 h"},
		{Kind: mail.Kind, Handler: mail.Handler(a.Store, sender),
			Schedule: "un par courriel écrit dans la boîte d'envoi (mail.Enqueue)"},
		{Kind: web.KindResetRequest, Handler: webJobs[web.KindResetRequest],
			Schedule: "à chaque demande de « Mot de passe oublié ? »"},
		{Kind: web.KindRegistrationResend, Handler: webJobs[web.KindRegistrationResend],
			Schedule: "à chaque demande de renvoi du lien d'inscription"},
		{Kind: web.KindLibraryDigest, Handler: webJobs[web.KindLibraryDigest],
			Schedule: "chaque jour à 7 h, programmé par la première demande du récapitulatif"},
	}
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
