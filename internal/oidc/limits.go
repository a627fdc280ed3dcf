package oidc

import (
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/bdf29/sesame"
)

// checkSize refuses a request whose values, all kept until the patron logs
// in, are longer than a vendor needs: anyone may send one, for a known
// client, and it stays in the database for loginTTL. The redirect_uri is
// one the client registered, so it is bounded already.
func checkSize(req *oidc.AuthRequest) error {
	tooLong := func(name string) error {
		return oidc.ErrInvalidRequest().WithDescription("%s is too long", name)
	}
	switch {
	case len(req.State) > sesame.MaxOIDCStateLength:
		return tooLong("state")
	case len(req.Nonce) > sesame.MaxOIDCNonceLength:
		return tooLong("nonce")
	case len(req.CodeChallenge) > sesame.MaxOIDCCodeChallengeLength:
		return tooLong("code_challenge")
	case len(strings.Join(req.Scopes, " ")) > sesame.MaxOIDCScopeLength:
		return tooLong("scope")
	case len(req.Prompt) > sesame.MaxOIDCPromptValues || len(strings.Join(req.Prompt, " ")) > sesame.MaxOIDCScopeLength:
		return tooLong("prompt")
	case len(req.ResponseMode) > sesame.MaxOIDCStateLength || len(req.CodeChallengeMethod) > sesame.MaxOIDCStateLength:
		return tooLong("response_mode or code_challenge_method")
	}
	return nil
}
