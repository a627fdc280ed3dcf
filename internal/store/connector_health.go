package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// ConnectorHealth returns the state of every connector at now, as
// « État des connecteurs » shows it (sesame.ConnectorHealthOf): its last
// launch kept, its failures kept, its certificate.
func (s *Store) ConnectorHealth(ctx context.Context, now time.Time) ([]sesame.ConnectorHealth, error) {
	conns, err := s.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	failures, err := s.ConnectorFailures(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]sesame.ConnectorHealth, 0, len(conns))
	for _, c := range conns {
		last, err := s.lastLaunch(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, sesame.ConnectorHealthOf(c, last, failures[c.ID], now))
	}
	return out, nil
}

// lastLaunch is the connector's last launch still kept (launches_by_connector),
// zero if none. ORDER BY … LIMIT 1 rather than MAX(at): SQLite gives back an
// aggregate's time as text.
func (s *Store) lastLaunch(ctx context.Context, connectorID int64) (time.Time, error) {
	var at time.Time
	err := s.readStmts.QueryRowContext(ctx, `SELECT at FROM launches WHERE connector_id = $1 ORDER BY at DESC LIMIT 1`, connectorID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last launch of connector %d: %w", connectorID, err)
	}
	return at, nil
}

// RaiseConnectorAlert records that warning w about a connector holds, in
// episode episode (sesame.ConnectorHealth.Episode). The first time an
// episode is raised, then runs in the same transaction (the mail to the
// network admin) and RaiseConnectorAlert returns true; raised again, by a
// later run or another instance, it does nothing and returns false.
func (s *Store) RaiseConnectorAlert(ctx context.Context, connectorID int64, w sesame.ConnectorWarning, episode string, then func(tx *Tx) error) (bool, error) {
	raised := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
			INSERT INTO connector_alerts (connector_id, kind, episode, mailed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (connector_id, kind) DO UPDATE SET episode = excluded.episode, mailed_at = excluded.mailed_at
				WHERE connector_alerts.episode <> excluded.episode
			RETURNING connector_id`, connectorID, string(w), episode, dbTime(s.Now())).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // this episode was mailed already
		}
		if err != nil {
			return dbError(err, "Connecteur", "")
		}
		if err := then(s.wrap(tx)); err != nil {
			return err
		}
		raised = true
		return nil
	})
	return raised, err
}

// ClearConnectorAlert ends the episode of warning w about a connector, if
// any: when it holds again, it is mailed again.
func (s *Store) ClearConnectorAlert(ctx context.Context, connectorID int64, w sesame.ConnectorWarning) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM connector_alerts WHERE connector_id = $1 AND kind = $2`, connectorID, string(w)); err != nil {
			return fmt.Errorf("clear connector alert: %w", err)
		}
		return nil
	})
}
