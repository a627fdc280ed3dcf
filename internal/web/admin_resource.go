package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
)

// Resource form field names.
const (
	fieldResSlug        = sesame.FieldResourceSlug
	fieldResName        = sesame.FieldResourceName
	fieldResDescription = sesame.FieldResourceDescription
	fieldResURL         = sesame.FieldResourceURL
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

// resourceFrom reads a resource from the form; (*sesame.Resource).Validate judges it.
func resourceFrom(v url.Values) sesame.Resource {
	return sesame.Resource{
		Slug:        strings.ToLower(adminText(v, fieldResSlug)),
		Name:        adminText(v, fieldResName),
		Description: adminText(v, fieldResDescription),
		URL:         adminText(v, fieldResURL),
		Disabled:    adminCheckbox(v, fieldResDisabled),
	}
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
	s.render(w, r, http.StatusOK, "ressources", layout{Title: "Ressources", Section: "admin", Content: adminResourceList{Resources: list}})
}

func (s *Server) renderResourceForm(w http.ResponseWriter, r *http.Request, status int, p adminResourcePage) {
	title := "Nouvelle ressource"
	if p.ID != 0 {
		title = "Ressource " + p.Name
	}
	s.render(w, r, status, "ressource_formulaire", layout{Title: formTitle(title, p.Form), Section: "admin", Content: p})
}

func (s *Server) resourceNew(w http.ResponseWriter, r *http.Request) {
	s.renderResourceForm(w, r, http.StatusOK, adminResourcePage{Form: form{Values: url.Values{}}})
}

func (s *Server) resourceCreate(w http.ResponseWriter, r *http.Request) {
	s.saveResource(w, r, nil)
}

// loadResource returns the resource named by {id}, or answers 404 and nil.
func (s *Server) loadResource(w http.ResponseWriter, r *http.Request) *sesame.Resource {
	return adminLoad(s, w, r, "Ressource introuvable.", s.store.Resource)
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
	res := resourceFrom(r.PostForm)
	errs := sesame.FieldErrors{}
	addFieldErrors(errs, res.Validate())
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
