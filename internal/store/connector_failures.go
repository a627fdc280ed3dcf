package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bdf29/sesame"
)

// ConnectorFailuresKept is how many failures the store keeps per connector:
// the newest, enough to see what goes wrong, while a vendor that fails all
// day long never makes the table grow.
const ConnectorFailuresKept = 20

// RecordConnectorFailure keeps one failed access through a connector and
// forgets, in the same transaction, that connector's failures older than
// the last ConnectorFailuresKept.
func (s *Store) RecordConnectorFailure(ctx context.Context, f sesame.ConnectorFailure) error {
	detail := []rune(f.Detail)
	if len(detail) > 500 {
		detail = append(detail[:499], '…')
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO connector_failures (connector_id, at, reason, detail) VALUES ($1, $2, $3, $4)`,
			f.ConnectorID, dbTime(f.At), string(f.Reason), string(detail)); err != nil {
			return dbError(err, "Connecteur", "")
		}
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM connector_failures WHERE connector_id = $1 AND id NOT IN (
				SELECT id FROM connector_failures WHERE connector_id = $1 ORDER BY at DESC, id DESC LIMIT $2)`,
			f.ConnectorID, ConnectorFailuresKept); err != nil {
			return fmt.Errorf("forget old connector failures: %w", err)
		}
		return nil
	})
}

// ConnectorFailures returns the failures kept, newest first, by connector.
func (s *Store) ConnectorFailures(ctx context.Context) (map[int64][]sesame.ConnectorFailure, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT connector_id, at, reason, detail FROM connector_failures ORDER BY connector_id, at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list connector failures: %w", err)
	}
	defer rows.Close()
	out := map[int64][]sesame.ConnectorFailure{}
	for rows.Next() {
		var f sesame.ConnectorFailure
		var reason string
		if err := rows.Scan(&f.ConnectorID, &f.At, &reason, &f.Detail); err != nil {
			return nil, fmt.Errorf("scan connector failure: %w", err)
		}
		f.Reason = sesame.ConnectorFailureReason(reason)
		out[f.ConnectorID] = append(out[f.ConnectorID], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connector failures: %w", err)
	}
	return out, nil
}
