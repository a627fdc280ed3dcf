package store

import (
	"context"
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
