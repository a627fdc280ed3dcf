package web

import (
	"context"
	"net/url"
	"strconv"
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
	// The library's own reminders: empty follows the network's.
	fieldLibReminders        = sesame.FieldReminderDays
	fieldLibReminderDayAfter = sesame.FieldReminderDayAfter
	// The library's own validity in months: empty follows the network's.
	fieldLibValidity = sesame.FieldLibraryValidity
)

type adminLibraryList struct {
	Libraries []sesame.Library
}

// adminLibraryPage is the form that creates a library (ID 0) or edits one;
// Saved is its code.
type adminLibraryPage struct {
	adminFormPage
	// NetworkValidity is the network's validity in months, which an empty
	// « Durée de validité des comptes » follows.
	NetworkValidity int
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
		// With no choice sent, the setting stays as it is: see libraryForms.
		Notify: sesame.NotifyMode(v.Get(fieldLibNotify)),
	}
}

func libraryValues(l *sesame.Library) url.Values {
	return url.Values{
		fieldLibCode: {l.Code}, fieldLibName: {l.Name}, fieldLibTown: {l.Town},
		fieldLibEmail: {l.ContactEmail}, fieldLibDisabled: {adminBool(l.Disabled)}, fieldLibNotify: {string(l.Notify)},
		fieldLibReminders:        {libraryReminderDaysText(l)},
		fieldLibReminderDayAfter: {libraryReminderDayAfterText(l)},
		fieldLibValidity:         {libraryValidityText(l)},
	}
}

// libraryValidityText is the library's own validity as the form shows it,
// "" when it follows the network.
func libraryValidityText(l *sesame.Library) string {
	if l.ValidityMonths == 0 {
		return ""
	}
	return strconv.Itoa(l.ValidityMonths)
}

// libraryRemindersFrom reads the library's own reminders and validity from
// the form, with the messages of what could not be read: an empty field, or
// « comme le réseau », follows the network (nil, 0).
func libraryRemindersFrom(v url.Values, l *sesame.Library) sesame.FieldErrors {
	errs := sesame.FieldErrors{}
	if text := adminText(v, fieldLibReminders); text != "" {
		days, msg := sesame.ParseReminderDays(text)
		errs.Add(fieldLibReminders, msg)
		l.ReminderDays = days
	}
	dayAfter, msg := sesame.ParseReminderDayAfter(v.Get(fieldLibReminderDayAfter))
	errs.Add(fieldLibReminderDayAfter, msg)
	l.ReminderDayAfter = dayAfter
	months, msg := sesame.ParseLibraryValidityMonths(adminText(v, fieldLibValidity))
	errs.Add(fieldLibValidity, msg)
	l.ValidityMonths = months
	return errs
}

// libraryReminderDaysText is the library's own reminder days as the form
// shows them, "" when it follows the network.
func libraryReminderDaysText(l *sesame.Library) string {
	if l.ReminderDays == nil {
		return ""
	}
	return sesame.ReminderSchedule{DaysBefore: l.ReminderDays}.DaysText()
}

// libraryReminderDayAfterText is the form's choice for the day-after
// reminder: "" (as the network), "oui" or "non".
func libraryReminderDayAfterText(l *sesame.Library) string {
	switch {
	case l.ReminderDayAfter == nil:
		return ""
	case *l.ReminderDayAfter:
		return "oui"
	}
	return "non"
}

// libraryForms serves the library form's routes.
func (s *Server) libraryForms() adminForms[sesame.Library] {
	return adminForms[sesame.Library]{
		listTemplate: "bibliotheques", listTitle: "Bibliothèques", all: s.store.Libraries,
		listPage: func(libs []sesame.Library) any { return adminLibraryList{Libraries: libs} },
		template: "bibliotheque_formulaire", newTitle: "Nouvelle bibliothèque", notFound: "Bibliothèque introuvable.",
		list: "/admin/bibliotheques", get: s.store.Library,
		blank:     func() url.Values { return url.Values{fieldLibNotify: {string(sesame.NotifyEachRequest)}} },
		values:    libraryValues,
		titleWord: "Bibliothèque", id: func(l *sesame.Library) int64 { return l.ID }, saved: func(l *sesame.Library) string { return l.Code },
		pageWith: func(ctx context.Context, p adminFormPage) any {
			// The hint names the network's validity; Network has its
			// defaults when it cannot be read.
			n, _ := s.store.Network(ctx)
			return adminLibraryPage{adminFormPage: p, NetworkValidity: n.ValidityFor(nil)}
		},
		read: func(sent url.Values, old *sesame.Library) (*sesame.Library, error) {
			l := libraryFrom(sent)
			if old != nil {
				l.ID = old.ID
				if l.Notify == "" {
					l.Notify = old.Notify
				}
			}
			errs := libraryRemindersFrom(sent, &l)
			addFieldErrors(errs, l.Validate())
			return &l, errs.Err()
		},
		create: s.store.CreateLibrary, update: s.store.UpdateLibrary,
		conflictField: fieldLibCode, conflictLabel: "Code : ",
	}
}
