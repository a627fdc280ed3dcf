package sesame

import (
	"slices"
	"strings"
)

// Attribute is one thing a vendor learns about a patron through a
// connector. Released says which; the protocols ask it before they put a
// value on the wire, and « Ce que les fournisseurs savent de moi » shows
// the same list with the patron's values.
type Attribute string

const (
	// AttributePseudonym is the identifier the vendor knows the patron by,
	// its own: OpenID Connect's pairwise subject, CAS's user, SAML's
	// persistent NameID, a signed link's {card} for a patron without a card.
	AttributePseudonym  Attribute = "pseudonyme"
	AttributeLastName   Attribute = "nom"
	AttributeFirstName  Attribute = "prenom"
	AttributeEmail      Attribute = "email"
	AttributeLibrary    Attribute = "bibliotheque" // the library's code
	AttributeValidUntil Attribute = "fin_validite"
	AttributeCard       Attribute = "carte"           // the library card number
	AttributeUID        Attribute = "numero"          // Sésame's number of the patron
	AttributeBirthYear  Attribute = "annee_naissance" // the year only
)

// Label is the attribute as the patron reads it.
func (a Attribute) Label() string {
	switch a {
	case AttributePseudonym:
		return "Pseudonyme (identifiant propre à ce fournisseur)"
	case AttributeLastName:
		return "Nom"
	case AttributeFirstName:
		return "Prénom"
	case AttributeEmail:
		return "Adresse e-mail"
	case AttributeLibrary:
		return "Code de votre bibliothèque"
	case AttributeValidUntil:
		return "Fin de validité de votre compte"
	case AttributeCard:
		return "Numéro de carte"
	case AttributeUID:
		return "Numéro d'usager Sésame"
	case AttributeBirthYear:
		return "Année de naissance"
	}
	return string(a)
}

// Released lists, in a fixed order, what the connector's vendor receives
// about a patron it is sent (or, for SIP2, asks about):
//   - OpenID Connect and CAS: the pseudonym, the names, the library's code,
//     the end of validity; the e-mail only where the connector releases it
//     (and, in OpenID Connect, only when the vendor asks for the email scope);
//   - SAML: the pseudonym (NameID) and the attributes of its settings
//     (SAMLSettings.Released);
//   - a signed link: the fields its URL carries; with a {token}, what the
//     callback check answers too (names, e-mail, library, end of validity);
//   - SIP2: the names and the end of validity (the vendor types the card
//     number or e-mail itself).
func (c *Connector) Released() []Attribute {
	var out []Attribute
	switch c.Kind {
	case ConnectorOIDC, ConnectorCAS:
		out = []Attribute{AttributePseudonym, AttributeLastName, AttributeFirstName, AttributeLibrary, AttributeValidUntil}
		if (c.Kind == ConnectorOIDC && c.OIDC.ReleaseEmail) || (c.Kind == ConnectorCAS && c.CAS.ReleaseEmail) {
			out = append(out, AttributeEmail)
		}
	case ConnectorSAML:
		out = []Attribute{AttributePseudonym}
		for _, name := range c.SAML.Released() {
			out = append(out, Attribute(name))
		}
	case ConnectorSignedLink:
		template := c.Link.URL + " " + c.Link.Signed
		uses := func(field string) bool { return strings.Contains(template, "{"+field+"}") }
		checked := uses("token") // the callback check tells the vendor these
		for _, f := range []struct {
			field string
			a     Attribute
		}{
			{"card", AttributeCard}, {"uid", AttributeUID}, {"lastname", AttributeLastName}, {"firstname", AttributeFirstName},
			{"email", AttributeEmail}, {"library", AttributeLibrary}, {"birthyear", AttributeBirthYear},
		} {
			if uses(f.field) || (checked && f.a != AttributeCard && f.a != AttributeUID && f.a != AttributeBirthYear) {
				out = append(out, f.a)
			}
		}
		if checked {
			out = append(out, AttributeValidUntil)
		}
	case ConnectorSIP2:
		out = []Attribute{AttributeLastName, AttributeFirstName, AttributeValidUntil}
	}
	return out
}

// Releases reports whether the connector's vendor receives a.
func (c *Connector) Releases(a Attribute) bool { return slices.Contains(c.Released(), a) }
