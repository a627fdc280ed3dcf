package web_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
	"github.com/bdf29/sesame/internal/web"
)

// adminPassword is the password of every account the admin tests create.
const adminPassword = "une phrase de passe pour les tests"

// adminHasher is cheap: tests hash many passwords.
var adminHasher = auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}

// adminEnv is a running site on a fresh SQLite file, with two libraries, a
// resource, the network admin "admin" and the library staff "fouesnant".
type adminEnv struct {
	t          testing.TB
	url        string
	store      *store.Store
	libID      int64 // FOUESNANT
	otherLibID int64 // QUIMPER
	resID      int64 // cafeyn
	otherResID int64 // toutapprendre
	adminID    int64
	staffID    int64
}

func adminTestServer(t testing.TB) *adminEnv {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	setup := sesame.Actor{Label: "installation"}
	e := &adminEnv{t: t, store: st}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		return id
	}
	e.libID = must(st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Bibliothèque de Fouesnant", Town: "Fouesnant", ContactEmail: "bib@fouesnant.fr"}, setup))
	e.otherLibID = must(st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "media@quimper.fr"}, setup))
	e.resID = must(st.CreateResource(ctx, sesame.Resource{Slug: "cafeyn", Name: "Cafeyn", Description: "La presse en ligne.", URL: "https://www.cafeyn.co/"}, setup))
	e.otherResID = must(st.CreateResource(ctx, sesame.Resource{Slug: "toutapprendre", Name: "Toutapprendre", URL: "https://www.toutapprendre.com/"}, setup))
	hash, err := adminHasher.Hash(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.adminID = must(st.CreateStaff(ctx, sesame.Staff{Login: "admin", Name: "Administration", Role: sesame.RoleAdmin, PasswordHash: hash}, setup))
	e.staffID = must(st.CreateStaff(ctx, sesame.Staff{Login: "fouesnant", Name: "Bibliothèque de Fouesnant", Role: sesame.RoleLibrary, LibraryID: e.libID, PasswordHash: hash}, setup))

	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Random: rand.Reader, Hasher: adminHasher, Location: paris})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// adminClient is a browser that keeps its cookies and shows redirects instead of following them.
type adminClient struct {
	e *adminEnv
	c *http.Client
}

