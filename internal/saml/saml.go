// Package saml is Sésame's SAML 2.0 identity provider, built on
// github.com/crewjam/saml's IdentityProvider: it publishes the metadata,
// receives AuthnRequests with the HTTP-Redirect and HTTP-POST bindings, and
// answers with a signed Response carrying a signed assertion, by HTTP-POST.
//
// crewjam's own ServeSSO expects the login form to send the SAMLRequest
// again. Sent again, a request of the HTTP-Redirect binding has lost its
// query-string signature, and a vendor that signs its requests (Apache's
// mod_auth_mellon) is then refused. So the request is checked here once,
// signature included, as it arrives (Receive); what the answer needs of it
// is kept in the database under a random handle while the patron logs in,
// on whichever instance; and the answer is made from what was kept
// (Answer), at most once.
//
// « Connexion directe » sends a Response nobody asked for (Unsolicited,
// IdP-initiated), and single logout (logout.go) tells the vendors a
// session reached when the patron logs out, and hears theirs.
package saml

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// The identity provider's addresses, under the base URL.
const (
	MetadataPath = "/saml/metadata"
	SSOPath      = "/saml/sso"
	ContinuePath = "/saml/continue"
	// SLOPath is the single logout service: LogoutRequests of the vendors,
	// and their LogoutResponses to ours, by the HTTP-Redirect binding.
	SLOPath = "/saml/slo"
)

// RequestLife is how long a received request waits for its patron to log
// in: the patron session's idle time, room enough to look up a password.
const RequestLife = 30 * time.Minute

// Provider is the identity provider. It keeps nothing in memory between two
// requests: any instance answers a request another one received.
type Provider struct {
	Store   *store.Store
	Gate    *access.Gate
	BaseURL string // the public address, without a trailing slash
	Now     func() time.Time
	Random  io.Reader
	Log     *slog.Logger // nil: crewjam's messages are dropped
}

// Session is the patron's Sésame session, as single sign-on and single
// logout see it.
type Session struct {
	Hash     string // the hash of its token, which names it in the store
	PatronID int64
	Start    time.Time // when the patron typed their password: the AuthnInstant
}

// EntityID is the identity provider's name, which is also the address of
// its metadata.
func (p *Provider) EntityID() string { return p.BaseURL + MetadataPath }

// identity returns the key, certificate and salt, made on first use and
// shared through the database by every instance.
func (p *Provider) identity(ctx context.Context) (*identity, error) {
	stored, err := p.Store.SAMLIdentity(ctx, func() (store.SAMLIdentity, error) {
		return newIdentity(p.Random, p.Now(), p.BaseURL)
	})
	if err != nil {
		return nil, err
	}
	return parseIdentity(stored)
}

// identityProvider is crewjam's IdentityProvider for one HTTP request, on
// this Provider's clock.
func (p *Provider) identityProvider(id *identity, sps crewjam.ServiceProviderProvider) (*crewjam.IdentityProvider, error) {
	metadataURL, err := url.Parse(p.BaseURL + MetadataPath)
	if err != nil {
		return nil, fmt.Errorf("saml metadata url: %w", err)
	}
	ssoURL, err := url.Parse(p.BaseURL + SSOPath)
	if err != nil {
		return nil, fmt.Errorf("saml sso url: %w", err)
	}
	sloURL, err := url.Parse(p.BaseURL + SLOPath)
	if err != nil {
		return nil, fmt.Errorf("saml slo url: %w", err)
	}
	logger := log.New(io.Discard, "", 0)
	if p.Log != nil {
		logger = slog.NewLogLogger(p.Log.With("protocol", "saml").Handler(), slog.LevelWarn)
	}
	return &crewjam.IdentityProvider{
		Key:                     id.key,
		Certificate:             id.cert,
		MetadataURL:             *metadataURL,
		SSOURL:                  *ssoURL,
		LogoutURL:               *sloURL,
		Logger:                  logger,
		ServiceProviderProvider: sps,
		NameIDFormats:           []crewjam.NameIDFormat{crewjam.PersistentNameIDFormat},
		Clock:                   dsig.NewFakeClockAt(p.Now()),
	}, nil
}

