package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CASTicket is a CAS service ticket as kept until its one validation. Hash
// is the SHA-256 of the ticket; the ticket itself is kept nowhere.
type CASTicket struct {
	Hash         string
	Service      string // the service URL as /cas/login received it
	PatronID     int64
	ConnectorID  int64
	User         string // the patron's pseudonym at the connector's resource
	FromNewLogin bool   // issued right after the patron typed their password for it
	AuthAt       time.Time
	// SessionHash is the patron session the ticket was issued in: once
	// validated, the service joins its participants for single logout.
	SessionHash string
	ExpiresAt   time.Time
	// What a CAS 3.0 validation tells of the patron, as the access Gate saw
	// them when it let them in: kept with the ticket, the validation is one
	// statement. Email is "" unless the connector releases it.
	Attributes CASAttributes
}

// CASAttributes are the patron's attributes a ticket carries.
type CASAttributes struct {
	FirstName   string
	LastName    string
	Email       string
	LibraryCode string
	ValidUntil  string // yyyy-mm-dd
}

// IssueCASTicket saves a service ticket for the patron at a resource, and
// returns the patron's pseudonym there: the one they already have, or
// newUser, which becomes theirs. t.User is filled in.
func (s *Store) IssueCASTicket(ctx context.Context, t CASTicket, resourceID int64, newUser string) (string, error) {
	a := t.Attributes
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO cas_users (patron_id, resource_id, user_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (patron_id, resource_id) DO NOTHING`, t.PatronID, resourceID, newUser, s.Now())
		if err != nil {
			return dbError(err, "Pseudonyme CAS", "Ce pseudonyme CAS est déjà pris.")
		}
		err = tx.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
			t.PatronID, resourceID).Scan(&t.User)
		if err != nil {
			return fmt.Errorf("read cas user: %w", err)
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO cas_tickets (ticket_hash, service, patron_id, connector_id, user_id, from_new_login, auth_at, expires_at,
				first_name, last_name, email, library_code, valid_until, session_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			t.Hash, t.Service, t.PatronID, t.ConnectorID, t.User, t.FromNewLogin,
			dbTime(t.AuthAt), dbTime(t.ExpiresAt),
			a.FirstName, a.LastName, a.Email, a.LibraryCode, a.ValidUntil, t.SessionHash)
		if err != nil {
			return dbError(err, "Ticket CAS", "Ce ticket CAS existe déjà.")
		}
		return nil
	})
	return t.User, err
}

// RedeemCASTicket takes a service ticket out of the database and returns
// it, expired or not: the one DELETE … RETURNING makes its one validation
// attempt atomic, so that two instances cannot both validate it. A ticket
// already taken, or never issued, is ENotFound.
func (s *Store) RedeemCASTicket(ctx context.Context, hash string) (*CASTicket, error) {
	t := CASTicket{Hash: hash}
	err := s.writeStmts.QueryRowContext(ctx, `
		DELETE FROM cas_tickets WHERE ticket_hash = $1
		RETURNING service, patron_id, connector_id, user_id, from_new_login, auth_at, expires_at,
			first_name, last_name, email, library_code, valid_until, session_hash`, hash).
		Scan(&t.Service, &t.PatronID, &t.ConnectorID, &t.User, &t.FromNewLogin, &t.AuthAt, &t.ExpiresAt,
			&t.Attributes.FirstName, &t.Attributes.LastName, &t.Attributes.Email, &t.Attributes.LibraryCode, &t.Attributes.ValidUntil,
			&t.SessionHash)
	if err != nil {
		return nil, dbError(err, "Ticket CAS", "")
	}
	return &t, nil
}

// DeletePatronCASTickets withdraws the service tickets a patron has not
// used yet: they log out.
func (s *Store) DeletePatronCASTickets(ctx context.Context, patronID int64) error {
	return s.exec(ctx, "delete cas tickets", `DELETE FROM cas_tickets WHERE patron_id = $1`, patronID)
}

// CASLogin is a request for the patron's password made by /cas/login: the
// patron session that existed then (its token hash, "" for none) and when it
// was made. A session started after it, and other than that one, comes from
// a password typed for it.
type CASLogin struct {
	SessionHash string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// SaveCASLogin keeps a login ticket's request, under the ticket's hash.
func (s *Store) SaveCASLogin(ctx context.Context, hash string, l CASLogin) error {
	_, err := s.writePool.ExecContext(ctx, `INSERT INTO cas_logins (ticket_hash, session_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, l.SessionHash, dbTime(l.CreatedAt), dbTime(l.ExpiresAt))
	if err != nil {
		return dbError(err, "Ticket de connexion CAS", "Ce ticket de connexion CAS existe déjà.")
	}
	return nil
}

// RedeemCASLogin takes a login ticket's request out of the database: it
// serves once. Unknown or already used is ENotFound.
func (s *Store) RedeemCASLogin(ctx context.Context, hash string) (*CASLogin, error) {
	var l CASLogin
	err := s.writePool.QueryRowContext(ctx, `DELETE FROM cas_logins WHERE ticket_hash = $1 RETURNING session_hash, created_at, expires_at`, hash).
		Scan(&l.SessionHash, &l.CreatedAt, &l.ExpiresAt)
	if err != nil {
		return nil, dbError(err, "Ticket de connexion CAS", "")
	}
	return &l, nil
}

// ResourcePseudonym returns the patron's pseudonym at a resource: the one
// they already have there (the same a CAS vendor knows them by), or fresh,
// which becomes theirs. A vendor that needs a stable name for a patron
// without a card gets this one, which no one can guess or type.
func (s *Store) ResourcePseudonym(ctx context.Context, patronID, resourceID int64, fresh string) (string, error) {
	var user string
	err := s.readStmts.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
		patronID, resourceID).Scan(&user)
	if err == nil {
		return user, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read pseudonym: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO cas_users (patron_id, resource_id, user_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (patron_id, resource_id) DO NOTHING`, patronID, resourceID, fresh, s.Now()); err != nil {
			return dbError(err, "Pseudonyme", "Ce pseudonyme est déjà pris.")
		}
		if err := tx.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
			patronID, resourceID).Scan(&user); err != nil {
			return fmt.Errorf("read pseudonym: %w", err)
		}
		return nil
	})
	return user, err
}
