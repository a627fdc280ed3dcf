package sesame

import (
	"fmt"
	"time"
)

// Renewals from the library system (SIGB). A patron renews at the library
// desk, where the library system records it; an import brings that date
// here, so that nobody types it a second time. What the date does to an
// account is decided here, once, for the page, the API and the command.

// RenewalOutcome is what a library system's date does to one account.
type RenewalOutcome string

const (
	// RenewalRenewed: a Validé account given a later library date gets a
	// new period, as on the Statut tab (ChangeRenewed).
	RenewalRenewed RenewalOutcome = "renewed"
	// RenewalRevalidated: an À revalider account becomes Validé with the
	// library system's date: the tutorial's case (ChangeRenewed).
	RenewalRevalidated RenewalOutcome = "revalidated"
	// RenewalFlagged: an À valider account is left to the librarian, who
	// checks the registration, but shown « inscrit au SIGB » with the date.
	RenewalFlagged RenewalOutcome = "flagged"
	// RenewalExpiredNotified: an Expiré account stays Expiré, since only its
	// holder may ask for renewal; the holder is mailed once per library date
	// to ask for it in one click.
	RenewalExpiredNotified RenewalOutcome = "expired_notified"
	// RenewalUnchanged: nothing to do, and Renewal.Reason says why.
	RenewalUnchanged RenewalOutcome = "unchanged"
)

// SIGBDates are the dates a line of the library system gives: the library
// date, the end of the library subscription, or both.
type SIGBDates struct {
	RegisteredOn Date
	ValidUntil   Date
}

// LibraryDate is the library date the line stands for. The end of the
// subscription stands for the start validityMonths before it, as Decide
// counts the other way: the same line then gives the same end date here as
// there. When the file gives both, the later wins: Koha's dateenrolled is
// the first enrolment and stays put, while a renewal at the desk moves
// dateexpiry.
func (d SIGBDates) LibraryDate(validityMonths int) Date {
	if d.ValidUntil.IsZero() {
		return d.RegisteredOn
	}
	fromEnd := d.ValidUntil.AddMonths(-validityMonths)
	if fromEnd.After(d.RegisteredOn) {
		return fromEnd
	}
	return d.RegisteredOn
}

// Renewal is what RenewFromSIGB did to a patron.
type Renewal struct {
	Outcome RenewalOutcome
	Reason  string // French: why nothing changed, or what was done
	// Date is the library date the line stands for.
	Date Date
	// Changes classifies the save (Transition), for the audit action, the
	// statistics and the mail, as a save of the Statut tab would.
	Changes []Change
}

// Changed reports whether p must be saved.
func (r Renewal) Changed() bool { return r.Outcome != RenewalUnchanged }

// The reasons given when a date changes nothing.
const (
	reasonNoDate      = "Ni date d'inscription ni date de fin d'abonnement dans la ligne."
	reasonNotLater    = "La date d'inscription du SIGB (%s) n'est pas postérieure à celle de Sésame (%s)."
	reasonRefused     = "Compte « Refusé » : un renouvellement au SIGB ne le rouvre pas ; la bibliothèque peut le valider depuis l'onglet Statut."
	reasonFlagged     = "Compte « À valider » déjà signalé inscrit au SIGB le %s."
	reasonNotified    = "Compte « Expiré » : l'usager a déjà été invité à demander le renouvellement pour l'inscription du %s."
	reasonRenewed     = "Inscription dans la bibliothèque du %s : compte renouvelé jusqu'au %s."
	reasonRevalidated = "Inscription dans la bibliothèque du %s : compte revalidé jusqu'au %s."
	reasonToValidate  = "Inscrit au SIGB le %s : compte laissé « À valider » pour la bibliothèque."
	reasonExpired     = "Compte « Expiré » : seul l'usager peut demander le renouvellement ; il est invité à le faire (inscription au SIGB du %s)."
)

