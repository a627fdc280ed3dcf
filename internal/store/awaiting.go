package store

import (
	"context"
	"fmt"

	"github.com/bdf29/sesame"
)

// The « À traiter » queue is sesame.Patron.AwaitsStaff in SQL: the accounts
// À valider or À revalider, and the Validé accounts with a resource request
// still « En attente ». The counters of patron_counts know the first; the
// second are the patrons whose pending_requests, which triggers on grants
// keep (migration 0039), is not zero.

// validatedWithRequestsClause is the condition, on patrons p, of a Validé
// account with a request « En attente ». Its values are literals, not
// parameters: the partial index patrons_validated_with_requests is only
// chosen for a query whose condition is visibly the index's own.
const validatedWithRequestsClause = `p.status = '` + string(sesame.StatusValidated) + `' AND p.pending_requests > 0`

// awaitingClause is the condition, on patrons p, of the queue; it appends
// its arguments to args.
func awaitingClause(args *[]any) string {
	*args = append(*args, string(sesame.StatusToValidate), string(sesame.StatusToRevalidate))
	n := len(*args)
	return fmt.Sprintf(` AND (p.status IN ($%d, $%d) OR (%s))`, n-1, n, validatedWithRequestsClause)
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
// resource request « En attente », from the partial index that holds them
// and no one else.
func (s *Store) validatedWithRequests(ctx context.Context, sc Scope) (int, error) {
	var args []any
	query := `SELECT COUNT(*) FROM ` + s.validatedWithRequestsFrom() + ` WHERE ` + validatedWithRequestsClause + sc.clause("p.library_id", &args)
	var n int
	if err := s.readStmts.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending requests: %w", err)
	}
	return n, nil
}

// validatedWithRequestsFrom names the patrons for validatedWithRequests.
// SQLite keeps no statistics here, and its planner, guessing, prefers the
// index on (library, status), which holds every Validé patron: it is told.
func (s *Store) validatedWithRequestsFrom() string {
	if s.dialect == sqliteDialect {
		return `patrons p INDEXED BY patrons_validated_with_requests`
	}
	return `patrons p`
}
