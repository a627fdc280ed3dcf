package saml

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
)

// assertionLife is how long an assertion may be presented: the time for
// the browser to post it, with room for clocks a little apart.
const assertionLife = 5 * time.Minute

// clockSlack dates the assertion's validity a little back, for a vendor
// whose clock is behind ours.
const clockSlack = time.Minute

const (
	uriFormat   = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	basicFormat = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
)

// attribute is how one of sesame.SAMLAttributes goes on the wire: the
// usual LDAP/eduPerson names where one exists, a plain name otherwise.
type attribute struct {
	name, friendlyName, format string
	value                      func(who *access.Grantee) string
}

// attributes maps the names of the connector settings (sesame.SAMLAttributes)
// to their SAML form. docs/connecteurs.md lists them for the vendors.
var attributes = map[string]attribute{
	"nom":          {"urn:oid:2.5.4.4", "sn", uriFormat, func(w *access.Grantee) string { return w.Patron.LastName }},
	"prenom":       {"urn:oid:2.5.4.42", "givenName", uriFormat, func(w *access.Grantee) string { return w.Patron.FirstName }},
	"email":        {"urn:oid:0.9.2342.19200300.100.1.3", "mail", uriFormat, func(w *access.Grantee) string { return w.Patron.Email }},
	"bibliotheque": {"bibliotheque", "bibliotheque", basicFormat, func(w *access.Grantee) string { return w.Library.Code }},
	"fin_validite": {"fin_validite", "fin_validite", basicFormat, func(w *access.Grantee) string {
		if w.Patron.ValidUntil.IsZero() {
			return ""
		}
		return w.Patron.ValidUntil.ISO()
	}},
}

// assertion says who the patron is to the vendor of req: a persistent
// NameID of this vendor's own, the attributes its connector releases, and
// the conditions that keep the assertion to this vendor, this request and
// the next few minutes.
func (p *Provider) assertion(id *identity, req *crewjam.IdpAuthnRequest, settings sesame.SAMLSettings, who *access.Grantee, sessionStart time.Time) (*crewjam.Assertion, error) {
	assertionID, err := newID(p.Random)
	if err != nil {
		return nil, err
	}
	now := req.Now
	spEntityID := req.ServiceProviderMetadata.EntityID
	var released []crewjam.Attribute
	for _, name := range settings.Released() {
		a, ok := attributes[name]
		if !ok {
			continue // Connector.Validate keeps unknown names out
		}
		v := a.value(who)
		if v == "" {
			continue
		}
		released = append(released, crewjam.Attribute{Name: a.name, FriendlyName: a.friendlyName, NameFormat: a.format,
			Values: []crewjam.AttributeValue{{Type: "xs:string", Value: v}}})
	}
	as := &crewjam.Assertion{
		ID:           assertionID,
		IssueInstant: now,
		Version:      "2.0",
		Issuer:       crewjam.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: p.EntityID()},
		Subject: &crewjam.Subject{
			NameID: &crewjam.NameID{
				Format:          string(crewjam.PersistentNameIDFormat),
				NameQualifier:   p.EntityID(),
				SPNameQualifier: spEntityID,
				Value:           id.pairwiseID(spEntityID, who.Patron.ID),
			},
			SubjectConfirmations: []crewjam.SubjectConfirmation{{
				Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &crewjam.SubjectConfirmationData{
					InResponseTo: req.Request.ID,
					NotOnOrAfter: now.Add(assertionLife),
					Recipient:    req.ACSEndpoint.Location,
				},
			}},
		},
		Conditions: &crewjam.Conditions{
			NotBefore:            now.Add(-clockSlack),
			NotOnOrAfter:         now.Add(assertionLife),
			AudienceRestrictions: []crewjam.AudienceRestriction{{Audience: crewjam.Audience{Value: spEntityID}}},
		},
		AuthnStatements: []crewjam.AuthnStatement{{
			AuthnInstant: sessionStart,
			// The index names this login: the vendor's LogoutRequest, or
			// ours at the patron's logout, repeats it.
			SessionIndex: assertionID,
			AuthnContext: crewjam.AuthnContext{AuthnContextClassRef: &crewjam.AuthnContextClassRef{
				Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			}},
		}},
	}
	// An AttributeStatement holds at least one attribute.
	if len(released) > 0 {
		as.AttributeStatements = []crewjam.AttributeStatement{{Attributes: released}}
	}
	return as, nil
}

// newID is a fresh xs:ID: 160 random bits, after a letter-like start.
func newID(random io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("saml id: %w", err)
	}
	return "_" + hex.EncodeToString(b), nil
}
