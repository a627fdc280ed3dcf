package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzRegistrationForm posts whatever a robot or a clumsy hand may send to
// « S'inscrire », through the real router, and checks the project's rule for
// bad input: never a 500; either the one "check your mail" page, or the form
// again with a French message per wrong field and what was typed kept,
// except the password. `go test` runs the seeds; explore with
// `go test -run X -fuzz FuzzRegistrationForm -fuzztime 20s ./internal/web`.
func FuzzRegistrationForm(f *testing.F) {
	w := newWorld(f)
	lib, res := itoa(w.libA), itoa(w.res[0])
	type form struct {
		last, first, email, birth, postal, town, card, library, password, resource, notice, parentName, parentEmail string
	}
	for _, s := range []form{
		{"Le Bihan", "Maëlle", "maelle@example.fr", "14/07/1990", "29170", "Fouesnant", "", lib, "les goélands de Beg-Meil", res, "1", "", ""},
		{"", "", "", "", "", "", "", "", "", "", "", "", ""},
		{"Le Bihan", "Maëlle", "maelle@exemple", "31/02/1990", "2917", "Fouesnant", "FOU-1", "999", "court", "999", "", "", ""},
		{"Anne2", "Anne\r\nBcc: x@evil.example", "anne@example.fr\r\nBcc: x@evil.example", "1990-07-14", " 29000 ", "\u2028", "\x00", lib, "bibliotheque", res, "1", "", ""},
		{"Petit", "Louis", "louis@example.fr", "01/01/2020", "29000", "Quimper", "", lib, "une phrase assez longue", res, "1", "Petit Marie", "louis@example.fr"},
		{"Petit", "Louis", "louis@example.fr", "01/01/2020", "29000", "Quimper", "", lib, "une phrase assez longue", res, "1", "", "pas une adresse"},
		{"\xff", "\xfe", "\xff@example.fr", "\xff/01/1990", "\xff", "\xff", "\xff", "\xff", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "\xff", "\xff", "\xff", "\xff"},
		{strings.Repeat("a", 101), "x", strings.Repeat("a", 250) + "@b.fr", "99999/1/1", "290000", strings.Repeat("v", 101), strings.Repeat("c", 51), lib + "0", strings.Repeat("p", 257), res + "," + res, "1", "", ""},
	} {
		f.Add(s.last, s.first, s.email, s.birth, s.postal, s.town, s.card, s.library, s.password, s.resource, s.notice, s.parentName, s.parentEmail)
	}
	textFields := []string{"nom", "prenom", "email", "date_naissance", "code_postal", "ville", "numero_inscription", "nom_parent", "email_parent"}
	f.Fuzz(func(t *testing.T, last, first, email, birth, postal, town, card, library, password, resource, notice, parentName, parentEmail string) {
		sent := url.Values{
			"nom": {last}, "prenom": {first}, "email": {email}, "date_naissance": {birth}, "code_postal": {postal},
			"ville": {town}, "numero_inscription": {card}, "bibliotheque": {library}, "mot_de_passe": {password},
			"ressources": {resource}, "notice": {notice}, "nom_parent": {parentName}, "email_parent": {parentEmail},
		}
		resp, err := http.PostForm(w.server.URL+"/inscription", sent)
		if err != nil {
			t.Fatalf("POST /inscription: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("read body: %v", err)
		}
		doc, err := html.Parse(strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("parse page: %v", err)
		}
		byID := func(id string) *html.Node {
			return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if n := byID("envoye"); n == nil || !strings.HasPrefix(text(n), "Vérifiez votre messagerie") {
				t.Fatalf("POST %v: 200 without « Vérifiez votre messagerie »:\n%.2000s", sent, body)
			}
			return
		case http.StatusUnprocessableEntity:
		default:
			t.Fatalf("POST %v: status %d, want 200 or 422:\n%.2000s", sent, resp.StatusCode, body)
		}

		// The summary lists the errors, each a French sentence naming its field.
		var items []string
		if summary := find(doc, func(n *html.Node) bool { return attr(n, "class") == "error-summary" }); summary != nil {
			walk(summary, func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "li" {
					items = append(items, text(n))
				}
			})
		}
		if len(items) == 0 {
			t.Fatalf("POST %v: 422 without a list of errors:\n%.2000s", sent, body)
		}
		for _, msg := range items {
			label, rest, ok := strings.Cut(msg, " : ")
			if !ok || label == "" || strings.TrimSpace(rest) == "" || !utf8.ValidString(msg) {
				t.Errorf("POST %v: error %q, want « Champ : message »", sent, msg)
			}
		}
		// What was typed is kept, as the browser would show it again. The
		// HTML parser turns CR and NUL into LF and U+FFFD, as browsers do:
		// such values are compared after the same change.
		for _, name := range textFields {
			typed := sent.Get(name)
			n := byID("f-" + name)
			if n == nil {
				continue // a field this version of the form does not have
			}
			want := typed
			if !utf8.ValidString(want) {
				continue
			}
			want = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\uFFFD").Replace(want)
			if got := attr(n, "value"); got != want {
				t.Errorf("POST %v: field %s holds %q, want the typed %q kept", sent, name, got, want)
			}
		}
		if n := byID("f-mot_de_passe"); n == nil || attr(n, "value") != "" {
			t.Errorf("POST %v: the password field is missing or holds the typed password", sent)
		}
	})
}
