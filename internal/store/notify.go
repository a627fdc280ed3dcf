package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// DigestRequest is a patron's request waiting for their library's next
// daily digest, with the patron as they stand when the digest is made.
type DigestRequest struct {
	ID         int64
	PatronID   int64
	LibraryID  int64         // the patron's library now
	PatronName string        // "NOM Prénom"
	Status     sesame.Status // the account's status now: the library may have acted already
	Kind       sesame.RequestKind
	Detail     string // for a resources request, the resources asked for
	CreatedAt  time.Time
}

// QueueDigestRequest records in tx, the transaction of the request, that
// the patron's library is to hear of it in its next daily digest.
func (t *Tx) QueueDigestRequest(ctx context.Context, patronID int64, kind sesame.RequestKind, detail string) error {
	_, err := t.sql.ExecContext(ctx, `INSERT INTO digest_requests (patron_id, kind, detail, created_at) VALUES ($1, $2, $3, $4)`,
		patronID, string(kind), detail, t.store.Now())
	if err != nil {
		return fmt.Errorf("queue digest request: %w", err)
	}
	return nil
}

// TakeDigestRequests removes, in tx, every queued request and returns them
// by library, oldest first. The caller writes the digests in the same tx:
// removed and sent together, or neither. Of two transactions taking at the
// same moment, each request goes to one only: the DELETE decides, row by
// row, on PostgreSQL as on SQLite.
func (t *Tx) TakeDigestRequests(ctx context.Context) ([]DigestRequest, error) {
	rows, err := t.sql.QueryContext(ctx, `DELETE FROM digest_requests RETURNING id, patron_id, kind, detail, created_at`)
	if err != nil {
		return nil, fmt.Errorf("take digest requests: %w", err)
	}
	var reqs []DigestRequest
	for rows.Next() {
		var r DigestRequest
		var kind string
		if err := rows.Scan(&r.ID, &r.PatronID, &kind, &r.Detail, &r.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan digest request: %w", err)
		}
		r.Kind = sesame.RequestKind(kind)
		reqs = append(reqs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("take digest requests: %w", err)
	}
	if err := addDigestPatrons(ctx, t.sql, reqs); err != nil {
		return nil, err
	}
	sort.Slice(reqs, func(i, j int) bool {
		a, b := reqs[i], reqs[j]
		if a.LibraryID != b.LibraryID {
			return a.LibraryID < b.LibraryID
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	return reqs, nil
}

// digestChunk bounds the ids of one IN list, well below both engines' limits on parameters.
const digestChunk = 500

// addDigestPatrons fills each request's library, name and status from its
// patron. A request's row goes with its patron, so every patron is there.
func addDigestPatrons(ctx context.Context, tx *sql.Tx, reqs []DigestRequest) error {
	byPatron := map[int64][]int{}
	var ids []int64
	for i, r := range reqs {
		if _, ok := byPatron[r.PatronID]; !ok {
			ids = append(ids, r.PatronID)
		}
		byPatron[r.PatronID] = append(byPatron[r.PatronID], i)
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), digestChunk)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
		}
		// #nosec G202 -- marks are placeholders ($1, $2…), the ids are arguments.
		rows, err := tx.QueryContext(ctx, `SELECT id, library_id, last_name, first_name, status FROM patrons WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("read digest patrons: %w", err)
		}
		for rows.Next() {
			var id, lib int64
			var last, first, status string
			if err := rows.Scan(&id, &lib, &last, &first, &status); err != nil {
				rows.Close()
				return fmt.Errorf("scan digest patron: %w", err)
			}
			p := sesame.Patron{LastName: last, FirstName: first}
			for _, i := range byPatron[id] {
				reqs[i].LibraryID, reqs[i].PatronName, reqs[i].Status = lib, p.FullName(), sesame.Status(status)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read digest patrons: %w", err)
		}
	}
	return nil
}
