package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

// connectorGroup is one resource with its connectors, as the list shows them.
type connectorGroup struct {
	Resource   sesame.Resource
	Connectors []connectorRow
}

// connectorRow is one connector with its last failures, newest first.
type connectorRow struct {
	*sesame.Connector
	Failures []sesame.ConnectorFailure
}

type adminConnectorList struct {
	Groups       []connectorGroup
	Kinds        []sesame.ConnectorKind
	BaseURL      string
	KeyIsSet     bool
	FailuresKept int
}

// adminConnectorPage is the form that adds a connector of one kind, or
// changes one (Connector set).
type adminConnectorPage struct {
	Kind      sesame.ConnectorKind
	Connector *sesame.Connector // nil for a new one
	Resources []sesame.Resource
	Presets   []sesame.LinkPreset
	Form      form
	KeyIsSet  bool
}

// Heading is the page's title and h1.
func (p adminConnectorPage) Heading() string {
	if p.Connector != nil {
		return "Modifier le connecteur n° " + itoa64(p.Connector.ID) + " (" + p.Kind.Label() + ")"
	}
	return "Nouveau connecteur " + p.Kind.Label()
}

// Action is where the form posts.
func (p adminConnectorPage) Action() string {
	if p.Connector != nil {
		return "/admin/connecteurs/" + itoa64(p.Connector.ID)
	}
	return "/admin/connecteurs/nouveau?type=" + string(p.Kind)
}

// SecretKept reports whether leaving the secret blank keeps the one saved.
func (p adminConnectorPage) SecretKept() bool {
	return p.Connector != nil && p.Connector.Secret != "" && !p.Connector.SecretUnreadable
}

// SecretHint says, next to the secret field, what a blank field does.
func (p adminConnectorPage) SecretHint(whenNew string) string {
	switch {
	case p.SecretKept():
		return "Laissez vide pour garder la clé secrète enregistrée (" + p.Connector.MaskedSecret() + ") ; tapez-en une pour la remplacer. Elle est chiffrée et ne sera plus jamais affichée."
	case p.Connector != nil && p.Connector.SecretUnreadable:
		return "La clé secrète enregistrée ne peut pas être lue avec la clé SESAME_SECRET_KEY de cette instance : retapez-la, telle que le fournisseur l'a donnée."
	}
	return whenNew
}

