// Package connhealth watches the vendor connectors for the network admin:
// the daily job (jobs.KindConnectorHealth) reads each connector's state
// (store.ConnectorHealth, judged by sesame.ConnectorHealthOf) and mails the
// network's contact address once per episode of warning, recorded in the
// same transaction as the mail (store.RaiseConnectorAlert); a warning that
// no longer holds ends its episode.
package connhealth

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// StatusPath is « État des connecteurs », which the mail links to.
const StatusPath = "/admin/connecteurs/etat"

// hour is when, in the network's calendar, the daily check runs: before
// the admin's working day.
const hour = 7

// warnings are the kinds of warning, each with its own episodes.
var warnings = []sesame.ConnectorWarning{sesame.WarnRepeatedFailures, sesame.WarnCertificateEnding}

// Watcher checks the connectors and mails their warnings.
type Watcher struct {
	Store    *store.Store
	BaseURL  string         // the portal's address, for the link
	Location *time.Location // the network's calendar
	Now      func() time.Time
	Logger   *slog.Logger
}

// Check reads every connector's state and mails each warning that begins an
// episode; it returns how many mails it queued. A warning mailed already,
// by an earlier run or another instance, is not mailed again until it has
// stopped holding.
func (w *Watcher) Check(ctx context.Context) (int, error) {
	health, err := w.Store.ConnectorHealth(ctx, w.Now())
	if err != nil {
		return 0, err
	}
	n, err := w.Store.Network(ctx)
	if err != nil {
		return 0, err
	}
	resources, err := w.Store.Resources(ctx)
	if err != nil {
		return 0, err
	}
	names := map[int64]string{}
	for _, r := range resources {
		names[r.ID] = r.Name
	}
	mailed := 0
	for _, h := range health {
		for _, kind := range warnings {
			id := h.Connector.ID
			if !slices.Contains(h.Warnings, kind) {
				if err := w.Store.ClearConnectorAlert(ctx, id, kind); err != nil {
					return mailed, err
				}
				continue
			}
			m, err := notify.Render("alerte-connecteur", notify.ConnectorAlert{Network: n.Name, Warning: h.WarningText(kind),
				Connector: "n° " + fmt.Sprint(id) + " (" + h.Connector.Kind.Label() + ") de " + names[h.Connector.ResourceID],
				StatusURL: w.BaseURL + StatusPath})
			if err != nil {
				return mailed, err
			}
			m.To, m.ToName = n.ContactEmail, n.Name
			if err := m.Validate(); err != nil {
				w.Logger.Error("alerte de connecteur non envoyée : e-mail de contact du réseau invalide", "connector", id, "err", err)
				continue
			}
			sent, err := w.Store.RaiseConnectorAlert(ctx, id, kind, h.Episode(kind), func(tx *store.Tx) error { return mail.Enqueue(ctx, tx, m) })
			if err != nil {
				return mailed, fmt.Errorf("alert about connector %d: %w", id, err)
			}
			if sent {
				mailed++
			}
		}
	}
	return mailed, nil
}

// Job is the daily job's handler: it checks the connectors, then schedules
// itself for the next morning.
func (w *Watcher) Job() jobs.Handler {
	return jobs.Handler{
		Do: func(ctx context.Context, _ store.Job) error {
			n, err := w.Check(ctx)
			if n > 0 {
				w.Logger.Info("alertes de connecteurs envoyées", "count", n)
			}
			return err
		},
		Record: func(ctx context.Context, _ store.Job, tx *store.Tx) error {
			return tx.ScheduleJob(ctx, jobs.KindConnectorHealth, jobs.NextDaily(w.Now(), w.Location, hour))
		},
	}
}
