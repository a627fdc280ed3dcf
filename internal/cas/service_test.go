package cas

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/bdf29/sesame"
)

// Match reports, for the tests, whether service falls under a registered prefix. Scheme,
// host and port must be equal, exactly: the prefix "https://v.example" does
// not match "https://v.example.evil.org/". The path must start with the
// prefix's on a segment boundary: "/app" matches "/app", "/app/x" and
// "/app?x", not "/application"; "/app/" matches "/app" too. A prefix with a
// query or a fragment matches nothing (Validate refuses them). FindConnector
// applies the same rule to every registered connector.
func Match(prefix, service string) bool {
	p, err := parseService(prefix)
	if err != nil || p.query != "" || strings.Contains(prefix, "?") {
		return false
	}
	s, err := parseService(service)
	if err != nil {
		return false
	}
	return matches(p, s)
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name            string
		prefix, service string
		want            bool
	}{
		{"same URL", "https://v.example/app", "https://v.example/app", true},
		{"path below the prefix", "https://v.example/app", "https://v.example/app/login?x=1", true},
		{"query on the prefix's path", "https://v.example/app", "https://v.example/app?next=%2Fhome", true},
		{"host only prefix, any path", "https://v.example", "https://v.example/anything/at/all", true},
		{"host only prefix with slash", "https://v.example/", "https://v.example", true},
		{"prefix with trailing slash, path below", "https://v.example/app/", "https://v.example/app/x", true},
		{"prefix with trailing slash, the directory itself", "https://v.example/app/", "https://v.example/app", true},
		{"host in capitals", "https://v.example/app", "https://V.EXAMPLE/app", true},
		{"scheme in capitals", "https://v.example/app", "HTTPS://v.example/app", true},
		{"default port written", "https://v.example/app", "https://v.example:443/app", true},
		{"same explicit port", "https://v.example:8443/app", "https://v.example:8443/app/x", true},
		{"lower-case escape of a reserved character", "https://v.example/a%3Ab", "https://v.example/a%3ab/c", true},
		{"escaped unreserved character", "https://v.example/~user/", "https://v.example/%7euser/page", true},

		{"host extended by the attacker", "https://v.example", "https://v.example.evil.org/", false},
		{"host extended, prefix with path", "https://v.example/app", "https://v.example.evil.org/app", false},
		{"user information", "https://v.example", "https://v.example@evil.org/", false},
		{"user information before the right host", "https://v.example", "https://evil@v.example/", false},
		{"backslash", "https://v.example", `https://evil.org\@v.example/`, false},
		{"backslash in the path", "https://v.example/app/", `https://v.example/app/..\admin`, false},
		{"other scheme", "https://v.example/app", "http://v.example/app", false},
		{"other port", "https://v.example/app", "https://v.example:8443/app", false},
		{"port written with a zero", "https://v.example/app", "https://v.example:0443/app", false},
		{"longer segment", "https://v.example/app", "https://v.example/application", false},
		{"sibling path", "https://v.example/app/", "https://v.example/apps/x", false},
		{"dot segments", "https://v.example/app/", "https://v.example/app/../admin", false},
		{"escaped dot segments", "https://v.example/app/", "https://v.example/app/%2e%2e/admin", false},
		{"escaped slash is not a slash", "https://v.example/app/", "https://v.example/app%2Fx", false},
		{"fragment", "https://v.example/app", "https://v.example/app#x", false},
		{"space", "https://v.example/app", "https://v.example/app x", false},
		{"tab in the host", "https://v.example/app", "https://v.exa\tmple/app", false},
		{"non-ASCII", "https://v.example/app", "https://v.example/app/é", false},
		{"bad escape", "https://v.example/app", "https://v.example/app/%zz", false},
		{"opaque URL", "https://v.example", "https:v.example", false},
		{"relative URL", "https://v.example", "/app", false},
		{"javascript", "https://v.example", "javascript:alert(1)", false},
		{"empty", "https://v.example", "", false},
		{"prefix with a query matches nothing", "https://v.example/app?x=1", "https://v.example/app?x=1", false},
		{"IPv6 zone", "https://[::1]/", "https://[::1%25eth0]/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.prefix, tt.service); got != tt.want {
				t.Errorf("Match(%q, %q): got %v, want %v", tt.prefix, tt.service, got, tt.want)
			}
		})
	}
}

