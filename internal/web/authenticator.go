package web

import (
	"context"
	"net/http"
	"time"

	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// authenticator is the one login check, over the server's clock, hasher and throttles.
func (s *Server) authenticator() auth.Authenticator {
	return auth.Authenticator{Hasher: s.cfg.Hasher, Throttles: store.LoginThrottles{Store: s.store}, Now: s.cfg.Now}
}

// attempt is r's login to accountKey as the throttles see it: the device
// cookie it shows for that account, if any, and its address.
func (s *Server) attempt(r *http.Request, accountKey string) (auth.Attempt, error) {
	device, err := s.trustedDevice(r, accountKey)
	if err != nil {
		return auth.Attempt{}, err
	}
	return auth.Attempt{Account: accountKey, Device: device, Address: s.clientAddress(r)}, nil
}

// verifyLogin checks a password against hash under the login's throttles,
// and clears them on success (auth.Authenticator.VerifyPassword).
func (s *Server) verifyLogin(r *http.Request, accountKey, password, hash string, usable bool) (ok bool, wait time.Duration, rehash bool, err error) {
	at, err := s.attempt(r, accountKey)
	if err != nil {
		return false, 0, false, err
	}
	return s.authenticator().VerifyPassword(r.Context(), at, password, hash, usable)
}

// checkPassword is verifyLogin without the clearing of the failures after
// a success, which is the caller's to do (auth.Authenticator.CheckPassword).
func (s *Server) checkPassword(r *http.Request, accountKey, password, hash string, usable bool) (ok bool, wait time.Duration, rehash bool, err error) {
	at, err := s.attempt(r, accountKey)
	if err != nil {
		return false, 0, false, err
	}
	return s.authenticator().CheckPassword(r.Context(), at, password, hash, usable)
}

// verifyCode checks a second factor's code or a recovery code with check,
// under the login's throttles (auth.Authenticator.VerifyCode).
func (s *Server) verifyCode(r *http.Request, accountKey string, check func(ctx context.Context) (bool, error)) (ok bool, wait time.Duration, err error) {
	at, err := s.attempt(r, accountKey)
	if err != nil {
		return false, 0, err
	}
	return s.authenticator().VerifyCode(r.Context(), at, check)
}

// clearThrottles forgets the failures of the login's throttles, once it
// succeeded (auth.Authenticator.Clear).
func (s *Server) clearThrottles(r *http.Request, accountKey string) error {
	at, err := s.attempt(r, accountKey)
	if err != nil {
		return err
	}
	return s.authenticator().Clear(r.Context(), at)
}
