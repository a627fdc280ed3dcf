package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bdf29/sesame"
)

// Licence caps in the store (the rules are sesame's licence.go). A pool's
// seats are counted in the transaction that would take one, with the
// pool's cap row locked on PostgreSQL (FOR NO KEY UPDATE, which grants'
// foreign-key checks do not wait for), so that activations on several
// instances at once cannot pass the cap; SQLite's single writer already
// runs them one after the other. Whatever frees a seat (an expiry, a
// withdrawal, a refusal, a deletion, a cap raised) settles the pool in the
// same transaction: the next patrons in line are activated, audited, and
// told through the store's SeatGranted hook (their mail, in the outbox).

// SeatGranted is told, in the transaction, of a grant activated from the
// waiting list: the web server mails the patron.
type SeatGranted func(ctx context.Context, tx *Tx, p *sesame.Patron, changes []sesame.Change) error

// seatHooks holds the store's SeatGranted, set once at wiring.
type seatHooks struct {
	mu      sync.RWMutex
	granted SeatGranted
}

// OnSeatGranted sets what is told of each activation from a waiting list.
func (s *Store) OnSeatGranted(fn SeatGranted) {
	s.seats.mu.Lock()
	defer s.seats.mu.Unlock()
	s.seats.granted = fn
}

var parisLocation = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.UTC
})

// today is the network's day by the store's clock, in which an end date counts.
func (s *Store) today() sesame.Date { return sesame.DateOf(s.Now(), parisLocation()) }

// seatActor is who activates a grant from the waiting list.
var seatActor = sesame.Actor{Label: "Sésame (liste d'attente)"}

// seatPool is the pool of a resource: a library's own seats, or the
// network's (LibraryID sesame.NetworkPool).
type seatPool struct {
	ResourceID, LibraryID int64
	Cap                   int
}

// lockPool finds, in tx, the pool a patron of library draws on for the
// resource, with its cap, and when it has one locks its row until tx ends.
func (s *Store) lockPool(ctx context.Context, tx *sql.Tx, resourceID, libraryID int64) (seatPool, error) {
	lock := ""
	if s.dialect == postgresDialect {
		lock = " FOR NO KEY UPDATE"
	}
	pool := seatPool{ResourceID: resourceID, LibraryID: libraryID}
	err := tx.QueryRowContext(ctx, `SELECT seat_cap FROM library_seat_caps WHERE resource_id = $1 AND library_id = $2 AND seat_cap > 0`+lock,
		resourceID, libraryID).Scan(&pool.Cap)
	if err == nil {
		return pool, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return pool, fmt.Errorf("read seat cap: %w", err)
	}
	pool.LibraryID = sesame.NetworkPool
	if err := tx.QueryRowContext(ctx, `SELECT seat_cap FROM resources WHERE id = $1`, resourceID).Scan(&pool.Cap); err != nil {
		return pool, dbError(err, "Ressource", "")
	}
	if pool.Cap > 0 && lock != "" {
		if err := tx.QueryRowContext(ctx, `SELECT seat_cap FROM resources WHERE id = $1`+lock, resourceID).Scan(&pool.Cap); err != nil {
			return pool, fmt.Errorf("lock seat pool: %w", err)
		}
	}
	return pool, nil
}

// where is the SQL condition that grant g of patron pt is in the pool;
// args holds $1 (the resource) and, for a library's pool, $2.
func (p seatPool) where() (string, []any) {
	if p.LibraryID != sesame.NetworkPool {
		return `g.resource_id = $1 AND pt.library_id = $2`, []any{p.ResourceID, p.LibraryID}
	}
	return `g.resource_id = $1 AND NOT EXISTS (SELECT 1 FROM library_seat_caps c
		WHERE c.resource_id = g.resource_id AND c.library_id = pt.library_id AND c.seat_cap > 0)`, []any{p.ResourceID}
}

// holdsSeatSQL is sesame.HoldsSeat in SQL, on $n (today) and the next two
// arguments (the states validated and Validé).
func holdsSeatSQL(n int) string {
	return fmt.Sprintf(`g.state = $%d AND pt.status = $%d AND pt.valid_until >= $%d`, n+1, n+2, n)
}

