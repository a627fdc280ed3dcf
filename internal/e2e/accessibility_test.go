package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// The accessibility points an RGAA audit found that axe-core cannot see:
// each is checked here as a keyboard and screen-reader user meets it.

// title is the document's title, the first thing a screen reader reads of a page.
func (b *browser) title() string {
	b.t.Helper()
	title, err := chromedp.Run(b.ctx, chromedp.Title())
	if err != nil {
		b.t.Fatalf("title: %v", err)
	}
	return title
}

// focused describes the element that has the focus: its id and text.
func (b *browser) focused() string {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.activeElement.id || document.activeElement.tagName) + " " + document.activeElement.innerText`))
	if err != nil {
		b.t.Fatalf("focus: %v", err)
	}
	return got
}

// press clicks e where no page follows (a button that works in place).
func (b *browser) press(e el) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(b.nodeIDs(b.find(e)))); err != nil {
		b.t.Fatalf("click %s: %v", e, err)
	}
}

// waitGone waits a little for e to leave the page.
func (b *browser) waitGone(e el) {
	b.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); b.count(e) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s is still on page %s", e, b.location())
		}
	}
}

// firstRecord is the address of the first patron record the list shown links to.
func (b *browser) firstRecord() string {
	b.t.Helper()
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main tbody a[href^="/abonnes/"]').getAttribute('href')`))
	if err != nil {
		b.t.Fatalf("no patron record linked from %s: %v", b.location(), err)
	}
	return href
}

// loginAsLibrary logs in with the staff form.
func (b *browser) loginAsLibrary(login string) {
	b.t.Helper()
	b.fill(textbox("Identifiant"), login)
	b.fill(textbox("Mot de passe"), demo.Password)
	b.click(button("Se connecter"), 200)
}

// shortSession is the idle limit of the session tests: the warning opens
// halfway, after 4 s.
const shortSession = 8 * time.Second

