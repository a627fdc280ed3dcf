package sip2

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
)

// session is one connection's state: the vendor's connector once logged
// in, the failures so far, the last answer for a resend request (97).
type session struct {
	srv       *Server
	addr      string
	connector *sesame.Connector
	// institution is what 98 names in AO, which 99 does not send: the
	// connector's resource, by its short name.
	institution string
	failures    int
	last        []byte
}

// supportedMessages is the 98's BX field, one Y/N per message in the
// specification's order: patron status, checkout, checkin, block patron,
// SC/ACS status, request resend, login, patron information, end patron
// session, fee paid, item information, item status update, patron enable,
// hold, renew, renew all.
const supportedMessages = "YNNNYYYYYNNNNNNN"

// language is French in SIP2's language codes (000 unknown, 001 English,
// 002 French): every screen message is French.
const language = "002"

// handle answers one message. It returns the bytes to send (nil for none)
// and whether to close the connection afterwards.
func (ss *session) handle(ctx context.Context, line string) ([]byte, bool) {
	m, err := parse(line)
	if err != nil {
		// A checksum error or a truncated message: the specification's
		// answer is a request to resend (96).
		ss.failures++
		seq := -1
		if errors.Is(err, errChecksum) {
			seq = 0 // the client checks checksums: this answer carries one
		}
		return ss.remember(resendRequest(seq)), ss.failures >= MaxFailures
	}
	if m.code == "97" {
		if ss.last == nil {
			return resendRequest(m.seq), false
		}
		return ss.last, false
	}
	if m.code == "93" {
		return ss.login(ctx, m)
	}
	if ss.connector == nil {
		// Nothing but a login before a successful login: the answer is the
		// login's refusal.
		ss.failures++
		return ss.remember(newAnswer("94", "0").bytes(m.seq)), ss.failures >= MaxFailures
	}
	now := ss.srv.cfg.Now().In(ss.srv.cfg.Location)
	switch m.code {
	case "99":
		return ss.remember(ss.status(m, now)), false
	case "23", "63":
		return ss.remember(ss.patron(ctx, m, now)), false
	case "35":
		a := newAnswer("36", "Y", sipDate(now)).field("AO", m.fields["AO"]).field("AA", m.fields["AA"])
		return ss.remember(a.bytes(m.seq)), false
	}
	// A message Sésame does not answer (checkout, holds…): the BX field of
	// 98 says so; the specification's answer to what cannot be read is 96.
	ss.failures++
	return ss.remember(resendRequest(m.seq)), ss.failures >= MaxFailures
}

func (ss *session) remember(b []byte) []byte {
	ss.last = b
	return b
}

// resendRequest is 96, with a checksum when the client uses them.
func resendRequest(seq int) []byte {
	b := []byte("96")
	if seq >= 0 {
		b = append(b, "AZ"...)
		b = append(b, checksum("96AZ")...)
	}
	return append(b, '\r')
}

// login checks a vendor's 93 against the sip2 connector of that login,
// under the web's throttles (the connector's login is its account), and
// answers 94.
func (ss *session) login(ctx context.Context, m *message) ([]byte, bool) {
	cfg := ss.srv.cfg
	login, password := m.fields["CN"], m.fields["CO"]
	ok := false
	var c *sesame.Connector
	if login != "" && sesame.PlausibleIdentifier(login, sesame.MaxSIP2CredentialLength) {
		var err error
		c, err = cfg.Store.ConnectorByLookup(ctx, sesame.ConnectorSIP2, login)
		if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
			cfg.Logger.Error("SIP2 : connecteur", "err", err)
			return newAnswer("94", "0").bytes(m.seq), true
		}
		hash := ""
		if c != nil {
			hash = c.SIP2.PasswordHash
		}
		at := auth.Attempt{Account: auth.AccountKey("sip2:" + login), Address: ss.addr}
		var wait time.Duration
		ok, wait, _, err = cfg.Auth.VerifyPassword(ctx, at, password, hash, c != nil)
		if err != nil {
			cfg.Logger.Error("SIP2 : connexion du fournisseur", "err", err)
			return newAnswer("94", "0").bytes(m.seq), true
		}
		if wait > 0 {
			cfg.Logger.Warn("SIP2 : connexion du fournisseur bloquée (trop de tentatives)", "login", login, "addr", ss.addr)
		}
	}
	if !ok {
		ss.failures++
		cfg.Logger.Warn("SIP2 : connexion du fournisseur refusée", "addr", ss.addr)
		return ss.remember(newAnswer("94", "0").bytes(m.seq)), ss.failures >= MaxFailures
	}
	ss.connector, ss.failures, ss.institution = c, 0, "sesame"
	if res, err := cfg.Store.Resource(ctx, c.ResourceID); err == nil {
		ss.institution = res.Slug
	}
	return ss.remember(newAnswer("94", "1").bytes(m.seq)), false
}

// status answers 99 with 98: on line, nothing but patron checks.
func (ss *session) status(m *message, now time.Time) []byte {
	return newAnswer("98",
		"Y",   // on-line status
		"N",   // checkin ok
		"N",   // checkout ok
		"N",   // ACS renewal policy
		"N",   // status update ok
		"N",   // off-line ok
		"000", // timeout period: none given
		"003", // retries allowed
		sipDate(now),
		"2.00",
	).field("AO", ss.institution).field("AM", "Sésame").field("BX", supportedMessages).bytes(m.seq)
}

// humanDuration says a throttle's wait in French, rounded up.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		n := int(d.Seconds()) + 1
		if n == 1 {
			return "1 seconde"
		}
		return strconv.Itoa(n) + " secondes"
	}
	n := int(d.Minutes()) + 1
	if n == 1 {
		return "1 minute"
	}
	return strconv.Itoa(n) + " minutes"
}
