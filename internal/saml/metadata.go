package saml

import (
	"encoding/xml"
	"fmt"

	crewjam "github.com/crewjam/saml"

	"github.com/bdf29/sesame"
)

// ReadMetadata reads a service provider's metadata as the vendor gives it:
// one EntityDescriptor, with an SPSSODescriptor that has an assertion
// consumer service of the HTTP-POST binding, the one answers go back by.
// The error is a French message fit for the admin.
func ReadMetadata(body []byte) (sesame.SAMLSettings, error) {
	ed, err := parseMetadata(string(body))
	if err != nil {
		return sesame.SAMLSettings{}, err
	}
	return sesame.SAMLSettings{EntityID: ed.EntityID, Metadata: string(body)}, nil
}

// parseMetadata reads a connector's metadata. The metadata comes from the
// network admin, who got it from the vendor: it is trusted as the admin's
// word, and checked only for what the identity provider needs of it.
func parseMetadata(body string) (*crewjam.EntityDescriptor, error) {
	invalid := func(why string) error {
		return sesame.Errorf(sesame.EInvalid, "Métadonnées SAML : %s", why)
	}
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal([]byte(body), &root); err != nil {
		return nil, invalid("ce n'est pas un document XML lisible.")
	}
	if root.XMLName.Space != "urn:oasis:names:tc:SAML:2.0:metadata" || root.XMLName.Local != "EntityDescriptor" {
		return nil, invalid("le document doit être un EntityDescriptor (celui du fournisseur seul, pas un lot de fédération).")
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal([]byte(body), &ed); err != nil {
		return nil, fmt.Errorf("%w (%v)", invalid("le document n'est pas conforme."), err)
	}
	if ed.EntityID == "" {
		return nil, invalid("l'entityID du fournisseur manque.")
	}
	for _, sp := range ed.SPSSODescriptors {
		for _, acs := range sp.AssertionConsumerServices {
			if acs.Binding == crewjam.HTTPPostBinding {
				return &ed, nil
			}
		}
	}
	return nil, invalid("le fournisseur n'a pas d'adresse de retour (AssertionConsumerService) en HTTP-POST.")
}

// postACS finds, in the vendor's metadata, the HTTP-POST assertion
// consumer service at location, with the SPSSODescriptor holding it (whose
// keys say whether, and to what, the assertion is encrypted).
func postACS(ed *crewjam.EntityDescriptor, location string) (*crewjam.SPSSODescriptor, *crewjam.IndexedEndpoint) {
	for i := range ed.SPSSODescriptors {
		sp := &ed.SPSSODescriptors[i]
		for j := range sp.AssertionConsumerServices {
			acs := &sp.AssertionConsumerServices[j]
			if acs.Binding == crewjam.HTTPPostBinding && acs.Location == location {
				return sp, acs
			}
		}
	}
	return nil, nil
}
