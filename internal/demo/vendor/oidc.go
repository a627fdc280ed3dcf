package vendor

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/bdf29/sesame"
)

// oauthConfig is the vendor as an OpenID Connect relying party, its
// provider discovered from Sésame's /.well-known/openid-configuration on
// first use.
func (v *Vendor) oauthConfig(r *http.Request) (*gooidc.Provider, oauth2.Config, error) {
	v.mu.Lock()
	provider := v.oidcProvider
	v.mu.Unlock()
	if provider == nil {
		var err error
		if provider, err = gooidc.NewProvider(v.clientContext(r.Context()), v.base); err != nil {
			return nil, oauth2.Config{}, fmt.Errorf("discover the OpenID provider: %w", err)
		}
		v.mu.Lock()
		v.oidcProvider = provider
		v.mu.Unlock()
	}
	return provider, oauth2.Config{ClientID: OIDCClientID, ClientSecret: v.oidcSecret, Endpoint: provider.Endpoint(),
		RedirectURL: v.base + oidcReturnPath, Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}, nil
}

// oidcStart sends the patron to Sésame's authorization endpoint, with a
// state, a nonce and a PKCE challenge of this browser's.
func (v *Vendor) oidcStart(w http.ResponseWriter, r *http.Request) {
	_, conf, err := v.oauthConfig(r)
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Sésame ne répond pas comme fournisseur OpenID Connect.", err)
		return
	}
	a, err := v.newAttempt(w, r)
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Le fournisseur n'a pas pu préparer la connexion.", err)
		return
	}
	state, err := v.token()
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Le fournisseur n'a pas pu préparer la connexion.", err)
		return
	}
	nonce, err := v.token()
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Le fournisseur n'a pas pu préparer la connexion.", err)
		return
	}
	verifier := oauth2.GenerateVerifier()
	v.mu.Lock()
	a.oidcState, a.oidcNonce, a.oidcVerifier = state, nonce, verifier
	v.mu.Unlock()
	http.Redirect(w, r, conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcReturn exchanges the code, checks the ID token and asks userinfo.
func (v *Vendor) oidcReturn(w http.ResponseWriter, r *http.Request) {
	provider, conf, err := v.oauthConfig(r)
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Sésame ne répond pas comme fournisseur OpenID Connect.", err)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		v.refuse(w, sesame.ConnectorOIDC, "Sésame a refusé la connexion : "+e+" "+q.Get("error_description"), nil)
		return
	}
	a := v.pendingAttempt(r)
	v.mu.Lock()
	var state, nonce, verifier string
	if a != nil {
		state, nonce, verifier = a.oidcState, a.oidcNonce, a.oidcVerifier
		a.oidcState = "" // one return per start
	}
	v.mu.Unlock()
	if state == "" || q.Get("state") != state {
		v.refuse(w, sesame.ConnectorOIDC, "Retour inattendu : aucune connexion OpenID Connect n'était en cours dans ce navigateur.", nil)
		return
	}
	ctx := v.clientContext(r.Context())
	token, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Le code d'autorisation n'a pas été accepté par Sésame.", err)
		return
	}
	raw, _ := token.Extra("id_token").(string)
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: OIDCClientID}).Verify(ctx, raw)
	if err != nil || idToken.Nonce != nonce {
		v.refuse(w, sesame.ConnectorOIDC, "Le jeton d'identité n'est pas valide.", err)
		return
	}
	var idClaims map[string]any
	if err := idToken.Claims(&idClaims); err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Le jeton d'identité est illisible.", err)
		return
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "Sésame n'a pas répondu à la demande userinfo.", err)
		return
	}
	var infoClaims map[string]any
	if err := info.Claims(&infoClaims); err != nil {
		v.refuse(w, sesame.ConnectorOIDC, "La réponse userinfo est illisible.", err)
		return
	}
	v.show(w, http.StatusOK, visit{Protocol: sesame.ConnectorOIDC.Label(),
		Person: person(claimString(infoClaims, "given_name"), claimString(infoClaims, "family_name")),
		Sources: []Source{
			{Title: "Jeton d'identité (ID token)", Attrs: claimAttrs(idClaims)},
			{Title: "Réponse de userinfo", Attrs: claimAttrs(infoClaims)},
		}})
}

// claimAttrs lists claims by name, as a person reads them: dates as dates
// in Paris, lists as lists.
func claimAttrs(claims map[string]any) []Attr {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	var out []Attr
	for name, value := range claims {
		out = append(out, Attr{Name: name, Value: claimValue(name, value, paris)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// claimValue writes one claim's value: JSON numbers are float64, and the
// times of a JWT are seconds since 1970.
func claimValue(name string, value any, loc *time.Location) string {
	switch v := value.(type) {
	case float64:
		n := strconv.FormatFloat(v, 'f', -1, 64)
		if name == "exp" || name == "iat" || name == "auth_time" || name == "nbf" {
			n += " (" + time.Unix(int64(v), 0).In(loc).Format("02/01/2006 15:04:05") + ")"
		}
		return n
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = claimValue("", p, loc)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(value)
}

// claimString is a claim that is a string, or "".
func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// person is who arrived, as the page names them: « Eric MEDIATEUR-NUM ».
func person(first, last string) string {
	return strings.TrimSpace(first + " " + last)
}
