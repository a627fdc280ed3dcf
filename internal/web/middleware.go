package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Sessions end after cfg.SessionIdle without activity (30 minutes unless
// set), and 12 hours after login.
const sessionAbsolute = 12 * time.Hour

// touchEvery spares a write on every request: activity is recorded at most
// once a minute, or once a tenth of the idle limit when that is shorter.
func (s *Server) touchEvery() time.Duration { return min(time.Minute, s.cfg.SessionIdle/10) }

// sessionEnded reports whether a session last seen at lastSeen and created
// at created has ended by now.
func (s *Server) sessionEnded(now, lastSeen, created time.Time) bool {
	return now.Sub(lastSeen) > s.cfg.SessionIdle || now.Sub(created) > sessionAbsolute
}

func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame"
	}
	return "sesame"
}

// guard applies a route's permission: nobody logged in goes to the login
// page, a logged-in member without the right gets 403.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, pa := staffFrom(r.Context()), patronFrom(r.Context())
		if !rt.perm.Allows(st, pa) {
			if st == nil || rt.perm == auth.Patron {
				if account := endedSessionOf(r.Context()); account != "" {
					s.loginAfterEnd(w, r, account)
					return
				}
				target := "/connexion"
				if r.Method == http.MethodGet {
					target += "?suite=" + url.QueryEscape(r.URL.RequestURI())
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			s.log.Warn("accès refusé", "staff", st.Login, "path", r.URL.Path)
			s.renderError(w, r, http.StatusForbidden, "Cette page est réservée à l'administration du réseau.")
			return
		}
		// A page whose address carries a secret token (a password reset,
		// a confirmation, a parent's consent) stays out of every cache, as
		// does every page drawn for someone logged in.
		if rt.perm != auth.Public || st != nil || pa != nil || strings.Contains(rt.pattern, "{token}") {
			w.Header().Set("Cache-Control", "no-store")
		}
		if s.enrolFirst(w, r, rt) {
			return
		}
		rt.handle(w, r)
	})
}

// withSession loads the staff member behind the session cookie, if any, and
// the patron behind the patron session cookie, if any.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = s.withPatron(w, r)
		c, err := r.Cookie(s.cookieName())
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		hash := auth.HashToken(c.Value)
		sess, err := s.store.SessionByHash(r.Context(), hash)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		now := s.cfg.Now()
		if ended := s.sessionEnded(now, sess.LastSeenAt, sess.CreatedAt); sess.Staff.Disabled || ended {
			if err := s.store.DeleteSession(r.Context(), hash); err != nil {
				s.log.Error("fin de session", "err", err)
			}
			s.clearCookie(w)
			if ended && !sess.Staff.Disabled {
				r = withEndedSession(r, staffAccount(&sess.Staff))
			}
			next.ServeHTTP(w, r)
			return
		}
		if now.Sub(sess.LastSeenAt) > s.touchEvery() {
			if err := s.store.TouchSession(r.Context(), hash, now); err != nil {
				s.log.Error("session", "err", err)
			}
		}
		ctx := context.WithValue(r.Context(), staffKey, &sess.Staff)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// patronCookieName is the patron session's cookie, apart from the staff one.
func (s *Server) patronCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame-usager"
	}
	return "sesame-usager"
}

// withPatron loads the patron behind the patron session cookie into the
// request's context. Patron sessions end as staff sessions do.
func (s *Server) withPatron(w http.ResponseWriter, r *http.Request) *http.Request {
	c, err := r.Cookie(s.patronCookieName())
	if err != nil || c.Value == "" {
		return r
	}
	ctx := r.Context()
	hash := auth.HashToken(c.Value)
	ps, err := s.store.PatronSessionByHash(ctx, hash)
	if err != nil {
		return r
	}
	now := s.cfg.Now()
	if s.sessionEnded(now, ps.LastSeenAt, ps.CreatedAt) {
		if err := s.store.DeletePatronSession(ctx, hash); err != nil {
			s.log.Error("fin de session usager", "err", err)
		}
		s.clearNamedCookie(w, s.patronCookieName())
		return withEndedSession(r, patronAccount(ps.PatronID))
	}
	p, err := s.store.Patron(ctx, store.NetworkScope(), ps.PatronID)
	if err != nil {
		return r
	}
	if now.Sub(ps.LastSeenAt) > s.touchEvery() {
		if err := s.store.TouchPatronSession(ctx, hash, now); err != nil {
			s.log.Error("session usager", "err", err)
		}
	}
	return r.WithContext(context.WithValue(ctx, patronKey, p))
}

func (s *Server) setNamedCookie(w http.ResponseWriter, name, token string) {
	// #nosec G124 -- Secure follows the configuration: off only for plain-HTTP development.
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter) { s.clearNamedCookie(w, s.cookieName()) }

func (s *Server) clearNamedCookie(w http.ResponseWriter, name string) {
	// #nosec G124 -- as in setNamedCookie.
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// withHeaders sets the security headers on every response, errors and static files included.
func (s *Server) withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// form-action also rules the redirects that follow a form: « Accéder »
		// and the login form end at a vendor's https site.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' https:")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// withRecover turns a panic into a logged internal error, never a dropped connection.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panique", "path", r.URL.Path, "value", v)
				s.renderError(w, r, http.StatusInternalServerError, "")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
