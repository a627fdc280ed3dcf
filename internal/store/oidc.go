package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// OIDCAuthRequest is an OpenID Connect authorization request: it waits for
// the patron, then holds its code until the vendor exchanges it. Scopes and
// Prompt are as the vendor sent them, after the provider's checks.
type OIDCAuthRequest struct {
	ID                  string
	ConnectorID         int64
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseMode        string
	Prompt              []string
	CodeChallenge       string
	CodeChallengeMethod string
	// MaxAge is the vendor's max_age, in seconds: how long ago the patron
	// may have typed their password. nil when the vendor asked none.
	MaxAge *int64
	// Set when the patron is let through: 0 and "" until then.
	PatronID int64
	Subject  string
	Claims   string    // JSON of what the vendor is told
	AuthTime time.Time // when the patron typed their password, for the ID token
	CodeUsed bool
	// CreatedAt is when the vendor asked.
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OIDCGrant is what a request gets when the patron is let through: the
// code (its hash only) and what the vendor will be told.
type OIDCGrant struct {
	PatronID      int64
	Subject       string
	Claims        string
	CodeHash      string
	CodeExpiresAt time.Time
	AuthTime      time.Time
	// Launch is recorded in the same transaction: a launch is counted when,
	// and only when, the vendor gets its code.
	Launch Launch
}

const oidcRequestColumns = `id, connector_id, client_id, redirect_uri, scopes, state, nonce, response_mode, prompt,
	code_challenge, code_challenge_method, COALESCE(patron_id, 0), subject, claims, code_used_at IS NOT NULL, created_at, expires_at,
	max_age, auth_time`

func scanOIDCRequest(row interface{ Scan(...any) error }) (*OIDCAuthRequest, error) {
	var r OIDCAuthRequest
	var scopes, prompt string
	var maxAge sql.NullInt64
	var authTime sql.NullTime
	err := row.Scan(&r.ID, &r.ConnectorID, &r.ClientID, &r.RedirectURI, &scopes, &r.State, &r.Nonce, &r.ResponseMode, &prompt,
		&r.CodeChallenge, &r.CodeChallengeMethod, &r.PatronID, &r.Subject, &r.Claims, &r.CodeUsed, &r.CreatedAt, &r.ExpiresAt,
		&maxAge, &authTime)
	if err != nil {
		return nil, dbError(err, "Demande de connexion", "")
	}
	if maxAge.Valid {
		r.MaxAge = &maxAge.Int64
	}
	if authTime.Valid {
		r.AuthTime = authTime.Time
	}
	r.Scopes, r.Prompt = strings.Fields(scopes), strings.Fields(prompt)
	return &r, nil
}

// CreateOIDCAuthRequest saves a new authorization request, to wait for the
// patron until r.ExpiresAt.
func (s *Store) CreateOIDCAuthRequest(ctx context.Context, r OIDCAuthRequest) error {
	_, err := s.writePool.ExecContext(ctx, `
		INSERT INTO oidc_auth_requests (id, connector_id, client_id, redirect_uri, scopes, state, nonce, response_mode, prompt,
			code_challenge, code_challenge_method, created_at, expires_at, max_age)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.ConnectorID, r.ClientID, r.RedirectURI, strings.Join(r.Scopes, " "), r.State, r.Nonce, r.ResponseMode,
		strings.Join(r.Prompt, " "), r.CodeChallenge, r.CodeChallengeMethod, s.Now(), dbTime(r.ExpiresAt), r.MaxAge)
	if err != nil {
		return fmt.Errorf("create oidc auth request: %w", err)
	}
	return nil
}

// OIDCAuthRequest returns a request whose code is not used yet and whose
// time is not over; any other is not found.
func (s *Store) OIDCAuthRequest(ctx context.Context, id string) (*OIDCAuthRequest, error) {
	return scanOIDCRequest(s.readStmts.QueryRowContext(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests
		WHERE id = $1 AND code_used_at IS NULL AND expires_at > $2`, id, s.Now()))
}

