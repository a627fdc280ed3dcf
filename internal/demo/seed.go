package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Password is the password of every demo account, printed by the demo.
const Password = "sesame-demo-29" // #nosec G101 -- the demo's published password, printed at start; no real account has it

// Accounts are the demo logins, as the demo prints them.
var Accounts = []struct{ Login, Role string }{
	{"admin", "administration du réseau"},
	{"fouesnant", "personnel de la médiathèque de Fouesnant"},
	{"quimper", "personnel de la médiathèque de Quimper"},
	{"eric.mediateur@example.org", "usager (MEDIATEUR-NUM Eric, FOUESNANT)"},
	{"soizic.tanguy@example.org", "usager dont l'abonnement a pris fin hier (TANGUY Soizic, FOUESNANT) : son compte expire à sa connexion"},
}

// Options size the generated network. Zero values give the demo's own shape.
type Options struct {
	Patrons   int // about 3,000 by default
	Libraries int // the real towns first, then numbered libraries; at least the real ones
	// Largest, when set, puts that many of the patrons in FOUESNANT, to
	// measure the biggest library of a network.
	Largest int
	Today   sesame.Date
	Seed    uint64
	// UsageMonths, when set, draws launches of the validated resources over
	// that many past months, so that the statistics pages have something to
	// show. The benchmark leaves it at 0.
	UsageMonths int
}

// actor signs what the seed creates in the audit trail.
var actor = sesame.Actor{Label: "démonstration"}

// bulkTables are the tables a seed fills by the thousand.
var bulkTables = []string{"patrons", "grants", "audit_events"}

