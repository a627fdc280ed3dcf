package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// storage is the provider package's op.Storage over Sésame's store: every
// request, code, token and key lives in the database.
type storage struct{ p *Provider }

var _ op.Storage = storage{}

// ctxKey marks the values the provider passes to its storage.
type ctxKey int

const (
	algKey ctxKey = iota
	clientsKey
	patronKey
)

// clients are the connectors one request already read: the provider
// package asks for the same client several times per request.
type clients map[string]*client

// withSigningAlg tells SigningKey which algorithm the client asked for: the
// provider package asks for one key, not for a client's.
func withSigningAlg(ctx context.Context, alg jose.SignatureAlgorithm) context.Context {
	return context.WithValue(ctx, algKey, alg)
}

func (s storage) connector(ctx context.Context, clientID string) (*client, error) {
	read, _ := ctx.Value(clientsKey).(clients)
	if c, ok := read[clientID]; ok {
		return c, nil
	}
	c, err := s.p.store.ConnectorByLookup(ctx, sesame.ConnectorOIDC, clientID)
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client_id")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	cl := &client{c: c}
	if read != nil {
		read[clientID] = cl
	}
	return cl, nil
}

func (s storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	return s.connector(ctx, clientID)
}

// AuthorizeClientIDSecret compares in constant time. A client whose secret
// this instance cannot open is refused, never taken for a public one.
func (s storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	c, err := s.connector(ctx, clientID)
	if err != nil {
		return err
	}
	if c.c.SecretUnreadable {
		err := oidc.ErrServerError().WithDescription("the client's secret cannot be read: SESAME_SECRET_KEY changed")
		s.p.gate.Failed(ctx, c.c, 0, sesame.FailureSecretUnreadable, err)
		return err
	}
	if c.c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.c.Secret), []byte(secret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

// CreateAuthRequest saves the request, checked by the provider package and
// by server.Authorize, to wait for the patron.
func (s storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	// Authorize checked already; checked again where it is written, so
	// that no other way in stores an oversized request.
	if err := checkSize(req); err != nil {
		return nil, err
	}
	c, err := s.connector(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	r, err := s.p.newRequest(req, c)
	if err != nil {
		return nil, err
	}
	if err := s.p.store.CreateOIDCAuthRequest(ctx, *r); err != nil {
		return nil, err
	}
	return authRequest{r: r}, nil
}

func (s storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.p.store.OIDCAuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return authRequest{r: r}, nil
}

// AuthRequestByCode takes the code's request, once: a code used again
// revokes the tokens of its first use and is refused.
func (s storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.p.store.UseOIDCCode(ctx, auth.HashToken(code), s.p.now().Add(accessTokenTTL))
	if errors.Is(err, store.ErrOIDCCodeReplayed) {
		s.p.log.Warn("code OpenID Connect rejoué : jetons révoqués")
	}
	if err != nil {
		return nil, err
	}
	return authRequest{r: r}, nil
}

func (s storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.p.store.SaveOIDCCode(ctx, id, auth.HashToken(code), s.p.now().Add(codeTTL))
}

// DeleteAuthRequest deletes nothing: the request of a used code stays
// until its tokens expire, so that a replay of the code revokes them
// (UseOIDCCode). The purge removes it then.
func (s storage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken saves a token for the request of a code.
func (s storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	a, ok := req.(authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	if a.tokenID != "" { // saved with the code's use (server.CodeExchange)
		return a.tokenID, time.Now().Add(accessTokenTTL), nil
	}
	id, err := auth.NewToken(s.p.random)
	if err != nil {
		return "", time.Time{}, err
	}
	r := a.r
	err = s.p.store.CreateOIDCToken(ctx, store.OIDCToken{
		IDHash: auth.HashToken(id), AuthRequestID: r.ID, PatronID: r.PatronID, ConnectorID: r.ConnectorID,
		ClientID: r.ClientID, Subject: r.Subject, Scopes: r.Scopes, Claims: r.Claims, ExpiresAt: s.p.now().Add(accessTokenTTL),
	})
	if errors.Is(err, store.ErrOIDCCodeReplayed) {
		return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("code already used").WithParent(err)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	// The provider package turns this into expires_in against the wall
	// clock, so it gets a wall-clock time; the row expires by Sésame's clock.
	return id, time.Now().Add(accessTokenTTL), nil
}

// CreateAccessAndRefreshTokens is never reached: no client has the
// refresh_token grant. A vendor that needs the patron again sends them
// through /oauth/authorize, and so through the gate.
func (s storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not issued")
}

func (s storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession serves end_session, which Sésame does not offer: the
// patron logs out of Sésame itself, and that revokes every token.
func (s storage) TerminateSession(context.Context, string, string) error {
	return oidc.ErrRequestNotSupported().WithDescription("end_session is not offered")
}

// RevokeToken revokes an access token of the client that asks.
func (s storage) RevokeToken(ctx context.Context, tokenID, _ string, clientID string) *oidc.Error {
	if err := s.p.store.RevokeOIDCToken(ctx, auth.HashToken(tokenID), clientID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// SigningKey is the current key of the algorithm the client asked for
// (withSigningAlg), RS256 otherwise.
func (s storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg, ok := ctx.Value(algKey).(jose.SignatureAlgorithm)
	if !ok {
		alg = jose.RS256
	}
	return s.p.keys.signing(ctx, alg)
}

func (s storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256, jose.ES256}, nil
}

func (s storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.p.keys.publicKeys(ctx) }

// SetUserinfoFromScopes is deprecated by the provider package, which asks
// to leave it empty: SetUserinfoFromRequest does the work.
func (s storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims from the request.
func (s storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	a, ok := req.(authRequest)
	if !ok {
		return oidc.ErrServerError().WithDescription("unexpected request")
	}
	c, err := parseClaims(a.r.Claims)
	if err != nil {
		return err
	}
	c.fill(info, a.r.Subject, scopes)
	return nil
}

// SetUserinfoFromToken fills userinfo from a token not revoked nor expired.
func (s storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.p.store.OIDCToken(ctx, auth.HashToken(tokenID))
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("access token revoked or expired")
	}
	if t.Subject != subject {
		return oidc.ErrAccessDenied().WithDescription("access token invalid")
	}
	c, err := parseClaims(t.Claims)
	if err != nil {
		return err
	}
	c.fill(info, t.Subject, t.Scopes)
	return nil
}

// SetIntrospectionFromToken serves introspection, which Sésame does not offer.
func (s storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return oidc.ErrRequestNotSupported().WithDescription("introspection is not offered")
}

// GetPrivateClaimsFromScopes serves JWT access tokens; Sésame's are opaque.
func (s storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID serves private_key_jwt, which Sésame does not offer.
func (s storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("private_key_jwt is not offered")
}

// ValidateJWTProfileScopes serves the JWT bearer grant, which Sésame does not offer.
func (s storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s storage) Health(ctx context.Context) error { return s.p.store.Ping(ctx) }
