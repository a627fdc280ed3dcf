package mail

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/bdf29/sesame/internal/config"
)

// FuzzMessageHeaders checks the second guard: even a message that skipped
// Validate cannot add a header field through its subject or name, and a
// valid one comes back as it was written.
func FuzzMessageHeaders(f *testing.F) {
	for _, seed := range []struct{ subject, name string }{
		{"Votre compte est validé", "Anne LEFÈVRE"},
		{"Bonjour\r\nBcc: x@evil.example", "Anne\r\nBcc: x@evil.example"},
		{"=?utf-8?q?encod=C3=A9?=", `Anne "Nanou" <x@evil.example>, Bob`},
		{"\n\n<html>", "\x00"},
	} {
		f.Add(seed.subject, seed.name)
	}
	s, err := NewSender(config.SMTP{Host: "smtp.example.fr", From: "Réseau <ne-pas-repondre@bibliotheques.example.fr>"})
	if err != nil {
		f.Fatal(err)
	}
	want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "User-Agent": true, "X-Mailer": true}
	f.Fuzz(func(t *testing.T, subject, name string) {
		m := Message{To: "anne@example.org", ToName: name, Subject: subject, Text: "Bonjour."}
		var buf bytes.Buffer
		if _, err := s.message(m, "sesame.1.1@bibliotheques.example.fr").WriteTo(&buf); err != nil {
			return // go-mail refused it: nothing is sent
		}
		msg, err := netmail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("unreadable message: %v\n%s", err, buf.Bytes())
		}
		for key := range msg.Header {
			if !want[key] {
				t.Fatalf("header %q appeared (subject %q, name %q)", key, subject, name)
			}
		}
		to, err := msg.Header.AddressList("To")
		if err == nil && (len(to) != 1 || to[0].Address != "anne@example.org") {
			t.Fatalf("To: got %v, want only anne@example.org", to)
		}
		if m.Validate() != nil {
			return
		}
		if strings.Contains(subject+name, "=?") {
			return // reads as an encoded word, as any mailer would write it: no new header, a different text
		}
		if err != nil {
			t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
		}
		if words(to[0].Name) != words(name) {
			t.Errorf("To name: got %q, want %q", to[0].Name, name)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || words(got) != words(subject) {
			t.Errorf("Subject: got %q (%v), want %q", got, err, subject)
		}
	})
}

// words compares texts but for their spacing, which header folding may change.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }
