package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// inbox is a real SMTP server on 127.0.0.1 that keeps, decoded, every
// message it receives.
type inbox struct {
	t    testing.TB
	addr string
	mu   sync.Mutex
	got  []receivedMail
}

// receivedMail is one message as the SMTP server got it.
type receivedMail struct {
	rcpt    []string
	to      string // the address of the To header
	subject string
	text    string
	html    string
}

func newInbox(t testing.TB) *inbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{t: t, addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{in: in}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { ln.Close(); srv.Close() })
	return in
}

type inboxSession struct {
	in   *inbox
	rcpt []string
}

func (s *inboxSession) Reset()                               { s.rcpt = nil }
func (s *inboxSession) Logout() error                        { return nil }
func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}

func (s *inboxSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := decodeMail(data)
	if err != nil {
		return err
	}
	m.rcpt = s.rcpt
	s.in.mu.Lock()
	s.in.got = append(s.in.got, m)
	s.in.mu.Unlock()
	return nil
}

// decodeMail reads the To, the Subject and both parts of a message.
func decodeMail(data []byte) (receivedMail, error) {
	var m receivedMail
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return m, err
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 {
		return m, fmt.Errorf("To %q: %v", msg.Header.Get("To"), err)
	}
	m.to = to[0].Address
	if m.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, err
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return m, err
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, err
		}
		var r io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return m, err
		}
		body := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); mt {
		case "text/plain":
			m.text = body
		case "text/html":
			m.html = body
		}
	}
	return m, nil
}

// to returns the messages received for address, in the order received.
func (in *inbox) to(address string) []receivedMail {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []receivedMail
	for _, m := range in.got {
		if m.to == address {
			out = append(out, m)
		}
	}
	return out
}

// sender is the outbox's sender to this server.
func (in *inbox) sender() *mail.Sender {
	in.t.Helper()
	host, port, _ := net.SplitHostPort(in.addr)
	p, _ := strconv.Atoi(port)
	s, err := mail.NewSender(config.SMTP{Host: host, Port: p, TLS: config.SMTPTLSNone, From: "Réseau de test <ne-pas-repondre@example.org>"})
	if err != nil {
		in.t.Fatal(err)
	}
	return s
}

