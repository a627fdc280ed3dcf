package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDoc is the OpenAPI 3.1 description of the API, written by hand:
// the tests check every answer they get against it (openapi_test.go).
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the description, for the tests and tools.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

// openAPI serves the description to anyone: it holds no secret, and a
// technician reads it before having a key.
func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeProblem(w, r, http.StatusMethodNotAllowed, "Cette adresse n'accepte que la méthode GET.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(openAPIDoc)
}
