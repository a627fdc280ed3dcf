package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// An address may ask for resendMaxPerEmail new links per registrationWindow,
// so that the form cannot flood an inbox; a client address, for as many as
// it may register.
const resendMaxPerEmail = 3

// resendSent is the one answer to "Renvoyer le lien de confirmation",
// whether the address has a pending registration, an account, or nothing.
const resendSent = "Si une inscription attend d'être confirmée avec cette adresse, un nouveau lien vient d'être envoyé, valable 48 heures : " +
	"à cette adresse, ou à votre parent ou tuteur légal si c'est son accord qui est attendu. Le lien précédent ne fonctionne plus."

func (s *Server) renderResend(w http.ResponseWriter, r *http.Request, status int, page formPage) {
	s.render(w, r, status, "inscription_renvoyer", layout{Title: formTitle("Renvoyer le lien de confirmation", page.Form),
		Section: "inscription", Content: page})
}

// resendForm shows the form, with the address of ?email= when a link
// brings it (« Renvoyer le lien » of a login whose registration waits).
func (s *Server) resendForm(w http.ResponseWriter, r *http.Request) {
	page := blankFormPage()
	if typed := strings.TrimSpace(r.URL.Query().Get(sesame.FieldEmail)); typed != "" {
		page.Form.Values.Set(sesame.FieldEmail, typed)
	}
	s.renderResend(w, r, http.StatusOK, page)
}

// resend sends a fresh link for the pending registration of the address
// typed, if any. The page is the same whatever the address, and whether or
// not a quota is exceeded.
func (s *Server) resend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get(sesame.FieldEmail))
	page := formPage{Form: form{Values: url.Values{sesame.FieldEmail: {typed}}, Errors: sesame.FieldErrors{}}}
	if msg := sesame.CheckEmail(typed); msg != "" {
		page.Form.Errors.Add(sesame.FieldEmail, msg)
		s.renderResend(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	email := sesame.NormalizeEmail(typed)
	byEmail, answered := s.allowFormMail(w, r, resendQuota, email, page.Form, func(status int) { s.renderResend(w, r, status, page) })
	if answered {
		return
	}
	var err error
	if byEmail {
		// Whether a registration is pending is decided later, by a job:
		// the answer then takes the same time for every address.
		err = s.store.Enqueue(ctx, jobs.KindRegistrationResend, email, s.cfg.Now())
	} else {
		s.log.Warn("renvoi de lien d'inscription ignoré : trop de demandes", "addr", s.clientAddress(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Sent = resendSent
	s.renderResend(w, r, http.StatusOK, page)
}

// RegistrationResendJob is the job (jobs.KindRegistrationResend) that sends
// a registration's link again (resendRegistration).
func (s *Server) RegistrationResendJob() jobs.Handler {
	return jobs.Handler{Record: s.resendRegistration}
}

// resendRegistration gives the pending registration of the job's address,
// if any, a new link, and writes its mail in the job's transaction: to the
// holder while they have not confirmed, to the parent once they have.
func (s *Server) resendRegistration(ctx context.Context, job store.Job, tx *store.Tx) error {
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	reg, err := tx.RenewRegistrationLink(ctx, job.Payload, auth.HashToken(token), now, now.Add(registrationValidity))
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	pl, err := decodePayload(reg)
	if err != nil {
		return err
	}
	if reg.AwaitsParent() {
		s.log.Info("lien d'accord parental renvoyé")
		return s.enqueueParentalConsentMail(ctx, tx, pl, token)
	}
	s.log.Info("lien de confirmation d'inscription renvoyé")
	m, err := confirmationMail(reg.Email, pl, s.networkName(ctx), s.cfg.BaseURL+"/inscription/confirmer/"+token)
	if err != nil {
		return err
	}
	m.Secret, m.SecretUntil = token, now.Add(registrationValidity)
	return mail.Enqueue(ctx, tx, m)
}
