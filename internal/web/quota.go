package web

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/bdf29/sesame"
)

// mailQuota bounds a public form that sends mail (password reset,
// registration, new confirmation link): per client address, so that one
// robot cannot store rows and jobs without end by varying the e-mail, and
// per e-mail, so that nobody's inbox is flooded. The per-client bound is
// generous: a library's public Wi-Fi puts all its readers behind one address.
type mailQuota struct {
	name         string // starts the throttle keys
	perClient    int
	clientWindow time.Duration
	perEmail     int
	emailWindow  time.Duration
}

var (
	resetQuota = mailQuota{name: "reset", perClient: 30, clientWindow: time.Hour,
		perEmail: resetMaxRequests, emailWindow: resetWindow}
	registrationQuota = mailQuota{name: "inscription", perClient: registrationMaxRequests, clientWindow: registrationWindow,
		perEmail: resendMaxPerEmail, emailWindow: registrationWindow}
	resendQuota = mailQuota{name: "inscription-renvoi", perClient: registrationMaxRequests, clientWindow: registrationWindow,
		perEmail: resendMaxPerEmail, emailWindow: registrationWindow}
	consentRenewQuota = mailQuota{name: "accord-renvoi", perClient: registrationMaxRequests, clientWindow: registrationWindow,
		perEmail: resendMaxPerEmail, emailWindow: registrationWindow}
)

// tooManyFromClient is what a client over its quota reads next to the
// field; it says nothing of the e-mail typed.
func tooManyFromClient(wait time.Duration) string {
	// humanDuration counts a minute begun: a wait of exactly an hour is 60.
	return "Trop de demandes depuis cette adresse IP, réessayez dans " + humanDuration(wait-time.Nanosecond) + "."
}

// allowMail counts one request of the client and, when the client is within
// its quota, of the e-mail. A client over its quota gets how long to wait
// (nothing is counted then); an e-mail over its quota gets emailOK false,
// which the page must not show, lest it tell which addresses are in use.
// The e-mail must already be checked: it becomes a throttle key.
func (s *Server) allowMail(ctx context.Context, r *http.Request, q mailQuota, email string) (wait time.Duration, emailOK bool, err error) {
	clientKey := q.name + ":" + quotaAddress(s.clientAddress(r))
	ok, err := s.withinQuota(ctx, clientKey, q.perClient, q.clientWindow)
	if err != nil {
		return 0, false, err
	}
	if !ok {
		t, err := s.store.ThrottleOf(ctx, clientKey)
		if err != nil {
			return 0, false, err
		}
		return max(t.BlockedUntil.Sub(s.cfg.Now()), time.Second), false, nil
	}
	emailOK, err = s.withinQuota(ctx, q.name+"-adresse:"+email, q.perEmail, q.emailWindow)
	return 0, emailOK, err
}

// allowFormMail is allowMail for a form whose e-mail field is
// sesame.FieldEmail. It reports whether it answered the request already: on
// an error, or for a client over its quota, told next to the field how long
// to wait by show, with status 429. Otherwise emailOK is allowMail's.
func (s *Server) allowFormMail(w http.ResponseWriter, r *http.Request, q mailQuota, email string, f form, show func(status int)) (emailOK, answered bool) {
	wait, emailOK, err := s.allowMail(r.Context(), r, q, email)
	if err != nil {
		s.fail(w, r, err)
		return false, true
	}
	if wait > 0 {
		s.log.Warn("demande refusée : trop de demandes de ce client", "formulaire", q.name, "addr", s.clientAddress(r))
		f.Errors.Add(sesame.FieldEmail, tooManyFromClient(wait))
		show(http.StatusTooManyRequests)
		return false, true
	}
	return emailOK, false
}

// quotaAddress is the client address a quota counts: an IPv6 client gets
// a whole /64 from its provider, so its quota is the /64's.
func quotaAddress(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
