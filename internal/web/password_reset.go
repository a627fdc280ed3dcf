package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// A reset link lasts resetValidity; an address may ask for resetMaxRequests
// links per resetWindow, so that the form cannot flood an inbox.
const (
	resetValidity    = time.Hour
	resetMaxRequests = 5
	resetWindow      = 15 * time.Minute
)

// resetSent is the one answer to a request, whatever the address: it tells
// nothing of which accounts exist.
const resetSent = "Si un compte existe pour cette adresse, un courriel vient de lui être envoyé. Le lien est valable une heure."

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "mot_de_passe_oublie", layout{Title: "Mot de passe oublié", Section: "connexion",
		Content: blankFormPage()})
}

// forgot sends a reset link to the patron with that e-mail, if any. The page
// is the same whether or not a patron has it, and whether or not the address
// is over its quota.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	typed := r.PostForm.Get("email")
	email := sesame.NormalizeEmail(typed)
	page := formPage{Form: form{Values: url.Values{"email": {typed}}, Errors: sesame.FieldErrors{}}}
	refuse := func(status int, msg string) {
		page.Form.Errors.Add("email", msg)
		s.render(w, r, status, "mot_de_passe_oublie", layout{Title: formTitle("Mot de passe oublié", page.Form),
			Section: "connexion", Content: page})
	}
	// What is typed becomes a job's payload and a throttle key: only an
	// address that could be an account's goes on.
	if msg := sesame.CheckEmail(strings.TrimSpace(typed)); msg != "" {
		refuse(http.StatusUnprocessableEntity, "Votre adresse e-mail : "+strings.TrimPrefix(msg, "E-mail : "))
		return
	}
	wait, err := s.sendResetLink(r, email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wait > 0 {
		refuse(http.StatusTooManyRequests, tooManyFromClient(wait))
		return
	}
	page.Sent = resetSent
	s.render(w, r, http.StatusOK, "mot_de_passe_oublie", layout{Title: "Mot de passe oublié", Section: "connexion", Content: page})
}

// sendResetLink counts the request against the client's and the address's
// quotas and, when neither is exceeded, enqueues the job that sends the
// link. A client over its quota gets how long to wait.
func (s *Server) sendResetLink(r *http.Request, email string) (time.Duration, error) {
	ctx := r.Context()
	wait, ok, err := s.allowMail(ctx, r, resetQuota, email)
	if err != nil || wait > 0 {
		if wait > 0 {
			s.log.Warn("demande de réinitialisation refusée : trop de demandes de ce client", "addr", s.clientAddress(r))
		}
		return wait, err
	}
	if !ok {
		s.log.Warn("demande de réinitialisation refusée : trop de demandes", "addr", s.clientAddress(r))
		return 0, nil
	}
	// Whether a patron has this address is decided later, by a job: the
	// answer then takes the same time for every address, and says nothing.
	return 0, s.store.Enqueue(ctx, jobs.KindResetRequest, email, s.cfg.Now())
}

// ResetRequestJob is the job (jobs.KindResetRequest) that sends a reset
// link, when a patron has the address it carries.
func (s *Server) ResetRequestJob() jobs.Handler {
	return jobs.Handler{Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
		return s.createResetLink(ctx, tx, job.Payload)
	}}
}

// createResetLink stores a new link for the patron with that e-mail, if
// any, and enqueues its mail, in tx.
func (s *Server) createResetLink(ctx context.Context, tx *store.Tx, email string) error {
	id, _, err := s.store.PatronCredentials(ctx, email)
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	p, err := s.store.Patron(ctx, store.NetworkScope(), id)
	if err != nil {
		return err
	}
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	m, err := s.resetMail(ctx, p, s.cfg.BaseURL+"/mot-de-passe/"+token)
	if err != nil {
		return err
	}
	m.Secret, m.SecretUntil = token, s.cfg.Now().Add(resetValidity)
	if err := tx.CreatePasswordReset(ctx, auth.HashToken(token), id, s.cfg.Now().Add(resetValidity)); err != nil {
		return err
	}
	if err := mail.Enqueue(ctx, tx, m); err != nil {
		return err
	}
	s.log.Info("lien de réinitialisation envoyé", "patron", id)
	return nil
}

// resetMail is the mail that carries a reset link.
func (s *Server) resetMail(ctx context.Context, p *sesame.Patron, link string) (mail.Message, error) {
	m, err := notify.Render("mot-de-passe-oublie", notify.Reset{Name: greetedName(p), Network: s.networkName(ctx), Link: link})
	m.To, m.ToName = p.Email, greetedName(p)
	return m, err
}

type newPasswordPage struct {
	Form  form
	Token string
}

// resetLink finds the usable link of the request's token; when there is none
// it answers the "expired or used" page and returns false.
func (s *Server) resetLink(w http.ResponseWriter, r *http.Request) (store.PasswordReset, bool) {
	if !auth.WellFormedToken(r.PathValue("token")) {
		s.linkGone(w, r)
		return store.PasswordReset{}, false
	}
	rs, err := s.store.PasswordResetByHash(r.Context(), auth.HashToken(r.PathValue("token")))
	if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
		s.fail(w, r, err)
		return rs, false
	}
	if err != nil || !rs.Usable(s.cfg.Now()) {
		s.linkGone(w, r)
		return rs, false
	}
	return rs, true
}

// linkGone says a link is unknown, used or expired, and offers a new one.
func (s *Server) linkGone(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusGone, "mot_de_passe_nouveau", layout{Title: "Lien expiré ou déjà utilisé", Section: "connexion",
		Content: newPasswordPage{}})
}

func (s *Server) newPasswordForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.resetLink(w, r); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "mot_de_passe_nouveau", layout{Title: "Nouveau mot de passe", Section: "connexion",
		Content: newPasswordPage{Form: form{Values: url.Values{}}, Token: r.PathValue("token")}})
}

// newPassword sets the password chosen through a reset link. Nothing typed
// comes back in the page.
func (s *Server) newPassword(w http.ResponseWriter, r *http.Request) {
	rs, ok := s.resetLink(w, r)
	if !ok {
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	pw, confirm := r.PostForm.Get("mot_de_passe"), r.PostForm.Get("confirmation")
	page := newPasswordPage{Form: form{Values: url.Values{}, Errors: sesame.FieldErrors{}}, Token: r.PathValue("token")}
	if msg := auth.CheckPassword(pw, rs.Email); msg != "" {
		page.Form.Errors.Add("mot_de_passe", msg)
	} else if pw != confirm {
		page.Form.Errors.Add("confirmation", "Confirmez le nouveau mot de passe : les deux saisies sont différentes.")
	}
	if len(page.Form.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "mot_de_passe_nouveau", layout{Title: formTitle("Nouveau mot de passe", page.Form),
			Section: "connexion", Content: page})
		return
	}
	err := s.setPassword(r, passwordChange{PatronID: rs.PatronID, ResetToken: auth.HashToken(page.Token)}, pw)
	if err != nil {
		if sesame.ErrorCode(err) == sesame.ENotFound {
			s.linkGone(w, r)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.log.Info("mot de passe usager réinitialisé", "patron", rs.PatronID)
	redirect(w, r, "/connexion", "motdepasseusager")
}
