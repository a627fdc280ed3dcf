package web

import (
	"net/url"

	"github.com/bdf29/sesame"
)

// patronDetailsFrom reads the fields of the Informations tab from a posted
// form, for the staff record, the patron's own page and the registration.
// Whether the card number read here may be kept is the caller's decision.
func patronDetailsFrom(v url.Values) sesame.PatronDetails {
	return sesame.PatronDetails{
		LastName: v.Get(sesame.FieldLastName), FirstName: v.Get(sesame.FieldFirstName),
		BirthDate: v.Get(sesame.FieldBirthDate), PostalCode: v.Get(sesame.FieldPostalCode),
		Town: v.Get(sesame.FieldTown), CardNumber: v.Get(sesame.FieldCardNumber),
	}
}

// addFieldErrors adds to errs the field messages a domain check returned in
// err. A field errs already speaks of keeps its message: the first problem
// found is the one worth telling.
func addFieldErrors(errs sesame.FieldErrors, err error) {
	for field, msg := range sesame.FieldErrorsOf(err) {
		errs.Add(field, msg)
	}
}
