package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/bdf29/sesame"
)

// CardTakenMessage is the staff's answer when a card number is already
// another patron's in the library: vendors know patrons by it, so two
// patrons with one number would be one person to them.
const CardTakenMessage = "Ce numéro de carte est déjà celui d'un autre abonné de cette bibliothèque."

// cardIndex is the unique index of migration 0016.
const cardIndex = "patrons_card_unique"

func errCardTaken() error {
	return sesame.FieldErrors{sesame.FieldCardNumber: CardTakenMessage}.Err()
}

// cardTaken reports whether card is already the card of a patron of the
// library other than exceptID, compared as the index compares it. The empty
// card is nobody's.
func cardTaken(ctx context.Context, q queryer, libraryID int64, card string, exceptID int64) (bool, error) {
	card = strings.TrimSpace(card)
	if card == "" {
		return false, nil
	}
	var n int
	err := q.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM patrons
		WHERE library_id = $1 AND lower(card_number) = lower($2) AND card_number <> '' AND id <> $3`,
		libraryID, card, exceptID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check card number: %w", err)
	}
	return n > 0, nil
}

// isCardConflict reports whether err is the card index refusing a write:
// the check before it lost a race with another transaction.
func isCardConflict(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" && pe.ConstraintName == cardIndex
	}
	var se *sqlite.Error
	return errors.As(err, &se) && strings.Contains(se.Error(), cardIndex)
}

// patronWriteError maps a failed insert or update of a patron: a card
// taken is the card field's error, any other conflict the e-mail's.
func patronWriteError(err error, emailConflict string) error {
	if isCardConflict(err) {
		return errCardTaken()
	}
	return dbError(err, "Abonné", emailConflict)
}

// ResourcePseudonym returns the patron's pseudonym at a resource: the one
// they already have there (the same a CAS vendor knows them by), or fresh,
// which becomes theirs. A vendor that needs a stable name for a patron
// without a card gets this one, which no one can guess or type.
func (s *Store) ResourcePseudonym(ctx context.Context, patronID, resourceID int64, fresh string) (string, error) {
	var user string
	err := s.readStmts.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
		patronID, resourceID).Scan(&user)
	if err == nil {
		return user, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read pseudonym: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO cas_users (patron_id, resource_id, user_id, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (patron_id, resource_id) DO NOTHING`, patronID, resourceID, fresh, s.Now()); err != nil {
			return dbError(err, "Pseudonyme", "Ce pseudonyme est déjà pris.")
		}
		if err := tx.QueryRowContext(ctx, `SELECT user_id FROM cas_users WHERE patron_id = $1 AND resource_id = $2`,
			patronID, resourceID).Scan(&user); err != nil {
			return fmt.Errorf("read pseudonym: %w", err)
		}
		return nil
	})
	return user, err
}
