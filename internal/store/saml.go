package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// SAMLIdentity is the SAML identity provider's own: its signing key and
// self-signed certificate, in PEM, and the salt of the pairwise NameIDs.
// Key and Salt are clear in memory only: the store keeps them sealed.
type SAMLIdentity struct {
	Certificate string
	Key         string
	Salt        string
	CreatedAt   time.Time
}

// The contexts the identity's secrets are sealed under, so that one sealed
// value cannot be passed off as the other.
const (
	samlKeyContext  = "saml:key"
	samlSaltContext = "saml:pairwise-salt"
)

// SAMLIdentity returns the identity provider's identity. The first call of
// all makes it with create and saves it; when two instances race, both get
// the one saved first, so every instance signs with the same key.
func (s *Store) SAMLIdentity(ctx context.Context, create func() (SAMLIdentity, error)) (SAMLIdentity, error) {
	id, err := s.readSAMLIdentity(ctx)
	if sesame.ErrorCode(err) != sesame.ENotFound {
		return id, err
	}
	if s.secrets == nil {
		return SAMLIdentity{}, sesame.Errorf(sesame.EInvalid,
			"La clé de chiffrement SESAME_SECRET_KEY n'est pas réglée : la clé de signature SAML ne peut pas être enregistrée.")
	}
	fresh, err := create()
	if err != nil {
		return SAMLIdentity{}, fmt.Errorf("create saml identity: %w", err)
	}
	key, err := s.secrets.Seal(fresh.Key, samlKeyContext)
	if err != nil {
		return SAMLIdentity{}, fmt.Errorf("seal saml key: %w", err)
	}
	salt, err := s.secrets.Seal(fresh.Salt, samlSaltContext)
	if err != nil {
		return SAMLIdentity{}, fmt.Errorf("seal saml salt: %w", err)
	}
	_, err = s.writePool.ExecContext(ctx, `
		INSERT INTO saml_identity (id, certificate, private_key, pairwise_salt, created_at) VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, fresh.Certificate, key, salt, s.Now())
	if err != nil {
		return SAMLIdentity{}, fmt.Errorf("save saml identity: %w", err)
	}
	return s.readSAMLIdentity(ctx)
}

func (s *Store) readSAMLIdentity(ctx context.Context) (SAMLIdentity, error) {
	var id SAMLIdentity
	var key, salt string
	err := s.readStmts.QueryRowContext(ctx, `SELECT certificate, private_key, pairwise_salt, created_at FROM saml_identity WHERE id = 1`).
		Scan(&id.Certificate, &key, &salt, &id.CreatedAt)
	if err != nil {
		return SAMLIdentity{}, dbError(err, "Identité SAML", "")
	}
	if id.Key, err = s.secrets.Open(key, samlKeyContext); err != nil {
		return SAMLIdentity{}, fmt.Errorf("open saml key: %w", err)
	}
	if id.Salt, err = s.secrets.Open(salt, samlSaltContext); err != nil {
		return SAMLIdentity{}, fmt.Errorf("open saml salt: %w", err)
	}
	return id, nil
}

// SAMLRequest is an AuthnRequest as it was checked on arrival: what the
// answer needs of it, and nothing the patron's browser can change later.
type SAMLRequest struct {
	ConnectorID int64
	RequestID   string    // the vendor's ID, which the answer's InResponseTo repeats
	IssuedAt    time.Time // the vendor's IssueInstant
	RelayState  string
	ACSURL      string // from the vendor's metadata, HTTP-POST binding
	ForceAuthn  bool
	IsPassive   bool
	ReceivedAt  time.Time
	ExpiresAt   time.Time
	Answered    bool
}

// SaveSAMLRequest keeps a checked request under the hash of its handle. A
// request ID the vendor already sent is refused with EConflict.
func (s *Store) SaveSAMLRequest(ctx context.Context, handleHash string, r SAMLRequest) error {
	_, err := s.writePool.ExecContext(ctx, `
		INSERT INTO saml_requests (handle_hash, connector_id, request_id, issued_at, relay_state, acs_url, force_authn, is_passive, received_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		handleHash, r.ConnectorID, r.RequestID, dbTime(r.IssuedAt), r.RelayState, r.ACSURL,
		r.ForceAuthn, r.IsPassive, dbTime(r.ReceivedAt), dbTime(r.ExpiresAt))
	return dbError(err, "Demande SAML", "Cette demande de connexion a déjà été reçue : elle ne peut servir qu'une fois.")
}

const samlRequestColumns = `connector_id, request_id, issued_at, relay_state, acs_url, force_authn, is_passive, received_at, expires_at, answered_at IS NOT NULL`

func scanSAMLRequest(row interface{ Scan(...any) error }) (SAMLRequest, error) {
	var r SAMLRequest
	err := row.Scan(&r.ConnectorID, &r.RequestID, &r.IssuedAt, &r.RelayState, &r.ACSURL, &r.ForceAuthn, &r.IsPassive,
		&r.ReceivedAt, &r.ExpiresAt, &r.Answered)
	return r, err
}

// SAMLRequestByHandle reads a kept request, answered or not, expired or
// not: ENotFound once it is purged.
func (s *Store) SAMLRequestByHandle(ctx context.Context, handleHash string) (SAMLRequest, error) {
	r, err := scanSAMLRequest(s.readStmts.QueryRowContext(ctx, `SELECT `+samlRequestColumns+` FROM saml_requests WHERE handle_hash = $1`, handleHash))
	if err != nil {
		return SAMLRequest{}, dbError(err, "Demande de connexion", "")
	}
	return r, nil
}

// TakeSAMLRequest marks a kept request answered and returns it: of two
// instances answering the same request at once, one only gets it. A request
// already answered, or past its time, is EConflict.
func (s *Store) TakeSAMLRequest(ctx context.Context, handleHash string) (SAMLRequest, error) {
	now := s.Now()
	r, err := scanSAMLRequest(s.writePool.QueryRowContext(ctx, `
		UPDATE saml_requests SET answered_at = $1 WHERE handle_hash = $2 AND answered_at IS NULL AND expires_at > $1
		RETURNING `+samlRequestColumns, now, handleHash))
	if errors.Is(err, sql.ErrNoRows) {
		return SAMLRequest{}, sesame.Errorf(sesame.EConflict,
			"Cette demande de connexion a déjà servi, ou a expiré. Retournez sur le site de la ressource et recommencez.")
	}
	if err != nil {
		return SAMLRequest{}, fmt.Errorf("take saml request: %w", err)
	}
	return r, nil
}
