// Package cas is Sésame's CAS 3.0 server: the protocol of the CAS Protocol
// 3.0 Specification (Apereo), written here because it is small. It issues
// service tickets at /cas/login to patrons the access Gate lets in, and
// validates them at /cas/validate, /cas/serviceValidate, /cas/proxyValidate
// and their /cas/p3/ forms. Sésame issues no proxy-granting tickets, so no
// proxy tickets either.
//
// Everything that outlives a request (tickets, login tickets, pseudonyms)
// is in the database: several instances may serve one network.
package cas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/store"
)

// DefaultTicketTTL is how long a service ticket waits for its validation:
// a vendor validates at once, from the redirect the ticket came with.
const DefaultTicketTTL = 10 * time.Second

// loginTicketTTL is how long a patron may take on the login form, a
// forgotten password included, and still have the ticket say "new login".
const loginTicketTTL = time.Hour

// LoginPath is /cas/login's path, where the login form sends the patron back.
const LoginPath = "/cas/login"

// LogoutPath is /cas/logout's path.
const LogoutPath = "/cas/logout"

// Server holds what the protocol needs. Now and Random are injected.
type Server struct {
	Store     *store.Store
	Gate      *access.Gate
	Now       func() time.Time
	Random    io.Reader
	TicketTTL time.Duration // 0: DefaultTicketTTL
}

// Session is the patron's Sésame session, the CAS single sign-on session.
type Session struct {
	PatronID int64
	// Key is the session's token hash: every login starts a new session,
	// so a new key.
	Key string
	// StartedAt is when the patron typed their password.
	StartedAt time.Time
}

// LoginRequest is what /cas/login received.
type LoginRequest struct {
	Service string
	Renew   bool // ask for the password even with a session
	Gateway bool // never ask: without a session, back to the service without a ticket
	// LoginTicket is "lt", set when the patron comes back from the login
	// form this server sent them to.
	LoginTicket string
	Session     *Session // nil: no patron logged in
}

// LoginOutcome is what /cas/login does next: send the patron to Redirect,
// or to the login form, to come back to AskPassword (a local path).
// Connector is the service's connector, once found.
type LoginOutcome struct {
	Redirect    string
	AskPassword string
	Connector   *sesame.Connector
}

// Errors of Login that the web layer shows as pages. A refusal by the Gate
// is its sesame.Error, EForbidden, with its French message.
var (
	ErrNoService      = errors.New("cas: no service")
	ErrUnknownService = errors.New("cas: service not registered")
)

func (s *Server) ttl() time.Duration {
	if s.TicketTTL > 0 {
		return s.TicketTTL
	}
	return DefaultTicketTTL
}

