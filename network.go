package sesame

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Network is the one network a deployment serves, such as "Bibliothèque du Finistère".
type Network struct {
	Name           string
	ContactEmail   string
	ValidityMonths int // how long a validated account stays open; 12 by default
	// StaffMFARequired sends staff without a second factor to set one up
	// right after login, and lets them do nothing else until then.
	StaffMFARequired bool
	// Reminders is when patrons hear that their account ends, unless their
	// library chose otherwise (Library.Reminders).
	Reminders ReminderSchedule
}

// DefaultValidityMonths is the tutorial's "Les comptes de vos usagers sont valides 1 an".
const DefaultValidityMonths = 12

// MaxValidityMonths is the longest validity the network form accepts.
const MaxValidityMonths = 36

// Field names of the network form.
const (
	FieldNetworkName    = "nom"
	FieldNetworkEmail   = "email"
	FieldValidityMonths = "validite"
)

const validityMonthsComplaint = "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36, par exemple 12."

// Validate checks the network's settings before they are saved, with French
// messages keyed by form field.
func (n *Network) Validate() error {
	errs := FieldErrors{}
	errs.Add(FieldNetworkName, CheckRequiredText("Nom du réseau", n.Name, 100))
	errs.Add(FieldNetworkEmail, checkContactEmail(n.ContactEmail))
	if n.ValidityMonths < 1 || n.ValidityMonths > MaxValidityMonths {
		errs.Add(FieldValidityMonths, validityMonthsComplaint)
	}
	errs.Add(FieldReminderDays, n.Reminders.Check())
	return errs.Err()
}

// ParseValidityMonths reads the validity length as typed in the network form,
// with a French complaint when it is not a whole number. An empty field gets
// its own message, which a typed 0 must not; the range is Validate's.
func ParseValidityMonths(s string) (int, string) {
	if s == "" {
		return 0, "Durée de validité des comptes : ce champ est obligatoire."
	}
	months, err := strconv.Atoi(s)
	if err != nil {
		return 0, validityMonthsComplaint
	}
	return months, ""
}

// checkContactEmail is CheckEmail for the contact address of the network or
// of a library, which the forms label "E-mail de contact".
func checkContactEmail(s string) string {
	if msg := CheckEmail(s); msg != "" {
		return "E-mail de contact" + strings.TrimPrefix(msg, "E-mail")
	}
	return ""
}

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
	// ReminderDays and ReminderDayAfter are the library's own reminders
	// before the end of validity; nil follows the network (Reminders).
	ReminderDays     []int
	ReminderDayAfter *bool
	// ValidityMonths is how long the library keeps its patrons' accounts
	// open; 0 follows the network. Ask Network.ValidityFor, never this.
	ValidityMonths int
}

// ValidityFor is how many months an account of library l stays open once
// validated: the library's own length, else the network's. Every end date
// (the Statut tab, a bulk validation, a renewal from the library system)
// is computed with it. A nil l is the network's.
func (n Network) ValidityFor(l *Library) int {
	if l != nil && l.ValidityMonths > 0 {
		return l.ValidityMonths
	}
	if n.ValidityMonths > 0 {
		return n.ValidityMonths
	}
	return DefaultValidityMonths
}

// ParseLibraryValidityMonths reads a library's own validity as typed in its
// form: empty follows the network (0). The range is Library.Validate's.
func ParseLibraryValidityMonths(s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	months, err := strconv.Atoi(s)
	if err != nil || months < 1 {
		return 0, libraryValidityComplaint
	}
	return months, ""
}

const libraryValidityComplaint = "Durée de validité des comptes : laissez vide pour suivre le réseau, ou indiquez un nombre entier de mois, de 1 à 36, par exemple 6."

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

// Field names of the network admin's library and resource forms.
const (
	FieldLibraryCode   = "code"
	FieldLibraryName   = "nom"
	FieldLibraryTown   = "ville"
	FieldLibraryEmail  = "email"
	FieldLibraryNotify = "notification"
	// FieldLibraryValidity is the library's own validity, in months.
	FieldLibraryValidity = "validite"

	FieldResourceSlug        = "identifiant_court"
	FieldResourceName        = "nom"
	FieldResourceDescription = "description"
	FieldResourceURL         = "lien"
)

