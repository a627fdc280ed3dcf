package web_test

import (
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/renewals"
)

// upload posts a multipart form with one file, as the import page's form
// does; a nil body sends no file at all.
func (c *client) upload(path string, fields url.Values, name string, body io.Reader, headers ...string) response {
	c.w.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, vs := range fields {
				for _, v := range vs {
					if err := mw.WriteField(k, v); err != nil {
						return err
					}
				}
			}
			if body != nil {
				fw, err := mw.CreateFormFile("fichier", name)
				if err != nil {
					return err
				}
				if _, err := io.Copy(fw, body); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, c.w.server.URL+path, pr)
	if err != nil {
		c.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// kohaCSV is a Koha export of the borrowers table, in Windows-1252 as Excel
// saves it on Windows.
func kohaCSV(t testing.TB, lines ...string) io.Reader {
	t.Helper()
	text := "cardnumber;surname;firstname;email;dateofbirth;dateenrolled;dateexpiry\r\n" + strings.Join(lines, "\r\n") + "\r\n"
	b, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(b)
}

// runImports runs the renewal import jobs, as an instance's runner would.
func (w *world) runImports() {
	w.t.Helper()
	svc := &renewals.Service{Store: w.store, BaseURL: testBaseURL, Location: w.paris, Now: w.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := &jobs.Runner{Store: w.store, Worker: "test", Handlers: map[string]jobs.Handler{jobs.KindRenewalImport: svc.Job()}, Now: w.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := r.RunOnce(context.Background()); err != nil {
		w.t.Fatalf("run jobs: %v", err)
	}
}

var importIDField = regexp.MustCompile(`name="import" value="(\d+)"`)

// TestImportPreviewThenApply: a library's Koha file is previewed (nothing
// changes), then applied by the job; the progress page and the report
// follow, and a second import of the same file changes nothing.
func TestImportPreviewThenApply(t *testing.T) {
	w := newWorld(t)
	renew := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "LE GALL", FirstName: "Éloïse", Email: "eloise.legall@example.org",
		CardNumber: "A-0002", Status: sesame.StatusToRevalidate, LibraryRegisteredOn: sesame.MustDate(2025, 11, 1), ValidUntil: sesame.MustDate(2026, 11, 1)},
		sesame.GrantValidated)
	file := func() io.Reader {
		return kohaCSV(t,
			"a-0002;LE GALL;Éloïse;;1980-05-17;2026-11-20;2027-11-20",
			"A-0001;LEFÈVRE;Anne;;;20/11/2026;",
			"B-0001;KERJEAN;Yann;;;20/11/2026;", // Quimper's: unknown here
			"A-0099;;;;;pas une date;",
		)
	}
	c := w.login("fouesnant")
	if res := c.get("/abonnes"); !strings.Contains(res.body, `href="/abonnes/import"`) {
		t.Errorf("the list does not link to the import page")
	}
	form := c.get("/abonnes/import")
	if form.status != http.StatusOK || !strings.Contains(form.body, `<label for="f-fichier">Fichier exporté du SIGB</label>`) ||
		!strings.Contains(form.body, `enctype="multipart/form-data"`) || !strings.Contains(form.body, "Détecter automatiquement") {
		t.Fatalf("import form: status %d, body lacks the file field or the encoding list:\n%.2000s", form.status, form.body)
	}

	res := c.upload("/abonnes/import", nil, "export-koha.csv", file())
	if res.status != http.StatusOK {
		t.Fatalf("preview: status %d\n%.3000s", res.status, res.body)
	}
	for _, want := range []string{"Prévisualisation de l&#39;import : 1 revalidation, 1 inscrit au SIGB à valider, 1 inconnu, 1 ligne invalide",
		"rien n'a encore été modifié", "Windows-1252", "LE GALL Éloïse", "Appliquer les renouvellements", "Lignes invalides", "pas une date"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("preview lacks %q:\n%.6000s", want, res.body)
		}
	}
	if p := w.patron(renew); p.Status != sesame.StatusToRevalidate {
		t.Fatalf("the preview changed the patron: %s", p.Status)
	}
	m := importIDField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("preview: no import id to apply")
	}
	id := m[1]

	// Quimper sees nothing of Fouesnant's import.
	q := w.login("quimper")
	for _, path := range []string{"/abonnes/import/" + id + "/suivi", "/abonnes/import/" + id + "/rapport.csv"} {
		if got := q.get(path).status; got != http.StatusNotFound {
			t.Errorf("quimper GET %s: status %d, want 404", path, got)
		}
	}
	if got := q.post("/abonnes/import/appliquer", url.Values{"import": {id}}).status; got != http.StatusNotFound {
		t.Errorf("quimper applies fouesnant's import: status %d, want 404", got)
	}

	applied := c.post("/abonnes/import/appliquer", url.Values{"import": {id}})
	if applied.status != http.StatusSeeOther || applied.header.Get("Location") != "/abonnes/import/"+id+"/suivi" {
		t.Fatalf("apply: status %d to %q, want 303 to the progress page", applied.status, applied.header.Get("Location"))
	}
	running := c.get("/abonnes/import/" + id + "/suivi")
	for _, want := range []string{`<meta http-equiv="refresh" content="2">`, "<progress", "0 lignes sur 4", `aria-live="polite"`} {
		if !strings.Contains(running.body, want) {
			t.Errorf("progress page while running lacks %q:\n%.3000s", want, running.body)
		}
	}
	w.runImports()
	done := c.get("/abonnes/import/" + id + "/suivi")
	for _, want := range []string{"Import terminé", "4 lignes sur 4", "Télécharger le rapport (CSV)"} {
		if !strings.Contains(done.body, want) {
			t.Errorf("finished page lacks %q:\n%.3000s", want, done.body)
		}
	}
	if strings.Contains(done.body, "http-equiv") || strings.Contains(done.body, "Appliquer les renouvellements") {
		t.Errorf("finished page still reloads or offers to apply again")
	}
	if p := w.patron(renew); p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != sesame.MustDate(2026, 11, 20) {
		t.Errorf("after the import: %s, registered %s; want Validé on 20/11/2026", p.Status, p.LibraryRegisteredOn)
	}
	report := c.get("/abonnes/import/" + id + "/rapport.csv")
	if report.status != http.StatusOK || !strings.HasPrefix(report.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(report.body, "ligne;carte;résultat;motif") || !strings.Contains(report.body, "Revalidé") {
		t.Errorf("report: status %d, type %q:\n%s", report.status, report.header.Get("Content-Type"), report.body)
	}
	if again := c.post("/abonnes/import/appliquer", url.Values{"import": {id}}); again.status != http.StatusSeeOther {
		t.Errorf("applying a started import again: status %d, want 303 to its progress", again.status)
	}

	// The same file again: nothing would change, and nothing is offered.
	second := c.upload("/abonnes/import", nil, "export-koha.csv", file())
	if second.status != http.StatusOK || strings.Contains(second.body, "Appliquer les renouvellements") || !strings.Contains(second.body, "il n'y a rien à appliquer") {
		t.Errorf("second import: status %d, offers to apply or does not say nothing changes:\n%.4000s", second.status, second.body)
	}
	m = importIDField.FindStringSubmatch(second.body)
	if m != nil {
		t.Fatalf("second import: the page offers an id to apply")
	}
}

// TestImportNothingToApplyIsRefused: the POST refuses what the page does
// not offer.
func TestImportNothingToApplyIsRefused(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	res := c.upload("/abonnes/import", nil, "inconnus.csv", kohaCSV(t, "Z-1;X;Y;;;20/11/2026;"))
	if res.status != http.StatusOK || strings.Contains(res.body, "Appliquer les renouvellements") {
		t.Fatalf("preview of unknowns: status %d, or offers to apply", res.status)
	}
	m := regexp.MustCompile(`/abonnes/import/(\d+)/rapport.csv`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("preview: no report link")
	}
	if got := c.post("/abonnes/import/appliquer", url.Values{"import": {m[1]}}).status; got != http.StatusUnprocessableEntity {
		t.Errorf("apply an import that changes nothing: status %d, want 422", got)
	}
	for _, id := range []string{"0", "abc", "999999"} {
		if got := c.post("/abonnes/import/appliquer", url.Values{"import": {id}}).status; got != http.StatusNotFound {
			t.Errorf("apply import %q: status %d, want 404", id, got)
		}
		if got := c.get("/abonnes/import/" + id + "/suivi").status; got != http.StatusNotFound {
			t.Errorf("progress of import %q: status %d, want 404", id, got)
		}
	}
}

// zeros is n bytes of "0", read without holding them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.n)
	for i := range p[:n] {
		p[i] = '0'
	}
	z.n -= n
	return int(n), nil
}

