package web

import (
	"bytes"
	"net/url"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/bdf29/sesame"
)

func TestFieldOrderFollowsTheTemplate(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"field calls", `{{template "champ" (field $p.Form "nom" "Nom" "text")}}{{template "champ" (field $p.Form "email" "E-mail" "email")}}`,
			[]string{"nom", "email"}},
		{"a select written by hand, between fields", `{{template "champ" (field $f "ville" "Ville" "text")}}
<div class="field{{if $p.Form.Err "bibliotheque"}} has-error{{end}}"><select id="f-bibliotheque"></select></div>
{{template "champ" (field $f "code" "Code" "text")}}`, []string{"ville", "bibliotheque", "code"}},
		{"named once though asked twice", `{{if $p.Form.Err "a"}}{{end}}<input id="f-a">{{field $p.Form "b" "B" "text"}}`, []string{"a", "b"}},
		{"no form", `<p>Bonjour</p>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldOrder(tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsInFormOrder(t *testing.T) {
	f := form{Values: url.Values{}, Errors: sesame.FieldErrors{
		"ville": "Ville : obligatoire.", "annee": "Année : invalide.", "nom": "Nom : obligatoire.", "zz": "Autre.", "aa": "Autre encore.",
	}}
	got := f.errorsIn([]string{"nom", "prenom", "ville", "annee"})
	want := []fieldError{
		{"nom", "Nom : obligatoire."}, {"ville", "Ville : obligatoire."}, {"annee", "Année : invalide."},
		// Messages for fields the template does not name come last, by name.
		{"aa", "Autre encore."}, {"zz", "Autre."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// summaryLink is a line of the error summary, and the field it leads to.
var summaryLink = regexp.MustCompile(`<a href="#f-([\w-]+)">`)

// TestEveryPageListsItsErrorsInFormOrder renders each form page's summary
// with an error on every field its template names, and checks the summary
// lists them in that order, not the alphabet's.
func TestEveryPageListsItsErrorsInFormOrder(t *testing.T) {
	p, err := parsePages(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	pagesWithForms := 0
	for _, name := range pageNames {
		src, err := assets.ReadFile("templates/" + name + ".html")
		if err != nil {
			t.Fatal(err)
		}
		order := fieldOrder(string(src))
		if len(order) < 2 {
			continue
		}
		pagesWithForms++
		f := form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
		for _, field := range order {
			f.Errors[field] = "Erreur de " + field
		}
		var buf bytes.Buffer
		if err := p.byName[name].ExecuteTemplate(&buf, "erreurs", f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, m := range summaryLink.FindAllStringSubmatch(buf.String(), -1) {
			got = append(got, m[1])
		}
		if !reflect.DeepEqual(got, order) {
			t.Errorf("%s: summary in order %q, want the form's %q", name, got, order)
		}
	}
	if pagesWithForms < 10 {
		t.Errorf("found %d pages with forms, want the dozen Sésame has: is fieldOrder still reading the templates?", pagesWithForms)
	}
}

func TestNoticeTitleIsTheFirstSentence(t *testing.T) {
	tests := []struct{ notice, want string }{
		{"Les modifications ont été enregistrées.", "Les modifications ont été enregistrées"},
		{"Saisie retrouvée. Votre session avait expiré : voici…", "Saisie retrouvée"},
		{"Aucune ressource n'était cochée : rien n'a changé.", "Aucune ressource n'était cochée : rien n'a changé"},
	}
	for _, tt := range tests {
		if got := noticeTitle(tt.notice); got != tt.want {
			t.Errorf("noticeTitle(%q): got %q, want %q", tt.notice, got, tt.want)
		}
	}
}

func TestDraftStoreGivesAFormBackOnceToItsAuthor(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	typed := url.Values{"nom": {"LE GOFF"}}
	tests := []struct {
		name                 string
		account, token, path string
		after                time.Duration
		wantOK               bool
	}{
		{"its author, on its page", "personnel:1", "h", "/abonnes/7", time.Minute, true},
		{"someone else", "personnel:2", "h", "/abonnes/7", time.Minute, false},
		{"another browser", "personnel:1", "autre", "/abonnes/7", time.Minute, false},
		{"another page", "personnel:1", "h", "/abonnes/8", time.Minute, false},
		{"too late", "personnel:1", "h", "/abonnes/7", draftLifetime + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDraftStore()
			if !d.keep(now, "personnel:1", draft{tokenHash: "h", path: "/abonnes/7", values: typed, until: now.Add(draftLifetime)}) {
				t.Fatal("keep: refused")
			}
			got, ok := d.take(now.Add(tt.after), tt.account, tt.token, tt.path)
			if ok != tt.wantOK || ok && !reflect.DeepEqual(got, typed) {
				t.Fatalf("take: got %v, %v; want %v", got, ok, tt.wantOK)
			}
			if _, again := d.take(now.Add(tt.after), tt.account, tt.token, tt.path); again {
				t.Error("take again: got the form a second time")
			}
		})
	}
}

func TestDraftStoreIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	d := newDraftStore()
	for i := range maxDrafts {
		if !d.keep(now, patronAccount(int64(i)), draft{until: now.Add(draftLifetime)}) {
			t.Fatalf("keep %d: refused before the bound", i)
		}
	}
	if d.keep(now, patronAccount(maxDrafts), draft{until: now.Add(draftLifetime)}) {
		t.Error("keep past the bound: accepted")
	}
	if !d.keep(now, patronAccount(0), draft{until: now.Add(draftLifetime)}) {
		t.Error("keep again for an account that has one: refused, want it replaced")
	}
	if !d.keep(now.Add(draftLifetime+time.Second), patronAccount(maxDrafts), draft{until: now.Add(2 * draftLifetime)}) {
		t.Error("keep once the others are out of date: refused, want them dropped")
	}
}
