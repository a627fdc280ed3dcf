package web

import (
	"net/http"
	"time"

	"github.com/bdf29/sesame/internal/auth"
)

// Device cookies, after OWASP's « Slow Down Online Guessing Attacks with
// Device Cookies »: a browser where an account logged in keeps a signed
// cookie bound to that account. A login that shows one for the account it
// tries goes through that cookie's own throttle only, so that an attacker
// elsewhere, who slows the account down for unknown clients, cannot lock
// its owner out. The cookie holds no login: the signature binds it, so a
// cookie for another account, or a forged one, is simply not recognised.
const (
	// deviceCookieMaxAge is how long a browser stays recognised.
	deviceCookieMaxAge = 365 * 24 * time.Hour
	// deviceKeyName names the signing key in the database, which every
	// instance shares, with or without SESAME_SECRET_KEY.
	deviceKeyName = "cookie-appareil"
)

// deviceCookieName and patronDeviceCookieName hold the last staff account
// and the last patron account that logged in with this browser.
func (s *Server) deviceCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame-appareil"
	}
	return "sesame-appareil"
}

func (s *Server) patronDeviceCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame-appareil-usager"
	}
	return "sesame-appareil-usager"
}

// setDeviceCookie gives the browser a new device cookie for accountKey, in
// the cookie name, once its login succeeded: a fresh nonce, hence a
// throttle with no failures.
func (s *Server) setDeviceCookie(w http.ResponseWriter, r *http.Request, name, accountKey string) error {
	key, err := s.store.ServerKey(r.Context(), deviceKeyName, s.cfg.Random)
	if err != nil {
		return err
	}
	nonce, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	// #nosec G124 -- Secure follows the configuration, as in setNamedCookie.
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: auth.SignDeviceCookie(key, accountKey, nonce),
		Path: "/", MaxAge: int(deviceCookieMaxAge.Seconds()), HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// trustedDevice returns the throttle key of the device cookie r shows for
// accountKey, or "" when it shows none that is valid for that account.
func (s *Server) trustedDevice(r *http.Request, accountKey string) (string, error) {
	var values []string
	for _, name := range []string{s.deviceCookieName(), s.patronDeviceCookieName()} {
		if c, err := r.Cookie(name); err == nil && len(c.Value) == auth.DeviceCookieLen {
			values = append(values, c.Value)
		}
	}
	if len(values) == 0 {
		return "", nil
	}
	key, err := s.store.ServerKey(r.Context(), deviceKeyName, s.cfg.Random)
	if err != nil {
		return "", err
	}
	return auth.VerifyDeviceCookie(key, accountKey, values...), nil
}
