package store

import (
	"context"
	"database/sql"
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

// Tally is what every staff page's header reads of its scope: the patrons
// in each status, and how many of them are in the « À traiter » queue.
type Tally struct {
	ByStatus StatusCountMap
	Awaiting int
}

// Tally reads the counters and the queue's Validé accounts with a request
// in one statement: every staff page asks, and on PostgreSQL each statement
// is a round trip.
func (s *Store) Tally(ctx context.Context, sc Scope) (Tally, error) {
	t := Tally{ByStatus: StatusCountMap{}}
	if err := s.readOne(ctx, s.tallyRead(sc, &t)); err != nil {
		return Tally{}, fmt.Errorf("count statuses: %w", err)
	}
	return t, nil
}

// TallyWithResources is Tally and Resources in one round trip, for the
// list, whose bulk actions offer the resources.
func (s *Store) TallyWithResources(ctx context.Context, sc Scope) (Tally, []sesame.Resource, error) {
	t := Tally{ByStatus: StatusCountMap{}}
	var resources []sesame.Resource
	if err := s.readTogether(ctx, s.tallyRead(sc, &t), resourcesRead(&resources)); err != nil {
		return Tally{}, nil, fmt.Errorf("count statuses and list resources: %w", err)
	}
	sortResources(resources)
	return t, resources, nil
}

// tallyRead is Tally's statement, which adds its rows to t. The queue's
// row is the one without a status.
func (s *Store) tallyRead(sc Scope, t *Tally) read {
	var args []any
	return read{query: s.tallyQuery(sc, &args), args: args, scan: func(row interface{ Scan(...any) error }) error {
		var st sql.NullString
		var n int
		if err := row.Scan(&st, &n); err != nil {
			return err
		}
		if st.Valid {
			t.ByStatus[sesame.Status(st.String)] = n
		}
		if !st.Valid || sesame.Status(st.String).AwaitsStaff() {
			t.Awaiting += n
		}
		return nil
	}}
}

// tallyQuery is Tally's statement; it appends its arguments to args.
func (s *Store) tallyQuery(sc Scope, args *[]any) string {
	return `SELECT status, SUM(n) FROM patron_counts WHERE 1 = 1` + sc.clause("library_id", args) + ` GROUP BY status
		UNION ALL
		SELECT NULL, COUNT(*) FROM ` + s.validatedWithRequestsFrom() + ` WHERE ` + validatedWithRequestsClause + sc.clause("p.library_id", args)
}

// validatedWithRequestsFrom names the patrons for the queue's Validé
// accounts with a request, read from the partial index that holds them and
// no one else. SQLite keeps no statistics here, and its planner, guessing,
// prefers the index on (library, status), which holds every Validé
// patron: it is told.
func (s *Store) validatedWithRequestsFrom() string {
	if s.dialect == sqliteDialect {
		return `patrons p INDEXED BY patrons_validated_with_requests`
	}
	return `patrons p`
}
