package oidc

import (
	"context"
	"errors"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// server is the provider package's LegacyServer with Sésame's policy on
// top: where the package allows more (implicit flow, plain PKCE, a public
// client without PKCE, other grants), these methods narrow it.
type server struct {
	*op.LegacyServer
	p *Provider
}

// Discovery says what the provider really offers: the code flow, answered
// in the query, pairwise subjects, S256 only.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	d := resp.Data.(*oidc.DiscoveryConfiguration)
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode}
	d.SubjectTypesSupported = []string{"pairwise"}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	methods := []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.TokenEndpointAuthMethodsSupported = methods
	d.RevocationEndpointAuthMethodsSupported = methods
	// No private_key_jwt, no introspection: no signing algorithms for them.
	d.IntrospectionEndpointAuthMethodsSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.TokenEndpointAuthSigningAlgValuesSupported = nil
	return resp, nil
}

// Authorize refuses, back at the vendor's redirect_uri (already checked by
// then), what Sésame does not accept; then the package saves the request
// and sends the browser to the login step.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	req := r.Data
	if err := checkSize(req); err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains(req.Scopes, oidc.ScopeOpenID):
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	case req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery:
		// form_post would need a script, which the site's CSP forbids.
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode must be query")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		// No method means plain (RFC 7636 §4.3), refused like plain itself.
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge == "" && r.Client.AuthMethod() == oidc.AuthMethodNone:
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with S256 is required of a public client")
	}
	if redirect, ok := s.p.grantAtOnce(ctx, r); ok {
		return redirect, nil
	}
	return s.LegacyServer.Authorize(ctx, r)
}

// CodeExchange is the package's, with three differences: a code_challenge
// made at /oauth/authorize is checked whatever the client (the package
// skips it for a client with a secret that sends no verifier), the ID
// token is signed with the algorithm the client registered, and the code is
// spent and its access token saved in one write.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	tokenID, err := auth.NewToken(s.p.random)
	if err != nil {
		return nil, err
	}
	req, err := s.p.store.ExchangeOIDCCode(ctx, store.OIDCExchange{
		CodeHash: auth.HashToken(r.Data.Code), TokenIDHash: auth.HashToken(tokenID), KeepUntil: s.p.now().Add(accessTokenTTL),
		Check: func(req *store.OIDCAuthRequest) error { return checkExchange(r, req) },
	})
	var refused *oidc.Error
	switch {
	case errors.Is(err, store.ErrOIDCCodeReplayed):
		s.p.log.Warn("code OpenID Connect rejoué : jetons révoqués")
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(err)
	case errors.As(err, &refused):
		return nil, err
	case err != nil:
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(err)
	}
	if c, ok := r.Client.(*client); ok {
		ctx = withSigningAlg(ctx, c.signingAlg())
	}
	resp, err := op.CreateTokenResponse(ctx, authRequest{r: req, tokenID: tokenID}, r.Client, s.Provider(), true, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// checkExchange is what a code's request must match in the exchange:
// the PKCE verifier, the client, the redirect_uri.
func checkExchange(r *op.ClientRequest[oidc.AccessTokenRequest], req *store.OIDCAuthRequest) error {
	if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authRequest{r: req}.GetCodeChallenge()); err != nil {
		return err
	}
	if r.Client.GetID() != req.ClientID {
		return oidc.ErrInvalidGrant()
	}
	if r.Data.RedirectURI != req.RedirectURI {
		return oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	return nil
}

// The grants Sésame does not offer: only a patron's browser, through the
// gate, gets a vendor a token.

func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	return op.UnimplementedServer{}.RefreshToken(ctx, r)
}

func (s *server) JWTProfile(ctx context.Context, r *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	return op.UnimplementedServer{}.JWTProfile(ctx, r)
}

func (s *server) TokenExchange(ctx context.Context, r *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	return op.UnimplementedServer{}.TokenExchange(ctx, r)
}

func (s *server) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	return op.UnimplementedServer{}.ClientCredentialsExchange(ctx, r)
}

func (s *server) DeviceToken(ctx context.Context, r *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	return op.UnimplementedServer{}.DeviceToken(ctx, r)
}
