package web

import (
	"net/http"

	"github.com/bdf29/sesame"
)

// The three pages every page links to from its footer: the information
// notice of RGPD article 13, the RGAA accessibility statement and the legal
// notice. Their text lives in the templates; the network's name and contact
// address come from its settings, so that each deployment names its own
// controller and contact.

// legalUpdated is when the three texts last changed: change it with them.
var legalUpdated = sesame.MustDate(2026, 11, 27)

type legalPage struct {
	Network sesame.Network
	Updated sesame.Date
}

func (s *Server) privacyNotice(w http.ResponseWriter, r *http.Request) {
	s.renderLegal(w, r, "donnees_personnelles", "Données personnelles")
}

func (s *Server) accessibilityStatement(w http.ResponseWriter, r *http.Request) {
	s.renderLegal(w, r, "accessibilite", "Accessibilité")
}

func (s *Server) legalNotice(w http.ResponseWriter, r *http.Request) {
	s.renderLegal(w, r, "mentions_legales", "Mentions légales")
}

// renderLegal shows one of the three pages, with no menu entry marked.
func (s *Server) renderLegal(w http.ResponseWriter, r *http.Request, name, title string) {
	n, err := s.store.Network(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, name, layout{Title: title, Content: legalPage{Network: n, Updated: legalUpdated}})
}
