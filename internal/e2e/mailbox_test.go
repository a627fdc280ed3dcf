package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server on 127.0.0.1, in the test's process, that
// keeps every message it receives: the app delivers to it through its outbox
// and its mail job, as it would to the network's mail server.
type mailbox struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	received []mailMessage
}

// mailMessage is one message as the server got it, decoded.
type mailMessage struct {
	To      []string          // the envelope's recipients
	Header  netmail.Header    // as sent
	Subject string            // decoded from its MIME encoded words
	Parts   map[string]string // body by media type (text/plain, text/html), decoded
}

// newMailbox starts the server on a free port; it stops with the test.
func newMailbox(t testing.TB) *mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	mb := &mailbox{t: t, addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{mb: mb}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() {
		ln.Close() // Serve may not have registered it yet
		srv.Close()
	})
	return mb
}

// env is the SESAME_* settings that make the app send its mail here, in
// clear, as `sesame serve` reads them.
func (mb *mailbox) env() map[string]string {
	host, port, _ := net.SplitHostPort(mb.addr)
	return map[string]string{
		"SESAME_SMTP_HOST": host,
		"SESAME_SMTP_PORT": port,
		"SESAME_SMTP_TLS":  "none",
		"SESAME_MAIL_FROM": "Bibliothèque du Finistère <ne-pas-repondre@bibliotheques.example>",
	}
}

// waitFor returns the first message to the address to whose subject starts
// with subject, waiting for the app's mail job to deliver it.
func (mb *mailbox) waitFor(to, subject string) mailMessage {
	mb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mb.mu.Lock()
		var subjects []string
		for _, m := range mb.received {
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					if strings.HasPrefix(m.Subject, subject) {
						mb.mu.Unlock()
						return m
					}
					subjects = append(subjects, m.Subject)
				}
			}
		}
		mb.mu.Unlock()
		if time.Now().After(deadline) {
			mb.t.Fatalf("no message to %s with subject « %s… » after 20s; it received %q", to, subject, subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type mailSession struct {
	mb   *mailbox
	rcpt []string
}

func (s *mailSession) Reset()        { s.rcpt = nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}

// Data decodes the message as a mail client would; a message it cannot
// read fails the test, since no patron could read it either.
func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := decodeMail(raw)
	if err != nil {
		s.mb.t.Errorf("undecodable message to %v: %v\n%s", s.rcpt, err, raw)
		return err
	}
	m.To = append([]string(nil), s.rcpt...)
	s.mb.mu.Lock()
	s.mb.received = append(s.mb.received, m)
	s.mb.mu.Unlock()
	return nil
}

func decodeMail(raw []byte) (mailMessage, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return mailMessage{}, err
	}
	m := mailMessage{Header: msg.Header, Parts: map[string]string{}}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return mailMessage{}, err
	}
	err = decodePart(m.Parts, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

// decodePart walks a MIME part, nested multiparts included, and keeps each
// leaf's decoded text under its media type.
func decodePart(parts map[string]string, contentType, encoding string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := decodePart(parts, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("charset %q: Sésame's mail is UTF-8", cs)
	}
	parts[mt] = string(b)
	return nil
}