// TestSessionWarningProlongs waits, as an idle librarian, for the warning
// before the session ends, and prolongs it from the dialog: the session is
// still there after the moment it would have ended.
func TestSessionWarningProlongs(t *testing.T) {
	b := newBrowser(t)
	b.base = startAppEnv(t, sesame.DateOf(time.Now(), app.Paris()), map[string]string{"SESAME_SESSION_IDLE": shortSession.String()})
	b.open("/connexion")
	b.loginAsLibrary("fouesnant")
	loaded := time.Now()

	warning := role("alertdialog", "Votre session va expirer")
	n := b.find(warning) // find waits 5 s, the warning comes after 4
	if desc := n.description(); !strings.Contains(desc, "Prolongez-la") {
		t.Errorf("warning: described as %q, want it to say what to do", desc)
	}
	if !strings.Contains(b.focused(), "Prolonger la session") {
		t.Errorf("warning open: focus on %q, want « Prolonger la session »", b.focused())
	}
	b.checkA11y("avertissement de fin de session")
	b.screenshot("session-avertissement")
	// A mark on the page shows it stays as it is: no reload, nothing typed lost.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.sameDocument = true`)); err != nil {
		t.Fatal(err)
	}
	b.press(button("Prolonger la session").in(warning))
	b.waitGone(warning)
	if same, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.sameDocument === true`)); err != nil || !same {
		t.Errorf("after « Prolonger la session »: the page was left or reloaded (%v), want it kept as it was", err)
	}

	// Past the moment the session would have ended without the keep-alive.
	time.Sleep(time.Until(loaded.Add(shortSession + time.Second)))
	b.open("/abonnes/a-traiter")
	if got := b.location(); !strings.HasPrefix(got, "/abonnes/a-traiter") {
		t.Errorf("after « Prolonger la session »: on %s, want still logged in on the to-do list", got)
	}
}

// TestSessionEndKeepsWhatWasTyped lets the session end while a librarian
// corrects a record: Enregistrer then leads to Connexion, which says why,
// and after login the record comes back with what they had typed.
func TestSessionEndKeepsWhatWasTyped(t *testing.T) {
	b := newBrowser(t)
	b.base = startAppEnv(t, sesame.DateOf(time.Now(), app.Paris()), map[string]string{"SESAME_SESSION_IDLE": shortSession.String()})
	b.open("/connexion")
	b.loginAsLibrary("fouesnant")
	b.open("/abonnes?statut=valide")
	record := b.firstRecord()
	b.open(record)
	loaded := time.Now()
	b.fill(textbox("Ville"), "Beg-Meil")

	// The warning comes; the librarian closes it and goes on typing too long.
	warning := role("alertdialog", "Votre session va expirer")
	b.find(warning)
	b.press(button("Fermer ce message").in(warning))
	b.waitGone(warning)
	time.Sleep(time.Until(loaded.Add(shortSession + time.Second)))
	b.click(button("Enregistrer"), 200)

	if got := b.location(); !strings.HasPrefix(got, "/connexion") {
		t.Fatalf("save after the end: on %s, want Connexion", got)
	}
	if alerts := b.live("alert"); len(alerts) == 0 || !strings.HasPrefix(alerts[0], "Votre session a expiré") {
		t.Errorf("Connexion after the end: alerts %q, want « Votre session a expiré… »", alerts)
	}
	b.checkA11y("connexion, session expirée")
	b.loginAsLibrary("fouesnant")
	if got := b.location(); got != record {
		t.Errorf("after login: on %s, want back on %s", got, record)
	}
	if got := b.value(textbox("Ville")); got != "Beg-Meil" {
		t.Errorf("after login: Ville holds %q, want what was typed, « Beg-Meil »", got)
	}
	if got := b.title(); !strings.HasPrefix(got, "Saisie retrouvée – ") {
		t.Errorf("after login: title %q, want « Saisie retrouvée – … »", got)
	}
	b.checkA11y("fiche, saisie retrouvée")
}

// TestRefusedFormsAreReadInOrder sends the registration form empty: the
// summary lists the errors in the order of the fields and takes the focus,
// and the title starts with « Erreur : ».
func TestRefusedFormsAreReadInOrder(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/inscription")
	// No resource ticked, nothing typed.
	for _, r := range b.names("checkbox", role("group", "Ressources souhaitées")) {
		b.press(checkbox(r))
	}
	b.click(button("S'inscrire"), 422)
	if got := b.title(); !strings.HasPrefix(got, "Erreur : ") {
		t.Errorf("refused registration: title %q, want « Erreur : … »", got)
	}
	if got := b.focused(); !strings.Contains(got, "Le formulaire contient") {
		t.Errorf("refused registration: focus on %q, want the error summary", got)
	}
	type order struct {
		Listed []string `json:"listed"`
		InForm bool     `json:"inForm"`
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[order](`(() => {
		const links = [...document.querySelectorAll('.error-summary a')];
		const fields = links.map(a => document.getElementById(a.hash.slice(1)));
		return {
			listed: links.map(a => a.hash),
			inForm: fields.every((f, i) => f && (i === 0 || fields[i-1].compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING)),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Listed) < 5 || !got.InForm {
		t.Errorf("error summary lists %q: want the errors of every empty required field, in the form's order", got.Listed)
	}
	b.checkA11y("inscription refusée")
}

// TestFailedLoginsAreNoticed fails both login forms: each gets an
// « Erreur : » title, its fields are invalid and described by the message,
// and the message takes the focus.
func TestFailedLoginsAreNoticed(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	tests := []struct {
		fields  []el
		button  string
		message string
	}{
		{[]el{textbox("Identifiant"), textbox("Mot de passe")}, "Se connecter", "Identifiant ou mot de passe incorrect."},
		{[]el{textbox("Votre adresse e-mail"), textbox("Votre mot de passe")}, "Accéder à mon compte", "Adresse e-mail ou mot de passe incorrect."},
	}
	for _, tt := range tests {
		b.open("/connexion")
		if !strings.Contains(b.text(), "Les champs marqués d'un astérisque (*) sont obligatoires.") {
			t.Errorf("Connexion does not say what the * means")
		}
		b.fill(tt.fields[0], "personne@example.org")
		b.fill(tt.fields[1], "pas le bon mot de passe")
		b.click(button(tt.button), 401)
		if got := b.title(); !strings.HasPrefix(got, "Erreur : Connexion") {
			t.Errorf("%s refused: title %q, want « Erreur : Connexion… »", tt.button, got)
		}
		if got := b.focused(); !strings.Contains(got, tt.message) {
			t.Errorf("%s refused: focus on %q, want the message « %s »", tt.button, got, tt.message)
		}
		for _, f := range tt.fields {
			n := b.find(f)
			if inv, _ := n.prop("invalid"); inv != "true" || !strings.Contains(n.description(), tt.message) {
				t.Errorf("%s refused: %s invalid %q, described as %q; want true, and the message", tt.button, f, inv, n.description())
			}
		}
		b.checkA11y("connexion refusée, " + tt.button)
	}
}

// TestListLinksNameWhereTheyLead opens the lists as the network admin: two
// links with the same name never lead to different places.
func TestListLinksNameWhereTheyLead(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("admin")
	for _, page := range []string{"/abonnes/a-traiter?par_page=100", "/abonnes?par_page=100", "/admin/bibliotheques", "/admin/ressources",
		"/admin/personnel", "/admin/connecteurs", "/admin/statistiques"} {
		b.open(page)
		type links struct {
			Count   int      `json:"count"`
			Clashes []string `json:"clashes"`
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[links](`(() => {
			const seen = new Map(), clashes = [], all = document.querySelectorAll('main a[href]');
			for (const a of all) {
				const name = a.innerText.replace(/\s+/g, ' ').trim(), to = a.getAttribute('href');
				if (seen.has(name) && seen.get(name) !== to) clashes.push(name + ' → ' + seen.get(name) + ' and ' + to);
				seen.set(name, to);
			}
			return {count: all.length, clashes};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Count < 5 {
			t.Errorf("%s: %d links, want a list to check", page, got.Count)
		}
		if len(got.Clashes) > 0 {
			t.Errorf("%s: links with one name and different places: %q", page, got.Clashes)
		}
	}
}

// searchTitle is the title of a search's results.
var searchTitle = regexp.MustCompile(`^Recherche « [^»]+ » : \d+ abonnés? – `)

// TestTitlesSayWhatHappened searches and saves as a librarian: each page's
// title, read first, says the result.
func TestTitlesSayWhatHappened(t *testing.T) {
	b := newBrowser(t)
	b.base = startApp(t, sesame.DateOf(time.Now(), app.Paris()))
	b.open("/connexion")
	b.loginAsLibrary("fouesnant")
	b.click(link("Mes abonnés ressources numériques").in(role("navigation", "Menu principal")), 200)
	b.fill(role("searchbox", "Rechercher un abonné"), "ma")
	b.click(button("Rechercher"), 200)
	if got := b.title(); !searchTitle.MatchString(got) {
		t.Errorf("search: title %q, want « Recherche « ma » : N abonnés – … »", got)
	}
	record := b.firstRecord()
	b.open(record)
	b.fill(textbox("Ville"), "Fouesnant")
	b.click(button("Enregistrer"), 200)
	if got := b.title(); !strings.HasPrefix(got, "Les modifications ont été enregistrées – ") && !strings.HasPrefix(got, "Rien n'a changé – ") {
		t.Errorf("save: title %q, want it to start with what the save did", got)
	}
}
