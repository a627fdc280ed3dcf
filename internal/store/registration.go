package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// Registration is a self-registration waiting for its holder to follow the
// link sent by e-mail and, for a patron under 15, then for a parent to follow
// the link of their own mail. Only the hashes of the links' tokens are kept;
// Payload is the caller's record of the validated form, opaque here, and
// emptied once a patron is made of it.
type Registration struct {
	Email       string
	Payload     string
	ExpiresAt   time.Time // of the link that is waiting: the holder's, then the parent's
	CreatedAt   time.Time
	ConfirmedAt time.Time // zero until the holder followed their link
	DoneAt      time.Time // zero until a patron was made of it
}

// Used reports whether the holder's link has served.
func (r Registration) Used() bool { return !r.ConfirmedAt.IsZero() }

// AwaitsParent reports whether the holder confirmed and a parent's consent
// is still to come.
func (r Registration) AwaitsParent() bool { return r.Used() && r.DoneAt.IsZero() }

// Pending reports whether the registration still waits for someone at now.
func (r Registration) Pending(now time.Time) bool {
	return r.DoneAt.IsZero() && now.Before(r.ExpiresAt)
}

// ParentalConsent is the consent a parent or legal guardian gave to the
// registration of a patron under 15, kept with the patron.
type ParentalConsent struct {
	ParentName  string
	ParentEmail string
	At          time.Time
}

// ErrLinkUsed is the answer to a registration link that has already served:
// a second press of the button, or the holder's link once they confirmed.
var ErrLinkUsed = sesame.Errorf(sesame.EConflict, "Ce lien a déjà servi.")

// ErrAlreadyRegistered is the answer to a confirmation when a patron got
// the registration's address in the meantime.
var ErrAlreadyRegistered = sesame.Errorf(sesame.EConflict, "Un compte existe déjà avec cette adresse e-mail.")

var errLinkGone = sesame.Errorf(sesame.ENotFound, "Inscription introuvable.")

// EmailTaken reports, in tx, whether a patron already has that e-mail.
func (t *Tx) EmailTaken(ctx context.Context, email string) (bool, error) {
	var n int
	err := t.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM patrons WHERE email = $1`, sesame.NormalizeEmail(email)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up patron e-mail: %w", err)
	}
	return n > 0, nil
}

// SaveRegistration stores, in tx, a registration for email valid until
// expiresAt under tokenHash. An earlier registration of the same address is
// replaced, in one statement, whatever its step: a double submission leaves
// one, whose link is the latest, and the earlier links, a parent's
// included, stop working. The caller enqueues the mail that carries the link
// in the same tx.
func (t *Tx) SaveRegistration(ctx context.Context, tokenHash, email, payload string, expiresAt time.Time) error {
	_, err := t.sql.ExecContext(ctx, `
		INSERT INTO registrations (token_hash, email, payload, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (email) DO UPDATE SET token_hash = excluded.token_hash, payload = excluded.payload,
			expires_at = excluded.expires_at, created_at = excluded.created_at,
			parent_token_hash = NULL, confirmed_at = NULL, done_at = NULL`,
		tokenHash, sesame.NormalizeEmail(email), payload, dbTime(expiresAt), t.store.Now())
	if err != nil {
		return fmt.Errorf("save registration: %w", err)
	}
	return nil
}

// RegistrationByHash returns the registration whose holder's link is stored
// under tokenHash, whatever its step and expired or not.
func (s *Store) RegistrationByHash(ctx context.Context, tokenHash string) (Registration, error) {
	return findRegistration(ctx, s.readStmts, tokenHash)
}

// RegistrationByParentHash returns the registration whose parent's link is
// stored under tokenHash, expired or not.
func (s *Store) RegistrationByParentHash(ctx context.Context, tokenHash string) (Registration, error) {
	return findRegistrationByParent(ctx, s.readStmts, tokenHash)
}

// PendingRegistration returns the registration of email that still waits,
// at now, for its holder's confirmation or their parent's consent;
// ENotFound when there is none.
func (s *Store) PendingRegistration(ctx context.Context, email string, now time.Time) (Registration, error) {
	r, err := findRegistrationByEmail(ctx, s.readStmts, email)
	if err != nil {
		return Registration{}, err
	}
	if !r.Pending(now) {
		return Registration{}, errLinkGone
	}
	return r, nil
}

const registrationColumns = `email, payload, expires_at, created_at, confirmed_at, done_at`

func findRegistration(ctx context.Context, q queryer, tokenHash string) (Registration, error) {
	return scanRegistration(q.QueryRowContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE token_hash = $1`, tokenHash))
}

func findRegistrationByParent(ctx context.Context, q queryer, tokenHash string) (Registration, error) {
	return scanRegistration(q.QueryRowContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE parent_token_hash = $1`, tokenHash))
}

func findRegistrationByEmail(ctx context.Context, q queryer, email string) (Registration, error) {
	return scanRegistration(q.QueryRowContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE email = $1`, sesame.NormalizeEmail(email)))
}

