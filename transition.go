package sesame

// The lifecycle of an account. A save changes a patron from before to after;
// Transition says, once, what that change was. The audit trail, the
// statistics, the mails to the patron and the « À traiter » queue all read
// its answer: none of them compares before and after on its own, so they
// cannot disagree about what happened.

// ChangeKind is one thing a save did to an account.
type ChangeKind string

const (
	// ChangeValidated opens an account: À valider, or Refusé, becomes Validé.
	ChangeValidated ChangeKind = "validation"
	// ChangeRefused closes an account waiting for the library; see Change.Renewal.
	ChangeRefused ChangeKind = "refus"
	// ChangeRenewed gives an account a new period: À revalider becomes
	// Validé, or a Validé account gets a later end date, renewed before its
	// end because the holder re-subscribed at their library.
	ChangeRenewed ChangeKind = "renouvellement"
	// ChangeEndDateCorrected moves a Validé account's end date back: staff
	// correct a library date typed too late. It is no renewal, and the
	// statistics do not count it as one.
	ChangeEndDateCorrected ChangeKind = "correction"
	// ChangeExpired is a Validé account seen past its end date.
	ChangeExpired ChangeKind = "expiration"
	// ChangeRenewalRequested is the holder asking for renewal of an Expiré
	// account, or of a Validé one near its end (Patron.RequestRenewal).
	ChangeRenewalRequested ChangeKind = "demande de renouvellement"
	// ChangeConsentRequired is a birth date corrected to one under
	// ParentalConsentAge on a patron who was older: treated as a new
	// registration of a minor, the account waits for the library again and a
	// parent's consent is asked for (RequireParentalConsent).
	ChangeConsentRequired ChangeKind = "accord parental"
	// The grant kinds, from GrantTransition; Change.Resource names the resource.
	ChangeResourceGranted   ChangeKind = "ressource validée"
	ChangeResourceRefused   ChangeKind = "ressource refusée"
	ChangeResourceWithdrawn ChangeKind = "ressource retirée" // validated before, no longer
)

// Change is one typed change of an account.
type Change struct {
	Kind ChangeKind
	// Renewal is set on ChangeRefused when what was refused is a renewal
	// request (À revalider), not a registration.
	Renewal bool
	// Resource names the resource of a grant kind.
	Resource string
}

// Transition classifies the save of a patron from before to after, on day
// today of the network's calendar. It returns nothing when the save made no
// change the lifecycle knows of (names, a refusal's reason corrected…).
func Transition(before, after Patron, today Date) []Change {
	var out []Change
	if !after.BirthDate.IsZero() && NeedsParentalConsent(after.BirthDate, today) &&
		(before.BirthDate.IsZero() || !NeedsParentalConsent(before.BirthDate, today)) && before.BirthDate != after.BirthDate {
		out = append(out, Change{Kind: ChangeConsentRequired})
	}
	switch b, a := before.Status, after.Status; {
	case a == StatusValidated && b == StatusToRevalidate:
		out = append(out, Change{Kind: ChangeRenewed})
	case a == StatusValidated && b == StatusValidated && after.ValidUntil.After(before.ValidUntil):
		out = append(out, Change{Kind: ChangeRenewed})
	case a == StatusValidated && b == StatusValidated && before.ValidUntil.After(after.ValidUntil):
		out = append(out, Change{Kind: ChangeEndDateCorrected})
	case a == StatusValidated && b != StatusValidated:
		out = append(out, Change{Kind: ChangeValidated})
	case a == StatusRefused && b != StatusRefused:
		out = append(out, Change{Kind: ChangeRefused, Renewal: b == StatusToRevalidate})
	case a == StatusExpired && b == StatusValidated:
		out = append(out, Change{Kind: ChangeExpired})
	case a == StatusToRevalidate && (b == StatusExpired || b == StatusValidated):
		out = append(out, Change{Kind: ChangeRenewalRequested})
	}
	return out
}

// GrantTransition classifies the change of one grant, on the resource named
// resource, from before ("" when never asked for) to after. A request
// (nothing → en attente) is not a decision and reports false.
func GrantTransition(resource string, before, after GrantState) (Change, bool) {
	switch {
	case before == after:
		return Change{}, false
	case after == GrantValidated:
		return Change{Kind: ChangeResourceGranted, Resource: resource}, true
	case before == GrantValidated:
		return Change{Kind: ChangeResourceWithdrawn, Resource: resource}, true
	case after == GrantRefused:
		return Change{Kind: ChangeResourceRefused, Resource: resource}, true
	}
	return Change{}, false
}

// Has reports whether changes hold one of kind k.
func Has(changes []Change, k ChangeKind) bool {
	for _, c := range changes {
		if c.Kind == k {
			return true
		}
	}
	return false
}

// Action is the audit trail's name of a change of kind k.
func (k ChangeKind) Action() AuditAction {
	switch k {
	case ChangeValidated:
		return ActionValidation
	case ChangeRefused:
		return ActionRefusal
	case ChangeRenewed:
		return ActionRenewal
	case ChangeExpired:
		return ActionExpiry
	case ChangeRenewalRequested:
		return ActionRenewalRequest
	case ChangeConsentRequired:
		return ActionInformation
	case ChangeResourceGranted, ChangeResourceRefused, ChangeResourceWithdrawn:
		return ActionResources
	}
	return ActionStatus // ChangeEndDateCorrected
}

// ActionOf names a save in the audit trail: the action of its status change
// if it made one, otherwise the action of the tab saved.
func ActionOf(changes []Change, otherwise AuditAction) AuditAction {
	for _, c := range changes {
		if c.Kind != ChangeConsentRequired {
			return c.Kind.Action()
		}
	}
	return otherwise
}

// RequireParentalConsent applies ChangeConsentRequired to p: like a new
// registration of a minor, the account waits for the library (À valider)
// until a parent's consent is back. A refused account stays refused: a
// corrected birth date does not reopen it.
func (p *Patron) RequireParentalConsent() {
	if p.Status == StatusRefused {
		return
	}
	p.Status = StatusToValidate
	p.ValidUntil = Date{}
}

// ErrConsentAwaited is why Decide refuses to validate an account that
// AwaitsParentalConsent.
const ErrConsentAwaited = "Accord parental attendu : ce compte ne peut être « Validé » qu'une fois l'accord du parent ou tuteur légal donné par le lien qui lui a été envoyé. Vous pouvez le refuser."

// AwaitsParentalConsent reports whether p, on today, waits for the consent
// RequireParentalConsent asked for: as at registration, an account under
// ParentalConsentAge reaches the library only with a parent's consent, so
// it cannot be validated before. A birth date corrected back to one of 15
// or more, or the patron turning 15, lifts it.
func (p *Patron) AwaitsParentalConsent(today Date) bool {
	return !p.ConsentAskedAt.IsZero() && !p.BirthDate.IsZero() && NeedsParentalConsent(p.BirthDate, today)
}

// AwaitsStaff reports whether p is in the library's « À traiter » queue,
// given how many of p's resource requests are still « En attente »: an
// account to decide, or a Validé account with a request undecided. The
// store's queue query (internal/store/awaiting.go) says the same in SQL.
func (p *Patron) AwaitsStaff(pendingRequests int) bool {
	return p.Status.AwaitsStaff() || (p.Status == StatusValidated && pendingRequests > 0)
}
