package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// mailEnqueue writes a message into the outbox, as a change of the site would.
func mailEnqueue(t testing.TB, st *store.Store, m mail.Message) store.Mail {
	t.Helper()
	ctx := context.Background()
	if err := st.Update(ctx, func(tx *store.Tx) error { return mail.Enqueue(ctx, tx, m) }); err != nil {
		t.Fatalf("enqueue %q: %v", m.Subject, err)
	}
	list, err := st.RecentMail(ctx, 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("read back %q: got %d messages (%v)", m.Subject, len(list), err)
	}
	return list[0]
}

// mailRunJobs runs the mail jobs once with no SMTP server configured.
func mailRunJobs(t testing.TB, st *store.Store) {
	t.Helper()
	r := &jobs.Runner{Store: st, Worker: "test", Handlers: map[string]jobs.Handler{jobs.KindMail: mail.Handler(st, nil)},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := r.RunOnce(context.Background()); err != nil {
		t.Fatalf("run jobs: %v", err)
	}
}

// mailRow is one row of the page's table, cell by cell.
type mailRow struct {
	date, to, subject, body, state string
}

// mailRows reads the table of the "Courriels envoyés" page.
func mailRows(t testing.TB, body string) []mailRow {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	table := find(doc, func(n *html.Node) bool { return n.Data == "table" && attr(n, "id") == "courriels" })
	if table == nil {
		t.Fatalf("no table of messages in:\n%s", body)
	}
	var rows []mailRow
	walk(table, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "tr" || n.Parent.Data != "tbody" {
			return
		}
		var cells []*html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "td" {
				cells = append(cells, c)
			}
		}
		if len(cells) != 4 {
			t.Fatalf("got a row of %d cells, want 4", len(cells))
		}
		summary := find(cells[2], func(n *html.Node) bool { return n.Data == "summary" })
		details := find(cells[2], func(n *html.Node) bool { return n.Data == "div" && attr(n, "class") == "mail-body" })
		if summary == nil || details == nil {
			t.Fatalf("the subject cell has no <details> with the text")
		}
		rows = append(rows, mailRow{date: text(cells[0]), to: text(cells[1]), subject: text(summary), body: mailBody(details), state: text(cells[3])})
	})
	return rows
}

// mailBody shows a text as the page lays it out: paragraphs apart with " ¶ ",
// lines with " / ".
func mailBody(div *html.Node) string {
	var paras []string
	for p := div.FirstChild; p != nil; p = p.NextSibling {
		if p.Type != html.ElementNode || p.Data != "p" {
			continue
		}
		var lines []string
		line := ""
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "br" {
				lines, line = append(lines, strings.TrimSpace(line)), ""
				continue
			}
			line += " " + text(c)
		}
		paras = append(paras, strings.Join(append(lines, strings.TrimSpace(line)), " / "))
	}
	return strings.Join(paras, " ¶ ")
}

func TestMailList(t *testing.T) {
	e := adminTestServer(t)
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")

	kept := mailEnqueue(t, e.store, mail.Message{To: "anne.lefevre@example.org", ToName: "Anne LEFÈVRE", Subject: "Votre compte est validé",
		Text: "Bonjour Anne,\n\nVotre compte est validé.\nÀ bientôt !", HTML: "<p>Bonjour Anne,</p>"})
	mailRunJobs(t, e.store) // no SMTP server: kept
	sent := mailEnqueue(t, e.store, mail.Message{To: "yann@example.org", Subject: "Sent", Text: "Envoyé."})
	if err := e.store.Update(ctx, func(tx *store.Tx) error { return tx.MailDone(ctx, sent.ID, false, 1) }); err != nil {
		t.Fatal(err)
	}
	failed := mailEnqueue(t, e.store, mail.Message{To: "paul@example.org", Subject: "Failed", Text: "Pas encore."})
	if err := e.store.MailFailed(ctx, failed.ID, 1, "smtp: connection refused"); err != nil {
		t.Fatal(err)
	}
	pending := mailEnqueue(t, e.store, mail.Message{To: "jeanne@example.org", ToName: "Jeanne", Subject: `<script>alert("x")</script> & « bienvenue »`,
		Text: "<b>pas du HTML</b>"})

	r := e.loginAs("admin", adminPassword).get("/admin/courriels")
	if r.status != http.StatusOK {
		t.Fatalf("got %d, want 200", r.status)
	}
	if !strings.Contains(r.body, `href="/admin" aria-current="page"`) {
		t.Errorf("the menu does not mark Administration as current")
	}
	for _, want := range []string{"<title>Courriels envoyés", "<h1>Courriels envoyés</h1>", `<th scope="col">Destinataire</th>`, `<caption class="visually-hidden">`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "<b>pas du HTML</b>") {
		t.Errorf("the subject or text is not escaped:\n%s", r.body)
	}
	if !strings.Contains(r.body, "&lt;script&gt;") {
		t.Errorf("the escaped subject is missing")
	}

	date := func(m store.Mail) string { return m.CreatedAt.In(paris).Format("02/01/2006 à 15:04") }
	want := []mailRow{
		{date(pending), "Jeanne jeanne@example.org", `<script>alert("x")</script> & « bienvenue »`, "<b>pas du HTML</b>", "En attente"},
		{date(failed), "paul@example.org", "Failed", "Pas encore.", "En échec : smtp: connection refused"},
		{date(sent), "yann@example.org", "Sent", "Envoyé.", "Envoyé"},
		{date(kept), "Anne LEFÈVRE anne.lefevre@example.org", "Votre compte est validé", "Bonjour Anne, ¶ Votre compte est validé. / À bientôt !", "Conservé (pas de serveur SMTP configuré)"},
	}
	got := mailRows(t, r.body)
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMailListEmpty(t *testing.T) {
	e := adminTestServer(t)
	r := e.loginAs("admin", adminPassword).get("/admin/courriels")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Aucun courriel pour l'instant.") {
		t.Errorf("got %d, want 200 with %q", r.status, "Aucun courriel pour l'instant.")
	}
}

