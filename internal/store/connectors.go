package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// connectorSettings is the settings column: the kind's own part only.
func connectorSettings(c *sesame.Connector) (lookupKey string, settings []byte, err error) {
	var v any
	switch c.Kind {
	case sesame.ConnectorOIDC:
		lookupKey, v = c.OIDC.ClientID, c.OIDC
	case sesame.ConnectorCAS:
		lookupKey, v = c.CAS.ServicePrefix, c.CAS
	case sesame.ConnectorSAML:
		lookupKey, v = c.SAML.EntityID, c.SAML
	case sesame.ConnectorSignedLink:
		v = c.Link
	case sesame.ConnectorSIP2:
		lookupKey, v = c.SIP2.Login, c.SIP2
	}
	settings, err = json.Marshal(v)
	if err != nil {
		return "", nil, fmt.Errorf("connector settings: %w", err)
	}
	return lookupKey, settings, nil
}

func secretContext(id int64) string { return "connector:" + strconv.FormatInt(id, 10) }

// CreateConnector saves a new connector, its secret sealed, and returns its id.
func (s *Store) CreateConnector(ctx context.Context, c sesame.Connector, actor sesame.Actor) (int64, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	key, settings, err := connectorSettings(&c)
	if err != nil {
		return 0, err
	}
	if c.Secret != "" && s.secrets == nil {
		return 0, sesame.Errorf(sesame.EInvalid, "La clé de chiffrement SESAME_SECRET_KEY n'est pas réglée : le secret du fournisseur ne peut pas être enregistré.")
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO connectors (resource_id, kind, lookup_key, settings, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			c.ResourceID, string(c.Kind), key, string(settings), s.Now()).Scan(&id)
		if err != nil {
			return dbError(err, "Connecteur", "Un connecteur "+c.Kind.Label()+" porte déjà cet identifiant.")
		}
		if c.Secret != "" {
			sealed, err := s.secrets.Seal(c.Secret, secretContext(id))
			if err != nil {
				return fmt.Errorf("seal connector secret: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE connectors SET secret = $1 WHERE id = $2`, sealed, id); err != nil {
				return fmt.Errorf("save connector secret: %w", err)
			}
		}
		c.ID = id
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionConnector, fmt.Sprintf("Connecteur n° %d ajouté : %s.", id, c.Label()))
	})
	return id, err
}

// UpdateConnector saves a connector's new settings, checked as at
// creation, and its secret sealed anew: the caller passes the secret to
// keep when none was typed. Its kind never changes.
func (s *Store) UpdateConnector(ctx context.Context, c sesame.Connector, actor sesame.Actor) error {
	if err := c.Validate(); err != nil {
		return err
	}
	key, settings, err := connectorSettings(&c)
	if err != nil {
		return err
	}
	if c.Secret != "" && s.secrets == nil {
		return sesame.Errorf(sesame.EInvalid, "La clé de chiffrement SESAME_SECRET_KEY n'est pas réglée : le secret du fournisseur ne peut pas être enregistré.")
	}
	sealed := ""
	if c.Secret != "" {
		if sealed, err = s.secrets.Seal(c.Secret, secretContext(c.ID)); err != nil {
			return fmt.Errorf("seal connector secret: %w", err)
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE connectors SET resource_id = $1, lookup_key = $2, settings = $3, secret = $4 WHERE id = $5 AND kind = $6`,
			c.ResourceID, key, string(settings), sealed, c.ID, string(c.Kind))
		if err != nil {
			return dbError(err, "Connecteur", "Un connecteur "+c.Kind.Label()+" porte déjà cet identifiant.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sesame.Errorf(sesame.ENotFound, "Connecteur introuvable.")
		}
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionConnector, fmt.Sprintf("Connecteur n° %d modifié : %s.", c.ID, c.Label()))
	})
}

// DeleteConnector removes a connector; its one-off tokens go with it.
func (s *Store) DeleteConnector(ctx context.Context, id int64, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.scanConnector(tx.QueryRowContext(ctx, connectorSelect+` WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM connectors WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete connector: %w", err)
		}
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionConnector, fmt.Sprintf("Connecteur n° %d supprimé : %s.", id, c.Label()))
	})
}

const connectorSelect = `SELECT id, resource_id, kind, settings, secret, created_at FROM connectors`