func scanRegistration(row *sql.Row) (Registration, error) {
	var r Registration
	var confirmed, done sql.NullTime
	if err := row.Scan(&r.Email, &r.Payload, &r.ExpiresAt, &r.CreatedAt, &confirmed, &done); err != nil {
		return Registration{}, dbError(err, "Inscription", "")
	}
	r.ConfirmedAt, r.DoneAt = confirmed.Time, done.Time
	return r, nil
}

// claim checks that an UPDATE guarded by a registration's step changed one
// row. When it changed none, someone else moved the registration first:
// find, reading again, tells which error that is.
func claim(res sql.Result, err error, find func() (Registration, error), used func(Registration) bool) error {
	if err != nil {
		return fmt.Errorf("claim registration: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	r, err := find()
	if err == nil && used(r) {
		return ErrLinkUsed
	}
	return errLinkGone
}

// ConfirmRegistration turns the registration whose holder's link is stored
// under tokenHash into a patron, in one transaction: build makes the patron
// from the registration, the patron and their grants are created, the
// registration is marked done and the confirmation is audited. It returns
// the new patron's id. A link unknown or expired at now gives ENotFound, a
// link already used ErrLinkUsed, and nothing changes; when a patron already
// has the address, the registration is deleted and the error is
// ErrAlreadyRegistered.
func (s *Store) ConfirmRegistration(ctx context.Context, tokenHash string, now time.Time,
	build func(Registration) (NewPatron, error)) (int64, error) {
	now = dbTime(now)
	find := func(q queryer) (Registration, error) { return findRegistration(ctx, q, tokenHash) }
	return s.makePatron(ctx, find, now, Registration.Used, func(tx *sql.Tx) (sql.Result, error) {
		// Claimed in one statement: of two presses at once, one only passes.
		return tx.ExecContext(ctx, `
			UPDATE registrations SET confirmed_at = $1, done_at = $1, payload = ''
			WHERE token_hash = $2 AND confirmed_at IS NULL AND expires_at > $1`, now, tokenHash)
	}, func(tx *sql.Tx, r Registration) (int64, error) {
		np, err := build(r)
		if err != nil {
			return 0, err
		}
		return s.createRegisteredTx(ctx, tx, r, np, "Inscription confirmée par l'usager.")
	})
}

// AwaitParentalConsent records, in tx, that the holder of the link stored
// under tokenHash confirmed their address, and makes the registration wait
// for a parent's consent through a link stored under parentTokenHash, valid
// until expiresAt. The holder's link has then served. It returns the
// registration as it was read. A link unknown or expired at now gives
// ENotFound, one already used ErrLinkUsed, and nothing changes. The caller
// enqueues the parent's mail in the same tx.
func (t *Tx) AwaitParentalConsent(ctx context.Context, tokenHash, parentTokenHash string, now, expiresAt time.Time) (Registration, error) {
	now = dbTime(now)
	r, err := findRegistration(ctx, t.sql, tokenHash)
	switch {
	case err != nil:
		return Registration{}, err
	case r.Used():
		return Registration{}, ErrLinkUsed
	case !now.Before(r.ExpiresAt):
		return Registration{}, errLinkGone
	}
	res, err := t.sql.ExecContext(ctx, `
		UPDATE registrations SET confirmed_at = $1, parent_token_hash = $2, expires_at = $3
		WHERE token_hash = $4 AND confirmed_at IS NULL AND expires_at > $1`,
		now, parentTokenHash, dbTime(expiresAt), tokenHash)
	if err := claim(res, err, func() (Registration, error) { return findRegistration(ctx, t.sql, tokenHash) }, Registration.Used); err != nil {
		return Registration{}, err
	}
	return r, nil
}

// ConsentToRegistration turns the registration whose parent's link is
// stored under parentTokenHash into a patron, in one transaction, as
// ConfirmRegistration does, and keeps with the patron the consent that build
// gives, given at now. A link unknown or expired at now gives ENotFound, one already used
// ErrLinkUsed, and nothing changes; when a patron already has the address,
// the registration is deleted and the error is ErrAlreadyRegistered.
func (s *Store) ConsentToRegistration(ctx context.Context, parentTokenHash string, now time.Time,
	build func(Registration) (NewPatron, ParentalConsent, error)) (int64, error) {
	now = dbTime(now)
	find := func(q queryer) (Registration, error) { return findRegistrationByParent(ctx, q, parentTokenHash) }
	done := func(r Registration) bool { return !r.DoneAt.IsZero() }
	return s.makePatron(ctx, find, now, done, func(tx *sql.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `
			UPDATE registrations SET done_at = $1, payload = ''
			WHERE parent_token_hash = $2 AND done_at IS NULL AND expires_at > $1`, now, parentTokenHash)
	}, func(tx *sql.Tx, r Registration) (int64, error) {
		np, c, err := build(r)
		if err != nil {
			return 0, err
		}
		c.ParentEmail = sesame.NormalizeEmail(c.ParentEmail)
		detail := fmt.Sprintf("Inscription confirmée par l'usager, avec l'accord de son parent ou tuteur légal %s (%s).", c.ParentName, c.ParentEmail)
		id, err := s.createRegisteredTx(ctx, tx, r, np, detail)
		if err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO parental_consents (patron_id, parent_name, parent_email, consented_at) VALUES ($1, $2, $3, $4)`,
			id, c.ParentName, c.ParentEmail, now)
		if err != nil {
			return 0, fmt.Errorf("record parental consent: %w", err)
		}
		return id, nil
	})
}

// makePatron is the transaction shared by the two ways a registration
// becomes a patron: find reads the registration by its link, used tells a
// link that has served, claim marks the registration done in one guarded
// statement, and create makes the patron.
func (s *Store) makePatron(ctx context.Context, find func(queryer) (Registration, error), now time.Time,
	used func(Registration) bool, claimIt func(*sql.Tx) (sql.Result, error), create func(*sql.Tx, Registration) (int64, error)) (int64, error) {
	var id int64
	taken := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := find(tx)
		switch {
		case err != nil:
			return err
		case used(r):
			return ErrLinkUsed
		case !now.Before(r.ExpiresAt):
			return errLinkGone
		}
		res, err := claimIt(tx)
		if err := claim(res, err, func() (Registration, error) { return find(tx) }, used); err != nil {
			return err
		}
		if taken, err = s.wrap(tx).EmailTaken(ctx, r.Email); err != nil {
			return err
		}
		if taken {
			_, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE email = $1`, r.Email)
			return err
		}
		id, err = create(tx, r)
		return err
	})
	if err == nil && taken {
		return 0, ErrAlreadyRegistered
	}
	return id, err
}