func (e *adminEnv) anonymous() *adminClient {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &adminClient{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loginAs logs in and fails the test unless the login page lets them in.
func (e *adminEnv) loginAs(login, password string) *adminClient {
	e.t.Helper()
	c := e.anonymous()
	if r := c.post("/connexion", url.Values{"identifiant": {login}, "mot_de_passe": {password}}); r.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: got %d, want 303", login, r.status)
	}
	return c
}

type adminResp struct {
	status   int
	location string
	body     string
}

func (c *adminClient) do(req *http.Request) adminResp {
	c.e.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return adminResp{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}
}

func (c *adminClient) get(path string) adminResp {
	c.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.url+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

func (c *adminClient) post(path string, form url.Values) adminResp {
	c.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var (
	adminTagRe      = regexp.MustCompile(`(?s)<(input|textarea|select)\b[^>]*>`)
	adminValueRe    = regexp.MustCompile(`\bvalue="([^"]*)"`)
	adminNameRe     = regexp.MustCompile(`\bname="([^"]*)"`)
	adminTextareaRe = regexp.MustCompile(`(?s)^[^>]*>(.*?)</textarea>`)
	adminPasswordRe = regexp.MustCompile(`<code id="mot-de-passe">([^<]*)</code>`)
)

// value is what the form on the page holds for the field name: an input's
// value, a textarea's text, a select's selected option.
func (r adminResp) value(name string) (string, bool) {
	for _, loc := range adminTagRe.FindAllStringSubmatchIndex(r.body, -1) {
		tag := r.body[loc[0]:loc[1]]
		m := adminNameRe.FindStringSubmatch(tag)
		if m == nil || html.UnescapeString(m[1]) != name {
			continue
		}
		switch r.body[loc[2]:loc[3]] {
		case "textarea":
			t := adminTextareaRe.FindStringSubmatch(r.body[loc[0]:])
			if t == nil {
				return "", false
			}
			return html.UnescapeString(t[1]), true
		case "select":
			end := strings.Index(r.body[loc[1]:], "</select>")
			if end < 0 {
				return "", false
			}
			for _, opt := range strings.Split(r.body[loc[1]:loc[1]+end], "<option") {
				if strings.Contains(opt, " selected") {
					if v := adminValueRe.FindStringSubmatch(opt); v != nil {
						return html.UnescapeString(v[1]), true
					}
				}
			}
			return "", true
		}
		if v := adminValueRe.FindStringSubmatch(tag); v != nil {
			return html.UnescapeString(v[1]), true
		}
		return "", true
	}
	return "", false
}

// fieldError is the message shown next to the field name.
func (r adminResp) fieldError(name string) string {
	re := regexp.MustCompile(`(?s)<p class="error" id="f-` + regexp.QuoteMeta(name) + `-erreur">(.*?)</p>`)
	if m := re.FindStringSubmatch(r.body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// contains reports whether the page's text holds s, entities decoded.
func (r adminResp) contains(s string) bool { return strings.Contains(html.UnescapeString(r.body), s) }

func adminWith(base url.Values, kv ...string) url.Values {
	v := url.Values{}
	for k, vals := range base {
		v[k] = append([]string(nil), vals...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

var (
	adminGoodLibrary  = url.Values{"code": {"brest-2"}, "nom": {"Bibliothèque de Brest"}, "ville": {"Brest"}, "email": {"Contact@Brest.fr"}}
	adminGoodResource = url.Values{"identifiant_court": {"philharmonie"}, "nom": {"Philharmonie à la demande"}, "description": {"Concerts\r\net documentaires."}, "lien": {"https://pad.philharmoniedeparis.fr/"}}
	adminGoodNetwork  = url.Values{"nom": {"Bibliothèque du Finistère"}, "email": {"contact@finistere.fr"}, "validite": {"24"}}
)

func (e *adminEnv) adminRoutes() []string {
	return []string{
		"GET /admin", "GET /admin/bibliotheques", "GET /admin/bibliotheques/nouvelle", "POST /admin/bibliotheques/nouvelle",
		fmt.Sprintf("GET /admin/bibliotheques/%d", e.libID), fmt.Sprintf("POST /admin/bibliotheques/%d", e.libID),
		"GET /admin/ressources", "GET /admin/ressources/nouvelle", "POST /admin/ressources/nouvelle",
		fmt.Sprintf("GET /admin/ressources/%d", e.resID), fmt.Sprintf("POST /admin/ressources/%d", e.resID),
		"GET /admin/personnel", "GET /admin/personnel/nouveau", "POST /admin/personnel/nouveau",
		fmt.Sprintf("GET /admin/personnel/%d", e.staffID), fmt.Sprintf("POST /admin/personnel/%d", e.staffID),
		fmt.Sprintf("POST /admin/personnel/%d/mot-de-passe", e.staffID),
		"GET /admin/reseau", "POST /admin/reseau",
	}
}

func (c *adminClient) request(route string, form url.Values) adminResp {
	c.e.t.Helper()
	method, path, _ := strings.Cut(route, " ")
	if method == http.MethodPost {
		return c.post(path, form)
	}
	return c.get(path)
}

func TestAdminAccess(t *testing.T) {
	e := adminTestServer(t)
	anon, staff, admin := e.anonymous(), e.loginAs("fouesnant", adminPassword), e.loginAs("admin", adminPassword)
	for _, route := range e.adminRoutes() {
		t.Run(route, func(t *testing.T) {
			if r := anon.request(route, url.Values{}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/connexion") {
				t.Errorf("anonymous: got %d to %q, want 303 to /connexion", r.status, r.location)
			}
			if r := staff.request(route, url.Values{}); r.status != http.StatusForbidden {
				t.Errorf("library staff: got %d, want 403", r.status)
			}
			if strings.HasPrefix(route, "GET ") {
				r := admin.request(route, nil)
				if r.status != http.StatusOK {
					t.Errorf("admin: got %d, want 200", r.status)
				}
				if !strings.Contains(r.body, `href="/admin" aria-current="page"`) {
					t.Errorf("admin: the menu does not mark Administration as current")
				}
			}
		})
	}
	// Nothing changed for the refused requests: the library staff's password still works.
	e.loginAs("fouesnant", adminPassword)
}

func TestAdminHome(t *testing.T) {
	e := adminTestServer(t)
	r := e.loginAs("admin", adminPassword).get("/admin")
	if r.status != http.StatusOK {
		t.Fatalf("got %d, want 200", r.status)
	}
	for _, want := range []string{`href="/admin/bibliotheques"`, `href="/admin/ressources"`, `href="/admin/personnel"`, `href="/admin/reseau"`, `href="/abonnes"`,
		"2 bibliothèques", "2 ressources", "2 comptes", "0 abonné"} {
		if !r.contains(want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestAdminNotFound(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	for _, route := range []string{
		"GET /admin/bibliotheques/abc", "GET /admin/bibliotheques/999", "POST /admin/bibliotheques/0", "POST /admin/bibliotheques/999",
		"GET /admin/ressources/-1", "POST /admin/ressources/999", "GET /admin/ressources/99999999999999999999",
		"GET /admin/personnel/x", "POST /admin/personnel/999", "POST /admin/personnel/999/mot-de-passe", "POST /admin/personnel/abc/mot-de-passe",
	} {
		t.Run(route, func(t *testing.T) {
			if r := admin.request(route, adminGoodLibrary); r.status != http.StatusNotFound {
				t.Errorf("got %d, want 404", r.status)
			}
		})
	}
}

func TestAdminLibraryCreateEdit(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	ctx := context.Background()

	r := admin.post("/admin/bibliotheques/nouvelle", adminGoodLibrary)
	if r.status != http.StatusSeeOther || r.location != "/admin/bibliotheques?ok=cree" {
		t.Fatalf("create: got %d to %q, want 303 to /admin/bibliotheques?ok=cree", r.status, r.location)
	}
	libs, err := e.store.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var created *sesame.Library
	for i := range libs {
		if libs[i].Code == "BREST-2" {
			created = &libs[i]
		}
	}
	if created == nil {
		t.Fatalf("no library BREST-2 after create: %+v", libs)
	}
	if created.ContactEmail != "contact@brest.fr" || created.Town != "Brest" || created.Disabled {
		t.Errorf("created %+v, want e-mail contact@brest.fr, town Brest, active", created)
	}
	list := admin.get("/admin/bibliotheques?ok=cree")
	if !list.contains("La fiche a été créée.") || !list.contains("BREST-2") || !list.contains(fmt.Sprintf(`href="/admin/bibliotheques/%d"`, created.ID)) {
		t.Errorf("list lacks the notice, the new code or its edit link")
	}

	path := fmt.Sprintf("/admin/bibliotheques/%d", created.ID)
	edit := admin.get(path)
	if v, _ := edit.value("code"); v != "BREST-2" {
		t.Errorf("edit form code: got %q, want BREST-2", v)
	}
	if !edit.contains("Enregistrer la bibliothèque") {
		t.Errorf("edit form lacks its button")
	}
	r = admin.post(path, adminWith(adminGoodLibrary, "nom", "Médiathèque de Brest", "desactive", "1"))
	if r.status != http.StatusSeeOther || r.location != "/admin/bibliotheques?ok=enregistre" {
		t.Fatalf("edit: got %d to %q, want 303 to /admin/bibliotheques?ok=enregistre", r.status, r.location)
	}
	got, err := e.store.Library(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Médiathèque de Brest" || !got.Disabled {
		t.Errorf("after edit: got %+v, want name Médiathèque de Brest, disabled", got)
	}
	if !admin.get("/admin/bibliotheques").contains("Désactivée") {
		t.Errorf("list does not show the library as disabled")
	}
}

func TestAdminResourceCreateEdit(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	ctx := context.Background()

	r := admin.post("/admin/ressources/nouvelle", adminWith(adminGoodResource, "identifiant_court", "Philharmonie"))
	if r.status != http.StatusSeeOther || r.location != "/admin/ressources?ok=cree" {
		t.Fatalf("create: got %d to %q, want 303 to /admin/ressources?ok=cree", r.status, r.location)
	}
	list, err := e.store.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The list is in French order: find the new one by its slug.
	var created sesame.Resource
	for _, res := range list {
		if res.Slug == "philharmonie" {
			created = res
		}
	}
	if created.Slug != "philharmonie" || created.Description != "Concerts\r\net documentaires." || created.URL != "https://pad.philharmoniedeparis.fr/" {
		t.Errorf("created %+v", created)
	}
	path := fmt.Sprintf("/admin/ressources/%d", created.ID)
	if v, _ := admin.get(path).value("description"); v != "Concerts\net documentaires." && v != created.Description {
		t.Errorf("edit form description: got %q", v)
	}
	r = admin.post(path, adminWith(adminGoodResource, "lien", "http://pad.philharmoniedeparis.fr/concerts", "desactive", "1"))
	if r.status != http.StatusSeeOther || r.location != "/admin/ressources?ok=enregistre" {
		t.Fatalf("edit: got %d to %q, want 303 to /admin/ressources?ok=enregistre", r.status, r.location)
	}
	got, err := e.store.Resource(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "http://pad.philharmoniedeparis.fr/concerts" || !got.Disabled {
		t.Errorf("after edit: got %+v", got)
	}
}

func TestAdminNetworkEdit(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	if v, _ := admin.get("/admin/reseau").value("validite"); v != "12" {
		t.Errorf("default validity: got %q, want 12", v)
	}
	r := admin.post("/admin/reseau", adminGoodNetwork)
	if r.status != http.StatusSeeOther || r.location != "/admin/reseau?ok=enregistre" {
		t.Fatalf("got %d to %q, want 303 to /admin/reseau?ok=enregistre", r.status, r.location)
	}
	n, err := e.store.Network(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "Bibliothèque du Finistère" || n.ContactEmail != "contact@finistere.fr" || n.ValidityMonths != 24 {
		t.Errorf("got %+v", n)
	}
	if !admin.get("/admin").contains("<title>Administration du réseau – Bibliothèque du Finistère</title>") {
		t.Errorf("the layout does not show the new network name")
	}
}

// TestAdminBadInput sends each refused form: the page comes back with 422,
// the message next to the field, and what was typed.
func TestAdminBadInput(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	long := strings.Repeat("é", 101)
	lib := fmt.Sprintf("/admin/bibliotheques/%d", e.otherLibID)
	res := fmt.Sprintf("/admin/ressources/%d", e.otherResID)
	staff := fmt.Sprintf("/admin/personnel/%d", e.staffID)
	goodStaff := url.Values{"identifiant": {"brest"}, "nom": {"Bibliothèque de Brest"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.libID)}}
	editStaff := url.Values{"nom": {"Bibliothèque de Fouesnant"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.libID)}}
	cases := []struct {
		name   string
		path   string
		form   url.Values
		field  string
		wantIn string // part of the message shown next to field
	}{
		{"library empty code", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "code", ""), "code", "Code : ce champ est obligatoire."},
		{"library bad code", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "code", "BRÉST NORD"), "code", "Code : de 2 à 40 caractères"},
		{"library code too short", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "code", "B"), "code", "Code : de 2 à 40 caractères"},
		{"library code too long", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "code", strings.Repeat("A", 41)), "code", "Code : de 2 à 40 caractères"},
		{"library duplicate code", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "code", "fouesnant"), "code", "Code : une bibliothèque porte déjà ce code."},
		{"library duplicate code on edit", lib, adminWith(adminGoodLibrary, "code", "FOUESNANT"), "code", "Code : une bibliothèque porte déjà ce code."},
		{"library empty name", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "nom", ""), "nom", "Nom : ce champ est obligatoire."},
		{"library name too long", lib, adminWith(adminGoodLibrary, "nom", long), "nom", "Nom : 100 caractères au maximum (101 saisis)."},
		{"library town control character", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "ville", "Brest\x07"), "ville", "Ville : le texte contient des caractères de contrôle."},
		{"library bad e-mail", "/admin/bibliotheques/nouvelle", adminWith(adminGoodLibrary, "email", "contact@brest"), "email", "E-mail de contact : l'adresse doit être de la forme nom@exemple.fr."},
		{"library empty e-mail", lib, adminWith(adminGoodLibrary, "email", ""), "email", "E-mail de contact : ce champ est obligatoire."},

		{"resource bad slug", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "identifiant_court", "philharmonie_2"), "identifiant_court", "Identifiant court : de 2 à 60 caractères"},
		{"resource empty slug", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "identifiant_court", ""), "identifiant_court", "Identifiant court : ce champ est obligatoire."},
		{"resource duplicate slug", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "identifiant_court", "cafeyn"), "identifiant_court", "Identifiant court : une ressource porte déjà cet identifiant court."},
		{"resource duplicate slug on edit", res, adminWith(adminGoodResource, "identifiant_court", "Cafeyn"), "identifiant_court", "Identifiant court : une ressource porte déjà cet identifiant court."},
		{"resource name control character", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "nom", "Phil\u2028harmonie"), "nom", "Nom : le texte contient des caractères de contrôle."},
		{"resource description too long", res, adminWith(adminGoodResource, "description", strings.Repeat("a", 1001)), "description", "Description : 1000 caractères au maximum (1001 saisis)."},
		{"resource description control character", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "description", "Con\x0bcerts"), "description", "Description : le texte contient des caractères de contrôle."},
		{"resource javascript URL", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "lien", "javascript:alert(1)"), "lien", "Lien du fournisseur : indiquez une adresse complète"},
		{"resource relative URL", res, adminWith(adminGoodResource, "lien", "www.exemple.fr/page"), "lien", "Lien du fournisseur : indiquez une adresse complète"},
		{"resource ftp URL", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "lien", "ftp://exemple.fr/"), "lien", "Lien du fournisseur : indiquez une adresse complète"},
		{"resource empty URL", "/admin/ressources/nouvelle", adminWith(adminGoodResource, "lien", ""), "lien", "Lien du fournisseur : ce champ est obligatoire."},

		{"staff bad login", "/admin/personnel/nouveau", adminWith(goodStaff, "identifiant", "jean dupont"), "identifiant", "Identifiant : 64 caractères au plus"},
		{"staff empty login", "/admin/personnel/nouveau", adminWith(goodStaff, "identifiant", ""), "identifiant", "Identifiant : ce champ est obligatoire."},
		{"staff duplicate login", "/admin/personnel/nouveau", adminWith(goodStaff, "identifiant", "Fouesnant"), "identifiant", "Identifiant : cet identifiant est déjà pris."},
		{"staff name too long", "/admin/personnel/nouveau", adminWith(goodStaff, "nom", long), "nom", "Nom : 100 caractères au maximum (101 saisis)."},
		{"staff name control character", staff, adminWith(editStaff, "nom", "Fouesnant\x1b[31m"), "nom", "Nom : le texte contient des caractères de contrôle."},
		{"staff without role", "/admin/personnel/nouveau", adminWith(goodStaff, "role", ""), "role", "Rôle : choisissez"},
		{"staff unknown role", staff, adminWith(editStaff, "role", "superadmin"), "role", "Rôle : choisissez"},
		{"library staff without library", "/admin/personnel/nouveau", adminWith(goodStaff, "bibliotheque", ""), "bibliotheque", "Bibliothèque : obligatoire pour le personnel de bibliothèque."},
		{"library staff with unknown library", staff, adminWith(editStaff, "bibliotheque", "999"), "bibliotheque", "Bibliothèque : choisissez une bibliothèque de la liste."},
		{"admin with a library", "/admin/personnel/nouveau", adminWith(goodStaff, "role", "admin"), "bibliotheque", "Bibliothèque : un compte de l'administration du réseau n'est rattaché à aucune bibliothèque"},
		{"admin disables themself", fmt.Sprintf("/admin/personnel/%d", e.adminID), url.Values{"nom": {"Administration"}, "role": {"admin"}, "desactive": {"1"}}, "desactive", "vous ne pouvez pas désactiver votre propre compte"},
		{"admin demotes themself", fmt.Sprintf("/admin/personnel/%d", e.adminID), url.Values{"nom": {"Administration"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.libID)}}, "role", "vous ne pouvez pas retirer à votre propre compte l'administration du réseau"},

		{"network empty name", "/admin/reseau", adminWith(adminGoodNetwork, "nom", ""), "nom", "Nom du réseau : ce champ est obligatoire."},
		{"network name too long", "/admin/reseau", adminWith(adminGoodNetwork, "nom", long), "nom", "Nom du réseau : 100 caractères au maximum (101 saisis)."},
		{"network name control character", "/admin/reseau", adminWith(adminGoodNetwork, "nom", "Finistère\x7f"), "nom", "Nom du réseau : le texte contient des caractères de contrôle."},
		{"network bad e-mail", "/admin/reseau", adminWith(adminGoodNetwork, "email", "contact at finistere.fr"), "email", "E-mail de contact : l'adresse doit être de la forme nom@exemple.fr."},
		{"network validity zero", "/admin/reseau", adminWith(adminGoodNetwork, "validite", "0"), "validite", "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36"},
		{"network validity too long", "/admin/reseau", adminWith(adminGoodNetwork, "validite", "37"), "validite", "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36"},
		{"network validity not a number", "/admin/reseau", adminWith(adminGoodNetwork, "validite", "douze"), "validite", "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36"},
		{"network validity decimal", "/admin/reseau", adminWith(adminGoodNetwork, "validite", "1.5"), "validite", "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36"},
		{"network validity huge", "/admin/reseau", adminWith(adminGoodNetwork, "validite", "99999999999999999999999"), "validite", "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36"},
		{"network validity empty", "/admin/reseau", adminWith(adminGoodNetwork, "validite", ""), "validite", "Durée de validité des comptes : ce champ est obligatoire."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.post(tc.path, tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", r.status)
			}
			if got := r.fieldError(tc.field); !strings.Contains(got, tc.wantIn) {
				t.Errorf("message next to %s: got %q, want it to contain %q", tc.field, got, tc.wantIn)
			}
			if !strings.Contains(r.body, `class="error-summary"`) || !strings.Contains(r.body, `href="#f-`+tc.field+`"`) {
				t.Errorf("the error summary does not link to the field %s", tc.field)
			}
			if !strings.Contains(r.body, "<title>Erreur : ") {
				t.Errorf("the title does not start with « Erreur : »")
			}
			if role := tc.form.Get("role"); role == "admin" || role == "bibliotheque" {
				if !strings.Contains(r.body, `value="`+role+`" checked`) {
					t.Errorf("the role %s is no longer checked", role)
				}
			}
			if tc.form.Get("desactive") == "1" && !strings.Contains(r.body, `name="desactive" value="1" checked`) {
				t.Errorf("the Désactiver box is no longer ticked")
			}
			for name := range tc.form {
				switch {
				case name == "role" || name == "desactive":
					continue // not text: checked separately where it matters
				case name == "identifiant" && tc.path != "/admin/personnel/nouveau":
					continue // shown from the record, never from the form
				case name == "bibliotheque" && tc.form.Get(name) == "999":
					continue // a select keeps only the choices it offers
				}
				if got, ok := r.value(name); !ok || got != tc.form.Get(name) && got != strings.ReplaceAll(tc.form.Get(name), "\r\n", "\n") {
					t.Errorf("field %s: got %q (found %v), want what was typed, %q", name, got, ok, tc.form.Get(name))
				}
			}
		})
	}
	// Nothing refused was saved.
	ctx := context.Background()
	if libs, _ := e.store.Libraries(ctx); len(libs) != 2 {
		t.Errorf("got %d libraries, want 2", len(libs))
	}
	if list, _ := e.store.Resources(ctx); len(list) != 2 {
		t.Errorf("got %d resources, want 2", len(list))
	}
	if list, _ := e.store.StaffList(ctx); len(list) != 2 {
		t.Errorf("got %d staff, want 2", len(list))
	}
	if me, _ := e.store.StaffMember(ctx, e.adminID); me.Disabled || me.Role != sesame.RoleAdmin {
		t.Errorf("the admin's own account changed: %+v", me)
	}
}

