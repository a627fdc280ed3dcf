package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// patronLogin logs a patron in with e-mail and password. As the tutorial
// says, a Validé account past its end date becomes Expiré at this moment,
// and its holder lands on the page that offers renewal.
func (s *Server) patronLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	email := sesame.NormalizeEmail(r.PostForm.Get("email"))
	password := r.PostForm.Get("mot_de_passe_usager")
	page := loginPage{Form: form{Values: url.Values{"email": {r.PostForm.Get("email")}}, Errors: sesame.FieldErrors{}},
		Next: safeNext(r.PostForm.Get("suite")), DemoLogins: s.cfg.DemoLogins}
	refuse := func(status int, msg string) {
		page.PatronMessage = msg
		s.render(w, r, status, "connexion", layout{Title: formTitle("Connexion", page.Form), Section: "connexion", Content: page})
	}
	if email == "" || password == "" {
		if email == "" {
			page.Form.Errors.Add("email", "E-mail : ce champ est obligatoire.")
		}
		if password == "" {
			page.Form.Errors.Add("mot_de_passe_usager", "Mot de passe : ce champ est obligatoire.")
		}
		refuse(http.StatusUnprocessableEntity, "Indiquez votre adresse e-mail et votre mot de passe.")
		return
	}
	if !sesame.PlausibleIdentifier(email, sesame.MaxEmailLength) {
		// No account has such an address: a failed login, before it becomes
		// a throttle key that a robot could vary at will.
		s.log.Warn("échec de connexion usager : adresse impossible", "addr", s.clientAddress(r))
		refuse(http.StatusUnauthorized, "Adresse e-mail ou mot de passe incorrect.")
		return
	}
	id, hash, err := s.store.PatronCredentials(ctx, email)
	if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
		s.fail(w, r, err)
		return
	}
	ok, wait, rehash, err := s.verifyLogin(r, auth.AccountKey("usager:"+email), password, hash, err == nil)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case wait > 0:
		refuse(http.StatusTooManyRequests, "Trop de tentatives de connexion. Réessayez dans "+humanDuration(wait)+".")
		return
	case !ok:
		s.log.Warn("échec de connexion usager", "addr", s.clientAddress(r))
		refuse(http.StatusUnauthorized, "Adresse e-mail ou mot de passe incorrect.")
		return
	}
	if rehash {
		if h, err := s.cfg.Hasher.Hash(password); err == nil {
			if err := s.store.SetPatronPassword(ctx, id, h); err != nil {
				s.log.Error("rehash", "err", err)
			}
		}
	}
	expired, err := s.attemptAccess(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.startSession(w, r, s.patronCookieName(), s.store.DeletePatronSession,
		func(ctx context.Context, hash string) error { return s.store.CreatePatronSession(ctx, hash, id) })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.setDeviceCookie(w, r, s.patronDeviceCookieName(), auth.AccountKey("usager:"+email)); err != nil {
		s.log.Error("cookie d'appareil", "err", err)
	}
	// A patron sent here by a vendor goes back to it, unless the account
	// has just expired: then the renewal page is what they need.
	next := "/mon-compte"
	if page.Next != "" && !expired {
		next = page.Next
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// attemptAccess applies "patron attempts access now" through the gate, the
// one path that expires an account when it is used, and reports whether the
// account is Expiré.
func (s *Server) attemptAccess(r *http.Request, patronID int64) (bool, error) {
	p, err := s.gate.AttemptAccess(r.Context(), patronID, access.UseLogin)
	if err != nil {
		return false, err
	}
	return p.Status == sesame.StatusExpired, nil
}

// accountPage is "Mon compte": the patron's status in plain words and resources.
type accountPage struct {
	Patron  *sesame.Patron
	Library *sesame.Library
	Grants  []store.GrantView
	Request form // "Demander d'autres ressources", with its messages
	today   sesame.Date
}

// StatusText says where the account stands, in plain words.
func (p accountPage) StatusText() string {
	switch p.Patron.Status {
	case sesame.StatusToValidate:
		return "Votre inscription attend la validation de votre bibliothèque."
	case sesame.StatusToRevalidate:
		return "Votre demande de renouvellement attend la validation de votre bibliothèque."
	case sesame.StatusValidated:
		return "Votre compte est validé jusqu'au " + p.Patron.ValidUntil.String() + "."
	case sesame.StatusRefused:
		return "Votre bibliothèque a refusé votre inscription."
	case sesame.StatusExpired:
		return "Votre compte a expiré le " + p.Patron.ValidUntil.String() + ". Demandez son renouvellement : votre bibliothèque le validera si votre abonnement y est à jour."
	}
	return ""
}

func (s *Server) myAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, form{Values: url.Values{}})
}

// requestRenewal is the holder of an Expiré account asking for renewal: the
// account becomes À revalider and enters the library's to-do view.
func (s *Server) requestRenewal(w http.ResponseWriter, r *http.Request) {
	p := patronFrom(r.Context())
	_, err := s.store.UpdatePatron(r.Context(), store.LibraryScope(p.LibraryID), p.ID, 0, patronActor(p),
		func(p *sesame.Patron) (store.Change, error) {
			if err := p.RequestRenewal(); err != nil {
				return store.Change{}, err
			}
			return store.Change{Action: sesame.ActionRenewalRequest, Detail: "Statut : « Expiré » → « À revalider » : l'usager demande le renouvellement de son compte.",
				Then: s.libraryNotice(r.Context(), sesame.RequestRenewal)}, nil
		})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/mon-compte", "renouvellement")
}
