package demo

import (
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// history is the past of a demo account, on the dates its record shows: its
// registration on its registration date, its validation on its library
// date, its expiry on the day after its end date, a refusal a few days after
// the registration. The statistics count these events on the dates they
// mean, so the demo's charts agree with its records. Events fall at 9 h in
// Paris (8 h or 7 h UTC), none later than now.
func history(p sesame.Patron, now time.Time) []store.PastEvent {
	on := func(d sesame.Date) time.Time {
		at := time.Date(d.Year, d.Month, d.Day, 7, 0, 0, 0, time.UTC)
		if at.After(now) {
			return now
		}
		return at
	}
	status := func(from, to sesame.Status) string {
		return "Statut : « " + from.Label() + " » → « " + to.Label() + " »."
	}
	out := []store.PastEvent{{At: on(p.RegisteredOn), Action: sesame.ActionRegistration, Detail: "Inscription aux ressources numériques."}}
	switch p.Status {
	case sesame.StatusValidated, sesame.StatusToRevalidate, sesame.StatusExpired:
		out = append(out, store.PastEvent{At: on(p.LibraryRegisteredOn), Action: sesame.ActionValidation,
			Detail: status(sesame.StatusToValidate, sesame.StatusValidated) + " Date d'inscription dans la bibliothèque : " + p.LibraryRegisteredOn.String() + "."})
	case sesame.StatusRefused:
		refused := p.RegisteredOn.AddDays(3)
		out = append(out, store.PastEvent{At: on(refused), Action: sesame.ActionRefusal,
			Detail: status(sesame.StatusToValidate, sesame.StatusRefused) + " Motif : " + p.RefusalReason})
	}
	if p.Status == sesame.StatusToRevalidate || p.Status == sesame.StatusExpired {
		ended := p.ValidUntil.AddDays(1)
		out = append(out, store.PastEvent{At: on(ended), Action: sesame.ActionExpiry,
			Detail: status(sesame.StatusValidated, sesame.StatusExpired) + " Date de fin de validité (" + p.ValidUntil.String() + ") dépassée."})
		if p.Status == sesame.StatusToRevalidate {
			out = append(out, store.PastEvent{At: on(ended), Action: sesame.ActionRenewalRequest,
				Detail: status(sesame.StatusExpired, sesame.StatusToRevalidate) + " L'usager demande le renouvellement de son compte."})
		}
	}
	return out
}