// scanConnector reads one connector and opens its secret. A secret that
// cannot be opened (no key, or another key) leaves Secret empty with
// SecretUnreadable set, so that lists still show the connector.
func (s *Store) scanConnector(row interface{ Scan(...any) error }) (*sesame.Connector, error) {
	var c sesame.Connector
	var kind, settings, sealed string
	if err := row.Scan(&c.ID, &c.ResourceID, &kind, &settings, &sealed, &c.CreatedAt); err != nil {
		return nil, dbError(err, "Connecteur", "")
	}
	c.Kind = sesame.ConnectorKind(kind)
	var target any
	switch c.Kind {
	case sesame.ConnectorOIDC:
		target = &c.OIDC
	case sesame.ConnectorCAS:
		target = &c.CAS
	case sesame.ConnectorSAML:
		target = &c.SAML
	case sesame.ConnectorSignedLink:
		target = &c.Link
	case sesame.ConnectorSIP2:
		target = &c.SIP2
	default:
		return nil, fmt.Errorf("connector %d: unknown kind %q", c.ID, kind)
	}
	if err := json.Unmarshal([]byte(settings), target); err != nil {
		return nil, fmt.Errorf("connector %d settings: %w", c.ID, err)
	}
	if sealed != "" {
		plain, err := s.secrets.Open(sealed, secretContext(c.ID))
		c.Secret, c.SecretUnreadable = plain, err != nil
	}
	return &c, nil
}

