package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

//go:embed templates static
var assets embed.FS

// pages holds each page's template, parsed once at start with the layout.
type pages struct {
	byName map[string]*template.Template
	static map[string]staticFile
}

type staticFile struct {
	body        []byte
	hash        string
	contentType string
}

// pageNames lists every page; New fails if one is missing.
var pageNames = []string{
	"accueil", "connexion", "erreur", "abonnes", "abonnes_confirmation", "abonne_informations", "abonne_statut", "abonne_ressources", "abonne_supprimer", "mon_compte", "mon_compte_supprimer",
	"mon_compte_informations", "mon_compte_adresse", "mon_compte_mot_de_passe", "mon_compte_renouvellement", "mon_compte_fournisseurs",
	"administration", "bibliotheques", "bibliotheque_formulaire", "ressources", "ressource_formulaire",
	"personnel", "personnel_formulaire", "personnel_mot_de_passe", "reseau_formulaire", "courriels_envoyes",
	"donnees_personnelles", "accessibilite", "mentions_legales", "mot_de_passe_oublie", "mot_de_passe_nouveau",
	"inscription", "inscription_confirmee", "inscription_accord", "inscription_renvoyer",
	"acces_refuse", "connecteurs", "connecteur_formulaire", "connecteur_supprimer", "connecteurs_etat",
	"statistiques",
	"abonnes_import", "abonnes_import_suivi",
	"saml_reponse",
	"securite_compte", "connexion_verification",
	"cles_api", "cles_api_nouvelle",
}

