// Package mail sends Sésame's e-mail through an outbox. A message is written
// into the outbox, with the job that sends it, in the same transaction as the
// change that calls for it: it exists if and only if the change is committed.
// The jobs runner then sends it through SMTP, or keeps it when no SMTP server
// is configured, so that it can still be read on the admin pages, its
// personal links redacted (see Enqueue and Redact).
package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/store"
)

// Message is one e-mail to one person. Text is required; HTML, when set, is
// sent as an alternative to it.
type Message struct {
	To      string // the address, as sesame.CheckEmail accepts it
	ToName  string // the person's name, or ""
	Subject string
	Text    string
	HTML    string
	// Secret is the token of a personal link the bodies carry (password
	// reset, registration, parental consent), and SecretUntil when that link
	// stops working. The outbox keeps it apart from the bodies (see Enqueue).
	Secret      string
	SecretUntil time.Time
}

// Redacted stands, in the outbox's bodies, for the secret of a personal
// link; Redact shows it in place of the whole link.
const Redacted = "[lien personnel masqué]"

// minSecret is the shortest secret Enqueue takes: a token of auth.NewToken
// has 43 characters, and a short one could be found elsewhere in the text.
const minSecret = 20

// Limits of the header fields, in characters.
const (
	maxName    = 200
	maxSubject = 250
)

// Validate refuses a message that could not be sent as it is: a malformed
// address, and above all a line break or other control character in a
// header field, which would let the rest of the line forge headers ("\r\nBcc:
// …"). The sender encodes the headers as well; this check comes first.
func (m Message) Validate() error {
	if msg := sesame.CheckEmail(m.To); msg != "" {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : %s", msg)
	}
	if msg := checkHeader(m.ToName, maxName); msg != "" {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : nom du destinataire : %s", msg)
	}
	if m.Subject == "" {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : l'objet est vide.")
	}
	if msg := checkHeader(m.Subject, maxSubject); msg != "" {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : objet : %s", msg)
	}
	if m.Text == "" {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : le texte est vide.")
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		return sesame.Errorf(sesame.EInvalid, "Courriel refusé : le texte contient des caractères invalides.")
	}
	return nil
}

// checkHeader returns a French complaint about a header value, or "".
func checkHeader(s string, max int) string {
	if !utf8.ValidString(s) {
		return "le texte contient des caractères invalides."
	}
	if n := utf8.RuneCountInString(s); n > max {
		return strconv.Itoa(max) + " caractères au maximum."
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "le texte contient un retour à la ligne ou un autre caractère de contrôle."
		}
	}
	return ""
}

// Enqueue validates m and writes it into the outbox in tx, with the job that
// will send it: both are committed, or neither, with the caller's change.
//
// A secret never sits in the bodies of the outbox: they keep Redacted in its
// place, and the secret is kept apart until the sender puts it back. So the
// admin's page, a backup or a copy shows that a link was sent, never a link
// that works.
func Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	row := store.Mail{To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	if m.Secret != "" {
		if err := checkSecret(m); err != nil {
			return err
		}
		row.Text = strings.ReplaceAll(m.Text, m.Secret, Redacted)
		row.HTML = strings.ReplaceAll(m.HTML, m.Secret, Redacted)
		row.Secret, row.SecretUntil = m.Secret, m.SecretUntil
	}
	id, err := tx.AddMail(ctx, row)
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, jobs.KindMail, strconv.FormatInt(id, 10), tx.Now())
}

// EnqueueAll is Enqueue for many messages, in two statements: the outbox
// rows, then their jobs, one per message as Enqueue writes it. For a batch
// of an import, whose mails carry no secret (those go through Enqueue).
func EnqueueAll(ctx context.Context, tx *store.Tx, ms []Message) error {
	rows := make([]store.Mail, len(ms))
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return err
		}
		if m.Secret != "" {
			return fmt.Errorf("mail %q carries a secret: enqueue it alone", m.Subject)
		}
		rows[i] = store.Mail{To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	}
	ids, err := tx.AddMails(ctx, rows)
	if err != nil {
		return err
	}
	payloads := make([]string, len(ids))
	for i, id := range ids {
		payloads[i] = strconv.FormatInt(id, 10)
	}
	return tx.EnqueueJobs(ctx, jobs.KindMail, payloads, tx.Now())
}

// checkSecret refuses a secret the outbox could not keep apart: one that is
// not a URL-safe token (escaped differently in the HTML part), too short,
// missing from the text, without an end, or a message that already holds
// the mark (the sender would put the secret there too).
func checkSecret(m Message) error {
	valid := len(m.Secret) >= minSecret && strings.Contains(m.Text, m.Secret) && !m.SecretUntil.IsZero() &&
		!strings.Contains(m.Text, Redacted) && !strings.Contains(m.HTML, Redacted)
	for _, r := range m.Secret {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			valid = false
		}
	}
	if !valid {
		return fmt.Errorf("mail %q: its secret cannot be kept apart from its text", m.Subject)
	}
	return nil
}

// Compose is the message as the sender sends it: its secret back in its
// links. It reports false when the message needs a secret already erased,
// its link's time over: sent, it would open nothing.
func Compose(m store.Mail) (Message, bool) {
	msg := Message{To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	if !strings.Contains(m.Text, Redacted) && !strings.Contains(m.HTML, Redacted) {
		return msg, true
	}
	if m.Secret == "" {
		return msg, false
	}
	msg.Text = strings.ReplaceAll(m.Text, Redacted, m.Secret)
	msg.HTML = strings.ReplaceAll(m.HTML, Redacted, m.Secret)
	return msg, true
}

// Redact is a body of the outbox as anyone but the sender may read it: each
// personal link is replaced whole by Redacted, so that the reader sees that
// a link was sent, and neither where it led nor its secret.
func Redact(body string) string {
	var b strings.Builder
	for {
		i := strings.Index(body, Redacted)
		if i < 0 {
			b.WriteString(body)
			return b.String()
		}
		start := strings.LastIndexFunc(body[:i], linkEnd) + 1
		end := i + len(Redacted)
		if n := strings.IndexFunc(body[end:], linkEnd); n >= 0 {
			end += n
		} else {
			end = len(body)
		}
		b.WriteString(body[:start])
		b.WriteString(Redacted)
		body = body[end:]
	}
}

// linkEnd reports whether r ends a link in a text or HTML body.
func linkEnd(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`"'<>`, r) }