// SecretRequired is the field option that marks the signed link's secret
// as required: unless one is kept.
func (p adminConnectorPage) SecretRequired() string {
	if p.SecretKept() {
		return ""
	}
	return "required"
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
	failures, err := s.store.ConnectorFailures(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := adminConnectorList{Kinds: sesame.ConnectorKinds, BaseURL: s.cfg.BaseURL, KeyIsSet: s.store.CanSealSecrets(),
		FailuresKept: store.ConnectorFailuresKept}
	for _, res := range resources {
		g := connectorGroup{Resource: res}
		for _, c := range all {
			if c.ResourceID == res.ID {
				g.Connectors = append(g.Connectors, connectorRow{Connector: c, Failures: failures[c.ID]})
			}
		}
		page.Groups = append(page.Groups, g)
	}
	s.render(w, r, http.StatusOK, "connecteurs", layout{Title: "Connecteurs des ressources", Section: "admin", Content: page})
}

// renderConnectorForm shows the form of a new connector of kind, or of
// existing, with f's values and errors.
func (s *Server) renderConnectorForm(w http.ResponseWriter, r *http.Request, status int, kind sesame.ConnectorKind, existing *sesame.Connector, f form) {
	resources, err := s.store.Resources(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := adminConnectorPage{Kind: kind, Connector: existing, Resources: resources, Presets: sesame.LinkPresets, Form: f, KeyIsSet: s.store.CanSealSecrets()}
	s.render(w, r, status, "connecteur_formulaire", layout{Title: formTitle(page.Heading(), f), Section: "admin", Content: page})
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
	s.renderConnectorForm(w, r, http.StatusOK, kind, nil, f)
}

// sip2PasswordTyped stands for a SIP2 password typed in the form until
// saveConnector replaces it with its hash.
const sip2PasswordTyped = "saisi" // #nosec G101 -- a placeholder, no credential

// SIP2PasswordKept reports whether leaving the SIP2 password blank keeps
// the one saved.
func (p adminConnectorPage) SIP2PasswordKept() bool {
	return p.Connector != nil && p.Connector.SIP2.PasswordHash != ""
}

// connectorFromForm reads the fields of the kind's form; Validate checks them.
// A secret left blank is kept, the one saved, when there is one.
func connectorFromForm(kind sesame.ConnectorKind, v url.Values, resources []sesame.Resource, kept string) (sesame.Connector, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	c := sesame.Connector{Kind: kind, Secret: v.Get("secret")}
	if c.Secret == "" {
		c.Secret = kept
	}
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
		c.SAML.Direct = v.Get("direct") == "1"
	case sesame.ConnectorSIP2:
		// kept is then the saved password's hash; a typed password is
		// checked here and hashed by saveConnector once the form passes.
		c.Secret = ""
		c.SIP2.Login = strings.TrimSpace(v.Get("sip_login"))
		c.SIP2.PasswordHash = kept
		if pw := v.Get("sip_password"); pw != "" {
			if msg := sesame.CheckSIP2Password(pw); msg != "" {
				errs.Add("sip_password", msg)
			}
			c.SIP2.PasswordHash = sip2PasswordTyped
		}
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
	if !s.parseForm(w, r) {
		return
	}
	kind, ok := sesame.ParseConnectorKind(r.URL.Query().Get("type"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "Ce type de connecteur n'existe pas.")
		return
	}
	s.saveConnector(w, r, kind, nil, func(ctx context.Context, c sesame.Connector) error {
		id, err := s.store.CreateConnector(ctx, c, actorOf(staffFrom(ctx)))
		if err == nil {
			s.log.Info("connecteur ajouté", "id", id, "kind", string(kind))
		}
		return err
	}, "connecteur-ajoute")
}

// connectorEdit is the form that changes a connector, filled with its
// settings; never its secret.
func (s *Server) connectorEdit(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.loadConnector(w, r)
	if !ok {
		return
	}
	s.renderConnectorForm(w, r, http.StatusOK, c.Kind, c, form{Values: connectorValues(c)})
}

// connectorUpdate saves a changed connector, checked as a new one is.
func (s *Server) connectorUpdate(w http.ResponseWriter, r *http.Request) {
	existing, _, ok := s.loadConnector(w, r)
	if !ok || !s.parseForm(w, r) {
		return
	}
	s.saveConnector(w, r, existing.Kind, existing, func(ctx context.Context, c sesame.Connector) error {
		c.ID = existing.ID
		err := s.store.UpdateConnector(ctx, c, actorOf(staffFrom(ctx)))
		if err == nil {
			s.log.Info("connecteur modifié", "id", c.ID, "kind", string(c.Kind))
		}
		return err
	}, "connecteur-modifie")
}

// saveConnector is the end of both forms: the connector read from the form
// and saved, then the list; or the form again with the errors beside the
// fields and what was typed, but the secret, which is never sent back.
func (s *Server) saveConnector(w http.ResponseWriter, r *http.Request, kind sesame.ConnectorKind, existing *sesame.Connector,
	save func(context.Context, sesame.Connector) error, notice string) {
	ctx := r.Context()
	resources, err := s.store.Resources(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kept := ""
	if existing != nil {
		kept = existing.Secret
		if kind == sesame.ConnectorSIP2 {
			kept = existing.SIP2.PasswordHash
		}
	}
	c, errs := connectorFromForm(kind, r.PostForm, resources, kept)
	if existing != nil && existing.SecretUnreadable && r.PostForm.Get("secret") == "" {
		// Blank would save the connector without its secret: an OpenID
		// client would silently become public.
		errs.Add("secret", "Clé secrète : celle qui est enregistrée ne peut pas être lue avec la clé de chiffrement de cette instance ; retapez-la.")
	}
	typed := form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
	for k, v := range r.PostForm {
		if k != "secret" && k != "sip_password" {
			typed.Values[k] = v
		}
	}
	if len(errs) > 0 {
		if errs["secret"] == "" && r.PostForm.Get("secret") != "" {
			errs.Add("secret", "Clé secrète : retapez-la, elle n'est jamais réaffichée.")
		}
		if errs["sip_password"] == "" && r.PostForm.Get("sip_password") != "" {
			errs.Add("sip_password", "Mot de passe SIP2 : retapez-le, il n'est jamais réaffiché.")
		}
		typed.Errors = errs
		s.renderConnectorForm(w, r, http.StatusUnprocessableEntity, kind, existing, typed)
		return
	}
	if c.Kind == sesame.ConnectorSIP2 && c.SIP2.PasswordHash == sip2PasswordTyped {
		// argon2id, as the patrons' passwords: Sésame only checks it.
		if c.SIP2.PasswordHash, err = s.cfg.Hasher.Hash(r.PostForm.Get("sip_password")); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	err = save(ctx, c)
	if code := sesame.ErrorCode(err); code == sesame.EConflict || code == sesame.EInvalid {
		field := "client_id"
		if kind == sesame.ConnectorSAML {
			field = "metadata"
		} else if kind == sesame.ConnectorSIP2 {
			field = "sip_login"
		} else if code == sesame.EInvalid {
			field = "secret"
		}
		typed.Errors.Add(field, sesame.ErrorMessage(err))
		s.renderConnectorForm(w, r, statusOf(code), kind, existing, typed)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/connecteurs", notice)
}

// connectorValues are the form's fields for a saved connector: what
// connectorFromForm reads back, without the secret.
func connectorValues(c *sesame.Connector) url.Values {
	v := url.Values{"resource": {itoa64(c.ResourceID)}}
	checked := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	switch c.Kind {
	case sesame.ConnectorOIDC:
		v.Set("client_id", c.OIDC.ClientID)
		v.Set("redirect_uris", strings.Join(c.OIDC.RedirectURIs, "\n"))
		v.Set("release_email", checked(c.OIDC.ReleaseEmail))
		v.Set("id_token_signed_response_alg", c.OIDC.IDTokenSignedResponseAlg)
	case sesame.ConnectorCAS:
		v.Set("service_prefix", c.CAS.ServicePrefix)
		v.Set("release_email", checked(c.CAS.ReleaseEmail))
	case sesame.ConnectorSAML:
		v.Set("metadata", c.SAML.Metadata)
		v.Set("attributes", strings.Join(c.SAML.Attributes, " "))
		v.Set("direct", checked(c.SAML.Direct))
	case sesame.ConnectorSIP2:
		v.Set("sip_login", c.SIP2.Login)
	case sesame.ConnectorSignedLink:
		v.Set("preset", c.Link.Preset)
		v.Set("url", c.Link.URL)
		v.Set("hash", c.Link.Hash)
		v.Set("signed", c.Link.Signed)
		v.Set("time_format", c.Link.TimeFormat)
		v.Set("time_zone", c.Link.TimeZone)
	}
	return v
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

// SIP2PasswordRequired is the field option of the SIP2 password: required
// unless one is kept.
func (p adminConnectorPage) SIP2PasswordRequired() string {
	if p.SIP2PasswordKept() {
		return ""
	}
	return "required"
}

// SIP2PasswordHint says, next to the SIP2 password, what to type and what
// a blank field does.
func (p adminConnectorPage) SIP2PasswordHint() string {
	hint := "De 12 à 64 caractères, à transmettre au fournisseur (message 93, champ CO). Seule son empreinte est enregistrée : il ne sera plus jamais affiché."
	if p.SIP2PasswordKept() {
		return "Laissez vide pour garder le mot de passe enregistré ; tapez-en un pour le remplacer. " + hint
	}
	return hint
}