func TestAdminStaffCreate(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	cases := []struct {
		name    string
		form    url.Values
		role    sesame.Role
		library int64
	}{
		{"library staff", url.Values{"identifiant": {" Brest.Nord "}, "nom": {"Bibliothèque de Brest"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.otherLibID)}}, sesame.RoleLibrary, e.otherLibID},
		{"network admin", url.Values{"identifiant": {"admin2"}, "nom": {"Seconde administration"}, "role": {"admin"}, "bibliotheque": {""}}, sesame.RoleAdmin, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.post("/admin/personnel/nouveau", tc.form)
			if r.status != http.StatusOK {
				t.Fatalf("got %d, want 200", r.status)
			}
			m := adminPasswordRe.FindStringSubmatch(r.body)
			if m == nil || len(m[1]) != 20 {
				t.Fatalf("the page does not show a 20-character password")
			}
			if !r.contains("Il ne sera plus affiché.") {
				t.Errorf("the page does not say the password is shown once")
			}
			login := sesame.NormalizeLogin(tc.form.Get("identifiant"))
			st, err := e.store.StaffByLogin(context.Background(), login)
			if err != nil {
				t.Fatalf("staff %s: %v", login, err)
			}
			if st.Role != tc.role || st.LibraryID != tc.library || st.Name != tc.form.Get("nom") {
				t.Errorf("got %+v, want role %s, library %d", st, tc.role, tc.library)
			}
			if st.PasswordHash == "" || strings.Contains(st.PasswordHash, m[1]) {
				t.Errorf("the password is not stored hashed")
			}
			e.loginAs(login, html.UnescapeString(m[1]))
			if !admin.get("/admin/personnel").contains(login) {
				t.Errorf("the list lacks %s", login)
			}
		})
	}
}

