package oidc

import (
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/bdf29/sesame"
)

// client is a vendor's OIDC connector as the provider package sees it: a
// relying party that may only use the code flow.
type client struct{ c *sesame.Connector }

// public reports a client without a secret, which must then prove the code
// is its own with PKCE. A secret that cannot be opened with this instance's
// key does not make a client public: it makes it unusable.
func (c *client) public() bool { return c.c.Secret == "" && !c.c.SecretUnreadable }

// signingAlg is the ID token's algorithm: RS256 unless the vendor asked for ES256.
func (c *client) signingAlg() jose.SignatureAlgorithm {
	if c.c.OIDC.IDTokenSignedResponseAlg == string(jose.ES256) {
		return jose.ES256
	}
	return jose.RS256
}

func (c *client) GetID() string                    { return c.c.OIDC.ClientID }
func (c *client) RedirectURIs() []string           { return c.c.OIDC.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }

// ApplicationType is web for a client with a secret (a vendor's server),
// user agent for a public one: both match redirect URIs exactly, where a
// native client would accept any port on a loopback address.
func (c *client) ApplicationType() op.ApplicationType {
	if c.public() {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is none for a public client; a client with a secret may send it
// by HTTP Basic or in the form: the provider package accepts both for basic.
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }

// LoginURL is where /oauth/authorize sends the patron: the step that checks
// their session and their right to the resource.
func (c *client) LoginURL(id string) string {
	return LoginPath + "?id=" + url.QueryEscape(id)
}

func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return idTokenTTL }
func (c *client) DevMode() bool                       { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed refuses every scope beyond the standard ones: Sésame has
// none of its own.
func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the claims in the ID token as well as
// at userinfo: many vendors read only the ID token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