// TestImportRefusesBadUploads: each bad upload comes back to the form with
// a French message next to the file field, never a 500.
func TestImportRefusesBadUploads(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
	tests := []struct {
		name     string
		fields   url.Values
		fileName string
		body     io.Reader
		field    string
		want     string
	}{
		{"no file", nil, "", nil, "fichier", "Choisissez le fichier exporté du SIGB"},
		{"empty file", nil, "vide.csv", strings.NewReader(""), "fichier", "est vide"},
		{"blank file", nil, "blanc.csv", strings.NewReader("\r\n  \r\n"), "fichier", "est vide"},
		{"an image", nil, "photo.png", strings.NewReader(png), "fichier", "n&#39;est ni un CSV ni un classeur XLSX"},
		{"an old Excel file", nil, "lecteurs.xls", strings.NewReader("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), "fichier", "n&#39;est ni un CSV ni un classeur XLSX"},
		{"a broken XLSX", nil, "lecteurs.xlsx", strings.NewReader("PK\x03\x04 pas un zip"), "fichier", ""},
		{"too large", nil, "enorme.csv", &zeros{n: 51 << 20}, "fichier", "Le fichier dépasse 50 Mo"},
		{"unknown encoding", url.Values{"encodage": {"ebcdic"}}, "a.csv", kohaCSV(t, "A-0001;;;;;20/11/2026;"), "encodage", "choisissez un encodage de la liste"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.upload("/abonnes/import", tt.fields, tt.fileName, tt.body)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%.2000s", res.status, res.body)
			}
			msg := res.fieldError(tt.field)
			if msg == "" || !strings.Contains(res.body, tt.want) {
				t.Errorf("message next to %s: %q; want one with %q", tt.field, msg, tt.want)
			}
			if !strings.Contains(res.body, `class="error-summary"`) || !strings.Contains(res.body, "<title>Erreur : Importer depuis le SIGB") {
				t.Errorf("no error summary or title")
			}
		})
	}
	if p := w.patron(w.patronA); p.Status != sesame.StatusToValidate {
		t.Errorf("a refused upload changed a patron: %s", p.Status)
	}
}

