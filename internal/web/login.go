package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/metrics"
)

// loginForm is one of Connexion's two forms, the staff's and the patrons':
// both are read, checked and refused the same way (startLogin,
// passwordPassed), so that neither tells more than the other of which
// accounts exist. Only their names and words differ.
type loginForm struct {
	idField, passwordField string
	idLabel                string // starts the message of an empty identifier
	missing                string // a form sent incomplete
	wrong                  string // the one answer to a wrong identifier or password
	maxLength              int
	normalize              func(string) string
	failure                string // the log's line of a failed login
	audience               metrics.Audience
	// say puts a refusal where the form shows it.
	say func(p *loginPage, msg string)
}

// #nosec G101 -- form field names and French messages, no credential.
var (
	staffLoginForm = loginForm{idField: "identifiant", passwordField: "mot_de_passe", idLabel: "Identifiant",
		missing: "Indiquez votre identifiant et votre mot de passe.", wrong: "Identifiant ou mot de passe incorrect.",
		maxLength: sesame.MaxLoginLength, normalize: sesame.NormalizeLogin, failure: "échec de connexion", audience: metrics.Staff,
		say: func(p *loginPage, msg string) { p.Message = msg }}
	patronLoginForm = loginForm{idField: "email", passwordField: "mot_de_passe_usager", idLabel: "E-mail",
		missing: "Indiquez votre adresse e-mail et votre mot de passe.", wrong: "Adresse e-mail ou mot de passe incorrect.",
		maxLength: sesame.MaxEmailLength, normalize: sesame.NormalizeEmail, failure: "échec de connexion usager", audience: metrics.Patron,
		say: func(p *loginPage, msg string) { p.PatronMessage = msg }}
)

// loginAttempt is a login form as sent: the identifier (normalised) and the
// password, with the page that shows the form again.
type loginAttempt struct {
	form     loginForm
	id       string
	password string
	page     loginPage
}

// refuse shows Connexion again with msg on the attempt's form.
func (a *loginAttempt) refuse(s *Server, w http.ResponseWriter, r *http.Request, status int, msg string) {
	a.form.say(&a.page, msg)
	s.render(w, r, status, "connexion", layout{Title: a.page.title(), Section: "connexion", Content: a.page})
}

// startLogin reads f as sent. It answers itself, and returns false, a form
// with a field left empty, or an identifier that no account can have.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, f loginForm) (*loginAttempt, bool) {
	if !s.parseForm(w, r) {
		return nil, false
	}
	typed := r.PostForm.Get(f.idField)
	a := &loginAttempt{form: f, id: f.normalize(typed), password: r.PostForm.Get(f.passwordField),
		page: loginPage{Form: form{Values: url.Values{f.idField: {typed}}, Errors: sesame.FieldErrors{}},
			Next: safeNext(r.PostForm.Get("suite")), DemoLogins: s.cfg.DemoLogins}}
	if a.id == "" || a.password == "" {
		if a.id == "" {
			a.page.Form.Errors.Add(f.idField, f.idLabel+" : ce champ est obligatoire.")
		}
		if a.password == "" {
			a.page.Form.Errors.Add(f.passwordField, "Mot de passe : ce champ est obligatoire.")
		}
		a.refuse(s, w, r, http.StatusUnprocessableEntity, f.missing)
		return nil, false
	}
	if !sesame.PlausibleIdentifier(a.id, f.maxLength) {
		// No account has such an identifier: a failed login, before it
		// becomes a throttle key that a robot could vary at will.
		s.log.Warn(f.failure+" : identifiant impossible", "addr", s.clientAddress(r))
		s.cfg.Metrics.Login(f.audience, metrics.LoginFailure)
		a.refuse(s, w, r, http.StatusUnauthorized, f.wrong)
		return nil, false
	}
	return a, true
}

// passwordPassed answers a password check that did not pass (an error, a
// throttle's wait, a wrong password) and reports whether the login goes on.
// logArgs are added to the log line of a wrong password.
func (s *Server) passwordPassed(w http.ResponseWriter, r *http.Request, a *loginAttempt, ok bool, wait time.Duration, err error, logArgs ...any) bool {
	switch {
	case err != nil:
		s.fail(w, r, err)
		return false
	case wait > 0:
		s.cfg.Metrics.Login(a.form.audience, metrics.LoginThrottled)
		a.refuse(s, w, r, http.StatusTooManyRequests, "Trop de tentatives de connexion. Réessayez dans "+humanDuration(wait)+".")
		return false
	case !ok:
		s.cfg.Metrics.Login(a.form.audience, metrics.LoginFailure)
		s.log.Warn(a.form.failure, append(logArgs, "addr", s.clientAddress(r))...)
		a.refuse(s, w, r, http.StatusUnauthorized, a.form.wrong)
		return false
	}
	s.cfg.Metrics.Login(a.form.audience, metrics.LoginSuccess)
	return true
}

// rehash stores the attempt's password again, through set, under the
// hasher's current settings, when the check found its hash made with older
// ones. A failure only leaves the old hash, which still works.
func (s *Server) rehash(ctx context.Context, a *loginAttempt, set func(ctx context.Context, hash string) error) {
	h, err := s.cfg.Hasher.Hash(a.password)
	if err == nil {
		err = set(ctx, h)
	}
	if err != nil {
		s.log.Error("rehash", "err", err)
	}
}
