package mail_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// validated is the message a patron gets when the library validates the account.
var validated = mail.Message{
	To:      "anne.lefevre@example.org",
	ToName:  `Anne "Nanou" LEFÈVRE`,
	Subject: "Votre compte est validé",
	Text:    "Bonjour Anne,\n\nVotre compte est validé : vos ressources numériques vous attendent.\n\nLa médiathèque de Fouesnant",
	HTML:    "<p>Bonjour Anne,</p><p>Votre compte est <strong>validé</strong> : vos ressources numériques vous attendent.</p>",
}

func TestDelivered(t *testing.T) {
	st, clock := newTestStore(t)
	srv := newSMTPServer(t)
	if err := enqueue(st, validated); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if got := srv.messages(); len(got) != 0 {
		t.Fatalf("sent before the runner ran: got %d messages, want 0", len(got))
	}
	if n := runOnce(t, newRunner(st, clock, "instance-1", srv.sender())); n != 1 {
		t.Fatalf("jobs done: got %d, want 1", n)
	}

	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("messages received: got %d, want 1", len(got))
	}
	if strings.Join(got[0].rcpt, ",") != validated.To {
		t.Errorf("RCPT TO: got %v, want %s", got[0].rcpt, validated.To)
	}
	if got[0].from != "ne-pas-repondre@bibliotheques.example.fr" {
		t.Errorf("MAIL FROM: got %q, want ne-pas-repondre@bibliotheques.example.fr", got[0].from)
	}
	p := parse(t, got[0].data)
	if len(p.to) != 1 || p.to[0].Address != validated.To || p.to[0].Name != validated.ToName {
		t.Errorf("To: got %v, want %q <%s>", p.to, validated.ToName, validated.To)
	}
	if p.subject != validated.Subject {
		t.Errorf("Subject: got %q, want %q", p.subject, validated.Subject)
	}
	if raw := p.header.Get("Subject"); raw == validated.Subject || !strings.HasPrefix(raw, "=?") {
		t.Errorf("Subject header: got %q, want it encoded (RFC 2047)", raw)
	}
	if got := lf(p.parts["text/plain"]); got != validated.Text {
		t.Errorf("text part: got %q, want %q", got, validated.Text)
	}
	if got := lf(p.parts["text/html"]); got != validated.HTML {
		t.Errorf("HTML part: got %q, want %q", got, validated.HTML)
	}
	if p.header.Get("Message-Id") == "" || p.header.Get("Date") == "" {
		t.Errorf("Message-ID %q, Date %q: want both set", p.header.Get("Message-Id"), p.header.Get("Date"))
	}

	box := outbox(t, st)
	if len(box) != 1 {
		t.Fatalf("outbox: got %d messages, want 1", len(box))
	}
	if m := box[0]; m.SentAt.IsZero() || m.Kept || m.Attempts != 1 || m.LastError != "" || m.Pending() {
		t.Errorf("outbox row: got sent %v, kept %v, attempts %d, error %q; want sent once", m.SentAt, m.Kept, m.Attempts, m.LastError)
	}

	// Nothing more to do: neither this runner nor a restarted one sends again.
	clock.Advance(24 * time.Hour)
	for _, worker := range []string{"instance-1", "instance-1-restarted"} {
		if n := runOnce(t, newRunner(st, clock, worker, srv.sender())); n != 0 {
			t.Errorf("%s: got %d jobs done, want 0", worker, n)
		}
	}
	if got := len(srv.messages()); got != 1 {
		t.Errorf("messages received: got %d, want still 1", got)
	}
}