// GrantOIDCAuthRequest lets the patron through a request still waiting for
// them, with its code. A request already granted, or too old, is not found.
func (s *Store) GrantOIDCAuthRequest(ctx context.Context, id string, g OIDCGrant) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE oidc_auth_requests SET patron_id = $1, subject = $2, claims = $3, code_hash = $4, expires_at = $5, auth_time = $8
			WHERE id = $6 AND patron_id IS NULL AND expires_at > $7`,
			g.PatronID, g.Subject, g.Claims, g.CodeHash, dbTime(g.CodeExpiresAt), id, s.Now(), nullTime(g.AuthTime))
		if err != nil {
			return fmt.Errorf("grant oidc auth request: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return sesame.Errorf(sesame.ENotFound, "Demande de connexion introuvable.")
		}
		return recordLaunch(ctx, tx, g.Launch)
	})
}

// CreateGrantedOIDCAuthRequest saves a request whose patron is let through
// at once, with its code and the launch, in one write: the way of a patron
// who comes to /oauth/authorize with a session. r holds the request as the
// vendor sent it; g what the gate let through.
func (s *Store) CreateGrantedOIDCAuthRequest(ctx context.Context, r OIDCAuthRequest, g OIDCGrant) error {
	insert, launch := s.writeStmt(ctx, insertGrantedRequest), s.writeStmt(ctx, insertLaunch)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := stmtIn(ctx, tx, insert, insertGrantedRequest).ExecContext(ctx,
			r.ID, r.ConnectorID, r.ClientID, r.RedirectURI, strings.Join(r.Scopes, " "), r.State, r.Nonce, r.ResponseMode,
			strings.Join(r.Prompt, " "), r.CodeChallenge, r.CodeChallengeMethod, s.Now(), dbTime(g.CodeExpiresAt), r.MaxAge,
			g.PatronID, g.Subject, g.Claims, g.CodeHash, nullTime(g.AuthTime))
		if err != nil {
			return fmt.Errorf("create granted oidc auth request: %w", err)
		}
		return recordLaunchStmt(ctx, stmtIn(ctx, tx, launch, insertLaunch), g.Launch)
	})
}

const insertGrantedRequest = `
	INSERT INTO oidc_auth_requests (id, connector_id, client_id, redirect_uri, scopes, state, nonce, response_mode, prompt,
		code_challenge, code_challenge_method, created_at, expires_at, max_age, patron_id, subject, claims, code_hash, auth_time)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`

// writeStmt is query prepared once on SQLite's one writer connection, for
// stmtIn; nil on PostgreSQL, whose driver keeps each connection's
// statements itself. Ask it before the transaction begins: preparing needs
// the one connection that the transaction then holds.
func (s *Store) writeStmt(ctx context.Context, query string) *sql.Stmt {
	if s.dialect != sqliteDialect {
		return nil
	}
	st, err := s.writeStmts.get(ctx, query)
	if err != nil {
		return nil
	}
	return st
}

// stmtIn is query in tx, through st when it was prepared.
func stmtIn(ctx context.Context, tx *sql.Tx, st *sql.Stmt, query string) execer {
	if st == nil {
		return txExecer{tx, query}
	}
	return tx.StmtContext(ctx, st)
}

// execer is a statement, prepared or not.
type execer interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

type txExecer struct {
	tx    *sql.Tx
	query string
}

func (t txExecer) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.query, args...)
}

func (t txExecer) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.query, args...)
}

func (t txExecer) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.query, args...)
}

// statement is an execer that also reads many rows.
type statement interface {
	execer
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}

const insertLaunch = `INSERT INTO launches (at, patron_id, library_id, resource_id, connector_id) VALUES ($1, $2, $3, $4, $5)`

// recordLaunchStmt is recordLaunch through a prepared statement.
func recordLaunchStmt(ctx context.Context, st execer, l Launch) error {
	var connector any
	if l.ConnectorID != 0 {
		connector = l.ConnectorID
	}
	if _, err := st.ExecContext(ctx, dbTime(l.At), l.PatronID, l.LibraryID, l.ResourceID, connector); err != nil {
		return fmt.Errorf("record launch: %w", err)
	}
	return nil
}

// SaveOIDCCode gives a code to a request already granted and still without one.
func (s *Store) SaveOIDCCode(ctx context.Context, id, codeHash string, expiresAt time.Time) error {
	res, err := s.writePool.ExecContext(ctx, `
		UPDATE oidc_auth_requests SET code_hash = $1, expires_at = $2
		WHERE id = $3 AND patron_id IS NOT NULL AND code_hash IS NULL AND expires_at > $4`,
		codeHash, dbTime(expiresAt), id, s.Now())
	if err != nil {
		return fmt.Errorf("save oidc code: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sesame.Errorf(sesame.ENotFound, "Demande de connexion introuvable.")
	}
	return nil
}

// ErrOIDCCodeReplayed is UseOIDCCode's answer to a code already used: the
// tokens it produced have just been revoked.
var ErrOIDCCodeReplayed = errors.New("oidc code already used: its tokens are revoked")

// UseOIDCCode takes the request of a code, once: the first call marks it
// used and keeps it until keepUntil, when the tokens it produces expire.
// Any later call with the same code revokes those tokens and returns
// ErrOIDCCodeReplayed. An unknown or expired code is not found.
func (s *Store) UseOIDCCode(ctx context.Context, codeHash string, keepUntil time.Time) (*OIDCAuthRequest, error) {
	now := s.Now()
	var r *OIDCAuthRequest
	replayed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanOIDCRequest(tx.QueryRowContext(ctx, `
			UPDATE oidc_auth_requests SET code_used_at = $1, expires_at = $2
			WHERE code_hash = $3 AND code_used_at IS NULL AND expires_at > $1
			RETURNING `+oidcRequestColumns, now, dbTime(keepUntil), codeHash))
		if sesame.ErrorCode(err) != sesame.ENotFound {
			return err
		}
		// What the first use may still produce is refused too:
		// CreateOIDCToken checks the mark revokeReplayed leaves.
		replayed, err = revokeReplayed(ctx, tx, codeHash, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if replayed {
		return nil, ErrOIDCCodeReplayed
	}
	return r, nil
}

// OIDCExchange is a code exchanged for an access token.
type OIDCExchange struct {
	CodeHash string
	// TokenIDHash is the new access token's; it expires at KeepUntil, and
	// the request is kept until then, for a replay to find it.
	TokenIDHash string
	KeepUntil   time.Time
	// Check is asked of the request once its code is spent: its error
	// refuses the token, and the code stays spent.
	Check func(*OIDCAuthRequest) error
}

// ExchangeOIDCCode spends a code and saves its access token, in one write.
// A code used again revokes the tokens of its first use and returns
// ErrOIDCCodeReplayed; an unknown or expired code is not found. The token is
// written in the transaction that spends the code: a replay at that moment
// waits for it, then revokes it.
func (s *Store) ExchangeOIDCCode(ctx context.Context, e OIDCExchange) (*OIDCAuthRequest, error) {
	now := s.Now()
	var r *OIDCAuthRequest
	var refused error
	replayed := false
	spend, insert := s.writeStmt(ctx, spendCode), s.writeStmt(ctx, insertToken)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanOIDCRequest(stmtIn(ctx, tx, spend, spendCode).QueryRowContext(ctx, now, dbTime(e.KeepUntil), e.CodeHash))
		if err == nil {
			if e.Check != nil {
				if refused = e.Check(r); refused != nil {
					return nil // the code is spent all the same
				}
			}
			_, err = stmtIn(ctx, tx, insert, insertToken).ExecContext(ctx,
				e.TokenIDHash, r.ID, r.PatronID, r.ConnectorID, r.ClientID, r.Subject, strings.Join(r.Scopes, " "), r.Claims,
				now, dbTime(e.KeepUntil))
			if err != nil {
				return fmt.Errorf("create oidc token: %w", err)
			}
			return nil
		}
		if sesame.ErrorCode(err) != sesame.ENotFound {
			return err
		}
		replayed, err = revokeReplayed(ctx, tx, e.CodeHash, now)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case replayed:
		return nil, ErrOIDCCodeReplayed
	case refused != nil:
		return nil, refused
	}
	return r, nil
}

const (
	spendCode = `UPDATE oidc_auth_requests SET code_used_at = $1, expires_at = $2
		WHERE code_hash = $3 AND code_used_at IS NULL AND expires_at > $1
		RETURNING ` + oidcRequestColumns
	// #nosec G101 -- a SQL statement naming columns; tokens are stored hashed
	insertToken = `INSERT INTO oidc_tokens (id_hash, auth_request_id, patron_id, connector_id, client_id, subject, scopes, claims, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
)