func TestAdminStaffEdit(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	staff := e.loginAs("fouesnant", adminPassword)
	path := fmt.Sprintf("/admin/personnel/%d", e.staffID)

	page := admin.get(path)
	if v, _ := page.value("bibliotheque"); v != fmt.Sprint(e.libID) {
		t.Errorf("edit form library: got %q, want %d", v, e.libID)
	}
	if !page.contains("Réinitialiser le mot de passe de fouesnant") {
		t.Errorf("edit form lacks the reset button")
	}
	r := admin.post(path, url.Values{"identifiant": {"pirate"}, "nom": {"Médiathèque de Quimper"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.otherLibID)}})
	if r.status != http.StatusSeeOther || r.location != "/admin/personnel?ok=enregistre" {
		t.Fatalf("got %d to %q, want 303 to /admin/personnel?ok=enregistre", r.status, r.location)
	}
	st, err := e.store.StaffMember(context.Background(), e.staffID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Login != "fouesnant" || st.Name != "Médiathèque de Quimper" || st.LibraryID != e.otherLibID || st.Disabled {
		t.Errorf("after edit: got %+v", st)
	}
	if r := staff.get("/abonnes"); r.status != http.StatusOK {
		t.Errorf("before disabling: got %d, want 200", r.status)
	}

	r = admin.post(path, url.Values{"nom": {"Médiathèque de Quimper"}, "role": {"bibliotheque"}, "bibliotheque": {fmt.Sprint(e.otherLibID)}, "desactive": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("disable: got %d, want 303", r.status)
	}
	if r := staff.get("/abonnes"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/connexion") {
		t.Errorf("disabled account: got %d to %q, want 303 to /connexion", r.status, r.location)
	}
	if !admin.get("/admin/personnel").contains("Désactivé") {
		t.Errorf("the list does not show the account as disabled")
	}
}

func TestAdminStaffResetPassword(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	staff := e.loginAs("fouesnant", adminPassword)
	if r := staff.get("/abonnes"); r.status != http.StatusOK {
		t.Fatalf("before reset: got %d, want 200", r.status)
	}

	r := admin.post(fmt.Sprintf("/admin/personnel/%d/mot-de-passe", e.staffID), nil)
	if r.status != http.StatusOK {
		t.Fatalf("reset: got %d, want 200", r.status)
	}
	m := adminPasswordRe.FindStringSubmatch(r.body)
	if m == nil || len(m[1]) != 20 {
		t.Fatalf("the page does not show a 20-character password")
	}
	if !r.contains("Le mot de passe a été réinitialisé.") || !r.contains("toutes les sessions de ce compte ont été fermées") {
		t.Errorf("the page does not say what happened")
	}

	if r := staff.get("/abonnes"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/connexion") {
		t.Errorf("old session after reset: got %d to %q, want 303 to /connexion", r.status, r.location)
	}
	old := e.anonymous().post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {adminPassword}})
	if old.status != http.StatusUnauthorized {
		t.Errorf("old password: got %d, want 401", old.status)
	}
	e.loginAs("fouesnant", html.UnescapeString(m[1]))
	// The admin's own session is untouched.
	if r := admin.get("/admin"); r.status != http.StatusOK {
		t.Errorf("admin after reset: got %d, want 200", r.status)
	}
}

