// Package mail sends Sésame's e-mail through an outbox. A message is written
// into the outbox, with the job that sends it, in the same transaction as the
// change that calls for it: it exists if and only if the change is committed.
// The jobs runner then sends it through SMTP, or keeps it when no SMTP server
// is configured, so that it can still be read on the admin pages.
package mail

import (
	"context"
	"database/sql"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Kind is the kind of the job that sends one message of the outbox; its
// payload is the message's id.
const Kind = "mail"

// Message is one e-mail to one person. Text is required; HTML, when set, is
// sent as an alternative to it.
type Message struct {
	To      string // the address, as sesame.CheckEmail accepts it
	ToName  string // the person's name, or ""
	Subject string
	Text    string
	HTML    string
}

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
func Enqueue(ctx context.Context, st *store.Store, tx *sql.Tx, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	id, err := st.AddMailTx(ctx, tx, store.Mail{To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	if err != nil {
		return err
	}
	return st.EnqueueJob(ctx, tx, Kind, strconv.FormatInt(id, 10), st.Now())
}
