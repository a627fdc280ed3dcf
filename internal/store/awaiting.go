package store

import (
	"context"
	"fmt"

	"github.com/bdf29/sesame"
)

// The « À traiter » queue is sesame.Patron.AwaitsStaff in SQL: the accounts
// À valider or À revalider, and the Validé accounts with a resource request
// still « En attente ». The counters of patron_counts know the first; the
// second is counted from the grants (validatedWithRequests).

// awaitingClause is the condition, on patrons p, of the queue; it appends
// its arguments to args.
func awaitingClause(args *[]any) string {
	*args = append(*args, string(sesame.StatusToValidate), string(sesame.StatusToRevalidate),
		string(sesame.StatusValidated), string(sesame.GrantPending))
	n := len(*args)
	return fmt.Sprintf(` AND (p.status IN ($%d, $%d) OR (p.status = $%d AND EXISTS (
		SELECT 1 FROM grants g WHERE g.patron_id = p.id AND g.state = $%d)))`, n-3, n-2, n-1, n)
}

// AwaitingCount is how many patrons within scope are in the « À traiter »
// queue, for the menu; counts, when the caller holds them from
// StatusCounts for the same scope, spare reading the counters again.
func (s *Store) AwaitingCount(ctx context.Context, sc Scope, counts StatusCountMap) (int, error) {
	if counts == nil {
		var err error
		if counts, err = s.StatusCounts(ctx, sc); err != nil {
			return 0, err
		}
	}
	n := 0
	for st, c := range counts {
		if st.AwaitsStaff() {
			n += c
		}
	}
	requests, err := s.validatedWithRequests(ctx, sc)
	return n + requests, err
}

// validatedWithRequests counts the Validé patrons within scope with a
// resource request « En attente ». Most pending requests belong to accounts
// still À valider (they come with the registration), so within a library
// the count walks the library's Validé patrons, bounded by its size; for
// the network it walks the pending requests, fewer than the Validé patrons.
func (s *Store) validatedWithRequests(ctx context.Context, sc Scope) (int, error) {
	args := []any{string(sesame.GrantPending), string(sesame.StatusValidated)}
	query := `SELECT COUNT(DISTINCT g.patron_id) FROM grants g JOIN patrons p ON p.id = g.patron_id
		WHERE g.state = $1 AND p.status = $2`
	if !sc.Network {
		args = append(args, sc.LibraryID)
		query = `SELECT COUNT(*) FROM patrons p WHERE p.library_id = $3 AND p.status = $2
			AND EXISTS (SELECT 1 FROM grants g WHERE g.patron_id = p.id AND g.state = $1)`
	}
	var n int
	if err := s.readStmts.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending requests: %w", err)
	}
	return n, nil
}
