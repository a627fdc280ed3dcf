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
	attempt, ok := s.startLogin(w, r, patronLoginForm)
	if !ok {
		return
	}
	id, hash, err := s.store.PatronCredentials(ctx, attempt.id)
	if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
		s.fail(w, r, err)
		return
	}
	usable := err == nil
	// With no account of that address, a registration of it that waits for
	// a confirmation is checked against its own password: only the right
	// password learns that it waits, and how to go on (issue #11).
	var waiting *store.Registration
	if !usable {
		if waiting, hash, err = s.waitingRegistration(ctx, attempt.id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	ok, wait, rehash, err := s.verifyLogin(r, auth.AccountKey("usager:"+attempt.id), attempt.password, hash, usable || waiting != nil)
	if !s.passwordPassed(w, r, attempt, ok, wait, err) {
		return
	}
	if waiting != nil {
		msg := "Votre inscription n'est pas encore confirmée : ouvrez le lien que nous vous avons envoyé par e-mail pour confirmer votre adresse, puis connectez-vous. Vous ne l'avez pas reçu, ou il a expiré ? Demandez-en un nouveau."
		if waiting.AwaitsParent() {
			msg = "Votre adresse est confirmée, mais votre inscription attend encore l'accord de votre parent ou tuteur légal, à qui nous avons envoyé un lien. Il ne l'a pas reçu, ou il a expiré ? Demandez-en un nouveau."
		}
		attempt.page.Unconfirmed = attempt.id
		attempt.refuse(s, w, r, http.StatusForbidden, msg)
		return
	}
	if rehash {
		s.rehash(ctx, attempt, func(ctx context.Context, h string) error { return s.store.SetPatronPassword(ctx, id, h) })
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
	if err := s.setDeviceCookie(w, r, s.patronDeviceCookieName(), auth.AccountKey("usager:"+attempt.id)); err != nil {
		s.log.Error("cookie d'appareil", "err", err)
	}
	// A patron sent here by a vendor goes back to it, unless the account
	// has just expired: then the renewal page is what they need.
	next := "/mon-compte"
	if attempt.page.Next != "" && !expired {
		next = attempt.page.Next
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// waitingRegistration returns the registration of email that waits for its
// holder's confirmation or their parent's consent, with the hash of the
// password chosen at registration; nil when there is none.
func (s *Server) waitingRegistration(ctx context.Context, email string) (*store.Registration, string, error) {
	reg, err := s.store.PendingRegistration(ctx, email, s.cfg.Now())
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	pl, err := decodePayload(reg)
	if err != nil {
		return nil, "", err
	}
	return &reg, pl.PasswordHash, nil
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
		if p.Patron.RenewingBeforeEnd(p.today) {
			return "Votre demande de renouvellement attend la validation de votre bibliothèque. Votre compte reste ouvert jusqu'au " + p.Patron.ValidUntil.String() + " inclus."
		}
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

// MayRequestRenewal says whether the page offers « Demander le
// renouvellement »: by the rule that requestRenewal applies.
func (p accountPage) MayRequestRenewal() bool { return p.Patron.MayRequestRenewal(p.today) }

func (s *Server) myAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, form{Values: url.Values{}})
}

// requestRenewal is the holder of an Expiré account, or of a Validé one
// near its end (the reminders' page), asking for renewal: the account
// becomes À revalider and enters the library's to-do view.
func (s *Server) requestRenewal(w http.ResponseWriter, r *http.Request) {
	p := patronFrom(r.Context())
	_, err := s.store.UpdatePatron(r.Context(), store.LibraryScope(p.LibraryID), p.ID, 0, patronActor(p),
		func(p *sesame.Patron) (store.Change, error) {
			from := p.Status
			if err := p.RequestRenewal(s.today()); err != nil {
				return store.Change{}, err
			}
			return store.Change{Action: sesame.ActionRenewalRequest, Detail: "Statut : « " + from.Label() + " » → « À revalider » : l'usager demande le renouvellement de son compte.",
				Then: s.libraryNotice(r.Context(), sesame.RequestRenewal)}, nil
		})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/mon-compte", "renouvellement")
}

// renewalPage is the page a reminder's link opens (reminders.RenewPath):
// where the account stands, and « Demander le renouvellement » when the
// account may ask for it; the button posts to requestRenewal, as on « Mon
// compte ». A patron not logged in comes back here after login.
func (s *Server) renewalPage(w http.ResponseWriter, r *http.Request) {
	page, err := s.accountOf(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mon_compte_renouvellement", layout{Title: "Renouvellement de mon compte", Section: "mon-compte", Content: page})
}

// RenewableFrom is the first day the account may ask for renewal, for a
// Validé account whose end is still far: MaxReminderDays before its end.
func (p accountPage) RenewableFrom() sesame.Date {
	return p.Patron.ValidUntil.AddDays(-sesame.MaxReminderDays)
}

// accountOf reads the logged-in patron's account and library as they are
// now, for « Mon compte » and the renewal page.
func (s *Server) accountOf(ctx context.Context) (accountPage, error) {
	p := patronFrom(ctx)
	p, err := s.store.Patron(ctx, store.LibraryScope(p.LibraryID), p.ID)
	if err != nil {
		return accountPage{}, err
	}
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		return accountPage{}, err
	}
	return accountPage{Patron: p, Library: lib, today: s.today()}, nil
}
