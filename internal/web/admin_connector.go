package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
)

// connectorGroup is one resource with its connectors, as the list shows them.
type connectorGroup struct {
	Resource   sesame.Resource
	Connectors []*sesame.Connector
}

type adminConnectorList struct {
	Groups   []connectorGroup
	Kinds    []sesame.ConnectorKind
	BaseURL  string
	KeyIsSet bool
}

// adminConnectorPage is the form that adds a connector of one kind.
type adminConnectorPage struct {
	Kind      sesame.ConnectorKind
	Resources []sesame.Resource
	Presets   []sesame.LinkPreset
	Form      form
	KeyIsSet  bool
}

func (s *Server) connectorList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	resources, err := s.store.Resources(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := s.store.Connectors(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := adminConnectorList{Kinds: sesame.ConnectorKinds, BaseURL: s.cfg.BaseURL, KeyIsSet: s.store.CanSealSecrets()}
	for _, res := range resources {
		g := connectorGroup{Resource: res}
		for _, c := range all {
			if c.ResourceID == res.ID {
				g.Connectors = append(g.Connectors, c)
			}
		}
		page.Groups = append(page.Groups, g)
	}
	s.render(w, r, http.StatusOK, "connecteurs", layout{Title: "Connecteurs des ressources", Section: "admin", Content: page})
}

func (s *Server) renderConnectorForm(w http.ResponseWriter, r *http.Request, status int, kind sesame.ConnectorKind, f form) {
	resources, err := s.store.Resources(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := adminConnectorPage{Kind: kind, Resources: resources, Presets: sesame.LinkPresets, Form: f, KeyIsSet: s.store.CanSealSecrets()}
	s.render(w, r, status, "connecteur_formulaire", layout{Title: formTitle("Nouveau connecteur "+kind.Label(), f), Section: "admin", Content: page})
}

func (s *Server) connectorNew(w http.ResponseWriter, r *http.Request) {
	kind, ok := sesame.ParseConnectorKind(r.URL.Query().Get("type"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Ce type de connecteur n'existe pas.")
		return
	}
	f := form{Values: url.Values{"resource": {r.URL.Query().Get("ressource")}}}
	if kind == sesame.ConnectorSignedLink {
		f.Values.Set("preset", "mediatheque-numerique")
	}
	s.renderConnectorForm(w, r, http.StatusOK, kind, f)
}

// connectorFromForm reads the fields of the kind's form; Validate checks them.
func connectorFromForm(kind sesame.ConnectorKind, v url.Values, resources []sesame.Resource) (sesame.Connector, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	c := sesame.Connector{Kind: kind, Secret: v.Get("secret")}
	for _, res := range resources {
		if itoa64(res.ID) == v.Get("resource") {
			c.ResourceID = res.ID
		}
	}
	switch kind {
	case sesame.ConnectorOIDC:
		c.OIDC.ClientID = strings.TrimSpace(v.Get("client_id"))
		for _, line := range strings.Split(v.Get("redirect_uris"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				c.OIDC.RedirectURIs = append(c.OIDC.RedirectURIs, line)
			}
		}
		c.OIDC.ReleaseEmail = v.Get("release_email") == "1"
		c.OIDC.IDTokenSignedResponseAlg = v.Get("id_token_signed_response_alg")
	case sesame.ConnectorCAS:
		c.CAS.ServicePrefix = strings.TrimSpace(v.Get("service_prefix"))
		c.CAS.ReleaseEmail = v.Get("release_email") == "1"
	case sesame.ConnectorSAML:
		if metadata := strings.TrimSpace(v.Get("metadata")); metadata != "" {
			settings, err := saml.ReadMetadata([]byte(metadata))
			if err != nil {
				errs.Add("metadata", sesame.ErrorMessage(err))
			}
			c.SAML = settings
			c.SAML.Metadata = metadata
		}
		c.SAML.Attributes = append(c.SAML.Attributes, strings.Fields(v.Get("attributes"))...)
	case sesame.ConnectorSignedLink:
		c.Link = sesame.SignedLinkSettings{Preset: v.Get("preset"), URL: strings.TrimSpace(v.Get("url")),
			Hash: v.Get("hash"), Signed: strings.TrimSpace(v.Get("signed")), TimeFormat: strings.TrimSpace(v.Get("time_format")),
			TimeZone: strings.TrimSpace(v.Get("time_zone"))}
		c.Link.ApplyPreset()
	}
	if err := c.Validate(); err != nil {
		var e *sesame.Error
		if errors.As(err, &e) {
			for field, msg := range e.Fields {
				if errs[field] == "" {
					errs.Add(field, msg)
				}
			}
		}
	}
	return c, errs
}

func (s *Server) connectorCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	kind, ok := sesame.ParseConnectorKind(r.URL.Query().Get("type"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Ce type de connecteur n'existe pas.")
		return
	}
	resources, err := s.store.Resources(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, errs := connectorFromForm(kind, r.PostForm, resources)
	// The secret is never sent back to the browser, even with errors.
	typed := form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
	for k, v := range r.PostForm {
		if k != "secret" {
			typed.Values[k] = v
		}
	}
	if len(errs) > 0 {
		if errs["secret"] == "" && c.Secret != "" {
			errs.Add("secret", "Clé secrète : retapez-la, elle n'est jamais réaffichée.")
		}
		typed.Errors = errs
		s.renderConnectorForm(w, r, http.StatusUnprocessableEntity, kind, typed)
		return
	}
	id, err := s.store.CreateConnector(ctx, c, actorOf(staffFrom(ctx)))
	if code := sesame.ErrorCode(err); code == sesame.EConflict || code == sesame.EInvalid {
		field := "client_id"
		if kind == sesame.ConnectorSAML {
			field = "metadata"
		} else if code == sesame.EInvalid {
			field = "secret"
		}
		typed.Errors.Add(field, sesame.ErrorMessage(err))
		s.renderConnectorForm(w, r, statusOf(code), kind, typed)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("connecteur ajouté", "id", id, "kind", string(kind))
	redirect(w, r, "/admin/connecteurs", "connecteur-ajoute")
}

type adminConnectorDelete struct {
	Connector *sesame.Connector
	Resource  *sesame.Resource
}

func (s *Server) loadConnector(w http.ResponseWriter, r *http.Request) (*sesame.Connector, *sesame.Resource, bool) {
	id, err := adminPathID(r, "Connecteur introuvable.")
	var c *sesame.Connector
	var res *sesame.Resource
	if err == nil {
		c, err = s.store.Connector(r.Context(), id)
	}
	if err == nil {
		res, err = s.store.Resource(r.Context(), c.ResourceID)
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return c, res, true
}

func (s *Server) connectorDeleteForm(w http.ResponseWriter, r *http.Request) {
	c, res, ok := s.loadConnector(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "connecteur_supprimer", layout{Title: "Supprimer le connecteur n° " + itoa64(c.ID), Section: "admin",
		Content: adminConnectorDelete{Connector: c, Resource: res}})
}

func (s *Server) connectorDelete(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadConnector(w, r)
	if !ok {
		return
	}
	if err := s.store.DeleteConnector(r.Context(), c.ID, actorOf(staffFrom(r.Context()))); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/connecteurs", "connecteur-supprime")
}

func itoa64(id int64) string { return strconv.FormatInt(id, 10) }