// revokeReplayed marks the request of a code already used as replayed and
// revokes its tokens (RFC 6749 §4.1.2: a code used twice was stolen, by one
// side or the other; what the first use produced is no longer trusted). A
// code never seen is not found.
func revokeReplayed(ctx context.Context, tx *sql.Tx, codeHash string, now time.Time) (bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM oidc_auth_requests WHERE code_hash = $1 AND code_used_at IS NOT NULL`, codeHash).Scan(&id)
	if err != nil {
		return false, dbError(err, "Code", "")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET replayed_at = $1 WHERE id = $2`, now, id); err != nil {
		return false, fmt.Errorf("mark a replayed code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE auth_request_id = $1`, id); err != nil {
		return false, fmt.Errorf("revoke tokens of a replayed code: %w", err)
	}
	return true, nil
}

// OIDCToken is an access token, known by the hash of the id it carries.
type OIDCToken struct {
	IDHash        string
	AuthRequestID string
	PatronID      int64
	ConnectorID   int64
	ClientID      string
	Subject       string
	Scopes        []string
	Claims        string
	ExpiresAt     time.Time
}

// CreateOIDCToken saves an access token for the request of a code, unless
// that code was replayed meanwhile: then ErrOIDCCodeReplayed.
func (s *Store) CreateOIDCToken(ctx context.Context, t OIDCToken) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Locks the request's row: a replay at this very moment either waits
		// for this token, and revokes it, or marked the request first.
		res, err := tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET replayed_at = NULL WHERE id = $1 AND replayed_at IS NULL`, t.AuthRequestID)
		if err != nil {
			return fmt.Errorf("create oidc token: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOIDCCodeReplayed
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO oidc_tokens (id_hash, auth_request_id, patron_id, connector_id, client_id, subject, scopes, claims, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.IDHash, t.AuthRequestID, t.PatronID, t.ConnectorID, t.ClientID, t.Subject, strings.Join(t.Scopes, " "), t.Claims,
			s.Now(), dbTime(t.ExpiresAt))
		if err != nil {
			return fmt.Errorf("create oidc token: %w", err)
		}
		return nil
	})
}

// OIDCToken returns an access token not revoked and not expired.
func (s *Store) OIDCToken(ctx context.Context, idHash string) (*OIDCToken, error) {
	t := OIDCToken{IDHash: idHash}
	var scopes string
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT auth_request_id, patron_id, connector_id, client_id, subject, scopes, claims, expires_at
		FROM oidc_tokens WHERE id_hash = $1 AND expires_at > $2`, idHash, s.Now()).
		Scan(&t.AuthRequestID, &t.PatronID, &t.ConnectorID, &t.ClientID, &t.Subject, &scopes, &t.Claims, &t.ExpiresAt)
	if err != nil {
		return nil, dbError(err, "Jeton", "")
	}
	t.Scopes = strings.Fields(scopes)
	return &t, nil
}

