package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/bdf29/sesame"
)

// networkTTL is how long an instance trusts its copy of the network's
// settings: every page shows the network's name, which changes perhaps once
// a year. Another instance sees a change within this delay; this one at once.
const networkTTL = 10 * time.Second

type networkCache struct {
	mu      sync.Mutex
	network sesame.Network
	until   time.Time
}

// Network returns the network's settings, or defaults before they are first saved.
func (s *Store) Network(ctx context.Context) (sesame.Network, error) {
	s.networkCache.mu.Lock()
	defer s.networkCache.mu.Unlock()
	now := s.Now()
	if now.Before(s.networkCache.until) {
		return s.networkCache.network, nil
	}
	n := sesame.Network{Name: "Sésame", ValidityMonths: sesame.DefaultValidityMonths, Reminders: sesame.DefaultReminderSchedule()}
	var reminderDays string
	err := s.readStmts.QueryRowContext(ctx, `SELECT name, contact_email, validity_months, staff_mfa_required, reminder_days, reminder_day_after FROM network WHERE id = 1`).
		Scan(&n.Name, &n.ContactEmail, &n.ValidityMonths, &n.StaffMFARequired, &reminderDays, &n.Reminders.DayAfter)
	if err != nil && err != sql.ErrNoRows {
		return n, fmt.Errorf("read network: %w", err)
	}
	if err == nil {
		if n.Reminders.DaysBefore, err = reminderDaysOf(reminderDays); err != nil {
			return n, err
		}
	}
	s.networkCache.network, s.networkCache.until = n, now.Add(networkTTL)
	return n, nil
}

// SaveNetwork writes the network's settings.
func (s *Store) SaveNetwork(ctx context.Context, n sesame.Network, actor sesame.Actor) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO network (id, name, contact_email, validity_months, staff_mfa_required, reminder_days, reminder_day_after) VALUES (1, $1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact_email = excluded.contact_email, validity_months = excluded.validity_months,
				staff_mfa_required = excluded.staff_mfa_required, reminder_days = excluded.reminder_days, reminder_day_after = excluded.reminder_day_after`,
			n.Name, n.ContactEmail, n.ValidityMonths, n.StaffMFARequired, n.Reminders.DaysText(), n.Reminders.DayAfter)
		if err != nil {
			return fmt.Errorf("save network: %w", err)
		}
		mfa := "facultative"
		if n.StaffMFARequired {
			mfa = "obligatoire"
		}
		detail := fmt.Sprintf("Paramètres du réseau modifiés : « %s », %s, comptes valides %d mois, double authentification du personnel %s, rappels : %s.",
			n.Name, n.ContactEmail, n.ValidityMonths, mfa, n.Reminders.Describe())
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionNetwork, detail)
	})
	s.networkCache.mu.Lock()
	s.networkCache.until = time.Time{}
	s.networkCache.mu.Unlock()
	return err
}

const libraryColumns = `id, code, name, town, contact_email, disabled, notify, reminder_days, reminder_day_after, validity_months`

func scanLibrary(row interface{ Scan(...any) error }, l *sesame.Library) error {
	var notify string
	var reminderDays sql.NullString
	var dayAfter sql.NullBool
	var validity sql.NullInt64
	if err := row.Scan(&l.ID, &l.Code, &l.Name, &l.Town, &l.ContactEmail, &l.Disabled, &notify, &reminderDays, &dayAfter, &validity); err != nil {
		return err
	}
	l.Notify = sesame.NotifyMode(notify)
	l.ValidityMonths = int(validity.Int64)
	return setLibraryReminders(l, reminderDays, dayAfter)
}

// setLibraryReminders sets the library's own reminder settings as stored,
// NULL where it follows the network.
func setLibraryReminders(l *sesame.Library, days sql.NullString, dayAfter sql.NullBool) error {
	l.ReminderDays, l.ReminderDayAfter = nil, nil
	if days.Valid {
		parsed, err := reminderDaysOf(days.String)
		if err != nil {
			return err
		}
		l.ReminderDays = parsed
	}
	if dayAfter.Valid {
		l.ReminderDayAfter = &dayAfter.Bool
	}
	return nil
}

// reminderDaysOf reads reminder days as stored ("30,7").
func reminderDaysOf(s string) ([]int, error) {
	days, msg := sesame.ParseReminderDays(s)
	if msg != "" {
		return nil, fmt.Errorf("stored reminder days %q: %s", s, msg)
	}
	return days, nil
}

// libraryReminders are the library's own reminder settings as stored: NULL
// where it follows the network.
func libraryReminders(l sesame.Library) (days, dayAfter any) {
	if l.ReminderDays != nil {
		days = sesame.ReminderSchedule{DaysBefore: l.ReminderDays}.DaysText()
	}
	if l.ReminderDayAfter != nil {
		dayAfter = *l.ReminderDayAfter
	}
	return days, dayAfter
}

// libraryValidity is the library's own validity as stored: NULL where it
// follows the network.
func libraryValidity(l sesame.Library) any {
	if l.ValidityMonths > 0 {
		return l.ValidityMonths
	}
	return nil
}

// notifyMode is the mode to store: one mail per request unless the library chose otherwise.
func notifyMode(l sesame.Library) string {
	if l.Notify == "" {
		return string(sesame.NotifyEachRequest)
	}
	return string(l.Notify)
}

// Libraries lists every library by name, in French order.
func (s *Store) Libraries(ctx context.Context) ([]sesame.Library, error) {
	rows, err := s.readStmts.QueryContext(ctx, `SELECT `+libraryColumns+` FROM libraries ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list libraries: %w", err)
	}
	defer rows.Close()
	var libs []sesame.Library
	for rows.Next() {
		var l sesame.Library
		if err := scanLibrary(rows, &l); err != nil {
			return nil, fmt.Errorf("scan library: %w", err)
		}
		libs = append(libs, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list libraries: %w", err)
	}
	SortFrench(libs, func(l sesame.Library) string { return l.Name })
	return libs, nil
}

