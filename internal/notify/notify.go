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
	if text, ok := plainTextOfOwn(doc); ok {
		return text, nil
	}
	return plainTextTokenized(doc)
}

// plainTextTokenized is plainText for any HTML, read by html.Tokenizer.
func plainTextTokenized(doc string) (string, error) {
	var t textOf
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return "", err
			}
			return t.out.String(), nil
		case html.StartTagToken:
			tok := z.Token()
			href, hasHref := "", false
			for _, a := range tok.Attr {
				if a.Key == "href" {
					href, hasHref = a.Val, true
				}
			}
			t.start(tok.Data, href, hasHref)
		case html.TextToken:
			t.text(z.Token().Data)
		case html.EndTagToken:
			t.end(z.Token().Data)
		}
	}
}

// textOf builds the text part, token by token.
type textOf struct {
	out, words strings.Builder
	href       string
	more       bool // a paragraph was written
}

func (t *textOf) start(tag, href string, hasHref bool) {
	switch tag {
	case "p", "li":
		t.words.Reset()
		t.href = ""
	case "a":
		if hasHref {
			t.href = href
		}
	}
}

func (t *textOf) text(text string) {
	if strings.TrimSpace(text) != "" {
		t.words.WriteString(text)
	} else if t.words.Len() > 0 {
		t.words.WriteString(" ")
	}
}

func (t *textOf) end(tag string) {
	switch tag {
	case "p":
		para := strings.Join(strings.Fields(t.words.String()), " ")
		if t.href != "" {
			para += " :\n" + t.href
		}
		if t.more {
			t.out.WriteString("\n")
		}
		t.more = true
		t.out.WriteString(para + "\n")
	case "li":
		t.out.WriteString("- " + strings.Join(strings.Fields(t.words.String()), " ") + "\n")
		if t.href != "" {
			t.out.WriteString("  " + t.href + "\n")
		}
	}
}

// plainTextOfOwn is plainTextTokenized for the HTML these templates write,
// read without a tokenizer, four times cheaper: every mail of an import of
// 100,000 renewals comes through here. It reads tags with their attributes
// in double quotes, a doctype, and text whose only references are those
// html/template writes; on anything else (a comment, a script, another
// reference…) it gives up (false), and the tokenizer reads the document.
// TestPlainTextOfOwn holds the two to the same text.
func plainTextOfOwn(doc string) (string, bool) {
	var t textOf
	t.out.Grow(len(doc) / 2)
	for i := 0; i < len(doc); {
		if doc[i] != '<' {
			j := strings.IndexByte(doc[i:], '<')
			if j < 0 {
				j = len(doc) - i
			}
			text, ok := ownUnescape(doc[i : i+j])
			if !ok {
				return "", false
			}
			t.text(text)
			i += j
			continue
		}
		rest := doc[i+1:]
		switch {
		case strings.HasPrefix(rest, "!DOCTYPE "):
			j := strings.IndexByte(rest, '>')
			if j < 0 || strings.ContainsAny(rest[:j], "<-") {
				return "", false
			}
			i += 1 + j + 1
		case strings.HasPrefix(rest, "/"):
			name, n := ownName(rest[1:])
			if n == 0 || !strings.HasPrefix(rest[1+n:], ">") {
				return "", false
			}
			t.end(name)
			i += 1 + 1 + n + 1
		default:
			name, href, hasHref, n, ok := ownStartTag(doc[i:])
			if !ok {
				return "", false
			}
			t.start(name, href, hasHref)
			i += n
			if name == "title" {
				// Its text runs to </title>: html/template escapes any < in it.
				j := strings.IndexByte(doc[i:], '<')
				if j < 0 || !strings.HasPrefix(doc[i+j:], "</title>") {
					return "", false
				}
			}
		}
	}
	return t.out.String(), true
}

// ownStartTag reads the start tag tag begins with: its name, its href, and
// its length; false when it is not one plainTextOfOwn reads.
func ownStartTag(tag string) (name, href string, hasHref bool, n int, ok bool) {
	name, n = ownName(tag[1:])
	switch name {
	case "p", "li", "a", "ul", "ol", "b", "strong", "em", "br", "html", "head", "meta", "title", "body":
	default:
		return "", "", false, 0, false
	}
	n++
	for {
		for n < len(tag) && tag[n] == ' ' {
			n++
		}
		if n == len(tag) {
			return "", "", false, 0, false
		}
		if tag[n] == '>' {
			return name, href, hasHref, n + 1, true
		}
		key, m := ownName(tag[n:])
		if m == 0 || !strings.HasPrefix(tag[n+m:], `="`) {
			return "", "", false, 0, false
		}
		v := n + m + 2
		q := strings.IndexByte(tag[v:], '"')
		if q < 0 {
			return "", "", false, 0, false
		}
		val, ok := ownUnescape(tag[v : v+q])
		if !ok {
			return "", "", false, 0, false
		}
		if key == "href" && !hasHref { // the tokenizer keeps an attribute's first value
			href, hasHref = val, true
		}
		n = v + q + 1
	}
}

// ownName is the tag or attribute name s begins with, in lower case, and
// its length: letters, digits and dashes, a letter first.
func ownName(s string) (string, int) {
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && (s[n] >= '0' && s[n] <= '9' || s[n] == '-')) {
		n++
	}
	return strings.ToLower(s[:n]), n
}

// ownReferences are the references html/template writes, and what they
// stand for.
var ownReferences = []struct{ ref, char string }{
	{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", `"`}, {"&#39;", "'"}, {"&#43;", "+"}, {"&quot;", `"`},
}

// ownUnescape is s with its references replaced; false when s holds
// another reference, or what the tokenizer would read otherwise (a
// carriage return, a NUL).
func ownUnescape(s string) (string, bool) {
	if strings.ContainsAny(s, "\r\x00") {
		return "", false
	}
	if strings.IndexByte(s, '&') < 0 {
		return s, true
	}
	var b strings.Builder
	for {
		j := strings.IndexByte(s, '&')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:j])
		s = s[j:]
		found := false
		for _, r := range ownReferences {
			if strings.HasPrefix(s, r.ref) {
				b.WriteString(r.char)
				s = s[len(r.ref):]
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
}
