package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/bdf29/sesame"
)

// Network form field names.
const (
	fieldNetName             = sesame.FieldNetworkName
	fieldNetEmail            = sesame.FieldNetworkEmail
	fieldNetValidity         = sesame.FieldValidityMonths
	fieldNetStaffMFA         = "double_authentification"
	fieldNetReminders        = sesame.FieldReminderDays
	fieldNetReminderDayAfter = sesame.FieldReminderDayAfter
)

type adminNetworkPage struct {
	Form form
}

// networkFrom reads the network's settings from the form, with the messages
// of what could not be read; (*sesame.Network).Validate judges the rest.
func networkFrom(v url.Values) (sesame.Network, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	months, msg := sesame.ParseValidityMonths(adminText(v, fieldNetValidity))
	errs.Add(fieldNetValidity, msg)
	days, msg := sesame.ParseReminderDays(adminText(v, fieldNetReminders))
	errs.Add(fieldNetReminders, msg)
	return sesame.Network{
		Name:             adminText(v, fieldNetName),
		ContactEmail:     sesame.NormalizeEmail(v.Get(fieldNetEmail)),
		ValidityMonths:   months,
		StaffMFARequired: adminCheckbox(v, fieldNetStaffMFA),
		Reminders:        sesame.ReminderSchedule{DaysBefore: days, DayAfter: adminCheckbox(v, fieldNetReminderDayAfter)},
	}, errs
}

func (s *Server) renderNetworkForm(w http.ResponseWriter, r *http.Request, status int, p adminNetworkPage) {
	s.render(w, r, status, "reseau_formulaire", layout{Title: formTitle("Réseau", p.Form), Section: "admin", Content: p})
}

func (s *Server) networkEdit(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.Network(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderNetworkForm(w, r, http.StatusOK, adminNetworkPage{Form: form{Values: url.Values{
		fieldNetName: {n.Name}, fieldNetEmail: {n.ContactEmail}, fieldNetValidity: {strconv.Itoa(n.ValidityMonths)},
		fieldNetStaffMFA:  {adminBool(n.StaffMFARequired)},
		fieldNetReminders: {n.Reminders.DaysText()}, fieldNetReminderDayAfter: {adminBool(n.Reminders.DayAfter)},
	}}})
}

func (s *Server) networkUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	n, errs := networkFrom(r.PostForm)
	addFieldErrors(errs, n.Validate())
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
