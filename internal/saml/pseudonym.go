package saml

import "context"

// NameID is the persistent NameID the patron has at the service provider
// spEntityID: what « Ce que les fournisseurs savent de moi » shows as the
// pseudonym.
func (p *Provider) NameID(ctx context.Context, spEntityID string, patronID int64) (string, error) {
	id, err := p.identity(ctx)
	if err != nil {
		return "", err
	}
	return id.pairwiseID(spEntityID, patronID), nil
}
