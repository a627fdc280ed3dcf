package oidc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/store"
)

// authRequest is a stored request as the provider package sees it.
type authRequest struct {
	r *store.OIDCAuthRequest
	// tokenID is the access token already saved with the code's use.
	tokenID string
}

func (a authRequest) GetID() string  { return a.r.ID }
func (a authRequest) GetACR() string { return "" }

// GetAMR says the patron proved who they are with a password.
func (a authRequest) GetAMR() []string      { return []string{"pwd"} }
func (a authRequest) GetAudience() []string { return []string{a.r.ClientID} }

// GetAuthTime is when the patron typed their password, the ID token's
// auth_time: a vendor that sent max_age checks it.
func (a authRequest) GetAuthTime() time.Time { return a.r.AuthTime }
func (a authRequest) GetClientID() string    { return a.r.ClientID }

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}

func (a authRequest) GetNonce() string                   { return a.r.Nonce }
func (a authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.r.ResponseMode) }
func (a authRequest) GetScopes() []string                { return a.r.Scopes }
func (a authRequest) GetState() string                   { return a.r.State }

// GetSubject is the pairwise subject, once the patron is let through.
func (a authRequest) GetSubject() string { return a.r.Subject }
func (a authRequest) Done() bool         { return a.r.PatronID != 0 }

// claims are what a vendor is told of a patron, fixed when the gate let the
// patron through: the names, the e-mail only where allowed, the library's
// code and the end of validity.
type claims struct {
	FamilyName string `json:"family_name"`
	GivenName  string `json:"given_name"`
	Email      string `json:"email,omitempty"`
	Library    string `json:"library"`
	ValidUntil string `json:"valid_until"` // yyyy-mm-dd
}

// releasedClaims are the claims of a patron the gate let through. The
// e-mail goes only to a vendor whose connector allows it, and only when it
// asked for the email scope.
func releasedClaims(who *access.Grantee, releaseEmail bool, scopes []string) claims {
	p := who.Patron
	c := claims{FamilyName: p.LastName, GivenName: p.FirstName, Library: who.Library.Code, ValidUntil: p.ValidUntil.ISO()}
	if releaseEmail && slices.Contains(scopes, oidc.ScopeEmail) {
		c.Email = p.Email
	}
	return c
}

// fill sets the userinfo of these claims for scopes: the names with
// profile, the e-mail with email, Sésame's own two claims always.
func (c claims) fill(info *oidc.UserInfo, subject string, scopes []string) {
	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.FamilyName, info.GivenName = c.FamilyName, c.GivenName
		info.Name = c.GivenName + " " + c.FamilyName
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && c.Email != "" {
		info.Email = c.Email
	}
	info.AppendClaims("library", c.Library)
	info.AppendClaims("valid_until", c.ValidUntil)
}

func jsonString(c claims) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("oidc claims: %w", err)
	}
	return string(b), nil
}

func parseClaims(s string) (claims, error) {
	var c claims
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return claims{}, fmt.Errorf("oidc claims: %w", err)
	}
	return c, nil
}

// pairwiseSubject is the patron's subject for one vendor: an HMAC of the
// patron and the vendor's client_id under a key of the database. It is
// stable for a vendor, tells nothing of the patron's number, and two vendors
// cannot match theirs.
func pairwiseSubject(key []byte, patronID int64, clientID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(strconv.FormatInt(patronID, 10)))
	mac.Write([]byte{0})
	mac.Write([]byte(clientID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