func TestSameService(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://v.example/app?x=1", "https://v.example/app?x=1", true},
		{"https://v.example/app?u=https%3A%2F%2Fw.example%2F", "https://v.example/app?u=https%3a%2f%2fw.example%2f", true},
		{"https://V.example:443/app", "https://v.example/app", true},
		{"https://v.example/%7Eu", "https://v.example/~u", true},
		{"https://v.example/app?x=1", "https://v.example/app?x=2", false},
		{"https://v.example/app", "https://v.example/app/", false},
		{"https://v.example/app?a=1&b=2", "https://v.example/app?b=2&a=1", false},
		{"https://v.example/app", "https://w.example/app", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := SameService(tt.a, tt.b); got != tt.want {
			t.Errorf("SameService(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFindConnectorPrefersTheLongestPrefix(t *testing.T) {
	cs := []*sesame.Connector{
		{ID: 1, Kind: sesame.ConnectorCAS, CAS: sesame.CASSettings{ServicePrefix: "https://v.example/"}},
		{ID: 2, Kind: sesame.ConnectorCAS, CAS: sesame.CASSettings{ServicePrefix: "https://v.example/presse/"}},
		{ID: 3, Kind: sesame.ConnectorOIDC, CAS: sesame.CASSettings{ServicePrefix: "https://v.example/presse/kiosque"}},
		{ID: 4, Kind: sesame.ConnectorCAS, CAS: sesame.CASSettings{ServicePrefix: "https://v.example/presse/"}},
	}
	tests := []struct {
		service string
		want    int64
	}{
		{"https://v.example/presse/kiosque", 2},
		{"https://v.example/video/", 1},
		{"https://w.example/presse/", 0},
	}
	for _, tt := range tests {
		var got int64
		if c := FindConnector(cs, tt.service); c != nil {
			got = c.ID
		}
		if got != tt.want {
			t.Errorf("FindConnector(%q): got connector %d, want %d", tt.service, got, tt.want)
		}
	}
}

// flipEscapes changes the case of every %xx escape's hex letters.
func flipEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				r := rune(b[j])
				if unicode.IsUpper(r) {
					b[j] = byte(unicode.ToLower(r))
				} else {
					b[j] = byte(unicode.ToUpper(r))
				}
			}
			i += 2
		}
	}
	return string(b)
}

// FuzzServiceMatch checks properties of Match on any pair of URLs:
//   - a match's scheme, host and port, as a browser would read them, are
//     the prefix's, exactly;
//   - a match's path (decoded) starts with the prefix's on a "/" boundary,
//     and has no dot segment;
//   - the case of %xx escapes never changes the outcome;
//   - a host with anything appended never matches;
//   - nothing panics.
func FuzzServiceMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"https://v.example", "https://v.example/app"},
		{"https://v.example", "https://v.example.evil.org/"},
		{"https://v.example/app/", "https://v.example/app/%2e%2e/admin"},
		{"https://v.example/app", "https://v.example/app%2fx"},
		{"https://v.example/a%3Ab", "https://v.example/a%3ab/c?x=%3a"},
		{"https://v.example", "https://v.example@evil.org/"},
		{"http://127.0.0.1:8080/cas", "http://127.0.0.1:8080/cas/login"},
		{"https://[::1]/", "https://[::1]:443/x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, prefix, service string) {
		got := Match(prefix, service)
		if flipped := Match(prefix, flipEscapes(service)); flipped != got {
			t.Fatalf("Match(%q, %q) = %v, but %v with the escapes' case flipped", prefix, service, got, flipped)
		}
		if flipped := Match(flipEscapes(prefix), service); flipped != got {
			t.Fatalf("Match(%q, %q) = %v, but %v with the prefix's escapes' case flipped", prefix, service, got, flipped)
		}
		if p, err := url.Parse(prefix); err == nil && p.Host != "" && !strings.Contains(p.Host, "@") {
			evil := p.Scheme + "://" + p.Host + ".evil.org/" + strings.TrimPrefix(p.EscapedPath(), "/")
			if Match(prefix, evil) {
				t.Fatalf("Match(%q, %q): a longer host matched", prefix, evil)
			}
		}
		if !got {
			return
		}
		p, perr := url.Parse(prefix)
		s, serr := url.Parse(service)
		if perr != nil || serr != nil {
			t.Fatalf("Match(%q, %q) matched what url.Parse refuses: %v, %v", prefix, service, perr, serr)
		}
		if s.User != nil || s.Fragment != "" || s.Opaque != "" {
			t.Fatalf("Match(%q, %q): matched a service with user information, a fragment or no authority", prefix, service)
		}
		port := func(u *url.URL) string {
			if pt := u.Port(); pt != "" && !(u.Scheme == "https" && pt == "443") && !(u.Scheme == "http" && pt == "80") {
				return pt
			}
			return ""
		}
		if !strings.EqualFold(p.Scheme, s.Scheme) || !strings.EqualFold(p.Hostname(), s.Hostname()) || port(p) != port(s) {
			t.Fatalf("Match(%q, %q): scheme, host or port differ: %s://%s:%s and %s://%s:%s",
				prefix, service, p.Scheme, p.Hostname(), port(p), s.Scheme, s.Hostname(), port(s))
		}
		pp, sp := p.EscapedPath(), s.EscapedPath()
		pp, _ = normalizeEscapes(pp)
		sp, _ = normalizeEscapes(sp)
		if sp == "" {
			sp = "/"
		}
		if pp == "" {
			pp = "/"
		}
		dir := strings.TrimSuffix(pp, "/")
		if !(sp == dir || sp == pp || strings.HasPrefix(sp, dir+"/")) {
			t.Fatalf("Match(%q, %q): path %q is not under %q", prefix, service, sp, pp)
		}
		for _, seg := range strings.Split(s.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("Match(%q, %q): dot segment in %q", prefix, service, s.Path)
			}
		}
	})
}