// Library returns one library.
func (s *Store) Library(ctx context.Context, id int64) (*sesame.Library, error) {
	var l sesame.Library
	if err := scanLibrary(s.readStmts.QueryRowContext(ctx, `SELECT `+libraryColumns+` FROM libraries WHERE id = $1`, id), &l); err != nil {
		return nil, dbError(err, "Bibliothèque", "")
	}
	return &l, nil
}

const libraryConflict = "Une bibliothèque porte déjà ce code."

// CreateLibrary inserts a library and returns its id.
func (s *Store) CreateLibrary(ctx context.Context, l sesame.Library, actor sesame.Actor) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		days, dayAfter := libraryReminders(l)
		err := tx.QueryRowContext(ctx, `INSERT INTO libraries (code, name, town, contact_email, disabled, notify, reminder_days, reminder_day_after, validity_months)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			l.Code, l.Name, l.Town, l.ContactEmail, l.Disabled, notifyMode(l), days, dayAfter, libraryValidity(l)).Scan(&id)
		if err != nil {
			return dbError(err, "Bibliothèque", libraryConflict)
		}
		return audit(ctx, tx, s.Now(), actor, id, 0, sesame.ActionLibrary, "Bibliothèque créée : "+l.Code+".")
	})
	return id, err
}

// UpdateLibrary saves a library.
func (s *Store) UpdateLibrary(ctx context.Context, l sesame.Library, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		days, dayAfter := libraryReminders(l)
		res, err := tx.ExecContext(ctx, `UPDATE libraries SET code = $1, name = $2, town = $3, contact_email = $4, disabled = $5, notify = $6,
			reminder_days = $7, reminder_day_after = $8, validity_months = $9 WHERE id = $10`,
			l.Code, l.Name, l.Town, l.ContactEmail, l.Disabled, notifyMode(l), days, dayAfter, libraryValidity(l), l.ID)
		if err != nil {
			return dbError(err, "Bibliothèque", libraryConflict)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sesame.Errorf(sesame.ENotFound, "Bibliothèque introuvable.")
		}
		return audit(ctx, tx, s.Now(), actor, l.ID, 0, sesame.ActionLibrary, "Bibliothèque modifiée : "+l.Code+".")
	})
}

const resourceColumns = `r.id, r.slug, r.name, r.description, r.url, r.disabled, r.offered_to_all, r.seat_cap, r.yearly_price_cents, r.has_library_caps`

func scanResource(row interface{ Scan(...any) error }, r *sesame.Resource, more ...any) error {
	var all, caps bool
	var price int64
	if err := row.Scan(append([]any{&r.ID, &r.Slug, &r.Name, &r.Description, &r.URL, &r.Disabled, &all, &r.SeatCap, &price, &caps}, more...)...); err != nil {
		return err
	}
	r.Offer.Restricted, r.YearlyPrice = !all, sesame.Cents(price)
	if caps {
		r.LibraryCaps = map[int64]int{} // filled by scanResourceWithTerms
	}
	return nil
}

// Resources lists every resource by name, in French order.
func (s *Store) Resources(ctx context.Context) ([]sesame.Resource, error) {
	var list []sesame.Resource
	if err := s.readOne(ctx, resourcesRead(&list)); err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	sortResources(list)
	return list, nil
}

// resourcesRead reads every resource, with its terms, into list.
func resourcesRead(list *[]sesame.Resource) read {
	return read{query: `SELECT ` + resourceColumns + `, ` + resourceTermsColumns + ` FROM resources r ORDER BY r.id`,
		scan: func(row interface{ Scan(...any) error }) error {
			var r sesame.Resource
			if err := scanResourceWithTerms(row, &r); err != nil {
				return fmt.Errorf("scan resource: %w", err)
			}
			*list = append(*list, r)
			return nil
		}}
}

// sortResources puts resources in French name order, the order of every list of them.
func sortResources(list []sesame.Resource) {
	SortFrench(list, func(r sesame.Resource) string { return r.Name })
}

// Resource returns one resource.
func (s *Store) Resource(ctx context.Context, id int64) (*sesame.Resource, error) {
	var r sesame.Resource
	if err := scanResourceWithTerms(s.readStmts.QueryRowContext(ctx, `SELECT `+resourceColumns+`, `+resourceTermsColumns+` FROM resources r WHERE r.id = $1`, id), &r); err != nil {
		return nil, dbError(err, "Ressource", "")
	}
	return &r, nil
}

const resourceConflict = "Une ressource porte déjà cet identifiant court."

// CreateResource inserts a resource and returns its id.
func (s *Store) CreateResource(ctx context.Context, r sesame.Resource, actor sesame.Actor) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO resources (slug, name, description, url, disabled, offered_to_all, seat_cap, yearly_price_cents)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			r.Slug, r.Name, r.Description, r.URL, r.Disabled, !r.Offer.Restricted, r.SeatCap, int64(r.YearlyPrice)).Scan(&id)
		if err != nil {
			return dbError(err, "Ressource", resourceConflict)
		}
		r.ID = id
		if err := saveResourceTerms(ctx, tx, &r); err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionResource, "Ressource créée : "+r.Slug+".")
	})
	return id, err
}

// UpdateResource saves a resource.
func (s *Store) UpdateResource(ctx context.Context, r sesame.Resource, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE resources SET slug = $1, name = $2, description = $3, url = $4, disabled = $5,
			offered_to_all = $6, seat_cap = $7, yearly_price_cents = $8 WHERE id = $9`,
			r.Slug, r.Name, r.Description, r.URL, r.Disabled, !r.Offer.Restricted, r.SeatCap, int64(r.YearlyPrice), r.ID)
		if err != nil {
			return dbError(err, "Ressource", resourceConflict)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sesame.Errorf(sesame.ENotFound, "Ressource introuvable.")
		}
		if err := saveResourceTerms(ctx, tx, &r); err != nil {
			return err
		}
		// A cap raised or lifted frees places: the waiting lists move on.
		if _, err := s.settleResource(ctx, tx, r.ID); err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionResource, "Ressource modifiée : "+r.Slug+".")
	})
}

// ResourceBySlug returns the resource of that short name.
func (s *Store) ResourceBySlug(ctx context.Context, slug string) (*sesame.Resource, error) {
	var r sesame.Resource
	if err := scanResourceWithTerms(s.readStmts.QueryRowContext(ctx, `SELECT `+resourceColumns+`, `+resourceTermsColumns+` FROM resources r WHERE r.slug = $1`, slug), &r); err != nil {
		return nil, dbError(err, "Ressource", "")
	}
	return &r, nil
}

// Library returns one library, read in tx.
func (t *Tx) Library(ctx context.Context, id int64) (*sesame.Library, error) {
	var l sesame.Library
	if err := scanLibrary(t.sql.QueryRowContext(ctx, `SELECT `+libraryColumns+` FROM libraries WHERE id = $1`, id), &l); err != nil {
		return nil, dbError(err, "Bibliothèque", "")
	}
	return &l, nil
}
