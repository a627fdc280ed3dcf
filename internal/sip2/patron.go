package sip2

import (
	"context"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
)

// French screen messages (AF) of the refusals that are not the gate's.
// #nosec G101 -- French messages, no credential.
const (
	msgNoIdentifier = "Indiquez le numéro de carte ou l'adresse e-mail de l'usager."
	msgNoPassword   = "Indiquez le mot de passe Sésame de l'usager."
	msgWrong        = "Numéro de carte, adresse e-mail ou mot de passe incorrect."
	msgAmbiguous    = "Ce numéro de carte est celui de plusieurs usagers du réseau : identifiez-vous avec votre adresse e-mail."
	msgUnavailable  = "Le service est momentanément indisponible. Réessayez dans quelques minutes."
)

// verdict is what a patron lookup answers: valid patron (BL), valid
// password (CQ), and for a patron who may open the resource, the names and
// the end of validity; otherwise a French screen message.
type verdict struct {
	ok      bool
	name    string // « Prénom Nom »
	until   sesame.Date
	message string
}

// patron answers a patron status (23) or patron information (63) request.
func (ss *session) patron(ctx context.Context, m *message, now time.Time) []byte {
	v := ss.lookup(ctx, m.fields["AA"], m.fields["AD"])
	status := "              " // 14 spaces: no privilege denied
	if !v.ok {
		// Charge, renewal, recall and hold privileges denied.
		status = "YYYY          "
	}
	var a *answer
	if m.code == "23" {
		a = newAnswer("24", status, language, sipDate(now))
	} else {
		// Hold, overdue, charged, fine, recall, unavailable holds: none.
		a = newAnswer("64", status, language, sipDate(now), strings.Repeat("0000", 6))
	}
	a.field("AO", m.fields["AO"]).field("AA", m.fields["AA"]).field("AE", v.name)
	a.field("BL", yn(v.ok)).field("CQ", yn(v.ok))
	if v.ok && !v.until.IsZero() {
		// The end of validity, as Envisionware's extension (also Koha's
		// and FOLIO's) carries a patron's expiration date: YYYYMMDD.
		a.field("PA", strings.ReplaceAll(v.until.ISO(), "-", ""))
	}
	if v.message != "" {
		a.field("AF", v.message)
	}
	return a.bytes(m.seq)
}

// lookup finds the patron by card number or e-mail, checks the password
// with the web login's authenticator and throttles, then asks the gate
// whether the patron may open the connector's resource; a yes is a launch.
func (ss *session) lookup(ctx context.Context, identifier, password string) verdict {
	cfg := ss.srv.cfg
	c := ss.connector
	id := strings.TrimSpace(identifier)
	if id == "" {
		return verdict{message: msgNoIdentifier}
	}
	if password == "" {
		return verdict{message: msgNoPassword}
	}
	if !sesame.PlausibleIdentifier(id, sesame.MaxEmailLength) {
		// No account has it: refused before it becomes a throttle key that
		// a client could vary at will, as the web login does.
		return verdict{message: msgWrong}
	}
	matches, err := cfg.Store.PatronsBySIP2Identifier(ctx, id)
	if err != nil {
		cfg.Logger.Error("SIP2 : recherche de l'usager", "err", err)
		return verdict{message: msgUnavailable}
	}
	if len(matches) > 1 {
		return verdict{message: msgAmbiguous}
	}
	// The web login's throttle key is the e-mail's: a patron named by card
	// number goes through the same one.
	key, hash, usable := auth.AccountKey("usager:"+sesame.NormalizeEmail(id)), "", false
	var patronID int64
	if len(matches) == 1 {
		key, hash, usable, patronID = auth.AccountKey("usager:"+matches[0].Email), matches[0].PasswordHash, true, matches[0].ID
	}
	at := auth.Attempt{Account: key, Address: ss.addr}
	now := cfg.Now()
	var (
		ok, rehash bool
		wait       time.Duration
	)
	if usable && ss.srv.verified.known(patronID, password, hash, now) {
		// Verified by argon2id a moment ago (verified.go): the throttles
		// still hold, and a hit neither clears nor counts anything.
		wait, err = cfg.Auth.Throttled(ctx, at)
		ok = err == nil && wait == 0
	} else {
		ok, wait, rehash, err = cfg.Auth.VerifyPassword(ctx, at, password, hash, usable)
		switch {
		case ok && !rehash:
			ss.srv.verified.remember(patronID, password, hash, now)
		case !ok && usable:
			ss.srv.verified.forget(patronID)
		}
	}
	switch {
	case err != nil:
		cfg.Logger.Error("SIP2 : mot de passe de l'usager", "err", err)
		return verdict{message: msgUnavailable}
	case wait > 0:
		return verdict{message: "Trop de tentatives de connexion. Réessayez dans " + humanDuration(wait) + "."}
	case !ok:
		cfg.Logger.Warn("SIP2 : échec de connexion usager", "connector", c.ID, "addr", ss.addr)
		return verdict{message: msgWrong}
	}
	if rehash {
		// A failure only leaves the old hash, which still works.
		if h, err := cfg.Auth.Hasher.Hash(password); err == nil {
			if err := cfg.Store.SetPatronPassword(ctx, patronID, h); err != nil {
				cfg.Logger.Error("rehash", "err", err)
			}
		}
	}
	who, err := cfg.Gate.Open(ctx, patronID, c.ResourceID, c)
	if sesame.ErrorCode(err) == sesame.EForbidden {
		cfg.Gate.Failed(ctx, c, patronID, sesame.FailureAccessRefused, err)
		return verdict{message: sesame.ErrorMessage(err)}
	}
	if err != nil {
		cfg.Logger.Error("SIP2 : accès à la ressource", "err", err)
		return verdict{message: msgUnavailable}
	}
	// What the vendor learns is what the connector releases (release.go),
	// as « Ce que les fournisseurs savent de moi » shows it.
	v := verdict{ok: true}
	var names []string
	if c.Releases(sesame.AttributeFirstName) {
		names = append(names, who.Patron.FirstName)
	}
	if c.Releases(sesame.AttributeLastName) {
		names = append(names, who.Patron.LastName)
	}
	v.name = strings.Join(names, " ")
	if c.Releases(sesame.AttributeValidUntil) {
		v.until = who.Patron.ValidUntil
	}
	return v
}