// used counts, in q, the seats taken in the pool on day today.
func (p seatPool) used(ctx context.Context, q queryer, today sesame.Date) (int, error) {
	where, args := p.where()
	n := len(args) + 1
	args = append(args, today.ISO(), string(sesame.GrantValidated), string(sesame.StatusValidated))
	var used int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants g JOIN patrons pt ON pt.id = g.patron_id
		WHERE `+where+` AND `+holdsSeatSQL(n), args...).Scan(&used)
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	return used, nil
}

// admit decides, in tx, the state of a grant the library activates for p:
// validated when p would take no seat now or one is free, otherwise
// GrantWaiting. An account not yet valid takes no seat: its grants are
// weighed when it becomes valid (settlePatron).
func (s *Store) admit(ctx context.Context, tx *sql.Tx, p *sesame.Patron, resourceID int64, today sesame.Date) (sesame.GrantState, error) {
	if !sesame.HoldsSeat(p, sesame.GrantValidated, today) {
		return sesame.GrantValidated, nil
	}
	pool, err := s.lockPool(ctx, tx, resourceID, p.LibraryID)
	if err != nil || pool.Cap <= 0 {
		return sesame.GrantValidated, err
	}
	used, err := pool.used(ctx, tx, today)
	if err != nil {
		return "", err
	}
	if sesame.SeatFree(used, pool.Cap) {
		return sesame.GrantValidated, nil
	}
	return sesame.GrantWaiting, nil
}

// settle activates, in tx, the next patrons in line of the pool while it
// has free seats, in request order: each is audited and told (SeatGranted).
// Only an account that is itself valid takes a place; the others keep theirs
// in line. It returns how many were activated.
func (s *Store) settle(ctx context.Context, tx *sql.Tx, pool seatPool, today sesame.Date) (int, error) {
	activated := 0
	for {
		used, err := pool.used(ctx, tx, today)
		if err != nil {
			return activated, err
		}
		if !sesame.SeatFree(used, pool.Cap) {
			return activated, nil
		}
		where, args := pool.where()
		n := len(args) + 1
		args = append(args, today.ISO(), string(sesame.GrantWaiting), string(sesame.StatusValidated))
		var patronID int64
		err = tx.QueryRowContext(ctx, `SELECT g.patron_id FROM grants g JOIN patrons pt ON pt.id = g.patron_id
			WHERE `+where+` AND `+holdsSeatSQL(n)+` ORDER BY g.queued_at, g.patron_id LIMIT 1`, args...).Scan(&patronID)
		if errors.Is(err, sql.ErrNoRows) {
			return activated, nil
		}
		if err != nil {
			return activated, fmt.Errorf("next in line: %w", err)
		}
		if err := s.activateWaiting(ctx, tx, patronID, pool.ResourceID); err != nil {
			return activated, err
		}
		activated++
	}
}

// activateWaiting gives the patron, in tx, the place that freed.
func (s *Store) activateWaiting(ctx context.Context, tx *sql.Tx, patronID, resourceID int64) error {
	now := s.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE grants SET state = $1, queued_at = NULL, updated_at = $2 WHERE patron_id = $3 AND resource_id = $4`,
		string(sesame.GrantValidated), now, patronID, resourceID); err != nil {
		return fmt.Errorf("activate from waiting list: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE patrons SET version = version + 1, updated_at = $1 WHERE id = $2`, now, patronID); err != nil {
		return fmt.Errorf("touch patron: %w", err)
	}
	p, err := findPatron(ctx, tx, NetworkScope(), patronID)
	if err != nil {
		return err
	}
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM resources WHERE id = $1`, resourceID).Scan(&name); err != nil {
		return dbError(err, "Ressource", "")
	}
	if err := audit(ctx, tx, now, seatActor, p.LibraryID, patronID, sesame.ActionResources,
		"Ressource activée automatiquement : « "+name+" » ; une place s'est libérée et l'abonné était le suivant sur la liste d'attente."); err != nil {
		return err
	}
	s.seats.mu.RLock()
	granted := s.seats.granted
	s.seats.mu.RUnlock()
	if granted == nil {
		return nil
	}
	return granted(ctx, s.wrap(tx), p, []sesame.Change{{Kind: sesame.ChangeResourceGranted, Resource: name}})
}

// seatGrants lists, in q, the patron's grants that hold or wait for a seat.
func seatGrants(ctx context.Context, q queryer, patronID int64) (map[int64]sesame.GrantState, error) {
	rows, err := q.QueryContext(ctx, `SELECT resource_id, state FROM grants WHERE patron_id = $1 AND state IN ($2, $3)`,
		patronID, string(sesame.GrantValidated), string(sesame.GrantWaiting))
	if err != nil {
		return nil, fmt.Errorf("list seat grants: %w", err)
	}
	defer rows.Close()
	out := map[int64]sesame.GrantState{}
	for rows.Next() {
		var rid int64
		var state string
		if err := rows.Scan(&rid, &state); err != nil {
			return nil, fmt.Errorf("scan grant: %w", err)
		}
		out[rid] = sesame.GrantState(state)
	}
	return out, rows.Err()
}

// heldSeats returns, in tx, the grants by which p holds seats now: read
// before a save, for settlePatron. Nil when p holds none.
func (s *Store) heldSeats(ctx context.Context, tx *sql.Tx, p *sesame.Patron) (map[int64]sesame.GrantState, error) {
	// A Validé account past its end date no longer counts, but its seat
	// waits for a change or the daily sweep to go to the next in line.
	if p.Status != sesame.StatusValidated {
		return nil, nil
	}
	return seatGrants(ctx, tx, p.ID)
}

// settlePatron keeps the caps, in tx, after a save changed the patron from
// before, who held the seats held (heldSeats), to after (nil: deleted). A
// patron who now holds a seat they did not (validated, renewed, moved to
// another library) keeps it only while the pool is not over its cap, else
// goes to the end of the waiting list; the pools whose seats they left are
// settled, and so are those they wait in once their account is valid.
func (s *Store) settlePatron(ctx context.Context, tx *sql.Tx, before, after *sesame.Patron, held map[int64]sesame.GrantState) error {
	today := s.today()
	wasValid := before.ValidOn(today)
	wasValidated := before.Status == sesame.StatusValidated
	isValid := after != nil && after.ValidOn(today)
	moved := after != nil && after.LibraryID != before.LibraryID
	if !wasValidated && !isValid || wasValid && isValid && !moved {
		return nil
	}
	now := s.Now()
	if isValid {
		grants, err := seatGrants(ctx, tx, after.ID)
		if err != nil {
			return err
		}
		for rid, state := range grants {
			pool, err := s.lockPool(ctx, tx, rid, after.LibraryID)
			if err != nil {
				return err
			}
			if state == sesame.GrantWaiting {
				if _, err := s.settle(ctx, tx, pool, today); err != nil {
					return err
				}
				continue
			}
			used, err := pool.used(ctx, tx, today)
			if err != nil {
				return err
			}
			if pool.Cap > 0 && used > pool.Cap {
				if err := s.queueGrant(ctx, tx, after, rid, now); err != nil {
					return err
				}
			}
		}
	}
	if wasValidated && (!isValid || moved) {
		for rid, state := range held {
			if state != sesame.GrantValidated {
				continue
			}
			pool, err := s.lockPool(ctx, tx, rid, before.LibraryID)
			if err != nil {
				return err
			}
			if _, err := s.settle(ctx, tx, pool, today); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueGrant puts the patron's validated grant at the end of the waiting
// list, in tx, audited.
func (s *Store) queueGrant(ctx context.Context, tx *sql.Tx, p *sesame.Patron, resourceID int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE grants SET state = $1, queued_at = $2, updated_at = $2 WHERE patron_id = $3 AND resource_id = $4`,
		string(sesame.GrantWaiting), now, p.ID, resourceID); err != nil {
		return fmt.Errorf("queue grant: %w", err)
	}
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM resources WHERE id = $1`, resourceID).Scan(&name); err != nil {
		return dbError(err, "Ressource", "")
	}
	return audit(ctx, tx, now, seatActor, p.LibraryID, p.ID, sesame.ActionResources,
		"« "+name+" » : toutes les places sont prises ; la ressource est placée en liste d'attente.")
}

// settleResource settles every pool of the resource, in tx: after its caps
// changed, and in the daily sweep. It returns how many were activated.
func (s *Store) settleResource(ctx context.Context, tx *sql.Tx, resourceID int64) (int, error) {
	today := s.today()
	libs := []int64{sesame.NetworkPool}
	rows, err := tx.QueryContext(ctx, `SELECT library_id FROM library_seat_caps WHERE resource_id = $1 AND seat_cap > 0`, resourceID)
	if err != nil {
		return 0, fmt.Errorf("list seat pools: %w", err)
	}
	for rows.Next() {
		var lib int64
		if err := rows.Scan(&lib); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan seat pool: %w", err)
		}
		libs = append(libs, lib)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list seat pools: %w", err)
	}
	activated := 0
	for _, lib := range libs {
		pool, err := s.lockPool(ctx, tx, resourceID, lib)
		if err != nil {
			return activated, err
		}
		if lib != sesame.NetworkPool && pool.LibraryID == sesame.NetworkPool {
			continue
		}
		n, err := s.settle(ctx, tx, pool, today)
		activated += n
		if err != nil {
			return activated, err
		}
	}
	return activated, nil
}

// SweepSeats settles, in tx, every resource that has a waiting list: the
// daily job (jobs.KindSeatSweep) gives the seats of accounts whose end date
// passed without their holder logging in (they no longer count) to the next
// in line. It returns how many patrons were activated.
func (t *Tx) SweepSeats(ctx context.Context) (int, error) {
	rows, err := t.sql.QueryContext(ctx, `SELECT DISTINCT resource_id FROM grants WHERE state = $1 ORDER BY resource_id`, string(sesame.GrantWaiting))
	if err != nil {
		return 0, fmt.Errorf("list waiting lists: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan waiting list: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list waiting lists: %w", err)
	}
	activated := 0
	for _, id := range ids {
		n, err := t.store.settleResource(ctx, t.sql, id)
		activated += n
		if err != nil {
			return activated, err
		}
	}
	return activated, nil
}

// SweepSeats is Tx.SweepSeats in a transaction of its own.
func (s *Store) SweepSeats(ctx context.Context) (int, error) {
	var n int
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.SweepSeats(ctx)
		return err
	})
	return n, err
}

// WaitingPosition returns the patron's place (from 1) in the waiting list
// of the resource, 0 when not waiting.
func (s *Store) WaitingPosition(ctx context.Context, patronID, resourceID int64) (int, error) {
	var libraryID int64
	err := s.readStmts.QueryRowContext(ctx, `SELECT pt.library_id FROM grants g JOIN patrons pt ON pt.id = g.patron_id
		WHERE g.patron_id = $1 AND g.resource_id = $2 AND g.state = $3`, patronID, resourceID, string(sesame.GrantWaiting)).Scan(&libraryID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read waiting grant: %w", err)
	}
	line, err := s.WaitingList(ctx, resourceID, libraryID)
	if err != nil {
		return 0, err
	}
	for i, id := range line {
		if id == patronID {
			return i + 1, nil
		}
	}
	return 0, nil
}

// WaitingList returns, in request order, the patrons waiting for a seat of
// the pool a patron of the library draws on for the resource.
func (s *Store) WaitingList(ctx context.Context, resourceID, libraryID int64) ([]int64, error) {
	res, err := s.Resource(ctx, resourceID)
	if err != nil {
		return nil, err
	}
	pool := seatPool{ResourceID: resourceID}
	pool.LibraryID, pool.Cap = res.SeatPool(libraryID)
	where, args := pool.where()
	args = append(args, string(sesame.GrantWaiting))
	rows, err := s.readStmts.QueryContext(ctx, fmt.Sprintf(`SELECT g.patron_id FROM grants g JOIN patrons pt ON pt.id = g.patron_id
		WHERE %s AND g.state = $%d ORDER BY g.queued_at, g.patron_id`, where, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list waiting: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan waiting: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SeatUsage is one resource's seats as the statistics show them: per
// library, its active users and those waiting, against the cap of its pool;
// and over the network, the cost per active user when a price is given.
type SeatUsage struct {
	Resource sesame.Resource
	Rows     []SeatRow
	// Used and Waiting are over the whole network.
	Used, Waiting int
	// CostPerUser is Resource.YearlyPrice shared by Used; HasCost is false
	// without a price or an active user.
	CostPerUser sesame.Cents
	HasCost     bool
}

// SeatRow is one library's line of a SeatUsage.
type SeatRow struct {
	Library       string
	Used, Waiting int
	// PoolUsed of Cap are the seats taken in the library's pool: its own
	// (OwnCap) or the network's, shared; Cap 0 is no limit.
	PoolUsed, Cap int
	OwnCap        bool
}

// SeatUsages lists the seats of every resource with a cap, a price, or
// patrons holding or waiting for it, on the store's today; libraryID, when
// not 0, keeps that library's lines only (a library's own statistics).
func (s *Store) SeatUsages(ctx context.Context, libraryID int64) ([]SeatUsage, error) {
	resources, err := s.Resources(ctx)
	if err != nil {
		return nil, err
	}
	libs, err := s.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.scanStmts.QueryContext(ctx, `
		SELECT g.resource_id, pt.library_id,
			SUM(CASE WHEN g.state = $2 AND pt.status = $3 AND pt.valid_until >= $1 THEN 1 ELSE 0 END),
			SUM(CASE WHEN g.state = $4 THEN 1 ELSE 0 END)
		FROM grants g JOIN patrons pt ON pt.id = g.patron_id
		WHERE g.state IN ($2, $4)
		GROUP BY g.resource_id, pt.library_id`,
		s.today().ISO(), string(sesame.GrantValidated), string(sesame.StatusValidated), string(sesame.GrantWaiting))
	if err != nil {
		return nil, fmt.Errorf("count seats: %w", err)
	}
	defer rows.Close()
	type key struct{ resource, library int64 }
	used, waiting := map[key]int{}, map[key]int{}
	for rows.Next() {
		var k key
		var u, w int
		if err := rows.Scan(&k.resource, &k.library, &u, &w); err != nil {
			return nil, fmt.Errorf("scan seats: %w", err)
		}
		used[k], waiting[k] = u, w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count seats: %w", err)
	}
	var out []SeatUsage
	for _, r := range resources {
		u := SeatUsage{Resource: r}
		pools := map[int64]int{}
		for _, l := range libs {
			k := key{r.ID, l.ID}
			u.Used += used[k]
			u.Waiting += waiting[k]
			pool, _ := r.SeatPool(l.ID)
			pools[pool] += used[k]
		}
		for _, l := range libs {
			k := key{r.ID, l.ID}
			if libraryID != 0 && l.ID != libraryID || !r.OfferedTo(l.ID) {
				continue
			}
			pool, seatCap := r.SeatPool(l.ID)
			if used[k] == 0 && waiting[k] == 0 && seatCap == 0 && libraryID == 0 {
				continue
			}
			u.Rows = append(u.Rows, SeatRow{Library: l.Name, Used: used[k], Waiting: waiting[k], PoolUsed: pools[pool], Cap: seatCap,
				OwnCap: pool != sesame.NetworkPool})
		}
		if r.SeatCap == 0 && len(r.LibraryCaps) == 0 && r.YearlyPrice == 0 && u.Used == 0 && u.Waiting == 0 {
			continue
		}
		u.CostPerUser, u.HasCost = sesame.CostPerActiveUser(r.YearlyPrice, u.Used)
		out = append(out, u)
	}
	return out, nil
}

// capsInForce reports, in q, whether any resource has a cap: without one,
// no save can take or free a seat that matters.
func capsInForce(ctx context.Context, q queryer) (bool, error) {
	var any bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM resources WHERE seat_cap > 0)
		OR EXISTS (SELECT 1 FROM library_seat_caps WHERE seat_cap > 0)`).Scan(&any)
	if err != nil {
		return false, fmt.Errorf("read caps: %w", err)
	}
	return any, nil
}

// settleSaved keeps the caps after a batch of SavePatrons, in tx: each
// patron whose holding of seats changed is settled as UpdatePatron does.
func (t *Tx) settleSaved(ctx context.Context, batch []PatronSave, saved []*sesame.Patron) error {
	today := t.store.today()
	var checked, caps bool
	for i, p := range saved {
		before := batch[i].Before
		if before.ValidOn(today) == p.ValidOn(today) && before.Status == p.Status && before.LibraryID == p.LibraryID {
			continue
		}
		if !checked {
			var err error
			if caps, err = capsInForce(ctx, t.sql); err != nil {
				return err
			}
			checked = true
		}
		if !caps {
			return nil
		}
		// The batch changes no grant: what the patron holds now is what
		// they held before the save.
		held, err := t.store.heldSeats(ctx, t.sql, before)
		if err != nil {
			return err
		}
		if err := t.store.settlePatron(ctx, t.sql, before, p, held); err != nil {
			return err
		}
	}
	return nil
}
