package oidc

import (
	"math"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// maxMaxAge caps a vendor's max_age at a year: past that, it asks nothing a
// Sésame session could not answer, and the number fits every column.
const maxMaxAge = 366 * 24 * 60 * 60

// maxAgeSeconds is the max_age kept with a request, nil when none was sent.
func maxAgeSeconds(v *uint) *int64 {
	if v == nil {
		return nil
	}
	n := int64(maxMaxAge)
	if *v < maxMaxAge && *v <= math.MaxInt32 {
		n = int64(*v)
	}
	return &n
}

// freshEnough reports whether a password typed at authTime answers the
// request's max_age (OpenID Connect Core §3.1.2.1): no more than max_age
// seconds ago, or after the vendor asked, since the patron logged in for
// this very request (so that max_age=0, prompt=login, does not send them
// back to the login form for ever). A session whose login time is unknown
// answers no max_age.
func freshEnough(req *store.OIDCAuthRequest, authTime, now time.Time) bool {
	if req.MaxAge == nil {
		return true
	}
	if authTime.IsZero() {
		return false
	}
	if !authTime.Before(req.CreatedAt) {
		return true
	}
	return now.Sub(authTime) <= time.Duration(*req.MaxAge)*time.Second
}
