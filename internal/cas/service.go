package cas

import (
	"errors"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
)

// maxServiceLen bounds a service URL: no vendor needs more, and a ticket's
// row keeps it.
const maxServiceLen = 2048

// serviceURL is a service URL in the normal form matching compares:
// RFC 3986 §6.2.2 syntax-based normalisation. Scheme and host are in lower
// case and a default port is dropped; in path and query, %xx escapes have
// upper-case hex digits and those of unreserved characters (letters,
// digits, - . _ ~) are decoded. Reserved characters stay escaped: %2F is
// not /, or "/app%2F..%2Fadmin" would pass for a path under "/app/".
type serviceURL struct {
	scheme, host, port, path, query string
}

var errBadService = errors.New("cas: not a service URL Sésame accepts")

// parseService reads a service URL, or refuses it. It refuses what a browser
// might read differently from Go: control characters, spaces, backslashes,
// bytes outside ASCII, user information (https://v.example@evil.org/),
// fragments, percent-escapes in the host, and dot segments ("/app/../admin"
// would leave "/app/" once the browser resolved it), even escaped.
func parseService(raw string) (serviceURL, error) {
	if raw == "" || len(raw) > maxServiceLen {
		return serviceURL{}, errBadService
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '#' {
			return serviceURL{}, errBadService
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return serviceURL{}, errBadService
	}
	host := strings.ToLower(u.Hostname())
	if !validHost(host) {
		return serviceURL{}, errBadService
	}
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	path, err := normalizeEscapes(u.EscapedPath())
	if err != nil {
		return serviceURL{}, errBadService
	}
	if path == "" {
		path = "/"
	}
	// Dot segments are refused in the path as sent and once fully decoded:
	// a server that decodes %2F would read "/app/..%2Fadmin" as "/admin".
	for _, seg := range strings.Split(path+"/"+u.Path, "/") {
		if seg == "." || seg == ".." {
			return serviceURL{}, errBadService
		}
	}
	query, err := normalizeEscapes(u.RawQuery)
	if err != nil {
		return serviceURL{}, errBadService
	}
	return serviceURL{scheme: u.Scheme, host: host, port: port, path: path, query: query}, nil
}

// validHost accepts a DNS name or an IP address: letters, digits, dots and
// hyphens, or an IPv6 literal's hex digits and colons. No percent-escape,
// no IPv6 zone.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// normalizeEscapes upper-cases the hex digits of each %xx, and decodes the
// escapes of unreserved characters: Apache's mod_auth_cas writes %3a where
// others write %3A, and both mean the same URL.
func normalizeEscapes(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", errBadService
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if unreserved(c) {
			b.WriteByte(c)
		} else {
			const digits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(digits[c>>4])
			b.WriteByte(digits[c&15])
		}
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func matches(p, s serviceURL) bool {
	if p.scheme != s.scheme || p.host != s.host || p.port != s.port {
		return false
	}
	switch {
	case p.path == "/":
		return true
	case strings.HasSuffix(p.path, "/"):
		return strings.HasPrefix(s.path, p.path) || s.path == strings.TrimSuffix(p.path, "/")
	default:
		return s.path == p.path || strings.HasPrefix(s.path, p.path+"/")
	}
}

// SameService reports whether two service URLs are the same once
// normalised: the one a ticket was issued for, and the one its validation
// names. Either's %xx escapes may be in lower case.
func SameService(a, b string) bool {
	if a == b {
		return a != ""
	}
	na, err := parseService(a)
	if err != nil {
		return false
	}
	nb, err := parseService(b)
	if err != nil {
		return false
	}
	return na == nb
}

// FindConnector returns the CAS connector whose service prefix the service
// URL falls under, or nil. When several match, the longest prefix wins, as
// the most precise; between equal ones, the oldest connector.
func FindConnector(connectors []*sesame.Connector, service string) *sesame.Connector {
	s, err := parseService(service)
	if err != nil {
		return nil
	}
	var best *sesame.Connector
	bestLen := -1
	for _, c := range connectors {
		if c.Kind != sesame.ConnectorCAS || strings.Contains(c.CAS.ServicePrefix, "?") {
			continue
		}
		p, err := parseService(c.CAS.ServicePrefix)
		if err != nil || !matches(p, s) {
			continue
		}
		if len(p.path) > bestLen {
			best, bestLen = c, len(p.path)
		}
	}
	return best
}
