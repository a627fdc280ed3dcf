package web

import (
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

func resourceValues(res *sesame.Resource) url.Values {
	return url.Values{
		fieldResSlug: {res.Slug}, fieldResName: {res.Name}, fieldResDescription: {res.Description},
		fieldResURL: {res.URL}, fieldResDisabled: {adminBool(res.Disabled)},
	}
}

// resourceForms serves the resource form's routes.
func (s *Server) resourceForms() adminForms[sesame.Resource] {
	return adminForms[sesame.Resource]{
		listTemplate: "ressources", listTitle: "Ressources", all: s.store.Resources,
		listPage: func(list []sesame.Resource) any { return adminResourceList{Resources: list} },
		template: "ressource_formulaire", newTitle: "Nouvelle ressource", notFound: "Ressource introuvable.",
		list: "/admin/ressources", get: s.store.Resource,
		blank:     func() url.Values { return url.Values{} },
		values:    resourceValues,
		titleWord: "Ressource", id: func(res *sesame.Resource) int64 { return res.ID }, saved: func(res *sesame.Resource) string { return res.Name },
		page: func(p adminFormPage) any { return p },
		read: func(sent url.Values, old *sesame.Resource) (*sesame.Resource, error) {
			res := resourceFrom(sent)
			if old != nil {
				res.ID = old.ID
			}
			return &res, res.Validate()
		},
		create: s.store.CreateResource, update: s.store.UpdateResource,
		conflictField: fieldResSlug, conflictLabel: "Identifiant court : ",
	}
}