// RevokeOIDCToken revokes an access token of one client: a vendor revokes
// only its own tokens. An unknown token is not an error (RFC 7009 §2.2).
func (s *Store) RevokeOIDCToken(ctx context.Context, idHash, clientID string) error {
	return s.exec(ctx, "revoke oidc token", `DELETE FROM oidc_tokens WHERE id_hash = $1 AND client_id = $2`, idHash, clientID)
}

// EndPatronOIDC revokes every access token of the patron and drops their
// requests, codes not yet exchanged included: when the patron logs out,
// no vendor may go on learning who they are.
func (s *Store) EndPatronOIDC(ctx context.Context, patronID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE patron_id = $1`, patronID); err != nil {
			return fmt.Errorf("revoke patron's oidc tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_auth_requests WHERE patron_id = $1`, patronID); err != nil {
			return fmt.Errorf("drop patron's oidc requests: %w", err)
		}
		return nil
	})
}

// OIDCKey is one of the provider's keys. Private is in clear in memory only:
// the store keeps it sealed. Slot is unique: two instances that create the
// key of one slot at once keep the first.
type OIDCKey struct {
	ID        string
	Slot      string
	Algorithm string
	PublicJWK string
	Private   string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
}

func oidcKeyContext(id string) string { return "oidc-key:" + id }

