package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
)

// Resource form field names.
const (
	fieldResSlug        = "identifiant_court"
	fieldResName        = "nom"
	fieldResDescription = "description"
	fieldResURL         = "lien"
	fieldResDisabled    = "desactive"
)

type adminResourceList struct {
	Resources []sesame.Resource
}

// adminResourcePage is the form that creates a resource (ID 0) or edits one.
type adminResourcePage struct {
	ID   int64
	Name string // as saved, for the title of an edit
	Form form
}

// checkResourceSlug returns a French complaint, or "" for a slug such as "cafeyn" or "tout-apprendre".
func checkResourceSlug(slug string) string {
	if slug == "" {
		return "Identifiant court : ce champ est obligatoire."
	}
	if len(slug) < 2 || len(slug) > 60 || strings.IndexFunc(slug, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) >= 0 {
		return "Identifiant court : de 2 à 60 caractères, lettres minuscules sans accent, chiffres et tirets, par exemple tout-apprendre."
	}
	return ""
}

// checkVendorURL returns a French complaint, or "" for an absolute http or https address.
func checkVendorURL(raw string) string {
	const label = "Lien du fournisseur"
	if msg := sesame.CheckRequiredText(label, raw, 2000); msg != "" {
		return msg
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil ||
		strings.ContainsAny(raw, " <>\"") {
		return label + " : indiquez une adresse complète commençant par https:// ou http://, par exemple https://www.exemple.fr/."
	}
	return ""
}

// validateResource reads a resource from the form, with a French message for each refused field.
func validateResource(v url.Values) (sesame.Resource, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	res := sesame.Resource{
		Slug:        strings.ToLower(adminText(v, fieldResSlug)),
		Name:        adminText(v, fieldResName),
		Description: adminText(v, fieldResDescription),
		URL:         adminText(v, fieldResURL),
		Disabled:    adminCheckbox(v, fieldResDisabled),
	}
	if msg := checkResourceSlug(res.Slug); msg != "" {
		errs.Add(fieldResSlug, msg)
	}
	if msg := sesame.CheckRequiredText("Nom", res.Name, 100); msg != "" {
		errs.Add(fieldResName, msg)
	}
	if msg := sesame.CheckOptionalText("Description", res.Description, 1000, true); msg != "" {
		errs.Add(fieldResDescription, msg)
	}
	if msg := checkVendorURL(res.URL); msg != "" {
		errs.Add(fieldResURL, msg)
	}
	return res, errs
}

func resourceForm(res *sesame.Resource) form {
	return form{Values: url.Values{
		fieldResSlug: {res.Slug}, fieldResName: {res.Name}, fieldResDescription: {res.Description},
		fieldResURL: {res.URL}, fieldResDisabled: {adminBool(res.Disabled)},
	}}
}

func (s *Server) resourceList(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Resources(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "resource_list", layout{Title: "Ressources", Section: "admin", Content: adminResourceList{Resources: list}})
}

func (s *Server) renderResourceForm(w http.ResponseWriter, r *http.Request, status int, p adminResourcePage) {
	title := "Nouvelle ressource"
	if p.ID != 0 {
		title = "Ressource " + p.Name
	}
	s.render(w, r, status, "resource_form", layout{Title: formTitle(title, p.Form), Section: "admin", Content: p})
}

func (s *Server) resourceNew(w http.ResponseWriter, r *http.Request) {
	s.renderResourceForm(w, r, http.StatusOK, adminResourcePage{Form: form{Values: url.Values{}}})
}

func (s *Server) resourceCreate(w http.ResponseWriter, r *http.Request) {
	s.saveResource(w, r, nil)
}

// loadResource returns the resource named by {id}, or answers 404 and nil.
func (s *Server) loadResource(w http.ResponseWriter, r *http.Request) *sesame.Resource {
	id, err := adminPathID(r, "Ressource introuvable.")
	if err == nil {
		var res *sesame.Resource
		if res, err = s.store.Resource(r.Context(), id); err == nil {
			return res
		}
	}
	s.fail(w, r, err)
	return nil
}

func (s *Server) resourceEdit(w http.ResponseWriter, r *http.Request) {
	if res := s.loadResource(w, r); res != nil {
		s.renderResourceForm(w, r, http.StatusOK, adminResourcePage{ID: res.ID, Name: res.Name, Form: resourceForm(res)})
	}
}

func (s *Server) resourceUpdate(w http.ResponseWriter, r *http.Request) {
	if res := s.loadResource(w, r); res != nil {
		s.saveResource(w, r, res)
	}
}

// saveResource creates a resource (old is nil) or saves old with what was sent.
func (s *Server) saveResource(w http.ResponseWriter, r *http.Request, old *sesame.Resource) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	actor := actorOf(staffFrom(ctx))
	page := adminResourcePage{Form: form{Values: adminTyped(r.PostForm)}}
	if old != nil {
		page.ID, page.Name = old.ID, old.Name
	}
	res, errs := validateResource(r.PostForm)
	if len(errs) == 0 {
		var err error
		ok := "cree"
		if old == nil {
			_, err = s.store.CreateResource(ctx, res, actor)
		} else {
			res.ID, ok = old.ID, "enregistre"
			err = s.store.UpdateResource(ctx, res, actor)
		}
		switch sesame.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/ressources", ok)
			return
		case sesame.EConflict:
			errs.Add(fieldResSlug, "Identifiant court : "+adminLowerFirst(sesame.ErrorMessage(err)))
		default:
			s.fail(w, r, err)
			return
		}
	}
	page.Form.Errors = errs
	s.renderResourceForm(w, r, http.StatusUnprocessableEntity, page)
}
