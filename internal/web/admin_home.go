package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bdf29/sesame"
)

// adminHomePage is the network admin's dashboard.
type adminHomePage struct {
	Libraries int
	Resources int
	Staff     int
	Patrons   int
	Statuses  []adminStatusCount
	// ConnectorWarnings are the connectors flagged (« État des connecteurs »).
	ConnectorWarnings []connectorHealthRow
}

type adminStatusCount struct {
	Status sesame.Status
	Count  int
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.store.Resources(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	staff, err := s.store.StaffList(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tally, err := s.store.Tally(ctx, scopeOf(staffFrom(ctx)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := adminHomePage{Libraries: len(libs), Resources: len(res), Staff: len(staff)}
	health, err := s.connectorHealthRows(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, h := range health {
		if len(h.Warnings) > 0 {
			p.ConnectorWarnings = append(p.ConnectorWarnings, h)
		}
	}
	for _, st := range sesame.Statuses {
		p.Statuses = append(p.Statuses, adminStatusCount{Status: st, Count: tally.ByStatus[st]})
		p.Patrons += tally.ByStatus[st]
	}
	s.render(w, r, http.StatusOK, "administration", layout{Title: "Administration du réseau", Section: "admin", Content: p, tally: &tally})
}

// adminPathID reads {id}; a malformed id is as unknown as a missing one.
func adminPathID(r *http.Request, notFound string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, sesame.Errorf(sesame.ENotFound, "%s", notFound)
	}
	return id, nil
}

// adminLoad returns what get finds under {id}, or answers 404 and nil.
func adminLoad[T any](s *Server, w http.ResponseWriter, r *http.Request, notFound string, get func(context.Context, int64) (*T, error)) *T {
	id, err := adminPathID(r, notFound)
	if err == nil {
		var v *T
		if v, err = get(r.Context(), id); err == nil {
			return v
		}
	}
	s.fail(w, r, err)
	return nil
}

// adminTyped copies what was sent, so that a refused form keeps it.
func adminTyped(sent url.Values) url.Values {
	v := url.Values{}
	maps.Copy(v, sent)
	return v
}

// adminCheckbox reads a "Désactiver" box.
func adminCheckbox(v url.Values, name string) bool { return v.Get(name) == "1" }

// adminText is a posted text field with surrounding spaces removed.
func adminText(v url.Values, name string) string { return strings.TrimSpace(v.Get(name)) }

// adminBool is how a form holds a boolean: "1" for a ticked box.
func adminBool(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// adminLowerFirst turns the store's "Une bibliothèque…" into "une bibliothèque…",
// to follow a field label such as "Code : ".
func adminLowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}
