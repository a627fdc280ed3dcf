package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
)

// The « Clés d'API » pages: the network admin makes a key for a library's
// system (shown once), sees when each was last used, and revokes them.
const apiKeysPath = "/admin/cles-api" // #nosec G101 -- a page's path, no credential

// Field names of the key form.
const (
	fieldKeyLibrary = "bibliotheque"
	fieldKeyName    = "nom"
)

type apiKeysPage struct {
	Keys      []sesame.APIKey
	Libraries []sesame.Library
	Form      form
}

// apiKeyCreatedPage shows a new key, the only time it is shown.
type apiKeyCreatedPage struct {
	Key    sesame.APIKey
	Secret string
}

func (s *Server) apiKeyList(w http.ResponseWriter, r *http.Request) {
	notice := ""
	if id, err := strconv.ParseInt(r.URL.Query().Get("revoquee"), 10, 64); err == nil {
		if k, err := s.store.APIKey(r.Context(), id); err == nil && k.Revoked() {
			notice = fmt.Sprintf("La clé « %s » de %s est révoquée : elle n'ouvre plus l'API.", k.Name, k.LibraryCode)
		}
	}
	s.renderAPIKeys(w, r, http.StatusOK, notice, form{Values: url.Values{}})
}

func (s *Server) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, notice string, f form) {
	ctx := r.Context()
	keys, err := s.store.APIKeys(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "cles_api", layout{Title: formTitle("Clés d'API", f), Section: "admin", Notice: notice,
		Content: apiKeysPage{Keys: keys, Libraries: libs, Form: f}})
}

func (s *Server) apiKeyCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	typed := adminTyped(r.PostForm)
	lib, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get(fieldKeyLibrary)), 10, 64)
	if err != nil {
		lib = 0 // CreateAPIKey says which library to choose
	}
	k, secret, err := s.store.CreateAPIKey(ctx, lib, r.PostForm.Get(fieldKeyName), s.cfg.Random, actorOf(staffFrom(ctx)))
	if err != nil {
		var e *sesame.Error
		if errors.As(err, &e) && e.Code == sesame.EInvalid && len(e.Fields) > 0 {
			s.renderAPIKeys(w, r, http.StatusUnprocessableEntity, "", form{Values: typed, Errors: e.Fields})
			return
		}
		s.fail(w, r, err)
		return
	}
	// The key travels in this answer only: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "cles_api_nouvelle", layout{Title: "Clé « " + k.Name + " » créée", Section: "admin",
		Content: apiKeyCreatedPage{Key: k, Secret: secret}})
}

func (s *Server) apiKeyRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := adminPathID(r, "Clé d'API introuvable.")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := s.store.RevokeAPIKey(r.Context(), id, actorOf(staffFrom(r.Context())))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, apiKeysPath+"?revoquee="+strconv.FormatInt(k.ID, 10), http.StatusSeeOther)
}
