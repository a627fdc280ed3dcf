package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// withCleanInput refuses, for every route, an address that carries a
// control character: a NUL ends an SQLite FTS5 phrase early and PostgreSQL
// refuses it in any text, and none has a meaning in a page address. The
// answer is a French page, 400, before any handler reads the query.
// Posted forms are not refused here: each form checks its fields and
// answers 422 with a French message next to the field, the typed value
// kept (TestControlCharactersNeverAnswer500 posts a NUL in every field to
// every route).
func (s *Server) withCleanInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasControl(r.URL.Path) || queryHasControl(r.URL.RawQuery) {
			s.log.Warn("caractère de contrôle dans l'adresse", "path", truncateForLog(r.URL.Path))
			s.renderError(w, r, http.StatusBadRequest, "Caractère non autorisé dans l'adresse : un caractère invisible s'y est glissé. Corrigez-la ou revenez à la page précédente.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// queryHasControl parses the query only when it could hide a control
// character, as an escape or raw: most addresses of the list pages are
// read without parsing them twice.
func queryHasControl(raw string) bool {
	if raw == "" || (!strings.Contains(raw, "%") && !hasControl(raw)) {
		return false
	}
	return valuesHaveControl(parseQuery(raw))
}

func parseQuery(raw string) url.Values {
	v, _ := url.ParseQuery(raw) // what fails to parse is the handler's to refuse
	return v
}

func valuesHaveControl(v url.Values) bool {
	for k, vs := range v {
		if hasControl(k) {
			return true
		}
		for _, s := range vs {
			if hasControl(s) {
				return true
			}
		}
	}
	return false
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}
