package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// resetToken stands for a token of auth.NewToken: 43 base64url characters.
const resetToken = "k3Vx0b9Qm2T7yZrA1cD4eF5gH6iJ8kL0mN2oP4qR6sU"

const resetURL = "https://sesame.example/mot-de-passe/" + resetToken

// resetMessage is a password reset mail, its link valid an hour from now.
func resetMessage(now time.Time) mail.Message {
	return mail.Message{
		To: "eric.mediateur@example.org", ToName: "Eric MEDIATEUR-NUM", Subject: "Réinitialisation de votre mot de passe",
		Text:   "Bonjour Eric,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien :\n" + resetURL + "\n\nCe lien est valable une heure.\n",
		HTML:   `<p>Bonjour Eric,</p><p><a href="` + resetURL + `">Choisir un nouveau mot de passe</a></p>`,
		Secret: resetToken, SecretUntil: now.Add(time.Hour),
	}
}

// newRawStore opens a fresh store on the engine SESAME_TEST_ENGINE names,
// and returns its database's DSN beside it, for reading the outbox as a
// backup or an intruder would (storetest.ReadRows).
func newRawStore(t testing.TB) (*store.Store, string, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	dsn := storetest.DSN(t)
	st, err := store.Open(context.Background(), dsn, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dsn, clock
}

// rawOutbox is every stored column of the outbox's rows that may hold a
// text, joined.
func rawOutbox(t testing.TB, dsn string) string {
	t.Helper()
	var b strings.Builder
	for _, cols := range storetest.ReadRows(t, dsn, `SELECT subject, text_body, html_body, COALESCE(secret, ''), last_error FROM mail_outbox`) {
		b.WriteString(strings.Join(cols, "\n") + "\n")
	}
	return b.String()
}

// rawSecrets is the outbox's secret column, "" for NULL.
func rawSecrets(t testing.TB, dsn string) []string {
	t.Helper()
	var out []string
	for _, cols := range storetest.ReadRows(t, dsn, `SELECT COALESCE(secret, '') FROM mail_outbox ORDER BY id`) {
		out = append(out, cols[0])
	}
	return out
}

// TestSecretLinkLeavesOnlyThroughTheSender: the SMTP server receives the
// working link; the outbox's bodies never hold it, and its secret column
// holds it only until the message leaves: sent, kept without SMTP, or
// its link expired before a send could succeed.
func TestSecretLinkLeavesOnlyThroughTheSender(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// leave runs the outbox until the message is done and returns the
		// messages the SMTP server received.
		leave func(t *testing.T, st *store.Store, clock *testClock) []received
	}{
		{"sent", func(t *testing.T, st *store.Store, clock *testClock) []received {
			srv := newSMTPServer(t)
			if n := runOnce(t, newRunner(st, clock, "instance-1", srv.sender())); n != 1 {
				t.Fatalf("jobs done: got %d, want 1", n)
			}
			return srv.messages()
		}},
		{"kept without SMTP", func(t *testing.T, st *store.Store, clock *testClock) []received {
			s, err := mail.NewSender(config.SMTP{})
			if err != nil {
				t.Fatal(err)
			}
			if n := runOnce(t, newRunner(st, clock, "instance-1", s)); n != 1 {
				t.Fatalf("jobs done: got %d, want 1", n)
			}
			return nil
		}},
		{"expired before the server came back", func(t *testing.T, st *store.Store, clock *testClock) []received {
			srv := newSMTPServer(t)
			sender := srv.sender()
			srv.stop()
			if n := runOnce(t, newRunner(st, clock, "instance-1", sender)); n != 0 {
				t.Fatalf("jobs done with the server down: got %d, want 0", n)
			}
			clock.Advance(time.Hour + time.Minute)
			now := clock.Now()
			if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PurgeExpired(ctx, now, now) }); err != nil {
				t.Fatal(err)
			}
			srv.start()
			if n := runOnce(t, newRunner(st, clock, "instance-1", sender)); n != 1 {
				t.Fatalf("jobs done once the server is back: got %d, want 1", n)
			}
			return srv.messages()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, dsn, clock := newRawStore(t)
			if err := enqueue(st, resetMessage(clock.Now())); err != nil {
				t.Fatalf("enqueue: %v", err)
			}
			raw := rawOutbox(t, dsn)
			if got := rawSecrets(t, dsn); len(got) != 1 || got[0] != resetToken {
				t.Errorf("secret column before sending: got %q, want the token", got)
			}
			if strings.Count(raw, resetToken) != 1 || !strings.Contains(raw, "/mot-de-passe/"+mail.Redacted) {
				t.Errorf("outbox before sending: want the token in the secret column only, %q in the bodies:\n%s", mail.Redacted, raw)
			}

			got := tc.leave(t, st, clock)

			if tc.name == "sent" {
				if len(got) != 1 {
					t.Fatalf("messages received: got %d, want 1", len(got))
				}
				p := parse(t, got[0].data)
				if text := lf(p.parts["text/plain"]); !strings.Contains(text, "\n"+resetURL+"\n") || strings.Contains(text, mail.Redacted) {
					t.Errorf("text part: got %q, want the working link", text)
				}
				if html := lf(p.parts["text/html"]); !strings.Contains(html, `href="`+resetURL+`"`) {
					t.Errorf("HTML part: got %q, want the working link", html)
				}
			} else if len(got) != 0 {
				t.Errorf("messages received: got %d, want none", len(got))
			}
			if raw := rawOutbox(t, dsn); strings.Contains(raw, resetToken) {
				t.Errorf("outbox after the message left: the token is still stored:\n%s", raw)
			}
			if m := outbox(t, st)[0]; m.Pending() {
				t.Errorf("outbox row: still pending")
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no link", "Votre compte est validé.", "Votre compte est validé."},
		{"a line of its own", "Ouvrez ce lien :\nhttps://s.example/mot-de-passe/" + mail.Redacted + "\n\nMerci.",
			"Ouvrez ce lien :\n" + mail.Redacted + "\n\nMerci."},
		{"at the end", "Lien : https://s.example/inscription/accord/" + mail.Redacted, "Lien : " + mail.Redacted},
		{"HTML", `<p><a href="https://s.example/mot-de-passe/` + mail.Redacted + `">Choisir</a></p>`,
			`<p><a href="` + mail.Redacted + `">Choisir</a></p>`},
		{"twice", "a https://x/" + mail.Redacted + " b http://y/" + mail.Redacted, "a " + mail.Redacted + " b " + mail.Redacted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mail.Redact(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSecretThatCannotBeKeptApartRefused(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		change func(m *mail.Message)
	}{
		{"not in the text", func(m *mail.Message) { m.Text = "Pas de lien." }},
		{"too short", func(m *mail.Message) { m.Secret = "abc" }},
		{"not URL-safe", func(m *mail.Message) { m.Secret, m.Text = "abc&def<ghi>jkl+mno/pqr", "lien abc&def<ghi>jkl+mno/pqr" }},
		{"no end", func(m *mail.Message) { m.SecretUntil = time.Time{} }},
		{"the mark already there", func(m *mail.Message) { m.ToName, m.Text = mail.Redacted, mail.Redacted+"\n"+m.Text }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newTestStore(t)
			m := resetMessage(now)
			tc.change(&m)
			if err := enqueue(st, m); err == nil {
				t.Errorf("enqueued, want refused")
			}
			if got := outbox(t, st); len(got) != 0 {
				t.Errorf("outbox: got %d messages, want none", len(got))
			}
		})
	}
}
