package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/sip2"
	"github.com/bdf29/sesame/internal/store"
)

// openSIP2 takes the SIP2 listener when SESAME_SIP2_ADDR is set, in TLS
// when a certificate is given: at Open, so that a busy port or an
// unreadable certificate stops the start before anything runs.
func (a *App) openSIP2(hasher auth.Hasher) error {
	cfg := a.Config.SIP2
	if cfg.Addr == "" {
		return nil
	}
	var tlsConfig *tls.Config
	if cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("SESAME_SIP2_TLS_CERT, SESAME_SIP2_TLS_KEY: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SESAME_SIP2_ADDR: %w", err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	a.sip2Listener = ln
	gate := &access.Gate{Store: a.Store, Now: a.Now, Location: Paris(), Logger: a.Logger, Metrics: a.Metrics}
	a.sip2 = sip2.New(sip2.Config{Store: a.Store, Gate: gate, Logger: a.Logger, Now: a.Now, Location: Paris(),
		Auth:   auth.Authenticator{Hasher: hasher, Throttles: store.LoginThrottles{Store: a.Store}, Now: a.Now},
		Random: hasher.Random}) // the key of the verified-password cache
	return nil
}

// SIP2Addr is the address the SIP2 server listens on (its port chosen when
// it was 0), or "" when none.
func (a *App) SIP2Addr() string {
	if a.sip2Listener == nil {
		return ""
	}
	return a.sip2Listener.Addr().String()
}

// startSIP2 serves SIP2 beside the site, when it is set; stop closes the
// server and its connections, and waits for them.
func (a *App) startSIP2() (stop func()) {
	if a.sip2 == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A failure here leaves the site serving: only SIP2 is down.
		if err := a.sip2.Serve(a.sip2Listener); err != nil && !errors.Is(err, sip2.ErrClosed) {
			a.Logger.Error("SIP2", "err", err)
		}
	}()
	a.Logger.Info("SIP2", "addr", a.SIP2Addr(), "tls", a.Config.SIP2.TLS())
	return func() {
		a.sip2.Close()
		<-done
	}
}
