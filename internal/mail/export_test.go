package mail

import (
	"context"
	"crypto/tls"
)

// SetTLSConfig makes s trust the test server's certificate.
func SetTLSConfig(s *Sender, c *tls.Config) { s.tlsConfig = c }

// Send sends m now, for the tests that drive a Sender without the outbox.
func (s *Sender) Send(ctx context.Context, m Message) error { return s.send(ctx, m, "") }
