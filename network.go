package sesame

import (
	"strings"
	"time"
)

// Network is the one network a deployment serves, such as "Bibliothèque du Finistère".
type Network struct {
	Name           string
	ContactEmail   string
	ValidityMonths int // how long a validated account stays open; 12 by default
	// StaffMFARequired sends staff without a second factor to set one up
	// right after login, and lets them do nothing else until then.
	StaffMFARequired bool
}

// DefaultValidityMonths is the tutorial's "Les comptes de vos usagers sont valides 1 an".
const DefaultValidityMonths = 12

// Library is a member library, known by a code such as FOUESNANT.
type Library struct {
	ID           int64
	Code         string
	Name         string
	Town         string
	ContactEmail string
	Disabled     bool
	// Notify says how the library hears of its patrons' requests.
	Notify NotifyMode
}

// NotifyMode is how a library hears, at its contact address, of the requests
// waiting for it: a new registration, a renewal, more resources.
type NotifyMode string

const (
	NotifyEachRequest NotifyMode = "par_demande" // one mail per request, as it comes
	NotifyDailyDigest NotifyMode = "quotidien"   // one mail a day listing the requests since the last one
)

// NotifyModes lists the modes in the order the library form offers them.
var NotifyModes = []NotifyMode{NotifyEachRequest, NotifyDailyDigest}

// Label is the mode as the library form names it.
func (m NotifyMode) Label() string {
	switch m {
	case NotifyEachRequest:
		return "Un courriel par demande"
	case NotifyDailyDigest:
		return "Un récapitulatif quotidien"
	}
	return string(m)
}

// ParseNotifyMode reads a mode as stored or sent by a form.
func ParseNotifyMode(s string) (NotifyMode, bool) {
	for _, m := range NotifyModes {
		if string(m) == s {
			return m, true
		}
	}
	return "", false
}

// RequestKind is what a patron asks of their library.
type RequestKind string

const (
	RequestRegistration RequestKind = "inscription"    // a confirmed registration, now À valider
	RequestRenewal      RequestKind = "renouvellement" // an Expiré account's holder asks for renewal, now À revalider
	RequestResources    RequestKind = "ressources"     // a patron asks for more resources, now En attente
)

// Label names the request in the mail to the library.
func (k RequestKind) Label() string {
	switch k {
	case RequestRegistration:
		return "Nouvelle inscription"
	case RequestRenewal:
		return "Demande de renouvellement"
	case RequestResources:
		return "Demande de ressources"
	}
	return string(k)
}

// Resource is an online resource offered to patrons (e-books, press, courses…).
type Resource struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	URL         string // the vendor's page
	Disabled    bool
}

// GrantState is where a patron's access to one resource stands.
type GrantState string

const (
	GrantPending   GrantState = "en_attente"
	GrantValidated GrantState = "validee"
	GrantRefused   GrantState = "refusee"
)

// Label is the state as the Ressources tab shows it.
func (g GrantState) Label() string {
	switch g {
	case GrantPending:
		return "En attente"
	case GrantValidated:
		return "Validé"
	case GrantRefused:
		return "Refusé"
	}
	return string(g)
}

// Grant is one patron's access to one resource.
type Grant struct {
	PatronID   int64
	ResourceID int64
	State      GrantState
	UpdatedAt  time.Time
}

// CanOpen reports whether the patron may open a resource under grant on day
// today, with a French reason and what to do when not. Call AttemptAccess
// first so that an account past its end date is expired, not just refused.
func CanOpen(p *Patron, grant *Grant, today Date) error {
	switch {
	case p.Status == StatusExpired || (p.Status == StatusValidated && !p.ValidOn(today)):
		return Errorf(EForbidden, "Votre compte a expiré. Demandez son renouvellement depuis « Mon compte » ; votre bibliothèque le validera.")
	case p.Status != StatusValidated:
		return Errorf(EForbidden, "Votre compte n'est pas encore validé par votre bibliothèque (statut : %s).", p.Status.Label())
	case grant == nil || grant.State != GrantValidated:
		return Errorf(EForbidden, "Cette ressource n'est pas encore activée pour vous. Demandez-la depuis « Mon compte » ; votre bibliothèque l'activera.")
	}
	return nil
}

// Role says what a staff account may do.
type Role string

const (
	RoleLibrary Role = "bibliotheque" // staff of exactly one library
	RoleAdmin   Role = "admin"        // the network admin
)

// Label is the role as admin screens show it.
func (r Role) Label() string {
	if r == RoleAdmin {
		return "Administration du réseau"
	}
	return "Bibliothèque"
}

// Staff is an account of library staff or of the network admin.
type Staff struct {
	ID           int64
	Login        string
	Name         string
	Role         Role
	LibraryID    int64 // set for RoleLibrary only
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// CheckLogin returns a French complaint, or "" for an acceptable login name.
func CheckLogin(s string) string {
	if s == "" {
		return "Identifiant : ce champ est obligatoire."
	}
	if len(s) > MaxLoginLength || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r == '@')
	}) >= 0 {
		return "Identifiant : 64 caractères au plus, en minuscules sans accent, chiffres, point, tiret, tiret bas ou @."
	}
	return ""
}

// NormalizeLogin is the form logins are stored and compared in.
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Actor is who does something: a staff member, or the patron themself.
type Actor struct {
	StaffID   int64
	PatronID  int64
	Label     string // shown in history: "fouesnant (Bibliothèque de Fouesnant)"
	Role      Role
	LibraryID int64
}

// AuditEvent records who changed what, and when.
type AuditEvent struct {
	ID         int64
	At         time.Time
	ActorLabel string
	LibraryID  int64
	PatronID   int64
	Action     string
	Detail     string
}
