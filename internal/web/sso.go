package web

import (
	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/saml"
)

// The servers of the single sign-on protocols, built for each request from
// the server's dependencies. They hold no state of their own: tickets,
// pending requests and keys are read from the database, which every
// instance shares. The protocols are in their packages; cas.go and
// saml.go hold only the patron's session, the pages and the redirects.

// casServer is the CAS server.
func (s *Server) casServer() *cas.Server {
	return &cas.Server{Store: s.store, Gate: s.gate, Now: s.cfg.Now, Random: s.cfg.Random, TicketTTL: s.cfg.CASTicketTTL}
}

// samlIdP is the SAML identity provider.
func (s *Server) samlIdP() *saml.Provider {
	return &saml.Provider{Store: s.store, Gate: s.gate, BaseURL: s.cfg.BaseURL, Now: s.cfg.Now, Random: s.cfg.Random, Log: s.log}
}
