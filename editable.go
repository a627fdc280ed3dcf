package sesame

// Editing is what a permitted change to a patron's record amounts to, so that
// the store can audit an exceptional one as such.
type Editing int

const (
	// EditOrdinary is a change anyone allowed may make: staff on an account
	// that is not Expiré, the holder, or the system.
	EditOrdinary Editing = iota
	// EditExpiredCorrection is the network admin changing an Expiré record,
	// which library staff may not touch: a correction the audit names.
	EditExpiredCorrection
)

// ExpiredCorrectionNote begins the audit line of an EditExpiredCorrection.
const ExpiredCorrectionNote = "Correction par l'administration du réseau d'une fiche « Expiré »"

// EditableBy decides whether actor may change the patron's record, on any of
// its tabs (Informations, Statut, Ressources). Library staff may not change
// an Expiré account: it waits for its holder to ask for renewal, as the
// tutorial says. The network admin may correct one, and the change is then
// audited as such. Only staff are restricted here: what the holder may do is
// decided by the holder's own actions (RequestRenewal…), and the system's
// writes (an expiry, a purge) follow their own rules.
//
// The store calls it inside the transaction of every staff write, and pages
// call it to decide whether to offer a form, so that a page never offers
// what its POST refuses.
func (p *Patron) EditableBy(a Actor) (Editing, error) {
	switch a.Role {
	case RoleAdmin:
		if p.Status == StatusExpired {
			return EditExpiredCorrection, nil
		}
	case RoleLibrary:
		if a.LibraryID != p.LibraryID {
			return EditOrdinary, Errorf(ENotFound, "Abonné introuvable.")
		}
		if p.Status == StatusExpired {
			return EditOrdinary, Errorf(EForbidden, "%s", ExpiredNotice)
		}
	}
	return EditOrdinary, nil
}

// MayChangeEmailAndLibrary reports whether actor may change a patron's
// e-mail address and library: the network admin only, at the request of
// the patron's library, which checks first who is asking. Neither library
// staff nor the holder may, so that nobody can turn an account towards
// another address or library. EmailAndLibraryNotice says it to people.
func MayChangeEmailAndLibrary(a Actor) bool { return a.Role == RoleAdmin }

// EmailAndLibraryNotice is MayChangeEmailAndLibrary in words: the record's
// Informations tab and the patron's page « Changer d'adresse e-mail ou de
// bibliothèque » both show it, so that they say the same.
const EmailAndLibraryNotice = "L'adresse e-mail et la bibliothèque de rattachement d'un usager ne sont modifiées que par l'administration du réseau, " +
	"à la demande de la bibliothèque de l'usager, qui vérifie d'abord son identité."

// CanBeEditedBy reports whether EditableBy lets actor change the record.
func (p *Patron) CanBeEditedBy(a Actor) bool {
	_, err := p.EditableBy(a)
	return err == nil
}