// AddOIDCKey saves a key with its private part sealed, unless its slot
// already has one.
func (s *Store) AddOIDCKey(ctx context.Context, k OIDCKey) error {
	if s.secrets == nil {
		return sesame.Errorf(sesame.EInvalid, "La clé de chiffrement SESAME_SECRET_KEY n'est pas réglée : les clés OpenID Connect ne peuvent pas être enregistrées.")
	}
	sealed, err := s.secrets.Seal(k.Private, oidcKeyContext(k.ID))
	if err != nil {
		return fmt.Errorf("seal oidc key: %w", err)
	}
	var expires any
	if !k.ExpiresAt.IsZero() {
		expires = dbTime(k.ExpiresAt)
	}
	_, err = s.writePool.ExecContext(ctx, `
		INSERT INTO oidc_keys (id, slot, algorithm, public_jwk, private_key, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slot) DO NOTHING`,
		k.ID, k.Slot, k.Algorithm, k.PublicJWK, sealed, s.Now(), expires)
	if err != nil {
		return fmt.Errorf("add oidc key: %w", err)
	}
	return nil
}

// OIDCKeys returns the keys not expired, their private parts opened.
func (s *Store) OIDCKeys(ctx context.Context) ([]OIDCKey, error) {
	rows, err := s.readStmts.QueryContext(ctx, `
		SELECT id, slot, algorithm, public_jwk, private_key, created_at, expires_at FROM oidc_keys
		WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at, id`, s.Now())
	if err != nil {
		return nil, fmt.Errorf("list oidc keys: %w", err)
	}
	defer rows.Close()
	var out []OIDCKey
	for rows.Next() {
		var k OIDCKey
		var sealed string
		var expires sql.NullTime
		if err := rows.Scan(&k.ID, &k.Slot, &k.Algorithm, &k.PublicJWK, &sealed, &k.CreatedAt, &expires); err != nil {
			return nil, fmt.Errorf("scan oidc key: %w", err)
		}
		if k.Private, err = s.secrets.Open(sealed, oidcKeyContext(k.ID)); err != nil {
			return nil, fmt.Errorf("open oidc key %s: %w", k.ID, err)
		}
		k.ExpiresAt = expires.Time
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list oidc keys: %w", err)
	}
	return out, nil
}

// nullTime is NULL for the zero time, else t in UTC as the store keeps it.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dbTime(t)
}