// Validate checks a library before it is saved, with French messages keyed
// by form field. An empty Notify passes: an edit that sends no choice keeps
// the saved mode.
func (l *Library) Validate() error {
	errs := FieldErrors{}
	errs.Add(FieldLibraryCode, checkLibraryCode(l.Code))
	errs.Add(FieldLibraryName, CheckRequiredText("Nom", l.Name, 100))
	errs.Add(FieldLibraryTown, CheckRequiredText("Ville", l.Town, 100))
	errs.Add(FieldLibraryEmail, checkContactEmail(l.ContactEmail))
	if _, ok := ParseNotifyMode(string(l.Notify)); l.Notify != "" && !ok {
		errs.Add(FieldLibraryNotify, "Demandes des usagers : choisissez « un courriel par demande » ou « un récapitulatif quotidien ».")
	}
	if l.ReminderDays != nil {
		errs.Add(FieldReminderDays, ReminderSchedule{DaysBefore: l.ReminderDays}.Check())
	}
	if l.ValidityMonths < 0 || l.ValidityMonths > MaxValidityMonths {
		errs.Add(FieldLibraryValidity, libraryValidityComplaint)
	}
	return errs.Err()
}

// checkLibraryCode returns a French complaint, or "" for a code such as FOUESNANT or BREST-2.
func checkLibraryCode(code string) string {
	if code == "" {
		return "Code : ce champ est obligatoire."
	}
	n := utf8.RuneCountInString(code)
	if n < 2 || n > 40 || strings.IndexFunc(code, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}) >= 0 {
		return "Code : de 2 à 40 caractères, lettres sans accent, chiffres et tirets, par exemple FOUESNANT."
	}
	return ""
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
	// Offer is which libraries offer it (offer.go); all by default.
	Offer ResourceOffer
	// SeatCap is the network's cap on active users, 0 for none; LibraryCaps
	// the libraries with seats of their own (licence.go, SeatPool).
	SeatCap     int
	LibraryCaps map[int64]int
	// YearlyPrice is what the network pays a year, for the cost per active
	// user of the statistics; 0 when not given.
	YearlyPrice Cents
}

// Validate checks a resource before it is saved, with French messages keyed
// by form field.
func (r *Resource) Validate() error {
	errs := FieldErrors{}
	errs.Add(FieldResourceSlug, checkResourceSlug(r.Slug))
	errs.Add(FieldResourceName, CheckRequiredText("Nom", r.Name, 100))
	errs.Add(FieldResourceDescription, CheckOptionalText("Description", r.Description, 1000, true))
	errs.Add(FieldResourceURL, checkVendorURL(r.URL))
	errs.Add(FieldResourceLibraries, r.Offer.Check())
	return errs.Err()
}

// checkResourceSlug returns a French complaint, or "" for a slug such as "cafeyn" or "tout-apprendre".
func checkResourceSlug(slug string) string {
	if slug == "" {
		return "Identifiant court : ce champ est obligatoire."
	}
	if len(slug) < 2 || len(slug) > 60 || strings.IndexFunc(slug, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) >= 0 {
		return "Identifiant court : de 2 à 60 caractères, lettres minuscules sans accent, chiffres et tirets, par exemple tout-apprendre."
	}
	return ""
}

// checkVendorURL returns a French complaint, or "" for the address of a
// vendor's page: patrons are sent there, so no credentials and nothing a
// link would cut.
func checkVendorURL(raw string) string {
	const label = "Lien du fournisseur"
	if msg := CheckRequiredText(label, raw, 2000); msg != "" {
		return msg
	}
	if u, ok := parseHTTPURL(raw); !ok || u.User != nil || strings.ContainsAny(raw, " <>\"") {
		return label + " : indiquez une adresse complète commençant par https:// ou http://, par exemple https://www.exemple.fr/."
	}
	return ""
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
	case GrantWaiting:
		return "Liste d'attente"
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