// createRegisteredTx creates, in tx, the patron np made of registration r,
// with r's address, and audits detail as the patron's own act.
func (s *Store) createRegisteredTx(ctx context.Context, tx *sql.Tx, r Registration, np NewPatron, detail string) (int64, error) {
	np.Patron.Email = r.Email
	np.DropTakenCard = true
	actor := sesame.Actor{Label: "l'usager (" + r.Email + ")", LibraryID: np.Patron.LibraryID}
	id, err := s.createPatronTx(ctx, tx, np, actor)
	if err != nil {
		return 0, err
	}
	actor.PatronID = id
	return id, audit(ctx, tx, s.Now(), actor, np.Patron.LibraryID, id, sesame.ActionConfirmation, detail)
}

// RenewRegistrationLink gives, in tx, the registration of email still
// pending at now a new link stored under tokenHash and valid until
// expiresAt: the holder's link while they have not confirmed, the parent's
// once they have. The link it replaces stops working. It returns the
// registration as it was read, whose AwaitsParent tells which link was
// renewed. With no pending registration for email, the error is ENotFound
// and nothing changes.
func (t *Tx) RenewRegistrationLink(ctx context.Context, email, tokenHash string, now, expiresAt time.Time) (Registration, error) {
	now = dbTime(now)
	expiresAt = dbTime(expiresAt)
	r, err := findRegistrationByEmail(ctx, t.sql, email)
	if err != nil {
		return Registration{}, err
	}
	if !r.Pending(now) {
		return Registration{}, errLinkGone
	}
	var res sql.Result
	if r.AwaitsParent() {
		res, err = t.sql.ExecContext(ctx, `
			UPDATE registrations SET parent_token_hash = $1, expires_at = $2
			WHERE email = $3 AND confirmed_at IS NOT NULL AND done_at IS NULL AND expires_at > $4`, tokenHash, expiresAt, r.Email, now)
	} else {
		res, err = t.sql.ExecContext(ctx, `
			UPDATE registrations SET token_hash = $1, expires_at = $2
			WHERE email = $3 AND confirmed_at IS NULL AND expires_at > $4`, tokenHash, expiresAt, r.Email, now)
	}
	if err != nil {
		return Registration{}, fmt.Errorf("renew registration link: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Registration{}, errLinkGone
	}
	return r, nil
}

// ParentalConsentOf returns the consent kept with a patron within scope;
// ENotFound when the patron registered without one, or is out of scope.
func (s *Store) ParentalConsentOf(ctx context.Context, sc Scope, patronID int64) (ParentalConsent, error) {
	args := []any{patronID}
	var c ParentalConsent
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT c.parent_name, c.parent_email, c.consented_at
		FROM parental_consents c JOIN patrons p ON p.id = c.patron_id
		WHERE c.patron_id = $1`+sc.clause("p.library_id", &args), args...).Scan(&c.ParentName, &c.ParentEmail, &c.At)
	if err != nil {
		return ParentalConsent{}, dbError(err, "Accord parental", "")
	}
	return c, nil
}