// Login is /cas/login as credential requestor (§2.1): Sésame's own login
// form is the credential acceptor. A patron with a session gets a ticket at
// once (single sign-on), if the Gate lets them open the service's resource.
func (s *Server) Login(ctx context.Context, req LoginRequest) (LoginOutcome, error) {
	var out LoginOutcome
	if req.Service == "" {
		return out, ErrNoService
	}
	if len(req.Service) > sesame.MaxServiceURLLength {
		// No registered service is that long; its way back through the
		// login form would otherwise be kept as sent.
		return out, fmt.Errorf("%w: service URL of %d bytes", ErrUnknownService, len(req.Service))
	}
	connectors, err := s.Store.ConnectorsOfKind(ctx, sesame.ConnectorCAS)
	if err != nil {
		return out, err
	}
	c := FindConnector(connectors, req.Service)
	if c == nil {
		return out, ErrUnknownService
	}
	out.Connector = c
	fresh := false
	if req.Session != nil && strings.HasPrefix(req.LoginTicket, LoginTicketPrefix) {
		if fresh, err = s.freshLogin(ctx, req.LoginTicket, req.Session); err != nil {
			return out, err
		}
	}
	// renew wins over gateway, as §2.1.1 recommends.
	if (req.Renew && !fresh) || (req.Session == nil && !req.Gateway) {
		lt, err := NewLoginTicket(s.Random)
		if err != nil {
			return out, err
		}
		l := store.CASLogin{CreatedAt: s.Now(), ExpiresAt: s.Now().Add(loginTicketTTL)}
		if req.Session != nil {
			l.SessionHash = req.Session.Key
		}
		if err := s.Store.SaveCASLogin(ctx, HashTicket(lt), l); err != nil {
			return out, err
		}
		q := url.Values{"service": {req.Service}, "lt": {lt}}
		if req.Renew {
			q.Set("renew", "true")
		}
		out.AskPassword = LoginPath + "?" + q.Encode()
		return out, nil
	}
	if req.Session == nil { // gateway
		out.Redirect = req.Service
		return out, nil
	}
	who, err := s.Gate.Open(ctx, req.Session.PatronID, c.ResourceID, c)
	if err != nil {
		return out, err
	}
	ticket, err := NewServiceTicket(s.Random)
	if err != nil {
		return out, err
	}
	newUser, err := NewUserID(s.Random)
	if err != nil {
		return out, err
	}
	p := who.Patron
	attrs := store.CASAttributes{FirstName: p.FirstName, LastName: p.LastName, LibraryCode: who.Library.Code}
	if !p.ValidUntil.IsZero() {
		attrs.ValidUntil = p.ValidUntil.ISO()
	}
	if c.Releases(sesame.AttributeEmail) {
		attrs.Email = p.Email
	}
	_, err = s.Store.IssueCASTicket(ctx, store.CASTicket{
		Hash: HashTicket(ticket), Service: req.Service, PatronID: p.ID, ConnectorID: c.ID,
		FromNewLogin: fresh, AuthAt: req.Session.StartedAt, ExpiresAt: s.Now().Add(s.ttl()), Attributes: attrs,
		SessionHash: req.Session.Key,
	}, c.ResourceID, newUser)
	if err != nil {
		return out, err
	}
	out.Redirect = withTicket(req.Service, ticket)
	return out, nil
}

// freshLogin takes the login ticket and tells whether the session began
// with a password typed after it was issued: a session other than the one
// open then, started since.
func (s *Server) freshLogin(ctx context.Context, lt string, sess *Session) (bool, error) {
	l, err := s.Store.RedeemCASLogin(ctx, HashTicket(lt))
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.Now().Before(l.ExpiresAt) && sess.Key != l.SessionHash && !sess.StartedAt.Before(l.CreatedAt), nil
}

// withTicket appends the ticket parameter to the service URL, kept as the
// service sent it.
func withTicket(service, ticket string) string {
	switch {
	case strings.HasSuffix(service, "?") || strings.HasSuffix(service, "&"):
		return service + "ticket=" + ticket
	case strings.Contains(service, "?"):
		return service + "&ticket=" + ticket
	}
	return service + "?ticket=" + ticket
}

// Logout withdraws the patron's unused tickets, and returns where to send
// them: the service when it is registered, else "" (a page says they are
// logged out). The web layer ends the session itself.
func (s *Server) Logout(ctx context.Context, patronID int64, service string) (string, error) {
	if patronID != 0 {
		if err := s.Store.DeletePatronCASTickets(ctx, patronID); err != nil {
			return "", err
		}
	}
	if service == "" {
		return "", nil
	}
	connectors, err := s.Store.ConnectorsOfKind(ctx, sesame.ConnectorCAS)
	if err != nil {
		return "", err
	}
	if FindConnector(connectors, service) == nil {
		return "", nil
	}
	return service, nil
}

// ValidateRequest is what a validation endpoint received.
type ValidateRequest struct {
	Endpoint Endpoint
	Ticket   string
	Service  string
	PGTURL   string // pgtUrl: a proxy callback, which Sésame refuses
	Renew    bool
	Format   string // format: "", XML or JSON
}