func TestServerDownThenBack(t *testing.T) {
	ctx := context.Background()
	st, clock := newTestStore(t)
	srv := newSMTPServer(t)
	sender := srv.sender()
	srv.stop()

	if err := enqueue(st, validated); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if n := runOnce(t, newRunner(st, clock, "instance-1", sender)); n != 0 {
		t.Fatalf("jobs done with the server down: got %d, want 0", n)
	}
	if done, pending, err := st.JobCounts(ctx); err != nil || done != 0 || pending != 1 {
		t.Fatalf("jobs: got %d done, %d pending (%v); want the job pending", done, pending, err)
	}
	m := outbox(t, st)[0]
	if !m.Pending() || m.Attempts != 1 || m.LastError == "" {
		t.Fatalf("outbox row: got pending %v, attempts %d, error %q; want pending after 1 failed attempt", m.Pending(), m.Attempts, m.LastError)
	}

	srv.start()
	// The job waits for its backoff, even for a restarted instance.
	if n := runOnce(t, newRunner(st, clock, "instance-2", sender)); n != 0 || len(srv.messages()) != 0 {
		t.Fatalf("before the backoff: got %d jobs done, %d messages; want none", n, len(srv.messages()))
	}
	clock.Advance(2 * time.Minute) // the first backoff is 30 s
	if n := runOnce(t, newRunner(st, clock, "instance-2", sender)); n != 1 {
		t.Fatalf("after the backoff: got %d jobs done, want 1", n)
	}
	if got := len(srv.messages()); got != 1 {
		t.Fatalf("messages received: got %d, want 1", got)
	}
	if p := parse(t, srv.messages()[0].data); p.subject != validated.Subject {
		t.Errorf("Subject: got %q, want %q", p.subject, validated.Subject)
	}
	if m := outbox(t, st)[0]; m.SentAt.IsZero() || m.Attempts != 2 || m.LastError != "" {
		t.Errorf("outbox row: got sent %v, attempts %d, error %q; want sent at the second attempt", m.SentAt, m.Attempts, m.LastError)
	}

	clock.Advance(time.Hour)
	if n := runOnce(t, newRunner(st, clock, "instance-3", sender)); n != 0 {
		t.Errorf("after a restart: got %d jobs done, want 0", n)
	}
	if got := len(srv.messages()); got != 1 {
		t.Errorf("messages received after a restart: got %d, want still 1", got)
	}
}

// TestCrashBetweenSendAndRecord shows the one case of a duplicate: the
// instance dies after sending and before recording. The message goes again,
// with the same Message-ID; then never more.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	ctx := context.Background()
	st, clock := newTestStore(t)
	srv := newSMTPServer(t)
	if err := enqueue(st, validated); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	claimed, err := st.ClaimJobs(ctx, "dying", 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: got %d jobs (%v), want 1", len(claimed), err)
	}
	if err := mail.Handler(st, srv.sender()).Do(ctx, claimed[0]); err != nil {
		t.Fatalf("Do: %v", err)
	}
	// The instance dies here. Its lease runs out; another takes the job.
	clock.Advance(2 * time.Minute)
	if n := runOnce(t, newRunner(st, clock, "survivor", srv.sender())); n != 1 {
		t.Fatalf("survivor: got %d jobs done, want 1", n)
	}
	got := srv.messages()
	if len(got) != 2 {
		t.Fatalf("messages received: got %d, want 2 (at least once)", len(got))
	}
	id1, id2 := parse(t, got[0].data).header.Get("Message-Id"), parse(t, got[1].data).header.Get("Message-Id")
	if id1 == "" || id1 != id2 {
		t.Errorf("Message-ID: got %q then %q, want the same", id1, id2)
	}
	clock.Advance(time.Hour)
	if n := runOnce(t, newRunner(st, clock, "restarted", srv.sender())); n != 0 || len(srv.messages()) != 2 {
		t.Errorf("after recording: got %d jobs done, %d messages; want no more", n, len(srv.messages()))
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	st, clock := newTestStore(t)
	srv := newSMTPServer(t)
	with := func(f func(*mail.Message)) mail.Message {
		m := validated
		f(&m)
		return m
	}
	for _, tc := range []struct {
		name string
		m    mail.Message
	}{
		{"subject CRLF Bcc", with(func(m *mail.Message) { m.Subject = "Votre compte\r\nBcc: x@evil.example" })},
		{"subject LF Bcc", with(func(m *mail.Message) { m.Subject = "Votre compte\nBcc: x@evil.example" })},
		{"subject CR", with(func(m *mail.Message) { m.Subject = "Votre compte\rBcc: x@evil.example" })},
		{"subject NUL", with(func(m *mail.Message) { m.Subject = "Votre compte\x00" })},
		{"subject line separator", with(func(m *mail.Message) { m.Subject = "Votre compte\u2028Bcc: x@evil.example" })},
		{"subject invalid UTF-8", with(func(m *mail.Message) { m.Subject = "Votre compte \xff" })},
		{"subject empty", with(func(m *mail.Message) { m.Subject = "" })},
		{"subject too long", with(func(m *mail.Message) { m.Subject = strings.Repeat("é", 251) })},
		{"name CRLF Bcc", with(func(m *mail.Message) { m.ToName = "Anne\r\nBcc: x@evil.example" })},
		{"name tab", with(func(m *mail.Message) { m.ToName = "Anne\tLefèvre" })},
		{"to CRLF Bcc", with(func(m *mail.Message) { m.To = "anne@example.org\r\nBcc: x@evil.example" })},
		{"to two addresses", with(func(m *mail.Message) { m.To = "anne@example.org, x@evil.example" })},
		{"to with name", with(func(m *mail.Message) { m.To = "Anne <anne@example.org>" })},
		{"to malformed", with(func(m *mail.Message) { m.To = "anne.example.org" })},
		{"to empty", with(func(m *mail.Message) { m.To = "" })},
		{"text empty", with(func(m *mail.Message) { m.Text = "" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := enqueue(st, tc.m)
			if err == nil {
				t.Fatalf("Enqueue: got no error, want one")
			}
			if code := sesame.ErrorCode(err); code != sesame.EInvalid {
				t.Errorf("error code: got %q (%v), want %q", code, err, sesame.EInvalid)
			}
			if msg := sesame.ErrorMessage(err); !strings.HasPrefix(msg, "Courriel refusé : ") {
				t.Errorf("message: got %q, want it to start with %q", msg, "Courriel refusé : ")
			}
			if err := srv.sender().Send(context.Background(), tc.m); err == nil {
				t.Errorf("Send: got no error, want one")
			}
		})
	}
	if n := runOnce(t, newRunner(st, clock, "instance-1", srv.sender())); n != 0 {
		t.Errorf("jobs done: got %d, want 0", n)
	}
	if box := outbox(t, st); len(box) != 0 {
		t.Errorf("outbox: got %d messages, want none", len(box))
	}
	if got := srv.messages(); len(got) != 0 {
		t.Errorf("messages received: got %d, want none", len(got))
	}
}

func TestEnqueueRolledBackWithTheChange(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	boom := errors.New("the change failed")
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := mail.Enqueue(ctx, tx, validated); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: got %v, want %v", err, boom)
	}
	if box := outbox(t, st); len(box) != 0 {
		t.Errorf("outbox: got %d messages, want none", len(box))
	}
	if pending, err := st.HasPendingJob(ctx, jobs.KindMail); err != nil || pending {
		t.Errorf("pending mail job: got %v (%v), want none", pending, err)
	}
}

