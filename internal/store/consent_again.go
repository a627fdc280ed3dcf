package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bdf29/sesame"
)

// ConsentRequest is a link that asks a parent, again, for their consent to
// the account of a patron whose birth date was corrected to one under 15
// (sesame.ChangeConsentRequired). Only the hash of its token is kept.
type ConsentRequest struct {
	Link
	ParentName  string
	ParentEmail string
}

// ConsentRenewableFor is how long after its end an expired consent link is
// kept, so that the parent who opens it late can ask for a new one; the
// purge takes it then.
const ConsentRenewableFor = 30 * 24 * time.Hour

// Renewable reports whether, at now, the link has expired without being
// used or replaced, recently enough to ask for a new one.
func (c ConsentRequest) Renewable(now time.Time) bool {
	return c.UsedAt.IsZero() && !now.Before(c.ExpiresAt) && now.Before(c.ExpiresAt.Add(ConsentRenewableFor))
}

// AskConsentAgain stores, in tx, a consent link for patron p under
// tokenHash, valid until expiresAt, for the parent named, and marks p as
// waiting for that consent (p.ConsentAskedAt), which bars its validation
// until it comes back. The patron's earlier unused links are voided: only
// the latest works. The caller enqueues the mail that carries the link in
// the same tx.
func (t *Tx) AskConsentAgain(ctx context.Context, p *sesame.Patron, tokenHash, parentName, parentEmail string, expiresAt time.Time) error {
	now := t.store.Now()
	if err := voidLinks(ctx, t.sql, "consent_requests", p.ID, now); err != nil {
		return err
	}
	_, err := t.sql.ExecContext(ctx, `
		INSERT INTO consent_requests (token_hash, patron_id, parent_name, parent_email, expires_at, used_at, created_at)
		VALUES ($1, $2, $3, $4, $5, NULL, $6)`,
		tokenHash, p.ID, parentName, sesame.NormalizeEmail(parentEmail), dbTime(expiresAt), now)
	if err != nil {
		return fmt.Errorf("create consent request: %w", err)
	}
	if _, err := t.sql.ExecContext(ctx, `UPDATE patrons SET consent_asked_at = $1 WHERE id = $2`, now, p.ID); err != nil {
		return fmt.Errorf("mark consent asked: %w", err)
	}
	p.ConsentAskedAt = now
	return nil
}

// ConsentRequestByHash returns the consent link stored under tokenHash,
// used or expired or not.
func (s *Store) ConsentRequestByHash(ctx context.Context, tokenHash string) (ConsentRequest, error) {
	return findConsentRequest(ctx, s.readStmts, tokenHash)
}

func findConsentRequest(ctx context.Context, q queryer, tokenHash string) (ConsentRequest, error) {
	var c ConsentRequest
	if err := findLink(ctx, q, "consent_requests", "k.parent_name, k.parent_email", tokenHash, &c.Link, &c.ParentName, &c.ParentEmail); err != nil {
		return ConsentRequest{}, err
	}
	return c, nil
}

// GiveConsentAgain uses the consent link stored under tokenHash, at now, in
// one transaction: the link is claimed, the consent is kept with the patron
// in parental_consents (replacing any earlier one, as the patron has one
// consent), the patron no longer waits for it, and the consent is audited
// on the record. A link unknown, used, voided or expired at now gives
// ENotFound, and nothing changes.
func (s *Store) GiveConsentAgain(ctx context.Context, tokenHash string, now time.Time) (ConsentRequest, error) {
	now = dbTime(now)
	var c ConsentRequest
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = findConsentRequest(ctx, tx, tokenHash); err != nil {
			return err
		}
		if err := takeLink(ctx, tx, "consent_requests", tokenHash, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO parental_consents (patron_id, parent_name, parent_email, consented_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (patron_id) DO UPDATE SET parent_name = excluded.parent_name,
				parent_email = excluded.parent_email, consented_at = excluded.consented_at`,
			c.PatronID, c.ParentName, c.ParentEmail, now)
		if err != nil {
			return fmt.Errorf("record parental consent: %w", err)
		}
		// The version moves: a Statut tab opened before the consent offered
		// no validation, and is read again before it can.
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET consent_asked_at = NULL, version = version + 1, updated_at = $1 WHERE id = $2`, now, c.PatronID); err != nil {
			return fmt.Errorf("clear consent asked: %w", err)
		}
		actor := sesame.Actor{Label: "le parent ou tuteur légal (" + c.ParentEmail + ")", LibraryID: c.LibraryID}
		return audit(ctx, tx, now, actor, c.LibraryID, c.PatronID, sesame.ActionConfirmation,
			fmt.Sprintf("Accord parental donné par %s (%s) : le compte attend la validation de la bibliothèque.", c.ParentName, c.ParentEmail))
	})
	if err != nil {
		return ConsentRequest{}, err
	}
	return c, nil
}