// Seed fills an empty database with the demo network: the Finistère's
// libraries, the tutorial's resources and patrons, the demo accounts. It does
// nothing on a database that already has libraries.
func Seed(ctx context.Context, st *store.Store, hasher auth.Hasher, opts Options) (seeded bool, err error) {
	libs, err := st.Libraries(ctx)
	if err != nil {
		return false, err
	}
	if len(libs) > 0 {
		return false, nil
	}
	if opts.Patrons == 0 {
		opts.Patrons = 3000
	}
	// The tables the seed fills are empty: their secondary indexes are
	// built once at the end, from the sorted rows, rather than kept up row
	// by row. A seed that fails builds them before it returns; one that is
	// cancelled leaves them to the next migration (store.Open on SQLite).
	if _, err := st.DeferIndexes(ctx, bulkTables...); err != nil {
		return false, err
	}
	defer func() {
		if err != nil && ctx.Err() == nil {
			if _, rerr := st.RestoreIndexes(ctx); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	rng := rand.New(rand.NewPCG(opts.Seed, 29)) // #nosec G404 -- demo data must be the same for a given seed; it protects nothing
	if err := st.SaveNetwork(ctx, sesame.Network{Name: "Bibliothèque du Finistère", ContactEmail: "contact.bdf@finistere.example", ValidityMonths: 12,
		Reminders: sesame.DefaultReminderSchedule()}, actor); err != nil {
		return false, err
	}
	seeds := Libraries()
	for i := len(seeds); i < opts.Libraries; i++ {
		seeds = append(seeds, LibrarySeed{Code: fmt.Sprintf("BIB-%05d", i+1), Name: fmt.Sprintf("Bibliothèque n° %d", i+1), Town: "Quimper", PostalCode: "29000"})
	}
	libIDs := make([]int64, len(seeds))
	var fouesnant, quimper int64
	for i, l := range seeds {
		id, err := st.CreateLibrary(ctx, sesame.Library{Code: l.Code, Name: l.Name, Town: l.Town,
			ContactEmail: strings.ToLower(l.Code) + "@bibliotheques.example"}, actor)
		if err != nil {
			return false, fmt.Errorf("library %s: %w", l.Code, err)
		}
		libIDs[i] = id
		switch l.Code {
		case "FOUESNANT":
			fouesnant = id
		case "QUIMPER":
			quimper = id
		}
	}
	var resIDs []int64
	for _, r := range Resources() {
		id, err := st.CreateResource(ctx, r, actor)
		if err != nil {
			return false, fmt.Errorf("resource %s: %w", r.Slug, err)
		}
		resIDs = append(resIDs, id)
	}
	hash, err := hasher.Hash(Password)
	if err != nil {
		return false, err
	}
	for _, s := range []sesame.Staff{
		{Login: "admin", Name: "Administration du réseau", Role: sesame.RoleAdmin},
		{Login: "fouesnant", Name: "Médiathèque de Fouesnant", Role: sesame.RoleLibrary, LibraryID: fouesnant},
		{Login: "quimper", Name: "Médiathèque Alain-Gérard", Role: sesame.RoleLibrary, LibraryID: quimper},
	} {
		s.PasswordHash = hash
		if _, err := st.CreateStaff(ctx, s, actor); err != nil {
			return false, fmt.Errorf("staff %s: %w", s.Login, err)
		}
	}

	today := opts.Today
	now := st.Now()
	// The tutorial's own patron, validated recently with its two resources.
	eric := store.NewPatron{Patron: sesame.Patron{
		LibraryID: fouesnant, LastName: "MEDIATEUR-NUM", FirstName: "Eric", Email: "eric.mediateur@example.org",
		BirthDate: sesame.MustDate(1982, 12, 1), PostalCode: "29000", Town: "QUIMPER", CardNumber: "COMPTE-TEST",
		RegisteredOn: sesame.MustDate(2021, 12, 17), Status: sesame.StatusValidated,
		LibraryRegisteredOn: today.AddMonths(-2), ValidUntil: today.AddMonths(-2).AddMonths(12),
	}, PasswordHash: hash, ResourceIDs: resIDs[:2], GrantState: sesame.GrantValidated}
	eric.History = history(eric.Patron, now)
	if _, err := st.CreatePatron(ctx, eric, actor); err != nil {
		return false, fmt.Errorf("patron MEDIATEUR-NUM: %w", err)
	}
	// The tutorial's other case: a Validé account whose end date has just
	// passed. It becomes Expiré when its holder logs in.
	soizic := store.NewPatron{Patron: sesame.Patron{
		LibraryID: fouesnant, LastName: "TANGUY", FirstName: "Soizic", Email: "soizic.tanguy@example.org",
		BirthDate: sesame.MustDate(1975, 3, 21), PostalCode: "29170", Town: "Fouesnant", CardNumber: "FOU-004217",
		RegisteredOn: sesame.MustDate(2023, 5, 2), Status: sesame.StatusValidated,
		LibraryRegisteredOn: today.AddDays(-1).AddMonths(-12), ValidUntil: today.AddDays(-1),
	}, PasswordHash: hash, ResourceIDs: resIDs[2:4], GrantState: sesame.GrantValidated}
	soizic.History = history(soizic.Patron, now)
	if _, err := st.CreatePatron(ctx, soizic, actor); err != nil {
		return false, fmt.Errorf("patron TANGUY: %w", err)
	}

	// The next batch is drawn while the store writes the one before: on
	// two cores, the drawing costs no time of its own.
	drawing, stopDrawing := context.WithCancel(ctx)
	defer stopDrawing()
	batches := make(chan []store.NewPatron, 1)
	go func() {
		defer close(batches)
		const batchSize = 5000
		batch := make([]store.NewPatron, 0, batchSize)
		for i := 0; i < opts.Patrons-2; i++ {
			lib := libIDs[rng.IntN(len(libIDs))]
			if opts.Largest > 0 { // FOUESNANT gets exactly Largest, Eric and Soizic included; the others share the rest
				for lib == fouesnant {
					lib = libIDs[rng.IntN(len(libIDs))]
				}
				if i < opts.Largest-2 {
					lib = fouesnant
				}
			}
			np := randomPatron(rng, i, lib, resIDs, today)
			np.History = history(np.Patron, now)
			batch = append(batch, np)
			if len(batch) == batchSize || i == opts.Patrons-3 {
				select {
				case batches <- batch:
				case <-drawing.Done():
					return
				}
				batch = make([]store.NewPatron, 0, batchSize)
			}
		}
	}()
	for batch := range batches { // all drawn once it ends: rng is free again
		if err := st.BulkCreatePatrons(ctx, batch, actor); err != nil {
			return false, err
		}
	}
	if _, err := st.RestoreIndexes(ctx); err != nil {
		return false, err
	}
	if err := st.OptimizeSearch(ctx); err != nil {
		return false, err
	}
	if opts.UsageMonths > 0 {
		if err := seedLaunches(ctx, st, rng, today, opts.UsageMonths); err != nil {
			return false, err
		}
	}
	// The seeded accounts had their past: the reminders due today would
	// have left on earlier days. Without this, the demo's first start
	// would mail (and print) some sixty of them at once.
	if _, err := st.SkipDueReminders(ctx, today); err != nil {
		return false, err
	}
	return true, nil
}

// PatronCount is how many patrons the network's list shows: what the demo
// prints once seeded, so that the number it prints is the number one sees.
func PatronCount(ctx context.Context, st *store.Store) (int, error) {
	counts, err := st.StatusCounts(ctx, store.NetworkScope())
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, nil
}

// seedLaunches draws past launches: about two patrons in three used each of
// their validated resources, from one to six times, on days spread over the
// last months up to yesterday, in opening hours.
func seedLaunches(ctx context.Context, st *store.Store, rng *rand.Rand, today sesame.Date, months int) error {
	grants, err := st.ValidatedGrants(ctx)
	if err != nil {
		return err
	}
	first := today.AddMonths(-months)
	days := 0
	for d := first; d.Before(today); d = d.AddDays(1) {
		days++
	}
	var launches []store.Launch
	for _, g := range grants {
		if rng.IntN(3) == 0 {
			continue
		}
		for n := 1 + rng.IntN(6); n > 0; n-- {
			d := first.AddDays(rng.IntN(days))
			at := time.Date(d.Year, d.Month, d.Day, 9+rng.IntN(10), rng.IntN(60), 0, 0, time.UTC)
			launches = append(launches, store.Launch{At: at, PatronID: g.PatronID, LibraryID: g.LibraryID, ResourceID: g.ResourceID})
		}
	}
	return st.RecordLaunches(ctx, launches)
}

// randomPatron draws a patron of library lib in a status spread like a real
// network's: most validated, some waiting, some expired or refused.
func randomPatron(rng *rand.Rand, n int, lib int64, resIDs []int64, today sesame.Date) store.NewPatron {
	person := RandomPerson(rng, today)
	p := sesame.Patron{
		LibraryID: lib, LastName: person.LastName, FirstName: person.FirstName, BirthDate: person.BirthDate,
		Email:      fmt.Sprintf("%s.%s.%d@example.org", emailPart(person.FirstName), emailPart(person.LastName), n),
		PostalCode: "29000", Town: "Quimper",
		RegisteredOn: today.AddDays(-rng.IntN(7 * 365)),
	}
	if rng.IntN(3) > 0 {
		// A card number is unique in its library (vendors know patrons by
		// it), and the benchmark puts 50,000 patrons in one: n, unique in
		// the network, goes through a bijection of 0…99,999,999 (7919 is
		// prime to 10⁸), so the numbers look drawn yet never repeat. The
		// draw is still made, so that the rest of the demo stays as it was.
		_ = rng.IntN(100_000_000)
		p.CardNumber = fmt.Sprintf("%08d", (n*7919+4217)%100_000_000)
	}
	np := store.NewPatron{Patron: p}
	libDate := func(maxMonthsAgo int) sesame.Date {
		d := today.AddDays(-rng.IntN(maxMonthsAgo * 30))
		if d.Before(p.RegisteredOn) {
			d = p.RegisteredOn
		}
		return d
	}
	// validatedOn makes the account one its library validated on day, for
	// a year, with some of the resources; status is where it stands now.
	validatedOn := func(status sesame.Status, day sesame.Date) {
		np.Patron.Status = status
		np.Patron.LibraryRegisteredOn = day
		np.Patron.ValidUntil = day.AddMonths(12)
		np.GrantState = sesame.GrantValidated
		np.ResourceIDs = someOf(rng, resIDs)
	}
	roll := rng.IntN(100)
	switch {
	case roll < 62: // validated; some past their end date, not yet back to notice
		validatedOn(sesame.StatusValidated, libDate(14))
	case roll < 74:
		np.Patron.Status = sesame.StatusToValidate
		np.Patron.RegisteredOn = today.AddDays(-rng.IntN(30))
		np.ResourceIDs = resIDs
	case roll < 80:
		validatedOn(sesame.StatusToRevalidate, today.AddMonths(-13-rng.IntN(12)))
	case roll < 94:
		// Expired within the last 12 months: the retention job deletes an
		// account whose end date passed longer ago (store.RetentionMonths),
		// and the demo must not lose patrons a few seconds after it starts.
		// The draw is the same as it always was, halved, so that every
		// other patron stays as it was.
		validatedOn(sesame.StatusExpired, today.AddMonths(-13-rng.IntN(24)/2))
	default:
		np.Patron.Status = sesame.StatusRefused
		np.Patron.RefusalReason = "Abonnement introuvable dans notre bibliothèque : venez nous voir avec votre carte."
	}
	if np.Patron.LibraryRegisteredOn.Before(np.Patron.RegisteredOn) && !np.Patron.LibraryRegisteredOn.IsZero() {
		np.Patron.RegisteredOn = np.Patron.LibraryRegisteredOn
	}
	return np
}

func someOf(rng *rand.Rand, ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if rng.IntN(2) == 0 {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		out = ids[:1]
	}
	return out
}

// emailPart turns a name into the ASCII of an e-mail address.
func emailPart(name string) string {
	name = store.Fold(name)
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