func TestKeptWithoutSMTP(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		sender func(t *testing.T) *mail.Sender
	}{
		{"no host", func(t *testing.T) *mail.Sender {
			s, err := mail.NewSender(config.SMTP{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"no sender", func(*testing.T) *mail.Sender { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, clock := newTestStore(t)
			if err := enqueue(st, validated); err != nil {
				t.Fatalf("enqueue: %v", err)
			}
			if n := runOnce(t, newRunner(st, clock, "instance-1", tc.sender(t))); n != 1 {
				t.Fatalf("jobs done: got %d, want 1", n)
			}
			m := outbox(t, st)[0]
			if !m.Kept || !m.SentAt.IsZero() || m.Pending() || m.Subject != validated.Subject || m.Text != validated.Text {
				t.Errorf("outbox row: got kept %v, sent %v, subject %q; want kept, not sent", m.Kept, m.SentAt, m.Subject)
			}
			if pending, err := st.HasPendingJob(ctx, jobs.KindMail); err != nil || pending {
				t.Errorf("pending mail job: got %v (%v), want none", pending, err)
			}
		})
	}
}

func TestSMTPAuthentication(t *testing.T) {
	st, clock := newTestStore(t)
	srv := newSMTPServerTLS(t, "sesame", "un secret SMTP")
	if err := enqueue(st, validated); err != nil {
		t.Fatalf("enqueue: %v", err)
	}

	wrong := srv.config()
	wrong.Password = "pas le bon"
	bad, err := mail.NewSender(wrong)
	if err != nil {
		t.Fatal(err)
	}
	mail.SetTLSConfig(bad, srv.trust)
	if n := runOnce(t, newRunner(st, clock, "instance-1", bad)); n != 0 || len(srv.messages()) != 0 {
		t.Fatalf("wrong password: got %d jobs done, %d messages; want none", n, len(srv.messages()))
	}
	if m := outbox(t, st)[0]; strings.Contains(m.LastError, wrong.Password) || m.LastError == "" {
		t.Errorf("last error: got %q, want an error without the password", m.LastError)
	}

	clock.Advance(2 * time.Minute)
	if n := runOnce(t, newRunner(st, clock, "instance-1", srv.sender())); n != 1 || len(srv.messages()) != 1 {
		t.Fatalf("right password: got %d jobs done, %d messages; want 1 and 1", n, len(srv.messages()))
	}
}

func TestSMTPSettings(t *testing.T) {
	const secret = "s3cr3t-du-serveur"
	base := map[string]string{
		"SESAME_DB": "test.db", "SESAME_SMTP_HOST": "smtp.example.fr", "SESAME_SMTP_USERNAME": "sesame",
		"SESAME_SMTP_PASSWORD": secret, "SESAME_MAIL_FROM": "ne-pas-repondre@bibliotheques.example.fr",
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		want    config.SMTP
	}{
		{name: "defaults", env: base, want: config.SMTP{Host: "smtp.example.fr", Port: 587, TLS: "starttls", Username: "sesame", From: "ne-pas-repondre@bibliotheques.example.fr"}},
		{name: "no SMTP", env: map[string]string{"SESAME_DB": "test.db"}, want: config.SMTP{Port: 587, TLS: "starttls"}},
		{name: "tls on 465", env: map[string]string{"SESAME_SMTP_TLS": "TLS", "SESAME_SMTP_PORT": "465"}, want: config.SMTP{Host: "smtp.example.fr", Port: 465, TLS: "tls", Username: "sesame", From: "ne-pas-repondre@bibliotheques.example.fr"}},
		{name: "from with name", env: map[string]string{"SESAME_MAIL_FROM": "Réseau des bibliothèques <ne-pas-repondre@bibliotheques.example.fr>"}, want: config.SMTP{Host: "smtp.example.fr", Port: 587, TLS: "starttls", Username: "sesame", From: "Réseau des bibliothèques <ne-pas-repondre@bibliotheques.example.fr>"}},
		{name: "bad port", env: map[string]string{"SESAME_SMTP_PORT": "70000"}, wantErr: `SESAME_SMTP_PORT "70000"`},
		{name: "port not a number", env: map[string]string{"SESAME_SMTP_PORT": "smtp"}, wantErr: `SESAME_SMTP_PORT "smtp"`},
		{name: "bad TLS", env: map[string]string{"SESAME_SMTP_TLS": "ssl"}, wantErr: `SESAME_SMTP_TLS "ssl": want none, starttls or tls`},
		{name: "no from", env: map[string]string{"SESAME_MAIL_FROM": ""}, wantErr: "SESAME_MAIL_FROM is required"},
		{name: "bad from", env: map[string]string{"SESAME_MAIL_FROM": "ne-pas-repondre"}, wantErr: `SESAME_MAIL_FROM "ne-pas-repondre"`},
		{name: "from with CRLF", env: map[string]string{"SESAME_MAIL_FROM": "a@example.fr\r\nBcc: x@evil.example"}, wantErr: "SESAME_MAIL_FROM"},
		{name: "password without username", env: map[string]string{"SESAME_SMTP_USERNAME": ""}, wantErr: "SESAME_SMTP_PASSWORD is set but SESAME_SMTP_USERNAME is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.name != "no SMTP" {
				for k, v := range base {
					env[k] = v
				}
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return env[k] }, "sesame.db")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load: got %v, want an error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := cfg.SMTP
			if got.Password != env["SESAME_SMTP_PASSWORD"] {
				t.Errorf("Password: not read from SESAME_SMTP_PASSWORD")
			}
			got.Password = ""
			if got.String() != tc.want.String() || got.Port != tc.want.Port {
				t.Errorf("SMTP: got %v, want %v", got, tc.want)
			}
			for _, printed := range []string{cfg.SMTP.String(), fmt.Sprintf("%v", cfg.SMTP), fmt.Sprintf("%+v", cfg)} {
				if strings.Contains(printed, secret) {
					t.Errorf("printed settings show the password: %s", printed)
				}
			}
		})
	}
}

// TestStartTLSRequired checks that the default mode never sends in clear to a
// server that offers no STARTTLS.
func TestStartTLSRequired(t *testing.T) {
	srv := newSMTPServer(t)
	cfg := srv.config()
	cfg.TLS = config.SMTPStartTLS
	sender, err := mail.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), validated); err == nil {
		t.Fatalf("Send: got no error, want a refusal to send without TLS")
	}
	if got := len(srv.messages()); got != 0 {
		t.Errorf("messages received: got %d, want none", got)
	}
}

// lf is a body as written, with the wire's CRLF back to LF and the final line break gone.
func lf(s string) string { return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n") }