// TestImportCrossSiteIsRefused: the upload form is protected from other
// sites like every form, multipart or not.
func TestImportCrossSiteIsRefused(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	res := c.upload("/abonnes/import", nil, "a.csv", kohaCSV(t, "A-0001;;;;;20/11/2026;"), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if res.status != http.StatusForbidden {
		t.Errorf("cross-site upload: status %d, want 403", res.status)
	}
	if got := c.post("/abonnes/import/appliquer", url.Values{"import": {"1"}}); got.status == http.StatusSeeOther {
		t.Errorf("apply of nothing redirected")
	}
	req, err := http.NewRequest(http.MethodPost, w.server.URL+"/abonnes/import/appliquer", strings.NewReader("import=1"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if got := c.do(req).status; got != http.StatusForbidden {
		t.Errorf("cross-site apply: status %d, want 403", got)
	}
	if got := w.anonymous().get("/abonnes/import"); got.status == http.StatusOK {
		t.Errorf("the import page is open to anyone")
	}
}

// TestImportNetworkAdminNamesLibraries: the network admin's file says each
// line's library; without that column, the page asks for it.
func TestImportNetworkAdminNamesLibraries(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	text := "cardnumber;branchcode;dateenrolled\r\nA-0001;FOUESNANT;20/11/2026\r\nB-0001;QUIMPER;20/11/2026\r\nB-0001;BREST;20/11/2026\r\n"
	res := admin.upload("/abonnes/import", nil, "reseau.csv", strings.NewReader(text))
	if res.status != http.StatusOK {
		t.Fatalf("admin preview: status %d\n%.3000s", res.status, res.body)
	}
	for _, want := range []string{"1 renouvellement", "1 inscrit au SIGB à valider", "1 ligne invalide", "LEFÈVRE Anne", "KERJEAN Yann", "(Médiathèque de Quimper)"} {
		if !strings.Contains(strings.ToLower(res.body), strings.ToLower(want)) {
			t.Errorf("admin preview lacks %q:\n%.6000s", want, res.body)
		}
	}

	// No library column: asked for, with the file's headers to choose from.
	noLib := "cardnumber;dateenrolled;site du lecteur\r\nA-0001;20/11/2026;FOUESNANT\r\n"
	res = admin.upload("/abonnes/import", nil, "reseau.csv", strings.NewReader(noLib))
	if res.status != http.StatusOK || !strings.Contains(res.body, `<select id="f-colonne-bibliotheque" name="colonne-bibliotheque"`) ||
		!strings.Contains(res.body, `<option value="site du lecteur">`) || !strings.Contains(res.body, "Prévisualiser avec ces colonnes") {
		t.Fatalf("admin without library column: status %d, no list to choose it:\n%.4000s", res.status, res.body)
	}
	res = admin.upload("/abonnes/import", url.Values{"etape": {"colonnes"}, "colonne-bibliotheque": {"site du lecteur"}}, "reseau.csv", strings.NewReader(noLib))
	if res.status != http.StatusOK || !strings.Contains(res.body, "Prévisualisation de l&#39;import") {
		t.Fatalf("admin with the library column chosen: status %d\n%.4000s", res.status, res.body)
	}
	// The library's staff never import for the network: a library column
	// naming another library does not reach it.
	c := w.login("fouesnant")
	res = c.upload("/abonnes/import", nil, "reseau.csv", strings.NewReader(text))
	if res.status != http.StatusOK || strings.Contains(res.body, "KERJEAN") {
		t.Errorf("a library's import showed another library's patron: status %d\n%.4000s", res.status, res.body)
	}
}

// TestImportMapsColumnsAndRemembers: a header the page does not know is
// mapped by the librarian, refused when a needed column stays absent, and
// remembered for the next file with the same header.
func TestImportMapsColumnsAndRemembers(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")
	text := "Code lecteur;Quand;Divers\r\nA-0001;20/11/2026;x\r\n"
	res := c.upload("/abonnes/import", url.Values{"encodage": {"utf-8"}}, "maison.csv", strings.NewReader(text))
	if res.status != http.StatusOK || !strings.Contains(res.body, `name="colonne-carte"`) || !strings.Contains(res.body, `name="colonne-date_inscription"`) ||
		!strings.Contains(res.body, "Absente du fichier") || !strings.Contains(res.body, "choisissez-le de nouveau") {
		t.Fatalf("unknown header: status %d, no mapping form:\n%.4000s", res.status, res.body)
	}
	if !strings.Contains(res.body, `<option value="utf-8" selected>`) {
		t.Errorf("the chosen encoding is not kept")
	}

	// A needed column left absent: refused next to its list, the rest kept.
	res = c.upload("/abonnes/import", url.Values{"etape": {"colonnes"}, "colonne-carte": {"Code lecteur"}}, "maison.csv", strings.NewReader(text))
	if res.status != http.StatusUnprocessableEntity || res.fieldError("colonne-date_inscription") == "" || !strings.Contains(res.body, `<option value="Code lecteur" selected>`) {
		t.Fatalf("mapping without a date: status %d, message %q\n%.4000s", res.status, res.fieldError("colonne-date_inscription"), res.body)
	}
	// A header that is not in the file.
	res = c.upload("/abonnes/import", url.Values{"etape": {"colonnes"}, "colonne-carte": {"Inventé"}, "colonne-date_inscription": {"Quand"}}, "maison.csv", strings.NewReader(text))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("colonne-carte"), "n&#39;est pas dans ce fichier") && !strings.Contains(res.fieldError("colonne-carte"), "n'est pas dans ce fichier") {
		t.Fatalf("mapping to a header not in the file: status %d, message %q", res.status, res.fieldError("colonne-carte"))
	}

	res = c.upload("/abonnes/import", url.Values{"etape": {"colonnes"}, "colonne-carte": {"Code lecteur"}, "colonne-date_inscription": {"Quand"}}, "maison.csv", strings.NewReader(text))
	if res.status != http.StatusOK || !strings.Contains(res.body, "1 inscrit au SIGB à valider") {
		t.Fatalf("mapped preview: status %d\n%.4000s", res.status, res.body)
	}
	// Next time, the same header is read as it was mapped.
	res = c.upload("/abonnes/import", nil, "maison-decembre.csv", strings.NewReader(text))
	if res.status != http.StatusOK || !strings.Contains(res.body, "1 inscrit au SIGB à valider") || !strings.Contains(res.body, "correspondance enregistrée") {
		t.Fatalf("remembered mapping: status %d\n%.4000s", res.status, res.body)
	}
	// Quimper's files are not read with Fouesnant's mapping.
	res = w.login("quimper").upload("/abonnes/import", nil, "maison.csv", strings.NewReader(text))
	if !strings.Contains(res.body, `name="colonne-carte"`) {
		t.Errorf("another library's mapping was used")
	}
}
