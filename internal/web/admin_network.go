package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
)

// Network form field names.
const (
	fieldNetName     = "nom"
	fieldNetEmail    = "email"
	fieldNetValidity = "validite"
	fieldNetStaffMFA = "double_authentification"
)

type adminNetworkPage struct {
	Form form
}

// validateNetwork reads the network's settings from the form, with a French
// message for each refused field.
func validateNetwork(v url.Values) (sesame.Network, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	n := sesame.Network{
		Name:             adminText(v, fieldNetName),
		ContactEmail:     sesame.NormalizeEmail(v.Get(fieldNetEmail)),
		StaffMFARequired: adminCheckbox(v, fieldNetStaffMFA),
	}
	if msg := sesame.CheckRequiredText("Nom du réseau", n.Name, 100); msg != "" {
		errs.Add(fieldNetName, msg)
	}
	if msg := sesame.CheckEmail(n.ContactEmail); msg != "" {
		errs.Add(fieldNetEmail, "E-mail de contact"+strings.TrimPrefix(msg, "E-mail"))
	}
	raw := adminText(v, fieldNetValidity)
	months, err := strconv.Atoi(raw)
	switch {
	case raw == "":
		errs.Add(fieldNetValidity, "Durée de validité des comptes : ce champ est obligatoire.")
	case err != nil || months < 1 || months > 36:
		errs.Add(fieldNetValidity, "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36, par exemple 12.")
	}
	n.ValidityMonths = months
	return n, errs
}

func (s *Server) renderNetworkForm(w http.ResponseWriter, r *http.Request, status int, p adminNetworkPage) {
	s.render(w, r, status, "network_form", layout{Title: formTitle("Réseau", p.Form), Section: "admin", Content: p})
}

func (s *Server) networkEdit(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.Network(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderNetworkForm(w, r, http.StatusOK, adminNetworkPage{Form: form{Values: url.Values{
		fieldNetName: {n.Name}, fieldNetEmail: {n.ContactEmail}, fieldNetValidity: {strconv.Itoa(n.ValidityMonths)},
		fieldNetStaffMFA: {adminBool(n.StaffMFARequired)},
	}}})
}

func (s *Server) networkUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	n, errs := validateNetwork(r.PostForm)
	if n.StaffMFARequired && !s.store.CanSealSecrets() {
		errs.Add(fieldNetStaffMFA, "Double authentification obligatoire : impossible tant que la clé de chiffrement SESAME_SECRET_KEY du serveur n'est pas réglée ; "+
			"demandez-la à la personne qui installe Sésame.")
	}
	if len(errs) > 0 {
		s.renderNetworkForm(w, r, http.StatusUnprocessableEntity, adminNetworkPage{Form: form{Values: adminTyped(r.PostForm), Errors: errs}})
		return
	}
	if err := s.store.SaveNetwork(ctx, n, actorOf(staffFrom(ctx))); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/reseau", "enregistre")
}