// metadataCacheDuration is how long a vendor may keep our metadata before
// fetching it again.
const metadataCacheDuration = 24 * time.Hour

// Metadata is the identity provider's metadata document, for the vendors.
func (p *Provider) Metadata(ctx context.Context) ([]byte, error) {
	id, err := p.identity(ctx)
	if err != nil {
		return nil, err
	}
	idp, err := p.identityProvider(id, nil)
	if err != nil {
		return nil, err
	}
	ed := idp.Metadata()
	// crewjam dates the metadata two days ahead. Vendors keep a copy, often
	// as a file they never refresh, and some refuse metadata past its
	// validUntil: the key does not change, so the document does not expire.
	ed.ValidUntil = time.Time{}
	ed.CacheDuration = metadataCacheDuration
	// The identity provider decrypts nothing (a vendor's LogoutRequest
	// names the patron in clear, by the pairwise NameID), so it publishes
	// its key for signing only.
	sso := &ed.IDPSSODescriptors[0]
	var signing []crewjam.KeyDescriptor
	for _, k := range sso.KeyDescriptors {
		if k.Use == "signing" {
			signing = append(signing, k)
		}
	}
	sso.KeyDescriptors = signing
	body, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saml metadata: %w", err)
	}
	return append([]byte(xml.Header), body...), nil
}

// serviceProviders finds the vendor of a request among the SAML connectors,
// and remembers which connector it was.
type serviceProviders struct {
	store     *store.Store
	connector *sesame.Connector
}

func (sps *serviceProviders) GetServiceProvider(r *http.Request, entityID string) (*crewjam.EntityDescriptor, error) {
	c, err := sps.store.ConnectorByLookup(r.Context(), sesame.ConnectorSAML, entityID)
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil, os.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	ed, err := parseMetadata(c.SAML.Metadata)
	if err != nil {
		return nil, fmt.Errorf("connector %d: %w", c.ID, err)
	}
	sps.connector = c
	return ed, nil
}

// Receive checks an AuthnRequest as it arrives, with either binding: its
// vendor must be a SAML connector, its signature (query-string or
// enveloped) must verify against the vendor's metadata when the vendor
// signs, it must be recent and addressed to us, and its assertion
// consumer service must be an HTTP-POST one of the vendor's metadata. It is
// then kept, and Receive returns the handle the rest of the login goes by.
// A request ID the vendor already sent is refused: a request serves once.
// Errors carry a French message for the patron (sesame.ErrorMessage) and
// the technical cause for the log (Error).
func (p *Provider) Receive(r *http.Request) (string, error) {
	ctx := r.Context()
	id, err := p.identity(ctx)
	if err != nil {
		return "", err
	}
	sps := &serviceProviders{store: p.Store}
	idp, err := p.identityProvider(id, sps)
	if err != nil {
		return "", err
	}
	req, err := crewjam.NewIdpAuthnRequest(idp, r)
	if err == nil {
		err = req.Validate()
	}
	if err != nil {
		return "", requestError(err)
	}
	if req.ACSEndpoint.Binding != crewjam.HTTPPostBinding {
		return "", requestError(fmt.Errorf("%w: response binding %s", crewjam.ErrUnsupported, req.ACSEndpoint.Binding))
	}
	// The bindings allow 80 bytes; mod_auth_mellon sends the address to
	// return to. Anyone may post a request of a vendor that does not sign,
	// so what is kept is bounded.
	if len(req.RelayState) > sesame.MaxRelayStateLength {
		return "", requestError(fmt.Errorf("RelayState of %d bytes", len(req.RelayState)))
	}
	if len(req.Request.ID) > sesame.MaxSAMLRequestIDLength {
		return "", requestError(fmt.Errorf("request ID of %d bytes", len(req.Request.ID)))
	}
	handle, err := auth.NewToken(p.Random)
	if err != nil {
		return "", err
	}
	now := p.Now()
	err = p.Store.SaveSAMLRequest(ctx, auth.HashToken(handle), store.SAMLRequest{
		ConnectorID: sps.connector.ID,
		RequestID:   req.Request.ID,
		IssuedAt:    req.Request.IssueInstant,
		RelayState:  req.RelayState,
		ACSURL:      req.ACSEndpoint.Location,
		ForceAuthn:  req.Request.ForceAuthn != nil && *req.Request.ForceAuthn,
		IsPassive:   req.Request.IsPassive != nil && *req.Request.IsPassive,
		ReceivedAt:  now,
		ExpiresAt:   now.Add(RequestLife),
	})
	if sesame.ErrorCode(err) == sesame.EConflict {
		return "", fmt.Errorf("%w (request %s of %s replayed)", sesame.Errorf(sesame.EConflict,
			"Cette demande de connexion a déjà été reçue : elle ne peut servir qu'une fois. Retournez sur le site de la ressource et recommencez."),
			req.Request.ID, sps.connector.SAML.EntityID)
	}
	if err != nil {
		return "", err
	}
	return handle, nil
}

