// Package oidc is Sésame's OpenID Connect provider, built on
// github.com/zitadel/oidc/v3's op package: Sésame tells a vendor who the
// patron is, and only while the patron may open that vendor's resource.
//
// What it offers, and only that: the authorization code flow, PKCE with
// S256 (required of public clients), client secrets by HTTP Basic or in the
// form, ID tokens signed RS256 (ES256 when the vendor registered it),
// userinfo, token revocation, pairwise subjects. Requests, codes, tokens
// and keys are in the database, shared by every instance.
//
// The flow: a patron who comes to /oauth/authorize with a session (the
// web layer says so with WithPatron) and whom the access gate lets through
// goes straight back to the vendor with a code, the request saved already
// granted, in one write. Otherwise /oauth/authorize saves the request and
// sends the browser to the login step (Provider.Resume), which the web
// layer serves: there the patron logs in if need be, the gate decides
// again, and a code goes back to the vendor, or a French page says why not.
// At the token endpoint, spending the code and saving the access token are
// one write too.
package oidc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Lifetimes. A code lives a minute (RFC 6749 says ten at most): the vendor
// exchanges it at once. Access tokens are short because the gate is not
// asked again at userinfo.
const (
	loginTTL       = 30 * time.Minute // from /oauth/authorize to the patron let through: time to log in
	codeTTL        = time.Minute
	accessTokenTTL = 10 * time.Minute
	idTokenTTL     = 10 * time.Minute
)

// DefaultKeyRotation is how long a signing key signs before the next one.
const DefaultKeyRotation = 30 * 24 * time.Hour

// The provider's paths. LoginPath is Sésame's own step between
// /oauth/authorize and the code.
//
// #nosec G101 -- URL paths (TokenPath), no credential.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	AuthorizePath = "/oauth/authorize"
	LoginPath     = "/oauth/login"
	TokenPath     = "/oauth/token"
	UserinfoPath  = "/oauth/userinfo"
	KeysPath      = "/oauth/keys"
	RevokePath    = "/oauth/revoke"
)

// Config is what the provider needs from the wiring.
type Config struct {
	Store  *store.Store
	Gate   *access.Gate
	Issuer string // the public base URL, without a trailing slash
	Now    func() time.Time
	Random io.Reader
	Logger *slog.Logger
	// KeyRotation is how long a signing key signs; DefaultKeyRotation when zero.
	KeyRotation time.Duration
}

// Provider is the OpenID Connect provider: an http.Handler for the
// protocol's paths, and Resume for the login step.
type Provider struct {
	store   *store.Store
	gate    *access.Gate
	now     func() time.Time
	random  io.Reader
	log     *slog.Logger
	keys    *keyring
	op      op.OpenIDProvider
	handler http.Handler
}

// New builds the provider. It reads nothing from the database: keys are
// read, or made, when first needed.
func New(cfg Config) (*Provider, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: no issuer (SESAME_BASE_URL)")
	}
	if cfg.KeyRotation == 0 {
		cfg.KeyRotation = DefaultKeyRotation
	}
	if cfg.KeyRotation < time.Hour {
		return nil, fmt.Errorf("oidc: key rotation %s is shorter than an hour", cfg.KeyRotation)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	p := &Provider{store: cfg.Store, gate: cfg.Gate, now: cfg.Now, random: cfg.Random, log: cfg.Logger}
	p.keys = &keyring{store: cfg.Store, now: cfg.Now, random: cfg.Random, rotation: cfg.KeyRotation}

	config := &op.Config{
		CodeMethodS256:     true,
		AuthMethodPost:     true,
		SupportedUILocales: []language.Tag{language.French},
		SupportedScopes:    []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail},
		SupportedClaims: []string{"sub", "iss", "aud", "exp", "iat", "nonce", "at_hash", "c_hash", "amr", "azp",
			"name", "family_name", "given_name", "email", "library", "valid_until"},
	}
	opts := []op.Option{op.WithCrypto(tokenCrypto{p.keys})}
	if strings.HasPrefix(cfg.Issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure()) // a base URL on plain http: development only
	}
	provider, err := op.NewProvider(config, storage{p}, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p.op = provider
	endpoints := op.Endpoints{
		Authorization: op.NewEndpoint(AuthorizePath),
		Token:         op.NewEndpoint(TokenPath),
		Userinfo:      op.NewEndpoint(UserinfoPath),
		Revocation:    op.NewEndpoint(RevokePath),
		JwksURI:       op.NewEndpoint(KeysPath),
	}
	srv := &server{LegacyServer: op.NewLegacyServer(provider, endpoints), p: p}
	// No credentials across origins: no protocol endpoint reads a cookie
	// through CORS; the browser comes to /oauth/authorize by navigation.
	corsOpts := &cors.Options{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type"},
	}
	p.handler = op.RegisterServer(srv, endpoints,
		op.WithHTTPMiddleware(op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler),
		op.WithServerCORSOptions(corsOpts))
	return p, nil
}

