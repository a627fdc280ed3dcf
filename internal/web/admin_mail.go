package web

import (
	"net/http"
	"strings"

	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// mailListLimit is how many messages the outbox page shows, newest first.
const mailListLimit = 100

// adminMailPage lists the latest messages of the outbox.
type adminMailPage struct {
	Limit int
	Mail  []adminMailRow
}

// adminMailRow is one message, with its state in words and its text cut
// into paragraphs of lines, so that the page wraps them.
type adminMailRow struct {
	store.Mail
	State      string
	StateClass string
	Paragraphs [][]string
}

func (s *Server) mailList(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.RecentMail(r.Context(), mailListLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := adminMailPage{Limit: mailListLimit}
	for _, m := range list {
		// The admin learns that a personal link was sent, never the link.
		m.Text, m.HTML, m.Secret = mail.Redact(m.Text), mail.Redact(m.HTML), ""
		row := adminMailRow{Mail: m, Paragraphs: mailParagraphs(m.Text)}
		switch {
		case !m.SentAt.IsZero():
			row.State, row.StateClass = "Envoyé", "status-valide"
		case m.Kept:
			row.State = "Conservé (pas de serveur SMTP configuré)"
		case m.LastError != "":
			row.State, row.StateClass = "En échec : "+m.LastError, "status-refuse"
		default:
			row.State, row.StateClass = "En attente", "status-a_valider"
		}
		p.Mail = append(p.Mail, row)
	}
	s.render(w, r, http.StatusOK, "courriels_envoyes", layout{Title: "Courriels envoyés", Section: "admin", Content: p})
}

// mailParagraphs cuts a text body at blank lines, then into lines.
func mailParagraphs(text string) [][]string {
	var out [][]string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if para = strings.Trim(para, "\n"); para != "" {
			out = append(out, strings.Split(para, "\n"))
		}
	}
	return out
}
