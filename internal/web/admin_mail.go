package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// mailListLimit is how many messages the outbox page shows, newest first.
const mailListLimit = 100

// adminMailPage lists the latest messages of the outbox, or those whose
// recipient or subject holds Query.
type adminMailPage struct {
	Limit int
	Query string
	Mail  []adminMailRow
}

// adminMailRow is one message, with its state in words and its text cut
// into paragraphs of lines, so that the page wraps them.
type adminMailRow struct {
	store.Mail
	State      string
	StateClass string
	Paragraphs [][][]mailSegment
}

// mailSegment is a piece of a line of a shown message: text, or a link to
// the site itself when URL is set.
type mailSegment struct{ Text, URL string }

func (s *Server) mailList(w http.ResponseWriter, r *http.Request) {
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(query)) > 200 {
		query = string([]rune(query)[:200])
	}
	list, err := s.store.SearchMail(r.Context(), query, mailListLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The links of messages start with SESAME_BASE_URL: without it, none.
	site, err := url.Parse(s.cfg.BaseURL)
	if err != nil || site.Host == "" {
		site = nil
	}
	p := adminMailPage{Limit: mailListLimit, Query: query}
	for _, m := range list {
		// The admin learns that a personal link was sent, never the link.
		m.Text, m.HTML, m.Secret = mail.Redact(m.Text), mail.Redact(m.HTML), ""
		row := adminMailRow{Mail: m}
		for _, para := range mailParagraphs(m.Text) {
			lines := make([][]mailSegment, len(para))
			for i, line := range para {
				lines[i] = linkify(line, site)
			}
			row.Paragraphs = append(row.Paragraphs, lines)
		}
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
	title := "Courriels envoyés"
	if query != "" {
		title = fmt.Sprintf("Courriels envoyés, recherche « %s » : %s", query, plural(len(p.Mail), "courriel", "courriels"))
	}
	s.render(w, r, http.StatusOK, "courriels_envoyes", layout{Title: title, Section: "admin", Content: p})
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

// mailLink finds the web addresses in a line of a message.
var mailLink = regexp.MustCompile(`https?://[^\s<>"«»]+`)

// linkify cuts a line of a message into text and links. Only an http(s)
// address of the site itself becomes a link: a message may quote any
// address, and the admin's page must not send them elsewhere. html/template
// escapes both parts.
func linkify(line string, site *url.URL) []mailSegment {
	var out []mailSegment
	rest := line
	for {
		loc := mailLink.FindStringIndex(rest)
		if loc == nil {
			break
		}
		// Punctuation that ends a sentence is not part of the address.
		raw := strings.TrimRight(rest[loc[0]:loc[1]], ".,;:!?)'’")
		end := loc[0] + len(raw)
		u, err := url.Parse(raw)
		if err == nil && site != nil && u.Scheme == site.Scheme && strings.EqualFold(u.Host, site.Host) {
			if loc[0] > 0 {
				out = append(out, mailSegment{Text: rest[:loc[0]]})
			}
			out = append(out, mailSegment{Text: raw, URL: u.String()})
		} else {
			out = append(out, mailSegment{Text: rest[:end]})
		}
		rest = rest[end:]
	}
	if rest != "" {
		out = append(out, mailSegment{Text: rest})
	}
	return out
}
