package web

import (
	"net/url"
	"strconv"
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
	fieldResOffer       = sesame.FieldResourceOffer     // "tous" or "liste"
	fieldResLibraries   = sesame.FieldResourceLibraries // the libraries ticked
	fieldResSeatCap     = sesame.FieldResourceSeatCap
	fieldResLibraryCap  = sesame.FieldResourceLibraryCap // + a library's id
	fieldResPrice       = sesame.FieldResourceYearlyPrice
)

// The two choices of « Bibliothèques abonnées ».
const (
	offerAll  = "tous"
	offerList = "liste"
)

type adminResourceList struct {
	Resources []sesame.Resource
}

// resourceFrom reads a resource from the form; (*sesame.Resource).Validate
// judges it, after the complaints of the numbers it could not read.
func resourceFrom(v url.Values) (sesame.Resource, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	res := sesame.Resource{
		Slug:        strings.ToLower(adminText(v, fieldResSlug)),
		Name:        adminText(v, fieldResName),
		Description: adminText(v, fieldResDescription),
		URL:         adminText(v, fieldResURL),
		Disabled:    adminCheckbox(v, fieldResDisabled),
	}
	res.Offer.Restricted = v.Get(fieldResOffer) == offerList
	for _, raw := range v[fieldResLibraries] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			errs.Add(fieldResLibraries, "Bibliothèques abonnées : choisissez des bibliothèques de la liste.")
			continue
		}
		res.Offer.Libraries = append(res.Offer.Libraries, id)
	}
	var msg string
	res.SeatCap, msg = sesame.ParseSeatCap("Nombre maximal d'abonnés actifs", v.Get(fieldResSeatCap))
	errs.Add(fieldResSeatCap, msg)
	for name := range v {
		raw, ok := strings.CutPrefix(name, fieldResLibraryCap)
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		n, msg := sesame.ParseSeatCap("Places propres à la bibliothèque", v.Get(name))
		if msg != "" {
			errs.Add(name, msg)
			continue
		}
		if n > 0 {
			if res.LibraryCaps == nil {
				res.LibraryCaps = map[int64]int{}
			}
			res.LibraryCaps[id] = n
		}
	}
	res.YearlyPrice, msg = sesame.ParsePrice(v.Get(fieldResPrice))
	errs.Add(fieldResPrice, msg)
	return res, errs
}

func resourceValues(res *sesame.Resource) url.Values {
	v := url.Values{
		fieldResSlug: {res.Slug}, fieldResName: {res.Name}, fieldResDescription: {res.Description},
		fieldResURL: {res.URL}, fieldResDisabled: {adminBool(res.Disabled)},
		fieldResOffer: {offerAll}, fieldResPrice: {res.YearlyPrice.Form()},
	}
	if res.Offer.Restricted {
		v.Set(fieldResOffer, offerList)
	}
	for _, id := range res.Offer.Libraries {
		v.Add(fieldResLibraries, strconv.FormatInt(id, 10))
	}
	if res.SeatCap > 0 {
		v.Set(fieldResSeatCap, strconv.Itoa(res.SeatCap))
	}
	for id, n := range res.LibraryCaps {
		v.Set(fieldResLibraryCap+strconv.FormatInt(id, 10), strconv.Itoa(n))
	}
	return v
}

// resourceForms serves the resource form's routes.
func (s *Server) resourceForms() adminForms[sesame.Resource] {
	return adminForms[sesame.Resource]{
		listTemplate: "ressources", listTitle: "Ressources", all: s.store.Resources,
		listPage: func(list []sesame.Resource) any { return adminResourceList{Resources: list} },
		template: "ressource_formulaire", newTitle: "Nouvelle ressource", notFound: "Ressource introuvable.",
		list: "/admin/ressources", get: s.store.Resource,
		blank:     func() url.Values { return url.Values{fieldResOffer: {offerAll}} },
		values:    resourceValues,
		titleWord: "Ressource", id: func(res *sesame.Resource) int64 { return res.ID }, saved: func(res *sesame.Resource) string { return res.Name },
		page: func(p adminFormPage) any { return p },
		read: func(sent url.Values, old *sesame.Resource) (*sesame.Resource, error) {
			res, errs := resourceFrom(sent)
			if old != nil {
				res.ID = old.ID
			}
			for field, msg := range sesame.FieldErrorsOf(res.Validate()) {
				if errs[field] == "" {
					errs.Add(field, msg)
				}
			}
			return &res, errs.Err()
		},
		create: s.store.CreateResource, update: s.store.UpdateResource,
		conflictField: fieldResSlug, conflictLabel: "Identifiant court : ",
		withLibraries: true,
	}
}
