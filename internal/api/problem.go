package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// problem is an error answer of the API: RFC 9457 problem details, its
// detail in French. Type is a URN of ours (RFC 9457 §3.1.1 lets it be any
// URI) that docs/api.md lists, so that a script can switch on it without
// parsing French.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

// The problem types, one per way a call can fail.
const (
	typeUnauthorized     = "urn:sesame:problem:unauthorized"
	typeNotFound         = "urn:sesame:problem:not-found"
	typeMethod           = "urn:sesame:problem:method-not-allowed"
	typeBadRequest       = "urn:sesame:problem:bad-request"
	typeTooLarge         = "urn:sesame:problem:too-large"
	typeUnsupportedMedia = "urn:sesame:problem:unsupported-media-type"
	typeRateLimited      = "urn:sesame:problem:rate-limited"
	typeInternal         = "urn:sesame:problem:internal"
)

// titles are the short French titles of each status the API answers.
var titles = map[int]string{
	http.StatusBadRequest:            "Requête invalide",
	http.StatusUnauthorized:          "Clé d'API manquante ou refusée",
	http.StatusNotFound:              "Introuvable",
	http.StatusMethodNotAllowed:      "Méthode non permise",
	http.StatusRequestEntityTooLarge: "Corps de requête trop volumineux",
	http.StatusUnsupportedMediaType:  "Type de contenu non pris en charge",
	http.StatusTooManyRequests:       "Trop de requêtes",
	http.StatusInternalServerError:   "Erreur interne",
}

var types = map[int]string{
	http.StatusBadRequest:            typeBadRequest,
	http.StatusUnauthorized:          typeUnauthorized,
	http.StatusNotFound:              typeNotFound,
	http.StatusMethodNotAllowed:      typeMethod,
	http.StatusRequestEntityTooLarge: typeTooLarge,
	http.StatusUnsupportedMediaType:  typeUnsupportedMedia,
	http.StatusTooManyRequests:       typeRateLimited,
	http.StatusInternalServerError:   typeInternal,
}

// internalDetail is all a 500 says: never the error behind it, which is logged.
const internalDetail = "Erreur interne. L'incident a été enregistré ; réessayez plus tard."

// writeProblem answers status with detail, in French.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	p := problem{Type: types[status], Title: titles[status], Status: status, Detail: detail, Instance: r.URL.Path}
	if p.Type == "" {
		p.Type, p.Title = "about:blank", http.StatusText(status)
	}
	body, err := json.Marshal(p)
	if err != nil { // a struct of strings and an int always marshals
		http.Error(w, internalDetail, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// notFound is the one 404 of the API: an unknown path, an unknown library,
// and another library's code all read the same, so that a key learns
// nothing of the libraries it may not see.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, http.StatusNotFound, "Aucune ressource à cette adresse pour cette clé d'API.")
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(body)
	return err
}
