package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/bdf29/sesame"
)

// adminForms serves the routes of one kind of object the network admin
// keeps (libraries, resources): their list, the blank form, its creation,
// the form of one, and its update. The kinds differ only by what is below;
// the order of things (404, validation, conflict, notice) is written once.
type adminForms[T any] struct {
	listTemplate, listTitle string // the page that lists them all
	all                     func(context.Context) ([]T, error)
	listPage                func([]T) any
	template                string // the form's page
	newTitle                string // the blank form's title
	notFound                string // the message of an unknown {id}
	list                    string // where a saved form goes back to
	get                     func(context.Context, int64) (*T, error)
	blank                   func() url.Values   // a blank form's values
	values                  func(*T) url.Values // the form of a saved one
	// An edit's title is titleWord and the code or name saved.
	titleWord string
	id        func(*T) int64
	saved     func(*T) string
	page      func(adminFormPage) any // what the form's template reads
	// pageWith, when set instead of page, also reads what the page shows
	// beside the form (the network's settings a field follows).
	pageWith func(context.Context, adminFormPage) any
	// read takes the object from what was sent; old is nil for a new
	// one, and what the form leaves unsent is kept from it.
	read                         func(sent url.Values, old *T) (*T, error)
	create                       func(context.Context, T, sesame.Actor) (int64, error)
	update                       func(context.Context, T, sesame.Actor) error
	conflictField, conflictLabel string // where a taken code or identifier is told
	// withLibraries gives the form the network's libraries (a resource's
	// « Bibliothèques abonnées »).
	withLibraries bool
}

// adminFormPage is the form that creates an object (ID 0) or edits one.
type adminFormPage struct {
	ID    int64
	Saved string // its code or name as saved, for the title of an edit
	Form  form
	// Libraries are the network's libraries, when the form lists them.
	Libraries []sesame.Library
}

func (k adminForms[T]) render(s *Server, w http.ResponseWriter, r *http.Request, status int, old *T, f form) {
	title, page := k.newTitle, adminFormPage{Form: f}
	if old != nil {
		page.ID, page.Saved = k.id(old), k.saved(old)
		title = k.titleWord + " " + page.Saved
	}
	if k.withLibraries {
		libs, err := s.store.Libraries(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Libraries = libs
	}
	s.render(w, r, status, k.template, layout{Title: formTitle(title, f), Section: "admin", Content: k.content(r.Context(), page)})
}

// content is what the form's template reads.
func (k adminForms[T]) content(ctx context.Context, page adminFormPage) any {
	if k.pageWith != nil {
		return k.pageWith(ctx, page)
	}
	return k.page(page)
}

// listed answers GET of the list.
func (k adminForms[T]) listed(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		all, err := k.all(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, k.listTemplate, layout{Title: k.listTitle, Section: "admin", Content: k.listPage(all)})
	}
}

// blankForm answers GET …/nouvelle.
func (k adminForms[T]) blankForm(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k.render(s, w, r, http.StatusOK, nil, form{Values: k.blank()})
	}
}

// created answers POST …/nouvelle.
func (k adminForms[T]) created(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { k.save(s, w, r, nil) }
}

// edit answers GET …/{id}.
func (k adminForms[T]) edit(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if old := adminLoad(s, w, r, k.notFound, k.get); old != nil {
			k.render(s, w, r, http.StatusOK, old, form{Values: k.values(old)})
		}
	}
}

// updated answers POST …/{id}.
func (k adminForms[T]) updated(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if old := adminLoad(s, w, r, k.notFound, k.get); old != nil {
			k.save(s, w, r, old)
		}
	}
}

// save creates an object (old is nil) or saves old with what was sent; a
// refused form comes back with what was typed and a message by field.
func (k adminForms[T]) save(s *Server, w http.ResponseWriter, r *http.Request, old *T) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	sent, errs := form{Values: adminTyped(r.PostForm)}, sesame.FieldErrors{}
	v, err := k.read(r.PostForm, old)
	addFieldErrors(errs, err)
	if len(errs) == 0 {
		notice := "cree"
		if old == nil {
			_, err = k.create(ctx, *v, actorOf(staffFrom(ctx)))
		} else {
			notice, err = "enregistre", k.update(ctx, *v, actorOf(staffFrom(ctx)))
		}
		switch sesame.ErrorCode(err) {
		case "":
			redirect(w, r, k.list, notice)
			return
		case sesame.EConflict:
			errs.Add(k.conflictField, k.conflictLabel+adminLowerFirst(sesame.ErrorMessage(err)))
		case sesame.EInvalid:
			addFieldErrors(errs, err)
		default:
			s.fail(w, r, err)
			return
		}
	}
	sent.Errors = errs
	k.render(s, w, r, http.StatusUnprocessableEntity, old, sent)
}
