package web

import (
	"net/http"
	"strconv"

	"github.com/bdf29/sesame"
)

// connectorHealthRow is one connector on « État des connecteurs ».
type connectorHealthRow struct {
	sesame.ConnectorHealth
	Resource string // the resource's name
}

// Name is how the test button and the result name the connector.
func (r connectorHealthRow) Name() string {
	return "n° " + itoa64(r.Connector.ID) + " (" + r.Connector.Kind.Label() + ") de " + r.Resource
}

// WarningTexts are the connector's warnings in French.
func (r connectorHealthRow) WarningTexts() []string {
	var out []string
	for _, w := range r.Warnings {
		out = append(out, r.WarningText(w))
	}
	return out
}

// adminConnectorHealthPage is « État des connecteurs »; Tested, when the
// admin pressed « Tester le connecteur … », is that connector and Checks
// what its own checks found.
type adminConnectorHealthPage struct {
	Rows                []connectorHealthRow
	Tested              *connectorHealthRow
	Checks              []sesame.ConnectorCheck
	FailuresInWindow    int
	CertificateDays     int
	UnknownConnectorMsg string
}

// Passed reports whether every check passed.
func (p adminConnectorHealthPage) Passed() bool {
	for _, c := range p.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// connectorHealthRows reads the state of every connector, with its
// resource's name, at the server's now.
func (s *Server) connectorHealthRows(r *http.Request) ([]connectorHealthRow, error) {
	ctx := r.Context()
	health, err := s.store.ConnectorHealth(ctx, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	resources, err := s.store.Resources(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, res := range resources {
		names[res.ID] = res.Name
	}
	rows := make([]connectorHealthRow, 0, len(health))
	for _, h := range health {
		rows = append(rows, connectorHealthRow{ConnectorHealth: h, Resource: names[h.Connector.ResourceID]})
	}
	return rows, nil
}

// connectorHealth answers GET /admin/connecteurs/etat, and with
// ?tester=ID runs that connector's own checks (a test reads, it changes
// nothing: a GET form, which works without JavaScript).
func (s *Server) connectorHealth(w http.ResponseWriter, r *http.Request) {
	rows, err := s.connectorHealthRows(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := adminConnectorHealthPage{Rows: rows, FailuresInWindow: sesame.RepeatedFailures, CertificateDays: sesame.CertificateWarningDays}
	title := "État des connecteurs"
	if raw := r.URL.Query().Get("tester"); raw != "" {
		id, _ := strconv.ParseInt(raw, 10, 64)
		for i := range rows {
			if rows[i].Connector.ID == id {
				page.Tested = &rows[i]
				page.Checks = rows[i].Connector.Checks(s.cfg.Now())
			}
		}
		switch {
		case page.Tested == nil:
			page.UnknownConnectorMsg = "Ce connecteur n'existe pas ou a été supprimé."
		case page.Passed():
			title = "Test du connecteur " + page.Tested.Name() + " réussi – " + title
		default:
			title = "Test du connecteur " + page.Tested.Name() + " : problèmes trouvés – " + title
		}
	}
	s.render(w, r, http.StatusOK, "connecteurs_etat", layout{Title: title, Section: "admin", Content: page})
}
