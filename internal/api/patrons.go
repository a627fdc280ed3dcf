package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Paging of GET …/patrons: pages of DefaultLimit patrons, at most MaxLimit,
// up to MaxPage pages deep, so that no call reads more than MaxLimit rows
// and no offset walks an unbounded index.
const (
	DefaultLimit = 50
	MaxLimit     = 100
	MaxPage      = 1000
)

// patronOut is one patron of the list.
type patronOut struct {
	Card                string `json:"card"`
	LastName            string `json:"last_name"`
	FirstName           string `json:"first_name"`
	Email               string `json:"email"`
	Status              string `json:"status"`
	StatusLabel         string `json:"status_label"`
	LibraryRegisteredOn string `json:"library_registered_on,omitempty"`
	ValidUntil          string `json:"valid_until,omitempty"`
}

type patronPage struct {
	Status  string      `json:"status,omitempty"`
	Page    int         `json:"page"`
	Limit   int         `json:"limit"`
	Total   int         `json:"total"`
	Patrons []patronOut `json:"patrons"`
	Next    string      `json:"next,omitempty"` // the next page's path and query, when there is one
}

// getPatrons lists the key's library's patrons, of one status when asked
// (?status=a_revalider: those who wait for a renewal).
func (a *API) getPatrons(w http.ResponseWriter, r *http.Request, key sesame.APIKey) {
	q := r.URL.Query()
	f := store.PatronFilter{Limit: DefaultLimit} // sorted by name, as the list
	page := 1
	if s := q.Get("status"); s != "" {
		st, ok := sesame.ParseStatus(s)
		if !ok {
			var all []string
			for _, st := range sesame.Statuses {
				all = append(all, string(st))
			}
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("Statut inconnu : « %s ». Valeurs possibles : %s.", clip(s), strings.Join(all, ", ")))
			return
		}
		f.Status = st
	}
	var ok bool
	if f.Limit, ok = intParam(w, r, q, "limit", DefaultLimit, MaxLimit); !ok {
		return
	}
	if page, ok = intParam(w, r, q, "page", 1, MaxPage); !ok {
		return
	}
	f.Offset = (page - 1) * f.Limit
	res, err := a.cfg.Store.ListPatrons(r.Context(), store.LibraryScope(key.LibraryID), f)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	out := patronPage{Status: string(f.Status), Page: page, Limit: f.Limit, Total: res.Total, Patrons: make([]patronOut, 0, len(res.Rows))}
	for _, p := range res.Rows {
		out.Patrons = append(out.Patrons, patronOut{Card: p.CardNumber, LastName: p.LastName, FirstName: p.FirstName, Email: p.Email,
			Status: string(p.Status), StatusLabel: p.Status.Label(), LibraryRegisteredOn: p.LibraryRegisteredOn.ISO(), ValidUntil: p.ValidUntil.ISO()})
	}
	if page < MaxPage && page*f.Limit < res.Total {
		next := url.Values{}
		if f.Status != "" {
			next.Set("status", string(f.Status))
		}
		next.Set("limit", strconv.Itoa(f.Limit))
		next.Set("page", strconv.Itoa(page+1))
		out.Next = r.URL.Path + "?" + next.Encode()
	}
	if err := writeJSON(w, out); err != nil {
		a.log.Warn("api: answer", "path", r.URL.Path, "err", err)
	}
}

// intParam reads a positive integer parameter up to max, def when absent,
// or answers 400.
func intParam(w http.ResponseWriter, r *http.Request, q url.Values, name string, def, max int) (int, bool) {
	s := q.Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("Le paramètre « %s » doit être un entier de 1 à %d ; reçu « %s ».", name, max, clip(s)))
		return 0, false
	}
	return n, true
}

// clip shortens what a caller sent before it is quoted back.
func clip(s string) string {
	const most = 60
	if len(s) <= most {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:most], "") + "…"
}