// ServeHTTP answers the protocol's paths.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != DiscoveryPath && r.URL.Path != KeysPath {
		// Tokens and what they say of a patron are never cached (RFC 6749 §5.1).
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
	}
	p.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientsKey, clients{})))
}

// ErrLoginNeeded is Resume's answer when nobody is logged in: the web layer
// sends the patron to log in, then back.
var ErrLoginNeeded = errors.New("oidc: the patron must log in")

// Refusal is Resume's answer when the gate refuses the patron: no code, a
// page that says why. Err is the gate's sesame.Error, with its French message.
type Refusal struct {
	Resource  string            // the resource's name
	Connector *sesame.Connector // the vendor's, for the trace of the failure
	Err       error
}

func (e *Refusal) Error() string { return "oidc: refused: " + e.Err.Error() }
func (e *Refusal) Unwrap() error { return e.Err }

// Resume is the login step, at LoginPath?id=…: patronID is the patron
// logged in, 0 for none, and authTime when they typed their password. A
// vendor's max_age (or prompt=login, its max_age=0) asks for a password
// typed more recently than that: Resume then answers ErrLoginNeeded as
// if nobody were logged in. When the gate lets the patron through, the browser
// is sent back to the vendor with a code and Resume returns nil. Otherwise
// nothing is written and Resume returns ErrLoginNeeded, a *Refusal, or a
// sesame.Error ENotFound for a request unknown, too old or already used;
// except for prompt=none, where the vendor asked for no page: it gets
// login_required or access_denied at its redirect_uri, and Resume returns nil.
func (p *Provider) Resume(w http.ResponseWriter, r *http.Request, patronID int64, authTime time.Time) error {
	ctx := r.Context()
	req, err := p.store.OIDCAuthRequest(ctx, r.URL.Query().Get("id"))
	if err == nil && req.PatronID != 0 {
		err = sesame.Errorf(sesame.ENotFound, "Demande de connexion introuvable.")
	}
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return sesame.Errorf(sesame.ENotFound,
			"Cette demande de connexion n'est plus valable. Retournez sur le site de la ressource et recommencez.")
	}
	if err != nil {
		return err
	}
	silent := slices.Contains(req.Prompt, oidc.PromptNone)
	if patronID != 0 && !freshEnough(req, authTime, p.now()) {
		patronID = 0
	}
	if patronID == 0 {
		if silent {
			op.AuthRequestError(w, r, authRequest{r: req}, oidc.ErrLoginRequired(), p.op)
			return nil
		}
		return ErrLoginNeeded
	}
	c, err := p.store.Connector(ctx, req.ConnectorID)
	if err != nil {
		return err
	}
	who, err := p.gate.Check(ctx, patronID, c.ResourceID)
	if sesame.ErrorCode(err) == sesame.EForbidden {
		if silent {
			// No page: the caller, who leaves the trace of a refusal, never hears of this one.
			p.log.Info("accès OpenID Connect refusé", "patron", patronID, "client_id", req.ClientID, "reason", sesame.ErrorMessage(err))
			op.AuthRequestError(w, r, authRequest{r: req}, oidc.ErrAccessDenied(), p.op)
			return nil
		}
		res, rerr := p.store.Resource(ctx, c.ResourceID)
		if rerr != nil {
			return rerr
		}
		return &Refusal{Resource: res.Name, Connector: c, Err: err}
	}
	if err != nil {
		return err
	}
	target, err := p.issue(ctx, req, c, who, authTime, func(g store.OIDCGrant) error {
		// One write lets the patron through, stores the code and counts the
		// launch: the request can be granted once only.
		return p.store.GrantOIDCAuthRequest(ctx, req.ID, g)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	// #nosec G710 -- target is the client's redirect_uri, which zitadel's op
	// checked as exactly one of those the connector registered (checklist 31).
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// issue gives the code of req to patronID, whom the gate let through as
// who: the vendor's claims are fixed, save writes the grant, and the
// launch is counted. It returns where to send the browser, the vendor's
// redirect_uri with the code.
func (p *Provider) issue(ctx context.Context, req *store.OIDCAuthRequest, c *sesame.Connector, who *access.Grantee, authTime time.Time,
	save func(store.OIDCGrant) error) (string, error) {
	pairwise, err := p.keys.secret(ctx, pairwiseKeySlot)
	if err != nil {
		return "", err
	}
	released, err := jsonString(releasedClaims(who, c.Releases(sesame.AttributeEmail), req.Scopes))
	if err != nil {
		return "", err
	}
	patronID := who.Patron.ID
	req.PatronID, req.Subject, req.Claims, req.AuthTime = patronID, pairwiseSubject(pairwise, patronID, req.ClientID), released, authTime
	code, err := op.BuildAuthRequestCode(authRequest{r: req}, p.op.Crypto())
	if err != nil {
		return "", err
	}
	now := p.now()
	err = save(store.OIDCGrant{PatronID: patronID, Subject: req.Subject, Claims: released,
		CodeHash: auth.HashToken(code), CodeExpiresAt: now.Add(codeTTL), AuthTime: authTime,
		Launch: store.Launch{At: now, PatronID: patronID, LibraryID: who.Patron.LibraryID, ResourceID: c.ResourceID, ConnectorID: c.ID}})
	if err != nil {
		return "", err
	}
	p.gate.Launched(c)
	return op.AuthResponseURL(req.RedirectURI, oidc.ResponseTypeCode, oidc.ResponseMode(req.ResponseMode),
		&op.CodeResponseType{Code: code, State: req.State}, p.op.Encoder())
}

// WithPatron tells /oauth/authorize who is logged in, and when they typed
// their password: a patron the gate lets through then goes back to the
// vendor with a code at once, in one write, without the login step. Any
// other case (nobody, a password too old for max_age, prompt=login, a
// refusal) takes the login step, which says why.
func WithPatron(ctx context.Context, patronID int64, authTime time.Time) context.Context {
	return context.WithValue(ctx, patronKey, loggedIn{patronID, authTime})
}

type loggedIn struct {
	patronID int64
	authTime time.Time
}

// grantAtOnce answers /oauth/authorize with the code for a patron logged in
// (WithPatron) whom the gate lets through. It reports false, having written
// nothing, when the request must wait at the login step.
func (p *Provider) grantAtOnce(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, bool) {
	who, ok := ctx.Value(patronKey).(loggedIn)
	cl, isClient := r.Client.(*client)
	if !ok || who.patronID == 0 || !isClient || r.Data.IDTokenHint != "" || r.Data.RequestParam != "" ||
		slices.Contains(r.Data.Prompt, oidc.PromptLogin) {
		return nil, false
	}
	req, err := p.newRequest(r.Data, cl)
	if err != nil || !freshEnough(req, who.authTime, p.now()) {
		return nil, false
	}
	grantee, err := p.gate.Check(ctx, who.patronID, cl.c.ResourceID)
	if err != nil {
		return nil, false // the login step asks again, and says why
	}
	target, err := p.issue(ctx, req, cl.c, grantee, who.authTime, func(g store.OIDCGrant) error {
		return p.store.CreateGrantedOIDCAuthRequest(ctx, *req, g)
	})
	if err != nil {
		p.log.Warn("code OpenID Connect non délivré d'emblée", "client_id", req.ClientID, "err", err)
		return nil, false
	}
	return op.NewRedirect(target), true
}

// newRequest is the request to store for a vendor's authorization request,
// checked by the provider package and by server.Authorize.
func (p *Provider) newRequest(req *oidc.AuthRequest, c *client) (*store.OIDCAuthRequest, error) {
	id, err := auth.NewToken(p.random)
	if err != nil {
		return nil, err
	}
	now := p.now()
	return &store.OIDCAuthRequest{
		ID: id, ConnectorID: c.c.ID, ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: req.Scopes,
		State: req.State, Nonce: req.Nonce, ResponseMode: string(req.ResponseMode), Prompt: req.Prompt,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		CreatedAt: now, ExpiresAt: now.Add(loginTTL), MaxAge: maxAgeSeconds(req.MaxAge),
	}, nil
}
