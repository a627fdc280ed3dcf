package sesame

import (
	"strings"
	"time"
)

// Status is where a patron's account stands, in the tutorial's words.
type Status string

const (
	StatusToValidate   Status = "a_valider"   // a new registration, waiting for the library
	StatusValidated    Status = "valide"      // open until ValidUntil
	StatusRefused      Status = "refuse"      // closed by the library, with an optional reason
	StatusExpired      Status = "expire"      // past its end date, seen when its holder came back
	StatusToRevalidate Status = "a_revalider" // its holder asked for renewal
)

// Statuses lists every status in the order the filter offers them.
var Statuses = []Status{StatusToValidate, StatusToRevalidate, StatusValidated, StatusRefused, StatusExpired}

// Label is the status as the back office shows it.
func (s Status) Label() string {
	switch s {
	case StatusToValidate:
		return "À valider"
	case StatusValidated:
		return "Validé"
	case StatusRefused:
		return "Refusé"
	case StatusExpired:
		return "Expiré"
	case StatusToRevalidate:
		return "À revalider"
	}
	return string(s)
}

// ParseStatus reads a status as stored or sent by a form.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// AwaitsStaff reports whether the library has to act on the account.
func (s Status) AwaitsStaff() bool { return s == StatusToValidate || s == StatusToRevalidate }

