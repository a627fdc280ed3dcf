package sesame

import "slices"

// ResourceOffer says which member libraries offer a resource to their
// patrons (« Bibliothèques abonnées »). Its zero value offers the resource
// to every library of the network.
type ResourceOffer struct {
	// Restricted limits the offer to Libraries; false offers it to all.
	Restricted bool
	Libraries  []int64
}

// FieldResourceOffer and FieldResourceLibraries are the offer's fields on the
// resource form: « Toutes les bibliothèques » or a chosen list.
const (
	FieldResourceOffer     = "offre"
	FieldResourceLibraries = "bibliotheques"
)

// Includes reports whether the library offers the resource.
func (o ResourceOffer) Includes(libraryID int64) bool {
	return !o.Restricted || slices.Contains(o.Libraries, libraryID)
}

// Check returns a French complaint, or "" for an offer that can be saved.
func (o ResourceOffer) Check() string {
	if o.Restricted && len(o.Libraries) == 0 {
		return "Bibliothèques abonnées : cochez au moins une bibliothèque, ou choisissez « Toutes les bibliothèques du réseau »."
	}
	return ""
}

// OfferedTo reports whether patrons of the library may see, ask for and
// open the resource. Every list of resources shown to a patron or to staff
// about a patron, and the access gate (CanOpen), ask it.
func (r *Resource) OfferedTo(libraryID int64) bool {
	return r == nil || r.Offer.Includes(libraryID)
}

// ErrNotOffered is why a request or an activation of a resource that the
// patron's library does not offer is refused.
func ErrNotOffered(resource string) error {
	return Errorf(EForbidden, "« %s » n'est pas proposée par la bibliothèque de cet abonné.", resource)
}