func TestMailListAccess(t *testing.T) {
	e := adminTestServer(t)
	mailEnqueue(t, e.store, mail.Message{To: "anne@example.org", Subject: "Confidentiel", Text: "Lien secret."})
	if r := e.anonymous().get("/admin/courriels"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/connexion") {
		t.Errorf("anonymous: got %d to %q, want 303 to /connexion", r.status, r.location)
	}
	r := e.loginAs("fouesnant", adminPassword).get("/admin/courriels")
	if r.status != http.StatusForbidden {
		t.Errorf("library staff: got %d, want 403", r.status)
	}
	if strings.Contains(r.body, "Confidentiel") || strings.Contains(r.body, "Lien secret") {
		t.Errorf("library staff: the page shows the outbox")
	}
	home := e.loginAs("admin", adminPassword).get("/admin")
	if !strings.Contains(home.body, `<a href="/admin/courriels">Courriels envoyés</a>`) {
		t.Errorf("the admin home has no link to the outbox")
	}
}

func TestMailListNeverShowsPersonalLinks(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	ctx := context.Background()
	admin := w.login("admin")
	email := w.patron(w.patronB).Email
	w.requestReset(email)
	w.register(w.registrationForm("nouvelle.inscrite@example.org"))
	tokens := map[string]string{
		"reset":        strings.TrimPrefix(linkPath(t, w.mailsTo(email)[0].Text), "/mot-de-passe/"),
		"registration": strings.TrimPrefix(confirmationPath(t, w.mailsTo("nouvelle.inscrite@example.org")[0].Text), "/inscription/confirmer/"),
	}
	page := func(when string) {
		t.Helper()
		r := admin.get("/admin/courriels")
		if r.status != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", when, r.status)
		}
		for what, token := range tokens {
			if strings.Contains(r.body, token) {
				t.Errorf("%s: the page shows the %s link's token", when, what)
			}
		}
		for _, route := range []string{"/mot-de-passe/", "/inscription/confirmer/"} {
			if strings.Contains(r.body, route) {
				t.Errorf("%s: the page shows a link to %s", when, route)
			}
		}
		rows := mailRows(t, r.body)
		if len(rows) != 2 {
			t.Fatalf("%s: got %d rows, want 2", when, len(rows))
		}
		for _, row := range rows {
			if !strings.Contains(row.body, mail.Redacted) {
				t.Errorf("%s: %q lacks %q in place of its link: %s", when, row.subject, mail.Redacted, row.body)
			}
		}
	}
	page("before sending")

	deliver(t, w.instance("test", in))
	reset := in.to(email)
	if len(reset) != 1 || !strings.Contains(reset[0].text, testBaseURL+"/mot-de-passe/"+tokens["reset"]) ||
		!strings.Contains(reset[0].html, `href="`+testBaseURL+"/mot-de-passe/"+tokens["reset"]+`"`) {
		t.Fatalf("the SMTP server got %d mails to %s, want one with the working link: %+v", len(reset), email, reset)
	}
	if got := mailLink(t, w.onlyMail(in, "nouvelle.inscrite@example.org", 1), "/inscription/confirmer/"); got != "/inscription/confirmer/"+tokens["registration"] {
		t.Errorf("registration link received: got %s, want the token of the outbox", got)
	}
	list, err := w.store.RecentMail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		full, err := w.store.Mail(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.SentAt.IsZero() || full.Secret != "" {
			t.Errorf("%q after sending: got sent at %v and secret %q, want sent and no secret", m.Subject, full.SentAt, full.Secret)
		}
	}
	page("after sending")
}