// Patron is an usager: a person registered to the network's online resources
// through one member library.
type Patron struct {
	ID         int64
	LibraryID  int64
	LastName   string
	FirstName  string
	Email      string
	BirthDate  Date
	PostalCode string
	Town       string
	CardNumber string // N° d'inscription, the library card number; may be empty
	// RegisteredOn is the "Date inscription": the first registration to the
	// online resources, set by the system once.
	RegisteredOn Date

	Status Status
	// LibraryRegisteredOn is the "date d'inscription dans la bibliothèque":
	// the start of the patron's current subscription at their library.
	LibraryRegisteredOn Date
	// ValidUntil is the "date de fin de validité", fixed when the account is
	// validated from LibraryRegisteredOn and the network's validity length.
	ValidUntil    Date
	RefusalReason string
	// ConsentAskedAt is when a parent's consent was last asked for a patron
	// whose birth date was corrected to one under ParentalConsentAge
	// (ChangeConsentRequired); zero once it came back, or when none was asked.
	ConsentAskedAt time.Time
	// SIGBRegisteredOn is the library date the library system (SIGB) gave
	// in an import that did not apply it (RenewFromSIGB): an À valider
	// account shown « inscrit au SIGB », or an Expiré one told once to ask
	// for renewal. Zero when none.
	SIGBRegisteredOn Date

	Version   int // bumped on every change, for the optimistic check
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FullName is "NOM Prénom", as lists show people.
func (p *Patron) FullName() string { return p.LastName + " " + p.FirstName }

// ValidOn reports whether the account lets its holder in on day today. An
// account is valid up to and including its end date.
func (p *Patron) ValidOn(today Date) bool {
	return p.Status == StatusValidated && !p.ValidUntil.IsZero() && !today.After(p.ValidUntil)
}

// AttemptAccess is what happens when the holder logs in or opens a resource on
// day today: a Validé account past its end date becomes Expiré. It reports
// whether the status changed, so that the caller saves and audits it.
func (p *Patron) AttemptAccess(today Date) (expired bool) {
	if p.PastEndDate(today) {
		p.Status = StatusExpired
		return true
	}
	return false
}

// RequestRenewal is the holder asking, on day today, for renewal of an
// Expiré account, or of a Validé one near its end (MayRequestRenewal), which
// then waits for the library as À revalider; asked before the end date, it
// stays open until then (RenewingBeforeEnd). Only the holder may call it.
func (p *Patron) RequestRenewal(today Date) error {
	if !p.MayRequestRenewal(today) {
		return Errorf(EForbidden, "Seul un compte expiré, ou proche de sa date de fin, peut faire l'objet d'une demande de renouvellement.")
	}
	p.Status = StatusToRevalidate
	return nil
}

// ExpiredNotice is the tutorial's explanation, shown on an Expiré record.
const ExpiredNotice = "Le statut « Expiré » indique que l'abonnement a dépassé son terme et que l'usager a tenté de se connecter. " +
	"Il est impossible d'intervenir sur cette fiche : seul l'usager peut demander son renouvellement. " +
	"Une fois la demande effectuée, son statut passe à « À revalider »."

// Decision is what staff save on the Statut tab.
type Decision struct {
	Status              Status
	LibraryRegisteredOn Date
	RefusalReason       string
}

// Field names shared by the domain's FieldErrors and the forms.
const (
	FieldStatus              = "statut"
	FieldLibraryRegisteredOn = "date_bibliotheque"
	FieldRefusalReason       = "motif"
)

// Decide applies a staff decision taken on day today under a validity of
// validityMonths. Staff move À valider or À revalider to Validé or Refusé,
// renew a Validé account early by moving its library date, and may correct a
// refusal by validating. Who may decide on an Expiré account is EditableBy's
// rule, which the store applies before any staff change.
func (p *Patron) Decide(d Decision, today Date, validityMonths int) error {
	errs := FieldErrors{}
	switch d.Status {
	case StatusValidated:
		if p.AwaitsParentalConsent(today) {
			errs.Add(FieldStatus, ErrConsentAwaited)
			return errs.Err()
		}
		end := d.LibraryRegisteredOn.AddMonths(validityMonths)
		switch {
		case d.LibraryRegisteredOn.IsZero():
			errs.Add(FieldLibraryRegisteredOn, "Indiquez la date d'inscription dans la bibliothèque pour valider le compte.")
		case d.LibraryRegisteredOn.After(today):
			errs.Add(FieldLibraryRegisteredOn, "La date d'inscription dans la bibliothèque ne peut pas être dans le futur.")
		case today.After(end):
			errs.Add(FieldLibraryRegisteredOn, "Avec cette date, l'abonnement a pris fin le "+end.String()+" : indiquez la date du dernier réabonnement dans la bibliothèque.")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		p.Status = StatusValidated
		p.LibraryRegisteredOn = d.LibraryRegisteredOn
		p.ValidUntil = end
		p.RefusalReason = ""
	case StatusRefused:
		if p.Status != StatusToValidate && p.Status != StatusToRevalidate && p.Status != StatusRefused {
			errs.Add(FieldStatus, "Seul un compte « À valider » ou « À revalider » peut être refusé.")
		}
		reason := strings.TrimSpace(d.RefusalReason)
		if msg := checkText(reason, 500, true); msg != "" {
			errs.Add(FieldRefusalReason, "Motif du refus : "+msg)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		p.Status = StatusRefused
		p.ValidUntil = Date{}
		p.RefusalReason = reason
	default:
		errs.Add(FieldStatus, "Choisissez « Validé » ou « Refusé ».")
		return errs.Err()
	}
	return nil
}

// PatronDetails are the fields of the Informations tab that staff may edit.
type PatronDetails struct {
	LastName   string
	FirstName  string
	BirthDate  string // as typed, parsed by Validate
	PostalCode string
	Town       string
	CardNumber string
}

// Field names of the Informations tab.
const (
	FieldLastName   = "nom"
	FieldFirstName  = "prenom"
	FieldEmail      = "email"
	FieldBirthDate  = "date_naissance"
	FieldPostalCode = "code_postal"
	FieldTown       = "ville"
	FieldCardNumber = "numero_inscription"
	FieldLibrary    = "bibliotheque"
)

// Apply validates the details and, when they are all right, copies them into p.
func (d PatronDetails) Apply(p *Patron, today Date) error {
	errs := FieldErrors{}
	last, first := strings.TrimSpace(d.LastName), strings.TrimSpace(d.FirstName)
	town, card := strings.TrimSpace(d.Town), strings.TrimSpace(d.CardNumber)
	postal := strings.TrimSpace(d.PostalCode)
	if msg := checkName(last); msg != "" {
		errs.Add(FieldLastName, "Nom : "+msg)
	}
	if msg := checkName(first); msg != "" {
		errs.Add(FieldFirstName, "Prénom : "+msg)
	}
	birth, err := ParseDate(d.BirthDate)
	switch {
	case err != nil:
		errs.Add(FieldBirthDate, "Date de naissance : "+ErrorMessage(err))
	case birth.After(today):
		errs.Add(FieldBirthDate, "Date de naissance : elle ne peut pas être dans le futur.")
	case birth.Before(MustDate(1900, 1, 1)):
		errs.Add(FieldBirthDate, "Date de naissance : elle doit être postérieure au 01/01/1900.")
	}
	if msg := CheckPostalCode(postal); msg != "" {
		errs.Add(FieldPostalCode, msg)
	}
	if town == "" {
		errs.Add(FieldTown, "Ville : ce champ est obligatoire.")
	} else if msg := checkText(town, 100, false); msg != "" {
		errs.Add(FieldTown, "Ville : "+msg)
	}
	if msg := checkText(card, 50, false); msg != "" {
		errs.Add(FieldCardNumber, "N° d'inscription : "+msg)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	p.LastName, p.FirstName, p.BirthDate = last, first, birth
	p.PostalCode, p.Town, p.CardNumber = postal, town, card
	return nil
}

// Details returns the editable fields of p as a form shows them.
func (p *Patron) Details() PatronDetails {
	return PatronDetails{
		LastName: p.LastName, FirstName: p.FirstName, BirthDate: p.BirthDate.String(),
		PostalCode: p.PostalCode, Town: p.Town, CardNumber: p.CardNumber,
	}
}