func parsePages(loc *time.Location) (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}, static: map[string]staticFile{}}
	entries, err := fs.ReadDir(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("read static: %w", err)
	}
	for _, e := range entries {
		body, err := assets.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read static %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		ct := "application/octet-stream"
		switch {
		case strings.HasSuffix(e.Name(), ".css"):
			ct = "text/css; charset=utf-8"
		case strings.HasSuffix(e.Name(), ".js"):
			ct = "text/javascript; charset=utf-8"
		case strings.HasSuffix(e.Name(), ".svg"):
			ct = "image/svg+xml"
		}
		p.static[e.Name()] = staticFile{body: body, hash: hex.EncodeToString(sum[:6]), contentType: ct}
	}
	funcs := template.FuncMap{
		"datetime": func(t time.Time) string { return t.In(loc).Format("02/01/2006 à 15:04") },
		"plural":   plural,
		"static": func(name string) string {
			if f, ok := p.static[name]; ok {
				return "/static/" + name + "?v=" + f.hash
			}
			return "/static/" + name
		},
		"field":    newField,
		"statuses": func() []sesame.Status { return sesame.Statuses },
		// Who changes a patron's e-mail and library, as every page says it.
		"emailAndLibraryNotice": func() string { return sesame.EmailAndLibraryNotice },
	}
	for _, name := range pageNames {
		src, err := assets.ReadFile("templates/" + name + ".html")
		if err != nil {
			return nil, fmt.Errorf("read page %s: %w", name, err)
		}
		order := fieldOrder(string(src))
		errorsInOrder := template.FuncMap{"errorsInFormOrder": func(f form) []fieldError { return f.errorsIn(order) }}
		t, err := template.New(name).Funcs(funcs).Funcs(errorsInOrder).ParseFS(assets, "templates/mise_en_page.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// layout is what every page shows around its content.
type layout struct {
	Title    string
	Network  string
	Staff    *sesame.Staff
	Patron   *sesame.Patron
	Awaiting int    // accounts waiting for the library, shown in the menu
	Section  string // the menu entry to mark as current
	Notice   string // what the last action did
	// Session, for someone logged in, warns before the session ends.
	Session *sessionWarning
	Content any
	// Refresh, when set, reloads the page after that many seconds: the
	// progress of an import, followed without a script.
	Refresh int
	// tally, when the handler already read it, spares render asking again
	// for the menu's count.
	tally *store.Tally
}

// render writes a page, built in a buffer first so that a template error
// never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, l layout) {
	ctx := r.Context()
	l.Staff = staffFrom(ctx)
	l.Patron = patronFrom(ctx)
	if n, err := s.store.Network(ctx); err == nil {
		l.Network = n.Name
	}
	if l.Staff != nil {
		if l.tally == nil {
			if t, err := s.store.Tally(ctx, scopeOf(l.Staff)); err == nil {
				l.tally = &t
			}
		}
		if l.tally != nil {
			l.Awaiting = l.tally.Awaiting
		}
	}
	if l.Staff != nil || l.Patron != nil {
		l.Session = s.warningFor(l.Staff != nil)
	}
	if l.Notice == "" {
		l.Notice = notices[r.URL.Query().Get("ok")]
	}
	if l.Notice != "" && !strings.HasPrefix(l.Title, errorTitlePrefix) {
		l.Title = noticeTitle(l.Notice) + " – " + l.Title
	}
	t, ok := s.pages.byName[name]
	if !ok {
		s.log.Error("page inconnue", "page", name)
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "mise_en_page", l); err != nil {
		s.log.Error("rendu", "page", name, "err", err)
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// notices are the messages shown after a redirect, named in its ?ok= parameter.
//
// #nosec G101 -- French UI sentences that mention "mot de passe", no credential.
var notices = map[string]string{
	"enregistre":       "Les modifications ont été enregistrées.",
	"active":           "Les ressources cochées ont été activées.",
	"listeattente":     "Toutes les places d'une ressource cochée sont prises : elle est en liste d'attente, et sera activée d'elle-même dès qu'une place se libère. Les autres ont été activées.",
	"refuse":           "La ressource a été refusée.",
	"retire":           "La ressource a été retirée, et ses accès en cours chez le fournisseur sont fermés.",
	"aucune":           "Aucune ressource n'était cochée : rien n'a changé.",
	"supprime":         "Le compte a été supprimé.",
	"cree":             "La fiche a été créée.",
	"deconnecte":       "Vous êtes déconnecté.",
	"motdepasse":       "Le mot de passe a été réinitialisé.",
	"motdepasseusager": "Votre nouveau mot de passe est enregistré. Connectez-vous avec lui ; vos autres sessions ont été fermées.",
	"inchange":         "Rien n'a changé.",
	"desactive":        "Le compte a été désactivé ; ses sessions sont fermées.",
	"statutvalid":      "Le compte est validé.",
	"renouvellement":   "Votre demande de renouvellement est envoyée à votre bibliothèque. Votre compte est maintenant « À revalider ».",

	// Self-service deletion of a patron account (RGPD art. 17).
	"compte-supprime": "Votre compte a été supprimé.",

	// The patron's own changes from "Mon compte".
	"informations":        "Vos informations ont été enregistrées.",
	"accord-parental":     "Vos informations ont été enregistrées. Avant 15 ans, votre inscription demande l'accord de votre parent ou tuteur légal : nous lui avons écrit. Votre compte est « À valider » en attendant.",
	"motdepassechange":    "Votre mot de passe a été changé. Vos autres sessions, sur d'autres appareils, ont été fermées.",
	"ressourcesdemandees": "Votre demande est envoyée à votre bibliothèque : les ressources demandées sont « en attente » de sa validation.",
	"dejademandees":       "Ces ressources étaient déjà demandées ou validées : rien n'a changé.",

	// Staff two-factor authentication.
	"double-authentification-desactivee": "La double authentification est désactivée.",

	// Connectors, for the network admin.
	"connecteur-ajoute":   "Le connecteur a été ajouté. Sa clé secrète est chiffrée et ne sera plus jamais affichée en entier.",
	"connecteur-supprime": "Le connecteur a été supprimé : le fournisseur ne peut plus s'en servir.",
	"connecteur-modifie":  "Le connecteur a été modifié. Sa clé secrète reste chiffrée et ne sera plus jamais affichée en entier.",
}

// noticeTitle is the first sentence of a notice, put before the page's
// title: a screen reader announces the title first, so the result of the
// last action (a save, a deletion) is heard as the page loads.
func noticeTitle(notice string) string {
	first, _, _ := strings.Cut(notice, ". ")
	return strings.TrimSuffix(first, ".")
}

// redirect answers a POST with 303 to target, with a notice named by ok.
func redirect(w http.ResponseWriter, r *http.Request, target, ok string) {
	if ok != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "ok=" + url.QueryEscape(ok)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type errorPage struct {
	Status  int
	Message string
}

// renderError shows an error page in French. An empty message means an
// internal error, whose details stay in the log.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if msg == "" {
		msg = sesame.ErrorMessage(nil)
	}
	title := "Erreur"
	switch status {
	case http.StatusNotFound:
		title = "Page introuvable"
	case http.StatusForbidden:
		title = "Accès refusé"
	}
	s.render(w, r, status, "erreur", layout{Title: title, Content: errorPage{Status: status, Message: msg}})
}

// fail answers err: domain errors with their status and message, anything
// else as a logged internal error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := sesame.ErrorCode(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		s.log.Error("erreur interne", "path", r.URL.Path, "err", err)
		s.renderError(w, r, status, "")
		return
	}
	s.renderError(w, r, status, sesame.ErrorMessage(err))
}

