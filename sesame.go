// Package sesame holds the domain of Sésame: the network, its libraries and
// resources, the patrons and their account lifecycle, and the staff who run it.
// It knows nothing of HTTP or SQL; those live under internal/.
package sesame

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes, mapped to HTTP statuses in one place (internal/web).
const (
	ENotFound  = "not_found"
	EConflict  = "conflict"  // a unique value is already taken
	EStale     = "stale"     // the record changed since it was read
	EInvalid   = "invalid"   // the input breaks a rule; see FieldErrors
	EForbidden = "forbidden" // the rule exists, but not for this actor or state
	EInternal  = "internal"
)

// Error is the one error type of the domain. Message is French and safe to show.
type Error struct {
	Code    string
	Message string
	Fields  FieldErrors
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s %v", e.Code, e.Message, map[string]string(e.Fields))
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a French message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal when it is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// ErrorMessage returns the French message of err, a generic one when it is not an *Error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Erreur interne. L'incident a été enregistré ; réessayez plus tard."
}

// FieldErrors maps a form field name to the French message shown next to it.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message: the first
// problem found is the one worth telling. An empty msg, a checker's "all
// right", records nothing, so that a checker's answer can be passed as is.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok && msg != "" {
		f[field] = msg
	}
}

// Err returns an EInvalid *Error carrying the fields, or nil when there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "Le formulaire contient des erreurs : " + f.summary(), Fields: f}
}

func (f FieldErrors) summary() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, 0, len(keys))
	for _, k := range keys {
		msgs = append(msgs, f[k])
	}
	return strings.Join(msgs, " ")
}

// FieldErrorsOf returns the field messages carried by err, if any.
func FieldErrorsOf(err error) FieldErrors {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
