package web

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// TestSafeNext lists the return paths an attacker tries, raw and
// percent-encoded, beside those Sésame itself builds.
func TestSafeNext(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"local", "/mon-compte", "/mon-compte"},
		{"local with query", "/abonnes?q=le+bihan&statut=valide", "/abonnes?q=le+bihan&statut=valide"},
		{"encoded space in query", "/abonnes?q=le%20bihan", "/abonnes?q=le%20bihan"},
		{"oidc login", "/oauth/login?id=abc%2Fdef", "/oauth/login?id=abc%2Fdef"},
		{"cas login", "/cas/login?lt=LT-1&service=https%3A%2F%2Fv.example%2Fapp", "/cas/login?lt=LT-1&service=https%3A%2F%2Fv.example%2Fapp"},
		{"trailing slash kept", "/admin/", "/admin/"},
		{"root", "/", "/"},
		{"dot segments cleaned", "/abonnes/./a-traiter/../a-traiter", "/abonnes/a-traiter"},
		{"dot dot above root stays local", "/../mon-compte", "/mon-compte"},
		{"encoded dot dot double slash", "/x/%2e%2e/%2e%2e//evil", "/evil"},
		{"dot dot double slash", "/x/../..//evil", "/evil"},
		{"relative", "mon-compte", ""},
		{"protocol relative", "//evil.example", ""},
		{"protocol relative with path", "//evil.example/x", ""},
		{"triple slash", "///evil.example", ""},
		{"backslash after dot dot", `/../\evil.example/steal`, ""},
		{"encoded backslash after dot dot", "/..%2F%5Cevil.example", ""},
		{"backslash", `/\evil.example`, ""},
		{"encoded backslash", "/%5Cevil", ""},
		{"slash backslash slash", `/\/evil`, ""},
		{"backslash in query", `/x?a=\`, ""},
		{"tab", "/\tevil", ""},
		{"tab then slash", "/\t/evil.example", ""},
		{"encoded tab", "/%09/evil.example", ""},
		{"newline", "/\n/evil.example", ""},
		{"encoded newline", "/%0A/evil.example", ""},
		{"carriage return", "/\r/evil.example", ""},
		{"nul", "/\x00/evil.example", ""},
		{"encoded nul", "/%00/evil.example", ""},
		{"space", "/ /evil.example", ""},
		{"encoded space in path", "/%20/evil.example", ""},
		{"zero-width space", "/\u200b/evil.example", ""},
		{"line separator", "/\u2028/evil.example", ""},
		{"encoded slash making two", "/%2F/evil.example", ""},
		{"encoded slash alone", "/%2Fevil.example", ""},
		{"https", "https://evil.example/x", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"scheme without slashes", "https:evil.example", ""},
		{"user info", "//user@evil.example", ""},
		{"fragment", "/mon-compte#x", ""},
		{"invalid utf-8", "/\xff", ""},
		{"bad escape", "/%zz", ""},
		{"too long", "/" + strings.Repeat("a", maxNextLen), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeNext(tt.in); got != tt.want {
				t.Errorf("safeNext(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSafeNext checks the invariant of the check: whatever comes in, what
// goes out is empty or a path that a browser resolves on the portal, with
// no character a browser might read otherwise. `go test` runs the seeds;
// explore with `go test -run X -fuzz FuzzSafeNext -fuzztime 30s ./internal/web`.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/mon-compte", "/abonnes?q=a%20b", `/../\evil.example`, "/\t/evil.example", "/%09/evil.example",
		"/%5Cevil", "//evil", `/\/evil`, "https://evil", "/x/../..//evil", "/%2e%2e/%2F/evil", "/a/b/../../../c/", "/\u3000/evil"} {
		f.Add(s)
	}
	base, err := url.Parse("https://portal.example/connexion")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out == "" {
			return
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
			t.Fatalf("safeNext(%q) = %q: not a path of the site", in, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
			t.Fatalf("safeNext(%q) = %q: a character a browser may read otherwise", in, out)
		}
		ref, err := url.Parse(out)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q: does not parse: %v", in, out, err)
		}
		got := base.ResolveReference(ref)
		if got.Scheme != "https" || got.Host != "portal.example" || got.User != nil {
			t.Fatalf("safeNext(%q) = %q: resolves to %s, off the portal", in, out, got)
		}
		if decoded, err := url.PathUnescape(got.EscapedPath()); err != nil || strings.ContainsAny(decoded, "\\") || strings.HasPrefix(decoded, "//") {
			t.Fatalf("safeNext(%q) = %q: path %q decodes badly (%v)", in, out, got.EscapedPath(), err)
		}
		if again := safeNext(out); again != out {
			t.Fatalf("safeNext(%q) = %q, but safeNext(%q) = %q: not stable", in, out, out, again)
		}
	})
}
