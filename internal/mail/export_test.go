package mail

import "crypto/tls"

// SetTLSConfig makes s trust the test server's certificate.
func SetTLSConfig(s *Sender, c *tls.Config) { s.tlsConfig = c }