func (s *Store) connectors(ctx context.Context, where string, args ...any) ([]*sesame.Connector, error) {
	rows, err := s.readStmts.QueryContext(ctx, connectorSelect+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	defer rows.Close()
	var out []*sesame.Connector
	for rows.Next() {
		c, err := s.scanConnector(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	return out, nil
}

// Connectors lists every connector, in creation order.
func (s *Store) Connectors(ctx context.Context) ([]*sesame.Connector, error) {
	return s.connectors(ctx, "")
}

// ConnectorsOfKind lists the connectors of one kind, such as every CAS
// service to match a service URL against.
func (s *Store) ConnectorsOfKind(ctx context.Context, kind sesame.ConnectorKind) ([]*sesame.Connector, error) {
	return s.connectors(ctx, ` WHERE kind = $1`, string(kind))
}

// ResourceConnectors lists a resource's connectors.
func (s *Store) ResourceConnectors(ctx context.Context, resourceID int64) ([]*sesame.Connector, error) {
	return s.connectors(ctx, ` WHERE resource_id = $1`, resourceID)
}

// Connector returns one connector.
func (s *Store) Connector(ctx context.Context, id int64) (*sesame.Connector, error) {
	return s.scanConnector(s.readStmts.QueryRowContext(ctx, connectorSelect+` WHERE id = $1`, id))
}

// ConnectorByLookup finds the OIDC connector of a client_id, the SAML
// connector of an entityID, or the SIP2 connector of a login.
func (s *Store) ConnectorByLookup(ctx context.Context, kind sesame.ConnectorKind, key string) (*sesame.Connector, error) {
	if !storableText(key) {
		// Anyone may send a client_id or an entityID: one no connector can
		// have is not found, rather than an error from PostgreSQL.
		return nil, sesame.Errorf(sesame.ENotFound, "Connecteur introuvable.")
	}
	query, ok := lookupQuery(kind)
	if !ok {
		return nil, sesame.Errorf(sesame.ENotFound, "Connecteur introuvable.")
	}
	return s.scanConnector(s.readStmts.QueryRowContext(ctx, query, key))
}

// lookupQuery is ConnectorByLookup's statement for one kind of connector,
// the kind written in it rather than passed: connectors_by_lookup and
// connectors_sip2_login are partial indexes, and with the kind a parameter
// SQLite planned the statement again at every call, to learn whether the
// index applied. That was half of a lookup, made twice in every OpenID
// Connect flow (docs/benchmarks.md).
func lookupQuery(kind sesame.ConnectorKind) (string, bool) {
	switch kind {
	case sesame.ConnectorOIDC, sesame.ConnectorSAML, sesame.ConnectorSIP2:
		return connectorSelect + ` WHERE kind = '` + string(kind) + `' AND lookup_key = $1`, true
	}
	return "", false
}

// Launch is one patron sent to one resource.
type Launch struct {
	At          time.Time
	PatronID    int64
	LibraryID   int64
	ResourceID  int64
	ConnectorID int64 // 0 when the patron was sent to the resource's page
}

// RecordLaunch saves a launch, for the usage statistics.
func (s *Store) RecordLaunch(ctx context.Context, l Launch) error {
	return recordLaunch(ctx, s.writePool, l)
}

func recordLaunch(ctx context.Context, q queryer, l Launch) error {
	var connector any
	if l.ConnectorID != 0 {
		connector = l.ConnectorID
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO launches (at, patron_id, library_id, resource_id, connector_id) VALUES ($1, $2, $3, $4, $5)`,
		dbTime(l.At), l.PatronID, l.LibraryID, l.ResourceID, connector)
	if err != nil {
		return fmt.Errorf("record launch: %w", err)
	}
	return nil
}

// SaveSSOToken keeps the hash of a one-off token a signed link carries, for
// the vendor's callback check.
func (s *Store) SaveSSOToken(ctx context.Context, tokenHash string, patronID, connectorID int64, expiresAt time.Time) error {
	return s.exec(ctx, "save sso token", `INSERT INTO sso_tokens (token_hash, patron_id, connector_id, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, patronID, connectorID, dbTime(expiresAt))
}

// SSOToken is what a callback token stands for.
type SSOToken struct {
	PatronID    int64
	ConnectorID int64
	ExpiresAt   time.Time
}

// ErrSSOTokenExpired answers a callback token whose time is over.
var ErrSSOTokenExpired = sesame.Errorf(sesame.ENotFound, "Jeton expiré.")

// UseSSOToken spends the patron's callback token: it serves once, while its
// time lasts. One guarded UPDATE marks it used, so that of two checks at
// once only one gets it. A token unknown, of another patron, already used or
// revoked is not found; an expired one is ErrSSOTokenExpired.
func (s *Store) UseSSOToken(ctx context.Context, tokenHash string, patronID int64) (SSOToken, error) {
	now := s.Now()
	t := SSOToken{PatronID: patronID}
	err := s.writePool.QueryRowContext(ctx, `
		UPDATE sso_tokens SET used_at = $1
		WHERE token_hash = $2 AND patron_id = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING connector_id, expires_at`, now, tokenHash, patronID).Scan(&t.ConnectorID, &t.ExpiresAt)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return SSOToken{}, fmt.Errorf("use sso token: %w", err)
	}
	var n int
	if err := s.writePool.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM sso_tokens WHERE token_hash = $1 AND patron_id = $2 AND used_at IS NULL`, tokenHash, patronID).Scan(&n); err != nil {
		return SSOToken{}, fmt.Errorf("read sso token: %w", err)
	}
	if n > 0 {
		return SSOToken{}, ErrSSOTokenExpired
	}
	return SSOToken{}, sesame.Errorf(sesame.ENotFound, "Jeton introuvable.")
}

// DeletePatronSSOTokens withdraws the callback tokens of the patron's signed
// links: once they log out, no vendor may learn who they are through one.
func (s *Store) DeletePatronSSOTokens(ctx context.Context, patronID int64) error {
	return s.exec(ctx, "delete sso tokens", `DELETE FROM sso_tokens WHERE patron_id = $1`, patronID)
}

// PatronLaunches lists the patron's launches still kept, newest first: they
// belong in the patron's data export.
func (s *Store) PatronLaunches(ctx context.Context, patronID int64) ([]Launch, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT at, library_id, resource_id, COALESCE(connector_id, 0) FROM launches WHERE patron_id = $1 ORDER BY at DESC, id DESC`, patronID)
	if err != nil {
		return nil, fmt.Errorf("list launches: %w", err)
	}
	defer rows.Close()
	var out []Launch
	for rows.Next() {
		l := Launch{PatronID: patronID}
		if err := rows.Scan(&l.At, &l.LibraryID, &l.ResourceID, &l.ConnectorID); err != nil {
			return nil, fmt.Errorf("scan launch: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// CanSealSecrets reports whether SESAME_SECRET_KEY is set, so that
// connectors with a secret can be saved.
func (s *Store) CanSealSecrets() bool { return s.secrets != nil }

// RecordLaunches saves many launches in one transaction.
func (s *Store) RecordLaunches(ctx context.Context, launches []Launch) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, l := range launches {
			if err := recordLaunch(ctx, tx, l); err != nil {
				return err
			}
		}
		return nil
	})
}

// PatronLogin is what a SIP2 lookup needs to check a patron's password
// through the web's authenticator: the id, the e-mail that names the
// login's throttle, and the password hash.
type PatronLogin struct {
	ID           int64
	Email        string
	PasswordHash string
}

// MaxSIP2PatronMatches bounds the patrons one SIP2 identifier may name: a
// card number is unique within a library only.
const MaxSIP2PatronMatches = 2

// PatronsBySIP2Identifier finds the patrons a SIP2 vendor names by card
// number (N° d'inscription, compared trimmed and without regard to case,
// as its uniqueness within a library is) or by e-mail. An e-mail names one
// patron at most; a card number may name one per library, and the caller
// refuses an identifier that names more than one. No more than
// MaxSIP2PatronMatches are returned.
func (s *Store) PatronsBySIP2Identifier(ctx context.Context, identifier string) ([]PatronLogin, error) {
	card := strings.TrimSpace(identifier)
	if card == "" || !storableText(card) {
		return nil, nil
	}
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT id, email, password_hash FROM patrons
		WHERE email = $1 OR (card_number <> '' AND lower(card_number) = lower($2))
		ORDER BY id LIMIT $3`, sesame.NormalizeEmail(identifier), card, MaxSIP2PatronMatches)
	if err != nil {
		return nil, fmt.Errorf("find sip2 patron: %w", err)
	}
	defer rows.Close()
	var out []PatronLogin
	for rows.Next() {
		var p PatronLogin
		if err := rows.Scan(&p.ID, &p.Email, &p.PasswordHash); err != nil {
			return nil, fmt.Errorf("scan sip2 patron: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find sip2 patron: %w", err)
	}
	return out, nil
}