// statusOf is the one table from error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case sesame.ENotFound:
		return http.StatusNotFound
	case sesame.EConflict, sesame.EStale:
		return http.StatusConflict
	case sesame.EInvalid:
		return http.StatusUnprocessableEntity
	case sesame.EForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func plural(n int, one, many string) string {
	if n == 0 || n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// form keeps what was typed and the messages for each field, so that a
// refused form comes back as it was sent.
type form struct {
	Values url.Values
	Errors sesame.FieldErrors
}

func (f form) Get(name string) string { return f.Values.Get(name) }

// formPage is a page of one form and of a line beside it: Message, what
// is refused beyond any one field; Sent, once the form did its work, what
// was done. Forms that send mail answer the same whatever was typed.
type formPage struct {
	Form    form
	Message string
	Sent    string
}

// blankFormPage is a formPage as it first shows: nothing typed yet.
func blankFormPage() formPage { return formPage{Form: form{Values: url.Values{}}} }

func (f form) Err(name string) string { return f.Errors[name] }

// fieldError is one line of a form's error summary.
type fieldError struct{ Field, Message string }

// errorsIn lists the form's errors in the order of its fields, so that the
// summary reads like the form; a message for a field order does not name
// comes last, in the order of names.
func (f form) errorsIn(order []string) []fieldError {
	var out []fieldError
	for _, name := range order {
		if msg, ok := f.Errors[name]; ok {
			out = append(out, fieldError{name, msg})
		}
	}
	var rest []string
	for name := range f.Errors {
		if !slices.Contains(order, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		out = append(out, fieldError{name, f.Errors[name]})
	}
	return out
}

// fieldReference finds, in a page's template, each place that names a form
// field: a "field" call, a question for its error, or an element whose id
// is f-<name> (the anchor the error summary links to).
var fieldReference = regexp.MustCompile(`field \S+ "([\w-]+)"|Err "([\w-]+)"|id="f-([\w-]+)"`)

// fieldOrder lists the fields a page's template names, in the order they
// first appear: the order of its form, read once when the page is parsed.
func fieldOrder(src string) []string {
	var order []string
	for _, m := range fieldReference.FindAllStringSubmatch(src, -1) {
		name := m[1] + m[2] + m[3]
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	return order
}

// Checked reports whether a checkbox of that name and value was ticked.
func (f form) Checked(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// fieldView is one labelled input as the "field" template draws it.
type fieldView struct {
	Name, Label, Type, Value, Error, Hint, Autocomplete, InputMode string
	// Refusal is the id of a message that refuses the whole form (a failed
	// login): the field is then invalid, and described by that message too.
	Refusal            string
	Required, Disabled bool
	MaxLength          int
}

// Invalid reports whether the field is marked aria-invalid.
func (v fieldView) Invalid() bool { return v.Error != "" || v.Refusal != "" }

// DescribedBy lists the ids of what a screen reader reads after the field's
// label: its hint, its error, the message that refused the form.
func (v fieldView) DescribedBy() string {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, "f-"+v.Name+"-aide")
	}
	if v.Error != "" {
		ids = append(ids, "f-"+v.Name+"-erreur")
	}
	if v.Refusal != "" {
		ids = append(ids, v.Refusal)
	}
	return strings.Join(ids, " ")
}

// newField builds a fieldView from the form and options such as "required",
// "disabled", "hint=…", "autocomplete=…", "inputmode=…", "maxlength=…",
// "refusal=<id of the message that refused the form>" (nothing when empty).
func newField(f form, name, label, typ string, opts ...string) fieldView {
	v := fieldView{Name: name, Label: label, Type: typ, Value: f.Get(name), Error: f.Err(name)}
	for _, o := range opts {
		key, val, _ := strings.Cut(o, "=")
		switch key {
		case "required":
			v.Required = true
		case "disabled":
			v.Disabled = true
		case "hint":
			v.Hint = val
		case "autocomplete":
			v.Autocomplete = val
		case "inputmode":
			v.InputMode = val
		case "maxlength":
			fmt.Sscanf(val, "%d", &v.MaxLength)
		case "refusal":
			v.Refusal = val
		}
	}
	return v
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	f, ok := s.pages.static[r.PathValue("name")]
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Ce fichier n'existe pas.")
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(f.body)
}

// healthz says the process is alive; it asks nothing of the database, so
// that a slow database does not get a live instance restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz says the instance can serve: the database answers and its schema
// is the one this binary expects. A load balancer sends traffic only then.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Error("readyz: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
		return
	}
	pending, err := s.store.PendingMigrations(ctx)
	if err != nil || len(pending) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "migrations pending: %d\n", len(pending))
		return
	}
	fmt.Fprintln(w, "ready")
}

// notFound answers every address no other route serves, in French.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "Cette page n'existe pas. Vérifiez l'adresse, ou revenez à l'accueil.")
}

// parseForm reads a posted form; an unreadable one gets 400 and false.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return false
	}
	return true
}

// formTitle marks the title of a refused form, so that a screen reader
// announces the error as soon as the page loads.
func formTitle(title string, f form) string {
	if len(f.Errors) > 0 {
		return errorTitlePrefix + title
	}
	return title
}

// errorTitlePrefix begins the title of a page that refuses what was sent.
const errorTitlePrefix = "Erreur : "
