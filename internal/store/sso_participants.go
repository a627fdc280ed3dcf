package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SSOParticipantsKept bounds the vendors kept per patron session for single
// logout: past it, the oldest are forgotten (their sessions at the vendor
// then end on their own). A patron opens a handful of resources a day; a
// robot replaying logins cannot make a session grow without end.
const SSOParticipantsKept = 20

// The kinds of session participants.
const (
	ParticipantSAML = "saml"
	ParticipantCAS  = "cas"
)

// SSOParticipant is a vendor a patron session was used for: a SAML
// service provider (Service is its entityID, with the NameID and
// SessionIndex of the last assertion it got) or a CAS service (Service is
// the service URL, SessionIndex the ticket it validated).
type SSOParticipant struct {
	SessionHash  string
	ConnectorID  int64
	Kind         string
	Service      string
	NameID       string
	SessionIndex string
	CreatedAt    time.Time
}

// AddSSOParticipant records that the patron session p.SessionHash was used
// for a vendor. A SAML service provider is kept once per session, with its
// last NameID and SessionIndex; a CAS service once per ticket. Past
// SSOParticipantsKept, the oldest of the session are dropped. A session
// that has ended meanwhile records nothing.
func (s *Store) AddSSOParticipant(ctx context.Context, p SSOParticipant) error {
	if p.SessionHash == "" {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if p.Kind == ParticipantSAML {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sso_participants WHERE session_hash = $1 AND kind = $2 AND connector_id = $3`,
				p.SessionHash, p.Kind, p.ConnectorID); err != nil {
				return fmt.Errorf("replace sso participant: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sso_participants (session_hash, connector_id, kind, service, name_id, session_index, created_at)
			SELECT token_hash, $2, $3, $4, $5, $6, $7 FROM patron_sessions WHERE token_hash = $1`,
			p.SessionHash, p.ConnectorID, p.Kind, p.Service, p.NameID, p.SessionIndex, s.Now())
		if err != nil {
			return fmt.Errorf("add sso participant: %w", err)
		}
		_, err = tx.ExecContext(ctx, `
			DELETE FROM sso_participants WHERE session_hash = $1 AND id NOT IN (
				SELECT id FROM sso_participants WHERE session_hash = $1 ORDER BY id DESC LIMIT $2)`,
			p.SessionHash, SSOParticipantsKept)
		if err != nil {
			return fmt.Errorf("bound sso participants: %w", err)
		}
		return nil
	})
}

// SSOParticipants lists the vendors of kind the patron session was used
// for, oldest first.
func (s *Store) SSOParticipants(ctx context.Context, sessionHash, kind string) ([]SSOParticipant, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT session_hash, connector_id, kind, service, name_id, session_index, created_at
		FROM sso_participants WHERE session_hash = $1 AND kind = $2 ORDER BY id`, sessionHash, kind)
	if err != nil {
		return nil, fmt.Errorf("read sso participants: %w", err)
	}
	defer rows.Close()
	var out []SSOParticipant
	for rows.Next() {
		var p SSOParticipant
		if err := rows.Scan(&p.SessionHash, &p.ConnectorID, &p.Kind, &p.Service, &p.NameID, &p.SessionIndex, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("read sso participant: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