// RenewFromSIGB applies to p what the library system says of it, on day
// today under a validity of validityMonths:
//   - Validé with a later library date: renewed through Decide, with its
//     checks (a date in the future, or a subscription already over, is
//     not applied);
//   - À revalider with a later library date: Validé through Decide;
//   - À valider: left as it is, SIGBRegisteredOn set so that the librarian
//     sees « inscrit au SIGB »;
//   - Expiré: left as it is (only its holder may ask for renewal),
//     SIGBRegisteredOn set so that the holder is mailed once per date;
//   - Refusé, or a date that is not later: unchanged, with the reason.
//
// p is changed only when the outcome is not RenewalUnchanged.
func (p *Patron) RenewFromSIGB(d SIGBDates, today Date, validityMonths int) Renewal {
	date := d.LibraryDate(validityMonths)
	r := Renewal{Outcome: RenewalUnchanged, Date: date}
	if date.IsZero() {
		r.Reason = reasonNoDate
		return r
	}
	if p.Status == StatusRefused {
		r.Reason = reasonRefused
		return r
	}
	if !p.LibraryRegisteredOn.IsZero() && !date.After(p.LibraryRegisteredOn) {
		r.Reason = fmt.Sprintf(reasonNotLater, date.String(), p.LibraryRegisteredOn.String())
		return r
	}
	// Decide's checks of a library date hold for every status: on a copy,
	// for the statuses that are not validated here.
	trial := *p
	trial.ConsentAskedAt = trialConsent(p)
	if err := trial.Decide(Decision{Status: StatusValidated, LibraryRegisteredOn: date}, today, validityMonths); err != nil {
		r.Reason = reasonOf(err)
		return r
	}
	switch p.Status {
	case StatusValidated, StatusToRevalidate:
		before := *p
		if err := p.Decide(Decision{Status: StatusValidated, LibraryRegisteredOn: date}, today, validityMonths); err != nil {
			r.Reason = reasonOf(err)
			return r
		}
		r.Changes = Transition(before, *p, today)
		if !Has(r.Changes, ChangeRenewed) {
			// A later library date under a shorter validity could move the
			// end back: no renewal, and an import corrects nothing.
			*p = before
			r.Changes = nil
			r.Reason = fmt.Sprintf(reasonNotLater, date.String(), p.LibraryRegisteredOn.String())
			return r
		}
		r.Outcome, r.Reason = RenewalRenewed, fmt.Sprintf(reasonRenewed, date.String(), p.ValidUntil.String())
		if before.Status == StatusToRevalidate {
			r.Outcome, r.Reason = RenewalRevalidated, fmt.Sprintf(reasonRevalidated, date.String(), p.ValidUntil.String())
		}
	case StatusToValidate:
		if !p.SIGBRegisteredOn.IsZero() && !date.After(p.SIGBRegisteredOn) {
			r.Reason = fmt.Sprintf(reasonFlagged, p.SIGBRegisteredOn.String())
			return r
		}
		p.SIGBRegisteredOn = date
		r.Outcome, r.Reason = RenewalFlagged, fmt.Sprintf(reasonToValidate, date.String())
	case StatusExpired:
		if !p.SIGBRegisteredOn.IsZero() && !date.After(p.SIGBRegisteredOn) {
			r.Reason = fmt.Sprintf(reasonNotified, p.SIGBRegisteredOn.String())
			return r
		}
		p.SIGBRegisteredOn = date
		r.Outcome, r.Reason = RenewalExpiredNotified, fmt.Sprintf(reasonExpired, date.String())
	default:
		r.Reason = "Statut inconnu : « " + string(p.Status) + " »."
	}
	return r
}

// trialConsent keeps the awaited consent out of the trial of a date, except
// where the date would validate the account: an À valider or Expiré account
// is not validated here, so a consent it awaits does not make the date wrong.
func trialConsent(p *Patron) time.Time {
	if p.Status == StatusValidated || p.Status == StatusToRevalidate {
		return p.ConsentAskedAt
	}
	return time.Time{}
}

// reasonOf is Decide's refusal in one sentence.
func reasonOf(err error) string {
	if f := FieldErrorsOf(err); len(f) > 0 {
		for _, k := range []string{FieldLibraryRegisteredOn, FieldStatus} {
			if msg, ok := f[k]; ok {
				return msg
			}
		}
	}
	return ErrorMessage(err)
}

// SIGBNote is the library date to show staff beside the account, as
// « Inscrit au SIGB le … »: the date the library system gave an account
// that waits for someone (À valider for the library, Expiré or À
// revalider for its holder or the library), when it is later than the
// account's own. Zero when there is nothing to say.
func (p *Patron) SIGBNote() Date {
	switch p.Status {
	case StatusToValidate, StatusExpired, StatusToRevalidate:
		if !p.SIGBRegisteredOn.IsZero() && p.SIGBRegisteredOn.After(p.LibraryRegisteredOn) {
			return p.SIGBRegisteredOn
		}
	}
	return Date{}
}