// requestError says in French why a request is refused, and keeps the
// technical cause for the log.
func requestError(err error) error {
	why := "La demande de connexion envoyée par le site de la ressource est invalide."
	switch {
	case errors.Is(err, crewjam.ErrUnknownServiceProvider):
		why = "Le site qui vous envoie ici n'est pas enregistré auprès du réseau : il ne peut pas vous connecter ainsi."
	case errors.Is(err, crewjam.ErrInvalidSignature):
		why = "La signature de la demande de connexion envoyée par le site de la ressource est invalide."
	case errors.Is(err, crewjam.ErrExpired), errors.Is(err, crewjam.ErrNotYetValid):
		why = "La demande de connexion envoyée par le site de la ressource a expiré (ou les horloges des deux sites diffèrent)."
	}
	return fmt.Errorf("%w (%v)", sesame.Errorf(sesame.EInvalid, "%s Retournez sur le site de la ressource et recommencez.", why), err)
}

// Pending is a received request waiting for its answer, with the
// connector and the resource it is for.
type Pending struct {
	Handle    string
	Request   store.SAMLRequest
	Connector *sesame.Connector
	Resource  *sesame.Resource
}

// Pending finds a received request by its handle. One already answered, or
// past its time, is EConflict; an unknown one ENotFound.
func (p *Provider) Pending(ctx context.Context, handle string) (*Pending, error) {
	r, err := p.Store.SAMLRequestByHandle(ctx, auth.HashToken(handle))
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil, sesame.Errorf(sesame.ENotFound,
			"Cette demande de connexion est introuvable : elle a peut-être expiré. Retournez sur le site de la ressource et recommencez.")
	}
	if err != nil {
		return nil, err
	}
	if r.Answered || !p.Now().Before(r.ExpiresAt) {
		return nil, sesame.Errorf(sesame.EConflict,
			"Cette demande de connexion a déjà servi, ou a expiré. Retournez sur le site de la ressource et recommencez.")
	}
	c, err := p.Store.Connector(ctx, r.ConnectorID)
	if err != nil {
		return nil, err
	}
	res, err := p.Store.Resource(ctx, c.ResourceID)
	if err != nil {
		return nil, err
	}
	return &Pending{Handle: handle, Request: r, Connector: c, Resource: res}, nil
}

// ContinueURL is the local address that answers the request of handle
// once the patron is logged in: the login form's "suite".
func ContinueURL(handle string) string {
	return ContinuePath + "?id=" + url.QueryEscape(handle)
}

// NeedsLogin reports whether the patron must log in before the answer:
// when nobody is logged in, or when the vendor asked for a fresh login
// (ForceAuthn) and the patron's session started before the request came.
func (pd *Pending) NeedsLogin(loggedIn bool, sessionStart time.Time) bool {
	return !loggedIn || (pd.Request.ForceAuthn && sessionStart.Before(pd.Request.ReceivedAt))
}

// Response is the answer, to be posted by the patron's browser to the
// vendor's assertion consumer service.
type Response struct {
	URL          string
	SAMLResponse string
	RelayState   string
}

