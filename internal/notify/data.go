package notify

import "github.com/bdf29/sesame"

// The data of each template, named after it. Addresses are absolute: a
// mail is read outside the site.

// Request is demande.tmpl's: one request of a patron, to their library.
type Request struct {
	Kind             sesame.RequestKind
	Name             string // the patron, "Prénom NOM"
	Network, Library string
	Resources        []string // the resources asked for, for sesame.RequestResources
	RecordURL        string   // the patron's record
}

// Digest is recapitulatif.tmpl's: a library's requests since its last digest.
type Digest struct {
	Date, Library string
	Requests      []DigestLine
	ToDoURL       string // « À traiter »
}

// DigestLine is one request of a Digest.
type DigestLine struct {
	PatronName string // "NOM Prénom"
	Kind       sesame.RequestKind
	At         string // when, in the network's calendar
	Detail     string
	Status     sesame.Status // the account's status now
	URL        string        // the patron's record
}

// Validated is validation.tmpl's: the library validated or renewed the
// patron's account; Open and Waiting name its resources.
type Validated struct {
	Name, Network, Library string
	ValidUntil             string
	Renewed                bool
	Open, Waiting          []string
	AccountURL             string
}

// EndDateCorrected is date-de-fin-corrigee.tmpl's.
type EndDateCorrected struct {
	Name, Network, Library string
	ValidUntil             string
	AccountURL             string
}

// Refused is refus.tmpl's: a registration, or with Renewal a renewal,
// refused for Reason, if the library gave one.
type Refused struct {
	Name, Network, Library, LibraryEmail string
	Renewal                              bool
	Reason                               string
	AccountURL                           string
}

// Resources is ressources-activees.tmpl's: the library activated these resources.
type Resources struct {
	Name, Library string
	Activated     []string // at least one
	Validated     bool     // the account is open: the patron can use them now
	AccountURL    string
}

// PasswordChanged is mot-de-passe-change.tmpl's.
type PasswordChanged struct {
	Name      string
	ForgotURL string
}

// ConsentAgain is accord-parental-a-nouveau.tmpl's: a corrected birth date asks the
// parent's consent again, through Link.
type ConsentAgain struct {
	Parent, Child, Network, Library string
	BirthDate                       string
	Link                            string
}

// Reset is mot-de-passe-oublie.tmpl's: the link that chooses a new password.
type Reset struct {
	Name, Network, Link string
}

// Confirmation is confirmation-inscription.tmpl's: the link that confirms a
// registration; Minor when a parent's consent comes next.
type Confirmation struct {
	Name, Network, Link string
	Minor               bool
}

// ParentalConsent is accord-parental.tmpl's: the link to the page where a
// parent consents to their child's registration.
type ParentalConsent struct {
	Parent, Child, Network, Library string
	Link                            string
}

// AlreadyRegistered is deja-inscrit.tmpl's.
type AlreadyRegistered struct {
	Network       string
	Login, Forgot string
}

// Reminder is rappel-fin-de-validite.tmpl's: a reminder before the end of
// validity (DaysLeft days before, 0 on the day), or with Ended the day
// after. RenewURL opens the page with « Demander le renouvellement ».
type Reminder struct {
	Name, Network, Library string
	ValidUntil             string
	DaysLeft               int
	Ended                  bool
	RenewURL               string
}

// SIGBRenewal is renouvellement-sigb.tmpl's: an Expiré patron renewed at
// their library (its library system says so, on RegisteredOn), invited to
// ask for the renewal of their account, which only they may do.
type SIGBRenewal struct {
	Name, Network, Library string
	RegisteredOn           string
	RenewURL               string
}