// instance is one instance's jobs runner: the web layer's jobs and the
// outbox's, sending to in.
func (w *world) instance(name string, in *inbox) *jobs.Runner {
	handlers := w.webJobs()
	handlers[jobs.KindMail] = mail.Handler(w.store, in.sender())
	return &jobs.Runner{Store: w.store, Worker: name, Handlers: handlers, Now: w.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// deliver runs r until no job is due: the jobs a job enqueues, such as the
// mail of a digest, run too.
func deliver(t testing.TB, r *jobs.Runner) {
	t.Helper()
	for range 20 {
		n, err := r.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("run jobs: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("jobs still due after 20 rounds")
}

// confirmRegistration registers the test form for email and follows the
// confirmation link, as the patron would; it returns the new patron's id.
func (w *world) confirmRegistration(email string) int64 {
	w.t.Helper()
	w.register(w.registrationForm(email))
	mails := w.mailsTo(email)
	if len(mails) == 0 {
		w.t.Fatalf("no confirmation mail to %s", email)
	}
	if res := w.anonymous().post(confirmationPath(w.t, mails[0].Text), url.Values{}); res.status != http.StatusOK {
		w.t.Fatalf("confirm %s: got status %d, want 200", email, res.status)
	}
	id := w.patronWith(email)
	if id == 0 {
		w.t.Fatalf("no patron %s after confirmation", email)
	}
	return id
}

// askRenewal makes an Expiré patron in library A who asks for renewal from
// "Mon compte"; it returns their id.
func (w *world) askRenewal(last, first, email string) int64 {
	w.t.Helper()
	id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: last, FirstName: first, Email: email, Status: sesame.StatusExpired,
		LibraryRegisteredOn: sesame.MustDate(2025, 10, 1), ValidUntil: sesame.MustDate(2026, 10, 1)}, sesame.GrantValidated)
	res := w.patronLogin(id).post("/mon-compte/renouvellement", url.Values{})
	if res.status != http.StatusSeeOther {
		w.t.Fatalf("renewal of %s: got status %d, want 303", email, res.status)
	}
	if got := w.patron(id).Status; got != sesame.StatusToRevalidate {
		w.t.Fatalf("after renewal: got status %s, want À revalider", got)
	}
	return id
}

// setNotify chooses, through the admin's library form, how library A hears of requests.
func (w *world) setNotify(mode sesame.NotifyMode) {
	w.t.Helper()
	res := w.login("admin").post("/admin/bibliotheques/"+itoa(w.libA), url.Values{
		"code": {"FOUESNANT"}, "nom": {"Médiathèque de Fouesnant"}, "ville": {"Fouesnant"}, "email": {"a@example.org"},
		"notification": {string(mode)},
	})
	if res.status != http.StatusSeeOther {
		w.t.Fatalf("library form: got status %d, want 303; body: %.500s", res.status, res.body)
	}
}

// checkNoSecrets fails when a mail shows the test password or a link token.
func checkNoSecrets(t testing.TB, m receivedMail) {
	t.Helper()
	for _, secret := range []string{registrationPassword, testPassword, "/inscription/confirmer/", "/mot-de-passe/"} {
		if strings.Contains(m.text, secret) || strings.Contains(m.html, secret) {
			t.Errorf("mail %q shows %q", m.subject, secret)
		}
	}
}

func TestNotifyLibraryOfEachRequest(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	runner := w.instance("instance-1", in)

	newID := w.confirmRegistration("mael.legoff@example.org")
	renewID := w.askRenewal("GUÉGUEN", "Soizic", "soizic.gueguen@example.org")
	deliver(t, runner)

	got := in.to("a@example.org")
	if len(got) != 2 {
		t.Fatalf("mails to library A: got %d, want 2: %+v", len(got), got)
	}
	if n := len(in.to("b@example.org")); n != 0 {
		t.Errorf("mails to library B: got %d, want 0", n)
	}
	tests := []struct {
		name, subject, says string
		id                  int64
	}{
		{"registration", "Nouvelle inscription à traiter : Le Goff Maël", "Son compte est « À valider »", newID},
		{"renewal", "Demande de renouvellement à traiter : GUÉGUEN Soizic", "Son compte est « À revalider »", renewID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := got[i]
			link := testBaseURL + "/abonnes/" + itoa(tt.id)
			if m.subject != tt.subject {
				t.Errorf("subject: got %q, want %q", m.subject, tt.subject)
			}
			if len(m.rcpt) != 1 || m.rcpt[0] != "a@example.org" {
				t.Errorf("recipients: got %v, want [a@example.org]", m.rcpt)
			}
			if !strings.Contains(m.text, tt.says) || !strings.Contains(m.text, link+"\n") {
				t.Errorf("text: got %q, want %q and the link %s", m.text, tt.says, link)
			}
			if !strings.Contains(m.html, `<a href="`+link+`">`) {
				t.Errorf("HTML: got %q, want a link to %s", m.html, link)
			}
			checkNoSecrets(t, m)
		})
	}

	// The mail is written with the request: a second run sends nothing more.
	deliver(t, w.instance("instance-2", in))
	if n := len(in.to("a@example.org")); n != 2 {
		t.Errorf("after another run: got %d mails to library A, want 2", n)
	}
}

func TestNotifyLibraryDailyDigest(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	w.setNotify(sesame.NotifyDailyDigest)
	if got := libraryNotify(t, w.store, w.libA); got != sesame.NotifyDailyDigest {
		t.Fatalf("library A's setting: got %q, want %q", got, sesame.NotifyDailyDigest)
	}

	// 26/11 at 10:00 in Paris: two requests, then the clock moves to 06:59 the next day.
	newID := w.confirmRegistration("mael.legoff@example.org")
	renewID := w.askRenewal("GUÉGUEN", "Soizic", "soizic.gueguen@example.org")
	first, second := w.instance("instance-1", in), w.instance("instance-2", in)
	deliver(t, first)
	w.clock.Advance(20*time.Hour + 59*time.Minute)
	deliver(t, first)
	if got := in.to("a@example.org"); len(got) != 0 {
		t.Fatalf("before 07:00: got %d mails to library A, want none: %q", len(got), got[0].subject)
	}

	// Past 07:00, two instances run at once, and a second digest job is due
	// as well, as when two requests scheduled one each: one digest leaves.
	if err := w.store.Enqueue(context.Background(), jobs.KindLibraryDigest, "", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for _, r := range []*jobs.Runner{first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if n, err := r.RunOnce(context.Background()); err != nil || n == 0 {
					if err != nil {
						t.Errorf("run jobs: %v", err)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	deliver(t, first)

	got := in.to("a@example.org")
	if len(got) != 1 {
		t.Fatalf("after 07:00: got %d mails to library A, want 1 digest", len(got))
	}
	m := got[0]
	if want := "Récapitulatif du 27/11/2026 : 2 demandes pour Médiathèque de Fouesnant"; m.subject != want {
		t.Errorf("subject: got %q, want %q", m.subject, want)
	}
	for _, want := range []string{
		"- Le Goff Maël — Nouvelle inscription le 26/11/2026 à 10:00, statut actuel : « À valider »\n  " + testBaseURL + "/abonnes/" + itoa(newID) + "\n",
		"- GUÉGUEN Soizic — Demande de renouvellement le 26/11/2026 à 10:00, statut actuel : « À revalider »\n  " + testBaseURL + "/abonnes/" + itoa(renewID) + "\n",
		testBaseURL + "/abonnes/a-traiter",
	} {
		if !strings.Contains(m.text, want) {
			t.Errorf("digest text lacks %q:\n%s", want, m.text)
		}
	}
	for _, id := range []int64{newID, renewID} {
		if link := `<a href="` + testBaseURL + "/abonnes/" + itoa(id) + `">`; !strings.Contains(m.html, link) {
			t.Errorf("digest HTML lacks %s", link)
		}
	}
	checkNoSecrets(t, m)

	// Nothing is sent twice: not on another run, not the next morning.
	deliver(t, second)
	w.clock.Advance(24 * time.Hour)
	deliver(t, first)
	deliver(t, second)
	if n := len(in.to("a@example.org")); n != 1 {
		t.Errorf("a day later: got %d mails to library A, want still 1", n)
	}

	// A request after the digest waits for the next one.
	lateID := w.askRenewal("LE BIHAN", "Gwen", "gwen.lebihan@example.org")
	deliver(t, first)
	if n := len(in.to("a@example.org")); n != 1 {
		t.Fatalf("right after a request at %s: got %d mails, want still 1", w.clock.Now().In(w.paris).Format("15:04"), n)
	}
	w.clock.Advance(24 * time.Hour)
	deliver(t, second)
	got = in.to("a@example.org")
	if len(got) != 2 || !strings.Contains(got[1].text, "/abonnes/"+itoa(lateID)+"\n") || strings.Contains(got[1].text, "/abonnes/"+itoa(newID)+"\n") {
		t.Errorf("next digest: got %d mails, the last %q, want 2, the last listing only LE BIHAN Gwen", len(got), got[len(got)-1].text)
	}
}

func TestNotifyDigestForgetsDeletedPatron(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	w.setNotify(sesame.NotifyDailyDigest)
	id := w.askRenewal("GUÉGUEN", "Soizic", "soizic.gueguen@example.org")
	if err := w.store.DeletePatron(context.Background(), store.NetworkScope(), id, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(24 * time.Hour)
	deliver(t, w.instance("instance-1", in))
	if got := in.to("a@example.org"); len(got) != 0 {
		t.Errorf("digest after the only requester was deleted: got %q, want no mail", got[0].text)
	}
}

func libraryNotify(t testing.TB, st *store.Store, id int64) sesame.NotifyMode {
	t.Helper()
	l, err := st.Library(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l.Notify
}

func TestLibraryFormNotifySetting(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	if got := libraryNotify(t, w.store, w.libA); got != sesame.NotifyEachRequest {
		t.Fatalf("a new library: got %q, want %q", got, sesame.NotifyEachRequest)
	}

	page := admin.get("/admin/bibliotheques/" + itoa(w.libA))
	fieldset := find(page.doc, func(n *html.Node) bool {
		return n.Data == "fieldset" && strings.Contains(attr(n, "aria-describedby"), "f-notification-aide")
	})
	if fieldset == nil {
		t.Fatal("no fieldset for the notification setting")
	}
	if legend := find(fieldset, func(n *html.Node) bool { return n.Data == "legend" }); legend == nil || !strings.HasPrefix(text(legend), "Demandes des usagers") {
		t.Errorf("legend: got %v, want « Demandes des usagers »", legend)
	}
	var labels, checked []string
	walk(fieldset, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "input" || attr(n, "type") != "radio" {
			return
		}
		label := find(page.doc, func(l *html.Node) bool { return l.Data == "label" && attr(l, "for") == attr(n, "id") })
		if label == nil {
			t.Errorf("radio %q has no label", attr(n, "value"))
			return
		}
		labels = append(labels, text(label))
		if hasAttr(n, "checked") {
			checked = append(checked, attr(n, "value"))
		}
	})
	if strings.Join(labels, " | ") != "Un courriel par demande | Un récapitulatif quotidien" {
		t.Errorf("labels: got %q", labels)
	}
	if len(checked) != 1 || checked[0] != string(sesame.NotifyEachRequest) {
		t.Errorf("checked: got %v, want [par_demande]", checked)
	}

	form := url.Values{"code": {"FOUESNANT"}, "nom": {"Médiathèque de Fouesnant"}, "ville": {"Fouesnant"}, "email": {"a@example.org"}}
	form.Set("notification", "hebdomadaire")
	res := admin.post("/admin/bibliotheques/"+itoa(w.libA), form)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("notification"), "Demandes des usagers : choisissez") {
		t.Errorf("unknown mode: got %d and %q, want 422 and a message next to the field", res.status, res.fieldError("notification"))
	}
	if got := libraryNotify(t, w.store, w.libA); got != sesame.NotifyEachRequest {
		t.Errorf("after a refused form: got %q, want unchanged", got)
	}

	w.setNotify(sesame.NotifyDailyDigest)
	form.Del("notification") // a form without the choice keeps the setting
	if res := admin.post("/admin/bibliotheques/"+itoa(w.libA), form); res.status != http.StatusSeeOther {
		t.Fatalf("form without the choice: got %d, want 303", res.status)
	}
	if got := libraryNotify(t, w.store, w.libA); got != sesame.NotifyDailyDigest {
		t.Errorf("after a form without the choice: got %q, want %q kept", got, sesame.NotifyDailyDigest)
	}
	page = admin.get("/admin/bibliotheques/" + itoa(w.libA))
	if n := page.byID("f-notification-quotidien"); n == nil || !hasAttr(n, "checked") {
		t.Errorf("the form does not show the daily digest chosen")
	}
}

// saveStatus posts the Statut tab of patron id as staff of library A.
func (w *world) saveStatus(c *client, id int64, status, date, reason string) {
	w.t.Helper()
	res := c.post("/abonnes/"+itoa(id)+"/statut", url.Values{"version": {strconv.Itoa(w.patron(id).Version)},
		"statut": {status}, "date_bibliotheque": {date}, "motif": {reason}})
	if res.status != http.StatusSeeOther {
		w.t.Fatalf("status %s: got %d, want 303; body: %.500s", status, res.status, res.body)
	}
}

func TestMailPatronOnDecisions(t *testing.T) {
	const reason = "Abonnement <non renouvelé> à la médiathèque & carte perdue"
	tests := []struct {
		name    string
		act     func(w *world, c *client) int64 // returns the patron
		subject string
		text    []string
		html    []string
	}{
		{
			name: "validated",
			act: func(w *world, c *client) int64 {
				w.saveStatus(c, w.patronA, "valide", "01/11/2026", "")
				return w.patronA
			},
			subject: "Votre compte est validé jusqu'au 01/11/2027",
			text:    []string{"Bonjour Anne LEFÈVRE,", "Médiathèque de Fouesnant a validé votre compte", "valable jusqu'au 01/11/2027 inclus", testBaseURL + "/mon-compte\n"},
			html:    []string{`<a href="` + testBaseURL + `/mon-compte">`},
		},
		{
			name: "renewed",
			act: func(w *world, c *client) int64 {
				id := w.askRenewal("GUÉGUEN", "Soizic", "soizic.gueguen@example.org")
				w.saveStatus(c, id, "valide", "20/11/2026", "")
				return id
			},
			subject: "Votre compte est validé jusqu'au 20/11/2027",
			text:    []string{"Médiathèque de Fouesnant a renouvelé votre compte", "valable jusqu'au 20/11/2027 inclus"},
		},
		{
			name: "refused",
			act: func(w *world, c *client) int64 {
				w.saveStatus(c, w.patronA, "refuse", "", reason)
				return w.patronA
			},
			subject: "Votre inscription est refusée",
			text:    []string{"Médiathèque de Fouesnant a refusé votre inscription", "Motif : « " + reason + " »", "Médiathèque de Fouesnant, a@example.org"},
			html:    []string{"Motif : « Abonnement &lt;non renouvelé&gt; à la médiathèque &amp; carte perdue »"},
		},
		{
			name: "renewal refused",
			act: func(w *world, c *client) int64 {
				id := w.askRenewal("GUÉGUEN", "Soizic", "soizic.gueguen@example.org")
				w.saveStatus(c, id, "refuse", "", "")
				return id
			},
			subject: "Votre demande de renouvellement est refusée",
			text:    []string{"a refusé votre demande de renouvellement"},
		},
		{
			name: "resources activated",
			act: func(w *world, c *client) int64 {
				res := c.post("/abonnes/"+itoa(w.patronA)+"/ressources", url.Values{"ressource": {itoa(w.res[1]), itoa(w.res[2])}})
				if res.status != http.StatusSeeOther {
					w.t.Fatalf("activate: got %d, want 303", res.status)
				}
				return w.patronA
			},
			subject: "Ressources activées : 2 ressources",
			text:    []string{"Médiathèque de Fouesnant a activé pour vous :\n- PressReader\n- Tout apprendre\n", "dès que votre bibliothèque aura validé votre compte"},
			html:    []string{"<li>PressReader</li>", "<li>Tout apprendre</li>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			in := newInbox(t)
			id := tt.act(w, w.login("fouesnant"))
			deliver(t, w.instance("instance-1", in))
			p := w.patron(id)
			got := in.to(p.Email)
			if len(got) != 1 {
				t.Fatalf("mails to %s: got %d, want 1", p.Email, len(got))
			}
			m := got[0]
			if m.subject != tt.subject {
				t.Errorf("subject: got %q, want %q", m.subject, tt.subject)
			}
			for _, want := range tt.text {
				if !strings.Contains(m.text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.text)
				}
			}
			for _, want := range tt.html {
				if !strings.Contains(m.html, want) {
					t.Errorf("HTML lacks %q:\n%s", want, m.html)
				}
			}
			checkNoSecrets(t, m)
		})
	}
}

func TestNoPatronMailWithoutDecision(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	c := w.login("quimper")
	// Patron B is Validé: saving the same date, refusing a resource, activating
	// one already validated, and editing the Informations tab decide nothing.
	p := w.patron(w.patronB)
	w.saveStatus(c, w.patronB, "valide", p.LibraryRegisteredOn.String(), "")
	for _, f := range []url.Values{{"refuser": {itoa(w.res[1])}}, {"ressource": {itoa(w.res[0])}}} {
		if res := c.post("/abonnes/"+itoa(w.patronB)+"/ressources", f); res.status != http.StatusSeeOther {
			t.Fatalf("resources %v: got %d, want 303", f, res.status)
		}
	}
	info := url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
		"date_naissance": {"17/05/1980"}, "code_postal": {"29000"}, "ville": {"Quimper"}, "numero_inscription": {"B-0002"}}
	if res := c.post("/abonnes/"+itoa(w.patronB), info); res.status != http.StatusSeeOther {
		t.Fatalf("informations: got %d, want 303; body %.300s", res.status, res.body)
	}
	deliver(t, w.instance("instance-1", in))
	if got := in.to(p.Email); len(got) != 0 {
		t.Errorf("mails to %s: got %d (%q), want none", p.Email, len(got), got[0].subject)
	}

	// Moving the library date renews early: the new end date is mailed.
	w.saveStatus(c, w.patronB, "valide", "25/11/2026", "")
	deliver(t, w.instance("instance-1", in))
	if got := in.to(p.Email); len(got) != 1 || got[0].subject != "Votre compte est validé jusqu'au 25/11/2027" {
		t.Errorf("after early renewal: got %d mails %v, want one with the new end date", len(got), got)
	}
}

func TestNotifyCannotForgeHeaders(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	// A name the forms refuse, written straight into the store: the mail
	// that would carry it in its subject is dropped, the request stands.
	id := w.askRenewal("EVIL\r\nBcc: victim@example.org", "Eve", "eve@example.org")
	deliver(t, w.instance("instance-1", in))
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.got {
		for _, rcpt := range m.rcpt {
			if rcpt != "a@example.org" {
				t.Errorf("mail %q went to %s", m.subject, rcpt)
			}
		}
		if strings.Contains(m.subject, "EVIL") {
			t.Errorf("mail sent with the forged name in its subject: %q", m.subject)
		}
	}
	if got := w.patron(id).Status; got != sesame.StatusToRevalidate {
		t.Errorf("status: got %s, want À revalider", got)
	}
}
