// Package notify writes Sésame's mail: one renderer, one embedded template
// per message under templates/. A template defines the message's "subject"
// and its "body" in a small HTML (paragraphs, lists, links); the HTML part
// is the body in a common layout, and the plain-text part is derived from
// the same HTML, so that the two parts always say the same thing.
package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame/internal/mail"
)

//go:embed templates/*.tmpl
var files embed.FS

// layout wraps every message's body; html/template escapes every name,
// reason and address the data brings.
const layout = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
{{template "body" .Data}}
</body></html>
`

// message is one parsed template: its subject as text, its body as HTML.
type message struct {
	subject *texttemplate.Template
	body    *htmltemplate.Template
}

// messages are parsed once, when the program starts: a broken template
// stops it there rather than at the first mail.
var messages = mustParse(files)

func mustParse(fsys fs.FS) map[string]message {
	names, err := fs.Glob(fsys, "templates/*.tmpl")
	if err != nil {
		panic(err)
	}
	m := make(map[string]message, len(names))
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		key := strings.TrimSuffix(path.Base(name), ".tmpl")
		subject := texttemplate.Must(texttemplate.New(key).Parse(string(src)))
		body := htmltemplate.Must(htmltemplate.Must(htmltemplate.New(key).Parse(string(src))).New("layout").Parse(layout))
		if subject.Lookup("subject") == nil || body.Lookup("body") == nil {
			panic("mail template " + name + ": it must define subject and body")
		}
		m[key] = message{subject: subject, body: body}
	}
	return m
}

// Render writes the message of template name (templates/name.tmpl) for
// data. The caller sets its recipient, and its secret if it carries a link
// that opens something.
func Render(name string, data any) (mail.Message, error) {
	t, ok := messages[name]
	if !ok {
		return mail.Message{}, fmt.Errorf("mail %q: no such template", name)
	}
	var subject bytes.Buffer
	if err := t.subject.ExecuteTemplate(&subject, "subject", data); err != nil {
		return mail.Message{}, fmt.Errorf("mail %q: subject: %w", name, err)
	}
	// The subject is kept as written, a line break from the data included:
	// mail.Message.Validate refuses it then, rather than sending a subject
	// that says something else.
	s := subject.String()
	var body bytes.Buffer
	if err := t.body.ExecuteTemplate(&body, "layout", struct {
		Subject string
		Data    any
	}{s, data}); err != nil {
		return mail.Message{}, fmt.Errorf("mail %q: body: %w", name, err)
	}
	text, err := plainText(body.String())
	if err != nil {
		return mail.Message{}, fmt.Errorf("mail %q: text: %w", name, err)
	}
	return mail.Message{Subject: s, Text: text, HTML: body.String()}, nil
}

// plainText derives the text part from the HTML part: a paragraph is a
// paragraph, a list item a line "- …" with its link's address under it, and
// a link's address follows its words.
func plainText(doc string) (string, error) {
	var out, words strings.Builder
	var href string
	first := true
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return "", err
			}
			return out.String(), nil
		case html.StartTagToken:
			t := z.Token()
			switch t.Data {
			case "p", "li":
				words.Reset()
				href = ""
			case "a":
				for _, a := range t.Attr {
					if a.Key == "href" {
						href = a.Val
					}
				}
			}
		case html.TextToken:
			if text := z.Token().Data; strings.TrimSpace(text) != "" {
				words.WriteString(text)
			} else if words.Len() > 0 {
				words.WriteString(" ")
			}
		case html.EndTagToken:
			switch z.Token().Data {
			case "p":
				para := strings.Join(strings.Fields(words.String()), " ")
				if href != "" {
					para += " :\n" + href
				}
				if !first {
					out.WriteString("\n")
				}
				first = false
				out.WriteString(para + "\n")
			case "li":
				out.WriteString("- " + strings.Join(strings.Fields(words.String()), " ") + "\n")
				if href != "" {
					out.WriteString("  " + href + "\n")
				}
			}
		}
	}
}
