package oidc

import "context"

// Subject is the pairwise subject the patron has at the vendor of
// clientID: what « Ce que les fournisseurs savent de moi » shows as the
// pseudonym.
func (p *Provider) Subject(ctx context.Context, patronID int64, clientID string) (string, error) {
	key, err := p.keys.secret(ctx, pairwiseKeySlot)
	if err != nil {
		return "", err
	}
	return pairwiseSubject(key, patronID, clientID), nil
}
