package e2e

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/charmap"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/store"
)

// upload gives the file at path to the file field e, as a person choosing
// it in the browser's dialog.
func (b *browser) upload(e el, path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(b.nodeIDs(b.find(e)), []string{path})); err != nil {
		b.t.Fatalf("upload %s to %s: %v", path, e, err)
	}
}

// TestImportFromKoha imports into Fouesnant a Koha export saved by Excel
// on Windows (Windows-1252, « ; »): the three « À revalider » accounts
// become « Validé » with the file's date, the « Expiré » one is mailed
// over SMTP, the ambiguous line is shown with its two candidates and left
// alone; a second import of the same file changes nothing.
func TestImportFromKoha(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	registered := today.AddDays(-2)
	const expiredEmail = "yannick.le-bihan@example.org"
	mb := newMailbox(t)
	b := newBrowser(t)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1}, Random: rand.Reader}
	var revalidate []int64
	var expired int64
	var twins []int64
	a, base := apptest.Serve(t, mb.env(), hasher, func(ctx context.Context, a *app.App) error {
		if _, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 300, Today: today}); err != nil {
			return err
		}
		libs, err := a.Store.Libraries(ctx)
		if err != nil {
			return err
		}
		lib := libraryCoded(libs, "FOUESNANT")
		create := func(p sesame.Patron) (int64, error) {
			p.LibraryID, p.PostalCode, p.Town = lib, "29170", "Fouesnant"
			if p.RegisteredOn.IsZero() {
				p.RegisteredOn = today.AddMonths(-13)
			}
			return a.Store.CreatePatron(ctx, store.NewPatron{Patron: p}, sesame.Actor{Label: "test"})
		}
		end := today.AddDays(10)
		for i, name := range []struct{ last, first string }{{"QUÉRÉ", "Maëlys"}, {"GUÉGUEN", "Loïc"}, {"PÉRON", "Anaïs"}} {
			id, err := create(sesame.Patron{LastName: name.last, FirstName: name.first, Email: strings.ToLower(name.first) + ".import@example.org",
				CardNumber: "FOU-IMP-" + string(rune('1'+i)), BirthDate: sesame.MustDate(1975+i, 2, 14), Status: sesame.StatusToRevalidate,
				LibraryRegisteredOn: end.AddMonths(-12), ValidUntil: end})
			if err != nil {
				return err
			}
			revalidate = append(revalidate, id)
		}
		if expired, err = create(sesame.Patron{LastName: "LE BIHAN", FirstName: "Yannick", Email: expiredEmail, CardNumber: "FOU-IMP-4",
			BirthDate: sesame.MustDate(1968, 9, 30), Status: sesame.StatusExpired, LibraryRegisteredOn: today.AddMonths(-14), ValidUntil: today.AddMonths(-2)}); err != nil {
			return err
		}
		for i := range 2 {
			id, err := create(sesame.Patron{LastName: "MORVAN", FirstName: "Jeanne", Email: "jeanne.morvan" + string(rune('1'+i)) + "@example.org",
				CardNumber: "FOU-IMP-" + string(rune('5'+i)), BirthDate: sesame.MustDate(1990, 3, 3), Status: sesame.StatusValidated,
				LibraryRegisteredOn: today.AddMonths(-6), ValidUntil: today.AddMonths(6)})
			if err != nil {
				return err
			}
			twins = append(twins, id)
		}
		return nil
	})
	b.base = base

	// Koha: Rapports → rapport SQL on borrowers → Télécharger CSV, then
	// saved by Excel on Windows.
	koha := func(d sesame.Date) string {
		iso := d.ISO()
		return strings.Join([]string{
			"cardnumber;surname;firstname;email;dateofbirth;dateenrolled;dateexpiry",
			"FOU-IMP-1;QUÉRÉ;Maëlys;maëlys.import@example.org;1975-02-14;" + iso + ";",
			"fou-imp-2 ;GUÉGUEN;Loïc;;1976-02-14;" + iso + ";",
			"FOU-IMP-3;PÉRON;Anaïs;;1977-02-14;" + iso + ";",
			"FOU-IMP-4;LE BIHAN;Yannick;" + expiredEmail + ";1968-09-30;" + iso + ";",
			";MORVAN;Jeanne;;1990-03-03;" + iso + ";",
		}, "\r\n") + "\r\n"
	}
	encoded, err := charmap.Windows1252.NewEncoder().String(koha(registered))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "export-koha-fouesnant.csv")
	if err := os.WriteFile(file, []byte(encoded), 0o600); err != nil {
		t.Fatal(err)
	}

	b.open("/connexion")
	b.loginAsLibrary("fouesnant")
	b.click(link("Importer depuis le SIGB"), 200)
	b.checkA11y("import, formulaire")
	fileField := role("button", "Fichier exporté du SIGB")

	// No file: the message next to the field, read first.
	b.click(button("Prévisualiser"), 422)
	if alerts := b.live("alert"); len(alerts) == 0 || !strings.Contains(alerts[0], "Choisissez le fichier exporté du SIGB") {
		t.Errorf("no file: the error summary says %q", alerts)
	}
	b.checkA11y("import, sans fichier")

	// A header the page does not know: it asks for the columns.
	unknown := filepath.Join(t.TempDir(), "export-maison.csv")
	if err := os.WriteFile(unknown, []byte("Lecteur;Le jour\r\nFOU-IMP-1;"+registered.String()+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.upload(fileField, unknown)
	b.click(button("Prévisualiser"), 200)
	if n := b.count(combobox("N° de carte")); n != 1 {
		t.Errorf("unknown header: %d lists for « N° de carte », want 1", n)
	}
	b.checkA11y("import, colonnes à indiquer")
	b.open("/abonnes/import")
	b.upload(fileField, file)
	b.click(button("Prévisualiser"), 200)

	// The preview: what would happen, and nothing done yet.
	if title := b.title(); !strings.HasPrefix(title, "Prévisualisation de l'import : 3 revalidations, 1 expiré prévenu, 1 ligne ambiguë") {
		t.Errorf("preview title: %q", title)
	}
	text := b.text()
	for _, want := range []string{"rien n'a encore été modifié", "Windows-1252", "QUÉRÉ Maëlys", "GUÉGUEN Loïc", "PÉRON Anaïs", "LE BIHAN Yannick",
		"Inchangés (même date ou date plus ancienne) : 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("preview lacks %q:\n%s", want, text)
		}
	}
	ambiguous := b.section("Ambigus : 1")
	if strings.Count(ambiguous, "MORVAN Jeanne") != 2 {
		t.Errorf("the ambiguous line does not show its two candidates side by side:\n%s", ambiguous)
	}
	for _, id := range revalidate {
		if p, err := a.Store.Patron(context.Background(), store.NetworkScope(), id); err != nil || p.Status != sesame.StatusToRevalidate {
			t.Fatalf("the preview changed patron %d: %v %v", id, p, err)
		}
	}
	b.checkA11y("import, prévisualisation")
	b.resize(1280, 900)
	b.screenshot("import-previsualisation")

	// Apply: the progress page follows the job, then says the result.
	b.click(button("Appliquer les renouvellements"), 200)
	b.waitForText("Import terminé")
	b.waitForText("5 lignes sur 5")
	b.checkA11y("import, résultat")
	if n := b.count(link("Télécharger le rapport (CSV)")); n != 1 {
		t.Errorf("the result offers %d report links, want 1", n)
	}
	ctx := context.Background()
	for _, id := range revalidate {
		p, err := a.Store.Patron(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != registered {
			t.Errorf("%s: %s, library date %s; want Validé on %s", p.FullName(), p.Status.Label(), p.LibraryRegisteredOn, registered)
		}
	}
	if p, err := a.Store.Patron(ctx, store.NetworkScope(), expired); err != nil || p.Status != sesame.StatusExpired {
		t.Errorf("the expired patron changed status: %v %v", p, err)
	}
	for _, id := range twins {
		if p, err := a.Store.Patron(ctx, store.NetworkScope(), id); err != nil || p.LibraryRegisteredOn != today.AddMonths(-6) {
			t.Errorf("an ambiguous candidate was changed: %v %v", p, err)
		}
	}
	m := mb.waitFor(expiredEmail, "Votre abonnement à la bibliothèque a été renouvelé")
	if !strings.Contains(m.Parts["text/plain"], b.base+"/mon-compte/renouvellement") && !strings.Contains(m.Parts["text/html"], b.base+"/mon-compte/renouvellement") {
		t.Errorf("the mail to the expired patron has no renewal link:\n%s", m.Parts["text/plain"])
	}

	// The same file again: nothing to apply.
	b.open("/abonnes/import")
	b.upload(fileField, file)
	b.click(button("Prévisualiser"), 200)
	if n := b.count(button("Appliquer les renouvellements")); n != 0 {
		t.Errorf("the second import offers to apply:\n%s", b.text())
	}
	if text := b.text(); !strings.Contains(text, "il n'y a rien à appliquer") {
		t.Errorf("the second import does not say nothing changes:\n%s", text)
	}
	b.checkA11y("import, second fichier")
}