// Answer answers a pending request for the patron of sess, at most once:
// the assertion is made only if the Gate opens the connector's resource to
// the patron (a refusal is the Gate's EForbidden error, and the request is
// spent). The vendor joins the session's participants, for single logout.
func (p *Provider) Answer(ctx context.Context, pd *Pending, sess Session) (*Response, error) {
	r, err := p.Store.TakeSAMLRequest(ctx, auth.HashToken(pd.Handle))
	if err != nil {
		return nil, err
	}
	who, err := p.Gate.Open(ctx, sess.PatronID, pd.Connector.ResourceID, pd.Connector)
	if err != nil {
		return nil, err
	}
	id, req, err := p.answering(ctx, pd, r)
	if err != nil {
		return nil, err
	}
	return p.signedAnswer(ctx, id, req, pd.Connector, who, sess)
}

// signedAnswer puts the patron's assertion in req, remembers the vendor
// among the session's participants, and signs.
func (p *Provider) signedAnswer(ctx context.Context, id *identity, req *crewjam.IdpAuthnRequest, c *sesame.Connector, who *access.Grantee, sess Session) (*Response, error) {
	var err error
	req.Assertion, err = p.assertion(id, req, c.SAML, who, sess.Start)
	if err != nil {
		return nil, err
	}
	err = p.Store.AddSSOParticipant(ctx, store.SSOParticipant{SessionHash: sess.Hash, ConnectorID: c.ID, Kind: store.ParticipantSAML,
		Service: req.ServiceProviderMetadata.EntityID, NameID: req.Assertion.Subject.NameID.Value,
		SessionIndex: req.Assertion.AuthnStatements[0].SessionIndex})
	if err != nil {
		return nil, err
	}
	return post(req)
}

// NoPassive answers a request that forbade any login page (IsPassive) while
// nobody is logged in: a Response without assertion, whose status says so.
func (p *Provider) NoPassive(ctx context.Context, pd *Pending) (*Response, error) {
	r, err := p.Store.TakeSAMLRequest(ctx, auth.HashToken(pd.Handle))
	if err != nil {
		return nil, err
	}
	_, req, err := p.answering(ctx, pd, r)
	if err != nil {
		return nil, err
	}
	if err := req.MakeErrorResponse(crewjam.StatusResponder, crewjam.StatusNoPassive, ""); err != nil {
		return nil, fmt.Errorf("saml no-passive response: %w", err)
	}
	return post(req)
}

// answering rebuilds, from what Receive kept, crewjam's request as it
// stood once validated: the vendor's current metadata, and the assertion
// consumer service the request named in it.
func (p *Provider) answering(ctx context.Context, pd *Pending, r store.SAMLRequest) (*identity, *crewjam.IdpAuthnRequest, error) {
	id, err := p.identity(ctx)
	if err != nil {
		return nil, nil, err
	}
	idp, err := p.identityProvider(id, nil)
	if err != nil {
		return nil, nil, err
	}
	ed, err := parseMetadata(pd.Connector.SAML.Metadata)
	if err != nil {
		return nil, nil, err
	}
	sp, acs := postACS(ed, r.ACSURL)
	if acs == nil {
		return nil, nil, sesame.Errorf(sesame.EConflict,
			"La configuration de cette ressource a changé pendant votre connexion. Retournez sur le site de la ressource et recommencez.")
	}
	return id, &crewjam.IdpAuthnRequest{
		IDP:                     idp,
		Request:                 crewjam.AuthnRequest{ID: r.RequestID, IssueInstant: r.IssuedAt},
		RelayState:              r.RelayState,
		ServiceProviderMetadata: ed,
		SPSSODescriptor:         sp,
		ACSEndpoint:             acs,
		Now:                     p.Now(),
	}, nil
}

// post signs the Response (and the assertion in it, encrypted when the
// vendor's metadata has an encryption key) and returns what the browser
// posts.
func post(req *crewjam.IdpAuthnRequest) (*Response, error) {
	form, err := req.PostBinding()
	if err != nil {
		return nil, fmt.Errorf("saml response: %w", err)
	}
	return &Response{URL: form.URL, SAMLResponse: form.SAMLResponse, RelayState: form.RelayState}, nil
}
