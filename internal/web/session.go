package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
)

type loginPage struct {
	Form          form
	Next          string
	Message       string // for the staff form
	PatronMessage string // for the patron form
	// Unconfirmed is the address of a registration that waits for its
	// confirmation, when its holder logged in with the right password: the
	// patron form then offers « Renvoyer le lien » for it.
	Unconfirmed string
	DemoLogins  []DemoLogin
	// Expired is the idle limit, in words, when a session just ended on it;
	// KeptDraft, that what was typed then waits for after login.
	Expired   string
	KeptDraft bool
}

// title is the login page's title, « Erreur : » first when a login was
// refused, so that a screen reader announces the failure at once.
func (p loginPage) title() string {
	if p.Message != "" || p.PatronMessage != "" || len(p.Form.Errors) > 0 {
		return errorTitlePrefix + "Connexion"
	}
	return "Connexion"
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if staffFrom(r.Context()) != nil {
		http.Redirect(w, r, s.landing(staffFrom(r.Context())), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "connexion", layout{Title: "Connexion", Section: "connexion", Content: loginPage{
		Form: form{Values: url.Values{}}, Next: safeNext(r.URL.Query().Get("suite")), DemoLogins: s.cfg.DemoLogins,
		Expired: s.expiredLogin(r), KeptDraft: s.hasDraft(r),
	}})
}

// landing is where a staff member goes after login.
func (s *Server) landing(st *sesame.Staff) string {
	if st.Role == sesame.RoleAdmin {
		return "/admin"
	}
	return "/abonnes"
}

// login checks the identifiers. Whatever fails, the answer is the same
// sentence, so that it tells nothing of which accounts exist.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	attempt, ok := s.startLogin(w, r, staffLoginForm)
	if !ok {
		return
	}
	st, err := s.store.StaffByLogin(ctx, attempt.id)
	if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
		s.fail(w, r, err)
		return
	}
	hash, usable := "", err == nil && !st.Disabled
	if err == nil {
		hash = st.PasswordHash
	}
	// The failures are not cleared yet: for an account with a second
	// factor, a right password followed by wrong codes must still add up.
	ok, wait, rehash, err := s.checkPassword(r, auth.AccountKey(attempt.id), attempt.password, hash, usable)
	if !s.passwordPassed(w, r, attempt, ok, wait, err, "login", attempt.id) {
		return
	}
	if rehash {
		s.rehash(ctx, attempt, func(ctx context.Context, h string) error { return s.store.SetStaffPassword(ctx, st.ID, h) })
	}
	secondFactor, err := s.store.StaffHasTOTP(ctx, st.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if secondFactor {
		s.beginSecondFactor(w, r, st, attempt.page.Next)
		return
	}
	if err := s.clearThrottles(r, auth.AccountKey(attempt.id)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.finishStaffLogin(w, r, st, attempt.page.Next, "Connexion réussie.")
}

// finishStaffLogin gives st a new session and sends them on: to next, or
// to their landing page; to the set-up of a second factor first when the
// network requires one they do not have.
func (s *Server) finishStaffLogin(w http.ResponseWriter, r *http.Request, st *sesame.Staff, next, detail string) {
	ctx := r.Context()
	err := s.startSession(w, r, s.cookieName(), s.store.DeleteSession,
		func(ctx context.Context, hash string) error { return s.store.CreateSession(ctx, hash, st.ID) })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Only now, after the second factor if any, is this browser known.
	if err := s.setDeviceCookie(w, r, s.deviceCookieName(), auth.AccountKey(st.Login)); err != nil {
		s.log.Error("cookie d'appareil", "err", err)
	}
	if err := s.store.Audit(ctx, actorOf(st), st.LibraryID, sesame.ActionLogin, detail); err != nil {
		s.log.Error("audit", "err", err)
	}
	s.log.Info("connexion", "login", st.Login)
	// next waited in the database during a second factor: checked again
	// where it is used.
	if next = safeNext(next); next == "" {
		next = s.landing(st)
	}
	if enrol, err := s.mustEnrol(ctx, st); err != nil {
		s.log.Error("double authentification", "err", err)
	} else if enrol {
		next = mfaPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the staff session and the patron session, whichever exist.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if err := s.store.DeleteSession(r.Context(), auth.HashToken(c.Value)); err != nil {
			s.fail(w, r, err)
			return
		}
		s.clearCookie(w)
	}
	// The patron's vendors are logged out too (single logout): SAML ones
	// through the browser, which goes to each and comes back to the login
	// page; CAS ones in the background (patron_logout.go).
	sess := s.samlSession(r)
	if vendors, err := s.samlIdP().HasVendors(r.Context(), sess); err != nil || !vendors {
		if err != nil {
			s.log.Error("saml : déconnexion unique", "err", err)
		}
		sess = nil
	}
	s.endPatronSessionThroughVendors(w, r, sess, loggedOutURL, http.StatusSeeOther)
}

// startSession gives a new session to whoever just proved who they are,
// under cookie: the old session of that cookie ends, so that a session id
// planted before login is worth nothing.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, cookie string,
	end, create func(ctx context.Context, tokenHash string) error) error {
	ctx := r.Context()
	if c, err := r.Cookie(cookie); err == nil {
		if err := end(ctx, auth.HashToken(c.Value)); err != nil {
			s.log.Error("session", "err", err)
		}
	}
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	if err := create(ctx, auth.HashToken(token)); err != nil {
		return err
	}
	s.setNamedCookie(w, cookie, token)
	return nil
}

// clientAddress is the address the request came from, without its port:
// behind a trusted proxy, the one the proxy saw.
func (s *Server) clientAddress(r *http.Request) string {
	if s.cfg.TrustProxy {
		if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
			hops := strings.Split(fwd[len(fwd)-1], ",")
			if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
				return last
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func humanDuration(d time.Duration) string {
	if d < time.Minute {
		secs := int(d.Seconds()) + 1
		return plural(secs, "seconde", "secondes")
	}
	return plural(int(d.Minutes())+1, "minute", "minutes")
}

type homePage struct {
	Resources []sesame.Resource
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	res, err := s.store.Resources(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var shown []sesame.Resource
	for _, x := range res {
		if !x.Disabled {
			shown = append(shown, x)
		}
	}
	s.render(w, r, http.StatusOK, "accueil", layout{Title: "Accueil", Section: "accueil", Content: homePage{Resources: shown}})
}
