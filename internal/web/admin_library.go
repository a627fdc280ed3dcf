package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
)

// Library form field names.
const (
	fieldLibCode     = sesame.FieldLibraryCode
	fieldLibName     = sesame.FieldLibraryName
	fieldLibTown     = sesame.FieldLibraryTown
	fieldLibEmail    = sesame.FieldLibraryEmail
	fieldLibDisabled = "desactive"
	fieldLibNotify   = sesame.FieldLibraryNotify
)

type adminLibraryList struct {
	Libraries []sesame.Library
}

// adminLibraryPage is the form that creates a library (ID 0) or edits one.
type adminLibraryPage struct {
	ID   int64
	Code string // as saved, for the title of an edit
	Form form
}

// NotifyModes are the choices of the "Demandes des usagers" radio group.
func (adminLibraryPage) NotifyModes() []sesame.NotifyMode { return sesame.NotifyModes }

// libraryFrom reads a library from the form; (*sesame.Library).Validate judges it.
func libraryFrom(v url.Values) sesame.Library {
	return sesame.Library{
		Code:         strings.ToUpper(adminText(v, fieldLibCode)),
		Name:         adminText(v, fieldLibName),
		Town:         adminText(v, fieldLibTown),
		ContactEmail: sesame.NormalizeEmail(v.Get(fieldLibEmail)),
		Disabled:     adminCheckbox(v, fieldLibDisabled),
		// With no choice sent, the setting stays as it is: see saveLibrary.
		Notify: sesame.NotifyMode(v.Get(fieldLibNotify)),
	}
}

func libraryForm(l *sesame.Library) form {
	return form{Values: url.Values{
		fieldLibCode: {l.Code}, fieldLibName: {l.Name}, fieldLibTown: {l.Town},
		fieldLibEmail: {l.ContactEmail}, fieldLibDisabled: {adminBool(l.Disabled)}, fieldLibNotify: {string(l.Notify)},
	}}
}

func (s *Server) libraryList(w http.ResponseWriter, r *http.Request) {
	libs, err := s.store.Libraries(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "bibliotheques", layout{Title: "Bibliothèques", Section: "admin", Content: adminLibraryList{Libraries: libs}})
}

func (s *Server) renderLibraryForm(w http.ResponseWriter, r *http.Request, status int, p adminLibraryPage) {
	title := "Nouvelle bibliothèque"
	if p.ID != 0 {
		title = "Bibliothèque " + p.Code
	}
	s.render(w, r, status, "bibliotheque_formulaire", layout{Title: formTitle(title, p.Form), Section: "admin", Content: p})
}

func (s *Server) libraryNew(w http.ResponseWriter, r *http.Request) {
	s.renderLibraryForm(w, r, http.StatusOK, adminLibraryPage{Form: form{Values: url.Values{fieldLibNotify: {string(sesame.NotifyEachRequest)}}}})
}

func (s *Server) libraryCreate(w http.ResponseWriter, r *http.Request) {
	s.saveLibrary(w, r, nil)
}

// loadLibrary returns the library named by {id}, or answers 404 and nil.
func (s *Server) loadLibrary(w http.ResponseWriter, r *http.Request) *sesame.Library {
	return adminLoad(s, w, r, "Bibliothèque introuvable.", s.store.Library)
}

func (s *Server) libraryEdit(w http.ResponseWriter, r *http.Request) {
	if l := s.loadLibrary(w, r); l != nil {
		s.renderLibraryForm(w, r, http.StatusOK, adminLibraryPage{ID: l.ID, Code: l.Code, Form: libraryForm(l)})
	}
}

func (s *Server) libraryUpdate(w http.ResponseWriter, r *http.Request) {
	if l := s.loadLibrary(w, r); l != nil {
		s.saveLibrary(w, r, l)
	}
}

// saveLibrary creates a library (old is nil) or saves old with what was sent.
func (s *Server) saveLibrary(w http.ResponseWriter, r *http.Request, old *sesame.Library) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	actor := actorOf(staffFrom(ctx))
	page := adminLibraryPage{Form: form{Values: adminTyped(r.PostForm)}}
	if old != nil {
		page.ID, page.Code = old.ID, old.Code
	}
	l := libraryFrom(r.PostForm)
	errs := sesame.FieldErrors{}
	addFieldErrors(errs, l.Validate())
	if len(errs) == 0 {
		var err error
		ok := "cree"
		if old == nil {
			_, err = s.store.CreateLibrary(ctx, l, actor)
		} else {
			l.ID, ok = old.ID, "enregistre"
			if l.Notify == "" {
				l.Notify = old.Notify
			}
			err = s.store.UpdateLibrary(ctx, l, actor)
		}
		switch sesame.ErrorCode(err) {
		case "":
			redirect(w, r, "/admin/bibliotheques", ok)
			return
		case sesame.EConflict:
			errs.Add(fieldLibCode, "Code : "+adminLowerFirst(sesame.ErrorMessage(err)))
		default:
			s.fail(w, r, err)
			return
		}
	}
	page.Form.Errors = errs
	s.renderLibraryForm(w, r, http.StatusUnprocessableEntity, page)
}
