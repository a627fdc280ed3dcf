package web

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNextLen bounds a return path: an OpenID Connect or CAS login comes
// back with its query, and none needs more.
const maxNextLen = 4096

// safeNext is the one check of a return path taken from a request (the
// login forms' « suite »): it returns a path of this site, cleaned and
// re-encoded, or "" when next could lead a browser anywhere else.
// Browsers are more lenient than Go: they read a backslash as a slash and
// drop tabs and newlines, so that "/\evil.example" or "/<TAB>/evil.example"
// become "//evil.example", another site. Such characters are refused
// outright, as sent and once decoded, rather than cleaned away; the path is
// then cleaned of dot segments and checked again, so that "/x/../..//evil"
// cannot leave as "//evil" either.
func safeNext(next string) string {
	if next == "" || len(next) > maxNextLen || !utf8.ValidString(next) || hasUnsafeRune(next) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" || u.Fragment != "" {
		return ""
	}
	if !localPath(u.Path) || !utf8.ValidString(u.Path) || hasUnsafeRune(u.Path) || strings.Contains(u.RawPath, "\\") {
		return ""
	}
	cleaned := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && cleaned != "/" {
		cleaned += "/"
	}
	if !localPath(cleaned) {
		return ""
	}
	// The query cannot change the site the browser goes to: its escapes are
	// kept as they came, for the OpenID Connect or CAS request it carries.
	out := (&url.URL{Path: cleaned, RawQuery: u.RawQuery}).String()
	if !localPath(out) {
		return ""
	}
	return out
}

// localPath reports whether p starts with exactly one slash: "//x" and
// "/\x" name another host to a browser.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\")
}

// hasUnsafeRune reports a backslash, a control character, a white space
// or an invisible format character (such as a zero-width space), any of
// which a browser may drop or read differently from Go.
func hasUnsafeRune(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
	})
}
