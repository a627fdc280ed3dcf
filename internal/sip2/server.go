// Package sip2 is Sésame's SIP2 server (3M Standard Interchange Protocol
// 2.00) for the vendors that check library patrons with it, such as
// PressReader or OverDrive. A vendor logs in (93) with the login and
// password of its sip2 connector, then asks about patrons (23, 63): the
// answer says whether the patron may open that connector's resource, by
// the gate every other protocol asks (internal/access), and the patron's
// password is checked by the web login's authenticator and throttles.
package sip2

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Limits of a connection. A message is a line of a few hundred bytes; the
// longest SIP2 message Sésame answers has six short fields.
const (
	DefaultMaxMessage  = 4096
	DefaultMaxConns    = 256
	DefaultIdleTimeout = 5 * time.Minute
	// MaxFailures is how many refused logins, or messages sent before a
	// login or unreadable, a connection may send before it is closed.
	MaxFailures  = 3
	writeTimeout = 30 * time.Second
	// LoginTimeout is how long a connection may wait before its login
	// (the TLS handshake included): a stranger does not hold a slot for
	// the idle timeout.
	LoginTimeout = 30 * time.Second
)

// Config is what the server needs; zero limits take the defaults.
type Config struct {
	Store    *store.Store
	Gate     *access.Gate
	Auth     auth.Authenticator
	Logger   *slog.Logger
	Now      func() time.Time
	Location *time.Location
	// MaxMessage bounds a message's bytes: a longer one closes the connection.
	MaxMessage int
	// MaxConns bounds the open connections: one more is closed at once.
	MaxConns int
	// IdleTimeout closes a connection that sends nothing for that long.
	IdleTimeout time.Duration
	// Random draws the key of the verified-password cache (verified.go);
	// without it, every password is checked by argon2id.
	Random io.Reader
	// VerifiedTTL and VerifiedSize bound that cache: how long a verified
	// password is recognised, and for how many patrons at most.
	VerifiedTTL  time.Duration
	VerifiedSize int
}

// Server serves SIP2 on listeners until Close.
type Server struct {
	cfg      Config
	slots    chan struct{}
	verified *verifiedCache // nil without cfg.Random

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	lns    []net.Listener
	closed bool
	wg     sync.WaitGroup
}

// ErrClosed is what Serve returns once Close was called.
var ErrClosed = errors.New("sip2: server closed")

// New returns a server; cfg.Store, Gate, Auth, Now and Location are required.
func New(cfg Config) *Server {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.VerifiedTTL <= 0 {
		cfg.VerifiedTTL = DefaultVerifiedTTL
	}
	if cfg.VerifiedSize <= 0 {
		cfg.VerifiedSize = DefaultVerifiedSize
	}
	s := &Server{cfg: cfg, slots: make(chan struct{}, cfg.MaxConns), conns: map[net.Conn]struct{}{}}
	if cfg.Random != nil {
		var err error
		if s.verified, err = newVerifiedCache(cfg.Random, cfg.VerifiedTTL, cfg.VerifiedSize); err != nil {
			// Slower, never wrong: every password goes to argon2id.
			cfg.Logger.Error("SIP2 : cache des mots de passe vérifiés", "err", err)
		}
	}
	return s
}

// Serve accepts connections on ln, one goroutine each, until Close; it
// then returns ErrClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("sip2 accept: %w", err)
		}
		select {
		case s.slots <- struct{}{}:
		default:
			// Full: the vendor retries later; an answer would need a login.
			s.cfg.Logger.Warn("SIP2 : trop de connexions, connexion refusée", "addr", c.RemoteAddr().String())
			c.Close()
			continue
		}
		if !s.track(c) {
			<-s.slots
			c.Close()
			return ErrClosed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			defer s.untrack(c)
			s.serveConn(c)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Close stops accepting, closes every connection and waits for their
// goroutines. A SIP2 session lasts as long as the vendor keeps it, so
// waiting for it to end would not end; an answer being written is lost,
// and the vendor's client reconnects to another instance.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// errTooLong is a message longer than MaxMessage.
var errTooLong = errors.New("sip2: message too long")

// readMessage reads up to the next carriage return, without it. A line
// feed after it, which some clients send, is skipped at the start of the
// next message.
func readMessage(r *bufio.Reader, max int) (string, error) {
	var buf []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		switch {
		case b == '\r':
			return string(buf), nil
		case b == '\n' && len(buf) == 0:
			continue
		}
		if len(buf) >= max {
			return "", errTooLong
		}
		buf = append(buf, b)
	}
}

// serveConn answers one connection's messages in turn.
func (s *Server) serveConn(c net.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess := &session{srv: s, addr: remoteHost(c)}
	r := bufio.NewReaderSize(c, 512)
	for {
		wait := s.cfg.IdleTimeout
		if sess.connector == nil {
			wait = min(wait, LoginTimeout)
		}
		if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
			return
		}
		line, err := readMessage(r, s.cfg.MaxMessage)
		if err != nil {
			if errors.Is(err, errTooLong) {
				s.cfg.Logger.Warn("SIP2 : message trop long, connexion fermée", "addr", sess.addr)
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.cfg.Logger.Debug("SIP2 : lecture", "addr", sess.addr, "err", err)
			}
			return
		}
		out, closeAfter := sess.handle(ctx, line)
		if out != nil {
			if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
				return
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}

// remoteHost is the client's address without its port, for the throttles.
func remoteHost(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
