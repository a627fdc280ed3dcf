package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bdf29/sesame"
)

// UpdateNetwork writes the network's settings, as SaveNetwork does, and
// records who changed them in the same transaction.
func (s *Store) UpdateNetwork(ctx context.Context, n sesame.Network, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO network (id, name, contact_email, validity_months) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact_email = excluded.contact_email, validity_months = excluded.validity_months`,
			n.Name, n.ContactEmail, n.ValidityMonths)
		if err != nil {
			return fmt.Errorf("save network: %w", err)
		}
		detail := fmt.Sprintf("Paramètres du réseau modifiés : « %s », %s, comptes valides %d mois.", n.Name, n.ContactEmail, n.ValidityMonths)
		return audit(ctx, tx, s.Now(), actor, 0, 0, "reseau", detail)
	})
}