// Validate is the one validation attempt a ticket gets (§3.1.1): whatever
// the outcome, a ticket named here is spent. The error, when not nil, is
// an internal one for the log; the answer then says INTERNAL_ERROR.
func (s *Server) Validate(ctx context.Context, req ValidateRequest) (Answer, error) {
	a := Answer{Endpoint: req.Endpoint}
	fail := func(code Code, description string) (Answer, error) {
		a.Failure = &Failure{Code: code, Description: description}
		return a, nil
	}
	// The failures name the ticket, when it is fit to quote.
	ticket := "The ticket"
	if q := printableTicket(req.Ticket); q != "" {
		ticket = "Ticket " + q
	}
	switch strings.ToUpper(req.Format) {
	case "", "XML":
	case "JSON":
		if req.Endpoint != Validate {
			a.Format = JSON
		}
	default:
		if req.Endpoint != Validate {
			s.burn(ctx, req.Ticket)
			return fail(InvalidRequest, "Unsupported format: use XML or JSON")
		}
	}
	if req.Ticket == "" || req.Service == "" {
		s.burn(ctx, req.Ticket)
		return fail(InvalidRequest, "'service' and 'ticket' parameters are both required")
	}
	if strings.HasPrefix(req.Ticket, ProxyTicketPrefix) {
		if !req.Endpoint.acceptsProxyTickets() {
			return fail(InvalidTicketSpec, ticket+" is a proxy ticket: validate it at proxyValidate; Sésame issues none anyway")
		}
		return fail(InvalidTicket, ticket+" not recognized: Sésame issues no proxy tickets")
	}
	if !strings.HasPrefix(req.Ticket, ServiceTicketPrefix) {
		return fail(InvalidTicket, ticket+" not recognized")
	}
	t, err := s.Store.RedeemCASTicket(ctx, HashTicket(req.Ticket))
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return fail(InvalidTicket, ticket+" not recognized: unknown, or already validated")
	}
	if err != nil {
		a.Failure = &Failure{Code: InternalError, Description: "Internal error: try again"}
		return a, fmt.Errorf("cas validate: %w", err)
	}
	switch {
	case !s.Now().Before(t.ExpiresAt):
		return fail(InvalidTicket, ticket+" expired")
	case !SameService(t.Service, req.Service):
		return fail(InvalidService, ticket+" was not issued for this service: it is now void")
	case req.Renew && !t.FromNewLogin:
		return fail(InvalidTicket, ticket+" did not come from a new login, and renew was asked")
	case req.PGTURL != "" && req.Endpoint != Validate:
		return fail(UnauthorizedServiceProxy, "Sésame issues no proxy-granting tickets: validate without pgtUrl")
	}
	a.User = t.User
	if req.Endpoint.Attributes() {
		at := t.Attributes
		a.Attributes = &Attributes{AuthenticationDate: t.AuthAt, FromNewLogin: t.FromNewLogin,
			FirstName: at.FirstName, LastName: at.LastName, Email: at.Email, LibraryCode: at.LibraryCode, ValidUntil: at.ValidUntil}
	}
	// The service now holds a session of its own for the patron: it joins
	// the Sésame session's participants, told of the patron's logout with
	// this ticket, spent now, as the SessionIndex (§2.3.3). Failing to
	// remember it costs only the single logout: the answer stands, and the
	// error goes to the log.
	err = s.Store.AddSSOParticipant(ctx, store.SSOParticipant{SessionHash: t.SessionHash, ConnectorID: t.ConnectorID,
		Kind: store.ParticipantCAS, Service: t.Service, SessionIndex: req.Ticket})
	if err != nil {
		return a, fmt.Errorf("cas validate: remember the service for single logout: %w", err)
	}
	return a, nil
}

// burn spends a ticket named in a request that fails before its check:
// the request was its one attempt. Errors are of no consequence here: the
// ticket expires in seconds anyway.
func (s *Server) burn(ctx context.Context, ticket string) {
	if strings.HasPrefix(ticket, ServiceTicketPrefix) {
		s.Store.RedeemCASTicket(ctx, HashTicket(ticket))
	}
}
