package saml

import (
	"net/http"

	crewjam "github.com/crewjam/saml"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
)

// Unsolicited is « Connexion directe »: a Response nobody asked for
// (IdP-initiated, saml-profiles-2.0-os §4.1.5), for a patron the Gate has
// already let into the connector's resource (who). It goes to the vendor's
// default HTTP-POST assertion consumer service, without InResponseTo, with
// relayState, the address the vendor shows next (the resource's). The
// vendor joins the session's participants, for single logout.
func (p *Provider) Unsolicited(r *http.Request, c *sesame.Connector, who *access.Grantee, sess Session, relayState string) (*Response, error) {
	ctx := r.Context()
	id, err := p.identity(ctx)
	if err != nil {
		return nil, err
	}
	idp, err := p.identityProvider(id, &serviceProviders{store: p.Store})
	if err != nil {
		return nil, err
	}
	req, err := idp.NewIdpInitiatedRequest(r, c.SAML.EntityID, relayState)
	if err != nil {
		return nil, err
	}
	// The default endpoint may be one of HTTP-POST-SimpleSign, which this
	// identity provider does not sign for: the first HTTP-POST one then.
	if req.ACSEndpoint.Binding != crewjam.HTTPPostBinding {
		req.SPSSODescriptor, req.ACSEndpoint = firstPostACS(req.ServiceProviderMetadata)
		if req.ACSEndpoint == nil {
			return nil, sesame.Errorf(sesame.EInvalid, "Le fournisseur n'a pas d'adresse de retour (AssertionConsumerService) en HTTP-POST.")
		}
	}
	return p.signedAnswer(ctx, id, req, c, who, sess)
}

// firstPostACS is the first HTTP-POST assertion consumer service of the
// vendor's metadata, with its SPSSODescriptor.
func firstPostACS(ed *crewjam.EntityDescriptor) (*crewjam.SPSSODescriptor, *crewjam.IndexedEndpoint) {
	for i := range ed.SPSSODescriptors {
		sp := &ed.SPSSODescriptors[i]
		for j := range sp.AssertionConsumerServices {
			if acs := &sp.AssertionConsumerServices[j]; acs.Binding == crewjam.HTTPPostBinding {
				return sp, acs
			}
		}
	}
	return nil, nil
}