// TestAdminNoServerError sends malformed forms to every admin POST: none may
// give a 500 or change anything.
func TestAdminNoServerError(t *testing.T) {
	e := adminTestServer(t)
	admin := e.loginAs("admin", adminPassword)
	nasty := map[string]url.Values{
		"empty":         {},
		"invalid UTF-8": {"code": {"\xff\xfe"}, "nom": {"\xff"}, "ville": {"\xc3"}, "email": {"a@\xff.fr"}, "identifiant_court": {"\xff"}, "lien": {"https://\xff/"}, "description": {"\xff"}, "identifiant": {"\xff"}, "role": {"\xff"}, "bibliotheque": {"\xff"}, "validite": {"\xff"}},
		"NUL bytes":     {"code": {"AB\x00"}, "nom": {"\x00"}, "ville": {"\x00"}, "email": {"\x00@a.fr"}, "identifiant_court": {"a\x00"}, "lien": {"https://a.fr/\x00"}, "identifiant": {"a\x00"}, "role": {"admin\x00"}, "validite": {"1\x00"}},
		"huge":          {"code": {strings.Repeat("A", 100000)}, "nom": {strings.Repeat("n", 100000)}, "description": {strings.Repeat("d", 100000)}, "lien": {"https://a.fr/" + strings.Repeat("p", 100000)}, "validite": {strings.Repeat("9", 1000)}},
		"odd values":    {"code": {"-"}, "lien": {"http://[::1"}, "bibliotheque": {"-1"}, "role": {"admin"}, "validite": {"-5"}, "desactive": {"oui"}},
	}
	for _, route := range e.adminRoutes() {
		if !strings.HasPrefix(route, "POST ") || strings.HasSuffix(route, "/mot-de-passe") {
			continue
		}
		for name, form := range nasty {
			t.Run(route+" "+name, func(t *testing.T) {
				r := admin.request(route, form)
				if r.status != http.StatusUnprocessableEntity {
					t.Errorf("got %d, want 422", r.status)
				}
			})
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.url+"/admin/reseau", strings.NewReader("nom=%zz"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := admin.do(req); r.status != http.StatusBadRequest {
		t.Errorf("unreadable form: got %d, want 400", r.status)
	}
	if n, _ := e.store.Network(context.Background()); n.Name != "Sésame" {
		t.Errorf("the network changed: %+v", n)
	}
}
