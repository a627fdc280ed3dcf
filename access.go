package sesame

import "errors"

// AccessReason says why a patron may not open a resource, or AccessGranted.
// The launch page, « Mon compte », the 403 page, the callback check and the
// SSO protocols turn the reason into words or codes; none asks again why.
type AccessReason string

const (
	AccessGranted AccessReason = ""
	// AccessAwaitingLibrary is an account the library has not validated
	// yet: À valider or À revalider.
	AccessAwaitingLibrary AccessReason = "en_attente"
	// AccessAccountRefused is an account the library refused.
	AccessAccountRefused AccessReason = "compte_refuse"
	// AccessExpired is an Expiré account, or a Validé one without an end date.
	AccessExpired AccessReason = "expire"
	// AccessPastEndDate is a Validé account whose end date has passed: the
	// attempt itself makes it Expiré (AttemptAccess).
	AccessPastEndDate AccessReason = "date_depassee"
	// AccessResourceNotGranted is a resource the patron never asked for,
	// or whose request waits for the library or was refused.
	AccessResourceNotGranted AccessReason = "ressource_non_activee"
	// AccessResourceDisabled is a resource the network no longer offers.
	AccessResourceDisabled AccessReason = "ressource_retiree"
	// AccessResourceNotOffered is a resource the patron's library does not
	// offer (Resource.Offer).
	AccessResourceNotOffered AccessReason = "ressource_non_proposee"
	// AccessWaitingList is a resource activated while every seat was taken:
	// the patron waits for a place (GrantWaiting).
	AccessWaitingList AccessReason = "liste_attente"
)

// AccountClosed reports whether the reason is the account's end, for which
// the holder asks renewal, rather than a decision still to come.
func (r AccessReason) AccountClosed() bool { return r == AccessExpired || r == AccessPastEndDate }

// AccountNotValidated reports whether the library has not (or not yet)
// validated the account.
func (r AccessReason) AccountNotValidated() bool {
	return r == AccessAwaitingLibrary || r == AccessAccountRefused
}

// CanOpen decides whether the patron may open the resource under grant (nil
// when never asked for) on day today. It is the one access rule of Sésame:
// the launch route, the OpenID provider, the CAS server, the SAML identity
// provider and the callback check all come here through internal/access.
func CanOpen(p *Patron, res *Resource, grant *Grant, today Date) AccessReason {
	switch {
	case res != nil && res.Disabled:
		return AccessResourceDisabled
	case !res.OfferedTo(p.LibraryID):
		return AccessResourceNotOffered
	case p.PastEndDate(today):
		return AccessPastEndDate
	case p.Status == StatusExpired || (p.Status == StatusValidated && !p.ValidOn(today)):
		return AccessExpired
	case p.Status == StatusRefused:
		return AccessAccountRefused
	case p.Status != StatusValidated && !p.RenewingBeforeEnd(today):
		return AccessAwaitingLibrary
	case grant != nil && grant.State == GrantWaiting:
		return AccessWaitingList
	case grant == nil || grant.State != GrantValidated:
		return AccessResourceNotGranted
	}
	return AccessGranted
}

// Message is the reason in French, with what to do, as the 403 page shows it.
func (r AccessReason) Message(p *Patron, res *Resource) string {
	switch r {
	case AccessResourceDisabled:
		return "La ressource « " + res.Name + " » n'est plus proposée par le réseau."
	case AccessResourceNotOffered:
		return "La ressource « " + res.Name + " » n'est pas proposée par votre bibliothèque. Renseignez-vous auprès d'elle sur les ressources auxquelles elle est abonnée."
	case AccessWaitingList:
		return "Toutes les places de cette ressource sont prises : vous êtes en liste d'attente. Vous recevrez un courriel dès qu'une place se libère ; votre position est indiquée dans « Mon compte »."
	case AccessExpired, AccessPastEndDate:
		return "Votre compte a expiré. Demandez son renouvellement depuis « Mon compte » ; votre bibliothèque le validera."
	case AccessAwaitingLibrary, AccessAccountRefused:
		return "Votre compte n'est pas encore validé par votre bibliothèque (statut : " + p.Status.Label() + ")."
	case AccessResourceNotGranted:
		return "Cette ressource n'est pas encore activée pour vous. Demandez-la depuis « Mon compte » ; votre bibliothèque l'activera."
	}
	return ""
}

// StaffLabel is the reason as the network admin reads it, without the
// patron's name: the Connecteurs page lists refusals with it.
func (r AccessReason) StaffLabel() string {
	switch r {
	case AccessAwaitingLibrary:
		return "compte pas encore validé par la bibliothèque"
	case AccessAccountRefused:
		return "compte refusé par la bibliothèque"
	case AccessExpired:
		return "compte expiré"
	case AccessPastEndDate:
		return "date de fin de validité dépassée"
	case AccessResourceNotGranted:
		return "ressource non activée pour l'usager"
	case AccessResourceDisabled:
		return "ressource retirée du réseau"
	case AccessResourceNotOffered:
		return "ressource non proposée par la bibliothèque de l'usager"
	case AccessWaitingList:
		return "usager en liste d'attente (toutes les places sont prises)"
	}
	return string(r)
}

// AccessDenied is a refusal of access: an EForbidden *Error carrying its
// reason, so that whoever receives the error reads the reason from it.
type AccessDenied struct {
	Reason AccessReason
	err    *Error
}

func (e *AccessDenied) Error() string { return e.err.Error() }

// Unwrap lets ErrorCode and ErrorMessage see the EForbidden *Error.
func (e *AccessDenied) Unwrap() error { return e.err }

// Err is the refusal for reason r as an error, nil for AccessGranted.
func (r AccessReason) Err(p *Patron, res *Resource) error {
	if r == AccessGranted {
		return nil
	}
	return &AccessDenied{Reason: r, err: Errorf(EForbidden, "%s", r.Message(p, res))}
}

// AccessReasonOf returns the reason carried by err, AccessGranted when err
// is not a refusal of access.
func AccessReasonOf(err error) AccessReason {
	var d *AccessDenied
	if errors.As(err, &d) {
		return d.Reason
	}
	return AccessGranted
}

// PastEndDate reports whether a Validé account's end date passed before day
// today. Such an account is still Validé until its holder uses it (the
// tutorial's rule, AttemptAccess), but it opens nothing, and lists show it so.
func (p *Patron) PastEndDate(today Date) bool {
	return p.Status == StatusValidated && !p.ValidUntil.IsZero() && today.After(p.ValidUntil)
}

// ShownStatus is a status as the back office shows it on day today.
type ShownStatus struct {
	Label string
	// Warning marks a status that is not what it seems: a Validé account
	// past its end date.
	Warning bool
}

// ShownStatus is the patron's status as lists and records show it on day
// today: « Validé — date dépassée » for a Validé account past its end date,
// by the same rule (PastEndDate) that refuses it access.
func (p *Patron) ShownStatus(today Date) ShownStatus {
	if p.PastEndDate(today) {
		return ShownStatus{Label: p.Status.Label() + " — date dépassée", Warning: true}
	}
	return ShownStatus{Label: p.Status.Label()}
}
