// Package storetest is the store's conformance suite: every behaviour the
// rest of Sésame relies on, run against each database engine.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Opener opens a fresh, empty store whose clock is now.
type Opener func(t testing.TB, now func() time.Time) *store.Store

var sys = sesame.Actor{Label: "test"}

// fixture is two libraries with resources, on a fresh store.
type fixture struct {
	st         *store.Store
	now        time.Time
	libA, libB int64
	res        []int64
}

func newFixture(t testing.TB, open Opener) *fixture {
	t.Helper()
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	f := &fixture{now: time.Date(2026, 11, 26, 10, 30, 15, 123456789, paris)}
	f.st = open(t, func() time.Time { return f.now })
	var err error
	if f.libA, err = f.st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys); err != nil {
		t.Fatal(err)
	}
	if f.libB, err = f.st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "b@example.org"}, sys); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"pressreader", "tout-apprendre", "brief-me"} {
		id, err := f.st.CreateResource(ctx, sesame.Resource{Slug: slug, Name: slug, Description: "d", URL: "https://example.org/"}, sys)
		if err != nil {
			t.Fatal(err)
		}
		f.res = append(f.res, id)
	}
	return f
}

func (f *fixture) patron(t testing.TB, lib int64, last, first, email string, status sesame.Status) int64 {
	t.Helper()
	p := sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: email, BirthDate: sesame.MustDate(1980, 2, 29),
		PostalCode: "29000", Town: "Quimper", CardNumber: "C-" + first, RegisteredOn: sesame.MustDate(2021, 12, 17), Status: status}
	if status == sesame.StatusValidated {
		p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2026, 4, 7), sesame.MustDate(2027, 4, 7)
	}
	id, err := f.st.CreatePatron(context.Background(), store.NewPatron{Patron: p, ResourceIDs: f.res[:1]}, sys)
	if err != nil {
		t.Fatalf("create %s: %v", last, err)
	}
	return id
}

// Run runs the whole suite against stores from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"PatronRoundTrip", testPatronRoundTrip},
		{"LibraryIsolation", testLibraryIsolation},
		{"UniqueConflicts", testUniqueConflicts},
		{"CardNumberUniqueInLibrary", testCardNumberUniqueInLibrary},
		{"CardNumberTakenAtRegistration", testCardNumberTakenAtRegistration},
		{"SearchFollowsChanges", testSearchFollowsChanges},
		{"CountsFollowChanges", testCountsFollowChanges},
		{"AwaitingQueue", testAwaitingQueue},
		{"PatronSubsets", testPatronSubsets},
		{"PaginationOrder", testPaginationOrder},
		{"KeysetPages", testKeysetPages},
		{"SearchCountBounded", testSearchCountBounded},
		{"OptimisticVersion", testOptimisticVersion},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"GrantsAndHistory", testGrantsAndHistory},
		{"SessionsAndThrottle", testSessionsAndThrottle},
		{"Network", testNetwork},
		{"BulkCreate", testBulkCreate},
		{"DeferIndexes", testDeferIndexes},
		{"RestoreIndexesFailure", testRestoreIndexesFailure},
		{"DeleteOwnAccount", testDeleteOwnAccount},
		{"ConcurrentJobClaims", testConcurrentJobClaims},
		{"JobLeaseExpires", testJobLeaseExpires},
		{"SSOTokenSingleUse", testSSOTokenSingleUse},
		{"CASTicketsRedeemOnce", testCASTicketsRedeemOnce},
		{"PurgeTakesExpiredCASTickets", testPurgeTakesExpiredCASTickets},
		{"SSOParticipants", testSSOParticipants},
		{"LibraryNotifySetting", testLibraryNotifySetting},
		{"TakeDigestRequestsOnce", testTakeDigestRequestsOnce},
		{"ScheduleJobOnce", testScheduleJobOnce},
		{"RemindersSentOnce", testRemindersSentOnce},
		{"ReminderAfterRenewal", testReminderAfterRenewal},
		{"LibraryReminderSetting", testLibraryReminderSetting},
		{"ApplyRetention", testApplyRetention},
		{"StaffTOTP", testStaffTOTP},
		{"RegistrationWithParentalConsent", testRegistrationWithParentalConsent},
		{"RegistrationLinksServeOnce", testRegistrationLinksServeOnce},
		{"RegistrationLinksExpire", testRegistrationLinksExpire},
		{"RenewRegistrationLink", testRenewRegistrationLink},
		{"PendingRegistration", testPendingRegistration},
		{"WithdrawGrant", testWithdrawGrant},
		{"RegisteringAgainRestartsTheSteps", testRegisteringAgainRestartsTheSteps},
		{"PurgeTakesExpiredRegistrations", testPurgeTakesExpiredRegistrations},
		{"ConsentToTakenAddress", testConsentToTakenAddress},
		{"PossibleDuplicates", testPossibleDuplicates},
		{"CopyKeepsParentalConsent", testCopyKeepsParentalConsent},
		// The copy tests copy a SQLite network into a database of open's engine.
		{"Copy", testCopy},
		{"CopyAgain", testCopyAgain},
		{"CopyThereAndBack", testCopyThereAndBack},
		{"CopyRefusesTheSameStore", testCopyRefusesTheSameStore},
		{"CopyVerifies", testCopyVerifies},
		{"CopyRefusesUnknownTables", testCopyRefusesUnknownTables},
		{"CopyAddedColumn", testCopyAddedColumn},
		{"PurgeJobsAndThrottles", testPurgeJobsAndThrottles},
		{"TxAllOrNothing", testTxAllOrNothing},
		{"APIKeys", testAPIKeys},
		{"CardMigrationWithDuplicates", testCardMigrationWithDuplicates},
		{"NetworkCacheFollowsTheStoreClock", testNetworkCacheFollowsTheStoreClock},
		{"FoldKeepsFigures", testFoldKeepsFigures},
		{"FoldOncePerCutoff", testFoldOncePerCutoff},
		{"DeletedPatronStaysCounted", testDeletedPatronStaysCounted},
		{"AccountEventsByMonth", testAccountEventsByMonth},
		{"FoldConcurrent", testFoldConcurrent},
		{"AccountEventsCountOnTheirDate", testAccountEventsCountOnTheirDate},
		{"FoldNamesKeptLaunches", testFoldNamesKeptLaunches},
		{"DeletedPatronCountedByDay", testDeletedPatronCountedByDay},
		{"UpdateConnector", testUpdateConnector},
		{"ConnectorFailuresBounded", testConnectorFailuresBounded},
		{"NetworkListAcrossLibraries", testNetworkListAcrossLibraries},
		{"FrenchOrder", testFrenchOrder},
		{"SearchMail", testSearchMail},
		{"JobBacklogs", testJobBacklogs},
		{"MatchRenewals", testMatchRenewals},
		{"NoteSIGBRegistration", testNoteSIGBRegistration},
		{"TxUpdatePatron", testTxUpdatePatron},
		{"RenewalImportStaging", testRenewalImportStaging},
		{"SavePatrons", testSavePatrons},
		{"ImportMappings", testImportMappings},
		{"SIP2Connector", testSIP2Connector},
		{"PatronsBySIP2Identifier", testPatronsBySIP2Identifier},
		{"ResourceOffers", testResourceOffers},
		{"SeatCapWaitingList", testSeatCapWaitingList},
		{"SeatCapSweep", testSeatCapSweep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func testPatronRoundTrip(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "N'GUYEN", "Maëlle", "Maelle@Example.org", sesame.StatusValidated)
	p, err := f.st.Patron(ctx, store.LibraryScope(f.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ what, got, want string }{
		{"last name", p.LastName, "N'GUYEN"},
		{"first name", p.FirstName, "Maëlle"},
		{"e-mail (normalised)", p.Email, "maelle@example.org"},
		{"birth date", p.BirthDate.String(), "29/02/1980"},
		{"registered on", p.RegisteredOn.String(), "17/12/2021"},
		{"library date", p.LibraryRegisteredOn.String(), "07/04/2026"},
		{"valid until", p.ValidUntil.String(), "07/04/2027"},
		{"status", string(p.Status), string(sesame.StatusValidated)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if want := f.now.Truncate(time.Microsecond); !p.CreatedAt.Equal(want) {
		t.Errorf("created at: got %s, want %s (a non-UTC instant, to the microsecond)", p.CreatedAt, want)
	}
}

func testLibraryIsolation(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	b := f.patron(t, f.libB, "KERJEAN", "Yann", "yann@example.org", sesame.StatusToValidate)
	scopeA := store.LibraryScope(f.libA)
	if _, err := f.st.Patron(ctx, scopeA, b); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("Patron across libraries: got %v, want not found", err)
	}
	if _, err := f.st.PatronGrants(ctx, scopeA, b); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("PatronGrants across libraries: got %v, want not found", err)
	}
	if _, err := f.st.PatronHistory(ctx, scopeA, b); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("PatronHistory across libraries: got %v, want not found", err)
	}
	if _, err := f.st.SetGrants(ctx, scopeA, b, f.res, sesame.GrantValidated, sys); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("SetGrants across libraries: got %v, want not found", err)
	}
	_, err := f.st.UpdatePatron(ctx, scopeA, b, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		t.Error("update closure called across libraries")
		return store.Change{}, nil
	})
	if sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("UpdatePatron across libraries: got %v, want not found", err)
	}
	if err := f.st.DeletePatron(ctx, scopeA, b, sys); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("DeletePatron across libraries: got %v, want not found", err)
	}
	for _, q := range []string{"", "kerjean", "yann@example.org", "C-Yann", "ya"} {
		page, err := f.st.ListPatrons(ctx, scopeA, store.PatronFilter{Query: q})
		if err != nil || page.Total != 0 || len(page.Rows) != 0 {
			t.Errorf("ListPatrons(%q) in A: got %d rows, total %d (%v), want none", q, len(page.Rows), page.Total, err)
		}
	}
	if page, _ := f.st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Query: "kerjean"}); page.Total != 1 {
		t.Errorf("the network sees every library: got %d, want 1", page.Total)
	}
}

func testUniqueConflicts(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	f.patron(t, f.libA, "LE GALL", "Anne", "anne@example.org", sesame.StatusToValidate)
	_, err := f.st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: f.libB, LastName: "X", FirstName: "Y", Email: "ANNE@example.org",
		BirthDate: sesame.MustDate(1990, 1, 1), RegisteredOn: sesame.MustDate(2026, 1, 1), Status: sesame.StatusToValidate}}, sys)
	if sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same e-mail, other case: got %v, want conflict", err)
	}
	if _, err := f.st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "n", Town: "t", ContactEmail: "c@example.org"}, sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same library code: got %v, want conflict", err)
	}
	if _, err := f.st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "n"}, sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same resource slug: got %v, want conflict", err)
	}
	if _, err := f.st.CreateStaff(ctx, sesame.Staff{Login: "x", Name: "x", Role: sesame.RoleAdmin, PasswordHash: "h"}, sys); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateStaff(ctx, sesame.Staff{Login: "X", Name: "x", Role: sesame.RoleAdmin, PasswordHash: "h"}, sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same login: got %v, want conflict", err)
	}
}

func testSearchFollowsChanges(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "LEFÈVRE", "Anne", "anne@example.org", sesame.StatusToValidate)
	f.patron(t, f.libA, "LE BIHAN", "Gwenaël", "gwen@example.org", sesame.StatusToValidate)
	search := func(sc store.Scope, q string) int {
		t.Helper()
		page, err := f.st.ListPatrons(ctx, sc, store.PatronFilter{Query: q})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		return page.Total
	}
	a, b := store.LibraryScope(f.libA), store.LibraryScope(f.libB)
	tests := []struct {
		query string
		want  int
	}{
		{"lefevre", 1}, {"LEFEVRE", 1}, {"Lefèvre", 1}, {"efèv", 1}, {"anne lefevre", 1}, {"lefevre anne", 1},
		{"gwenael", 1}, {"bihan", 1}, {"le", 2}, {"e", 2}, {"anne@example", 1}, {"c-anne", 1}, {"%", 0}, {"_", 0}, {`"`, 0}, {`an"ne`, 0}, {"zzz", 0},
		// A control character ends a word rather than the FTS5 phrase.
		{"lef\x00evre", 1}, {"lefevre\x00", 1}, {"anne\tlefevre", 1}, {"\x00", 2}, {"ab\x00cd", 0}, {"\"\x00\"", 0}, {"lef\x1fevre\x7f", 1}, {"\u0085lefevre", 1},
	}
	for _, tt := range tests {
		if got := search(a, tt.query); got != tt.want {
			t.Errorf("search %q: got %d, want %d", tt.query, got, tt.want)
		}
	}
	_, err := f.st.UpdatePatron(ctx, store.NetworkScope(), id, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.LastName, p.LibraryID = "MORVAN", f.libB
		return store.Change{Action: "t", Detail: "t"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(a, "lefevre"); got != 0 {
		t.Errorf("old name still found: %d", got)
	}
	if got := search(a, "morvan"); got != 0 {
		t.Errorf("moved patron found in its old library: %d", got)
	}
	if got := search(b, "morvan"); got != 1 {
		t.Errorf("renamed patron not found in its new library: %d", got)
	}
	if err := f.st.DeletePatron(ctx, store.NetworkScope(), id, sys); err != nil {
		t.Fatal(err)
	}
	if got := search(b, "morvan"); got != 0 {
		t.Errorf("deleted patron still found: %d", got)
	}
}

func testCountsFollowChanges(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "A", "A", "a@example.org", sesame.StatusToValidate)
	f.patron(t, f.libA, "B", "B", "b@example.org", sesame.StatusValidated)
	f.patron(t, f.libB, "C", "C", "c@example.org", sesame.StatusToValidate)
	_, err := f.st.UpdatePatron(ctx, store.LibraryScope(f.libA), id, 0, sys, func(p *sesame.Patron) (store.Change, error) {
		return store.Change{Action: "t", Detail: "t"}, p.Decide(sesame.Decision{Status: sesame.StatusRefused}, sesame.MustDate(2026, 11, 26), 12)
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := f.st.StatusCounts(ctx, store.LibraryScope(f.libA))
	if err != nil {
		t.Fatal(err)
	}
	want := map[sesame.Status]int{sesame.StatusRefused: 1, sesame.StatusValidated: 1}
	for _, st := range sesame.Statuses {
		if counts[st] != want[st] {
			t.Errorf("%s in A: got %d, want %d", st, counts[st], want[st])
		}
	}
	for _, tt := range []struct {
		sc     store.Scope
		filter store.PatronFilter
		want   int
	}{
		{store.LibraryScope(f.libA), store.PatronFilter{}, 2},
		{store.LibraryScope(f.libA), store.PatronFilter{Status: sesame.StatusToValidate}, 0},
		{store.LibraryScope(f.libB), store.PatronFilter{Awaiting: true}, 1},
		{store.NetworkScope(), store.PatronFilter{}, 3},
	} {
		page, err := f.st.ListPatrons(ctx, tt.sc, tt.filter)
		if err != nil || page.Total != tt.want || len(page.Rows) != tt.want {
			t.Errorf("ListPatrons(%+v, %+v): got total %d rows %d (%v), want %d", tt.sc, tt.filter, page.Total, len(page.Rows), err, tt.want)
		}
		// The same total from counts the caller already holds.
		withCounts := tt.filter
		if withCounts.Counts, err = f.st.StatusCounts(ctx, tt.sc); err != nil {
			t.Fatal(err)
		}
		if page, _ := f.st.ListPatrons(ctx, tt.sc, withCounts); page.Total != tt.want {
			t.Errorf("ListPatrons(%+v, %+v) with counts: got total %d, want %d", tt.sc, tt.filter, page.Total, tt.want)
		}
	}
}

func testPaginationOrder(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	names := []string{"ÉLIÈS", "abgrall", "Le Gall", "LE GALL", "Cariou", "le goff", "Bihan", "Œuvrard", "Zéro", "Ézou", "Tanguy", "Quéré"}
	for i, n := range names {
		f.patron(t, f.libA, n, fmt.Sprintf("P%02d", i), fmt.Sprintf("p%d@example.org", i), sesame.StatusToValidate)
	}
	var seen []string
	for page := 0; page < 4; page++ {
		res, err := f.st.ListPatrons(ctx, store.LibraryScope(f.libA), store.PatronFilter{Limit: 5, Offset: page * 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rows {
			seen = append(seen, store.Fold(r.LastName))
		}
	}
	if len(seen) != len(names) {
		t.Fatalf("pages gave %d rows, want %d", len(seen), len(names))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i-1] > seen[i] {
			t.Errorf("order broken at %d: %q before %q", i, seen[i-1], seen[i])
		}
	}
	res, _ := f.st.ListPatrons(ctx, store.LibraryScope(f.libA), store.PatronFilter{Limit: 3, Desc: true})
	if len(res.Rows) != 3 || store.Fold(res.Rows[0].LastName) != "zero" {
		t.Errorf("descending: first got %v", res.Rows)
	}
}

func testOptimisticVersion(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "A", "A", "a@example.org", sesame.StatusToValidate)
	rename := func(v int, town string) error {
		_, err := f.st.UpdatePatron(ctx, store.LibraryScope(f.libA), id, v, sys, func(p *sesame.Patron) (store.Change, error) {
			p.Town = town
			return store.Change{Action: "t", Detail: town}, nil
		})
		return err
	}
	if err := rename(1, "Brest"); err != nil {
		t.Fatalf("first save: %v", err)
	}
	if err := rename(1, "Morlaix"); sesame.ErrorCode(err) != sesame.EStale {
		t.Errorf("second save on version 1: got %v, want stale", err)
	}
	if p, _ := f.st.Patron(ctx, store.LibraryScope(f.libA), id); p.Town != "Brest" || p.Version != 2 {
		t.Errorf("got town %q version %d, want Brest 2", p.Town, p.Version)
	}
}

func testConcurrentUpdates(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "A", "A", "a@example.org", sesame.StatusToValidate)
	const writers = 8
	var wg sync.WaitGroup
	results := make(chan error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.st.UpdatePatron(ctx, store.LibraryScope(f.libA), id, 1, sys, func(p *sesame.Patron) (store.Change, error) {
				p.Town = fmt.Sprintf("Ville %d", i)
				return store.Change{Action: "t", Detail: "t"}, nil
			})
			results <- err
		}(i)
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case sesame.ErrorCode(err) != sesame.EStale:
			t.Errorf("concurrent save: got %v, want nil or stale", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d saves on version 1 succeeded, want exactly 1", ok)
	}
}

func testGrantsAndHistory(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "A", "A", "a@example.org", sesame.StatusToValidate)
	sc := store.LibraryScope(f.libA)
	changed, err := f.st.SetGrants(ctx, sc, id, f.res, sesame.GrantValidated, sys)
	if err != nil || len(changed) != 3 {
		t.Fatalf("activate: got %v (%v), want 3 changed", changed, err)
	}
	if changed, _ := f.st.SetGrants(ctx, sc, id, f.res, sesame.GrantValidated, sys); len(changed) != 0 {
		t.Errorf("activating again changed %v", changed)
	}
	page, _ := f.st.ListPatrons(ctx, sc, store.PatronFilter{})
	if len(page.Rows) != 1 || len(page.Rows[0].Resources) != 3 {
		t.Errorf("list resources: got %v", page.Rows)
	}
	events, err := f.st.PatronHistory(ctx, sc, id)
	if err != nil || len(events) != 2 || events[0].Action != "ressources" {
		t.Errorf("history: got %+v (%v), want creation then ressources, newest first", events, err)
	}
	if _, err := f.st.SetGrants(ctx, sc, id, []int64{424242}, sesame.GrantValidated, sys); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("unknown resource: got %v, want not found", err)
	}
}

func testSessionsAndThrottle(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	staffID, err := f.st.CreateStaff(ctx, sesame.Staff{Login: "fouesnant", Name: "F", Role: sesame.RoleLibrary, LibraryID: f.libA, PasswordHash: "h"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateSession(ctx, "hash1", staffID); err != nil {
		t.Fatal(err)
	}
	sess, err := f.st.SessionByHash(ctx, "hash1")
	if err != nil || sess.Staff.Login != "fouesnant" || sess.Staff.LibraryID != f.libA {
		t.Fatalf("session: got %+v (%v)", sess, err)
	}
	// A new hash of the same password, at login, keeps the sessions.
	if err := f.st.SetStaffPassword(ctx, staffID, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SessionByHash(ctx, "hash1"); err != nil {
		t.Errorf("session after a rehash: got %v, want kept", err)
	}
	if err := f.st.ResetStaffPassword(ctx, staffID, "h2", sys); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SessionByHash(ctx, "hash1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("session after a password reset: got %v, want not found", err)
	}
	until := f.now.Add(time.Minute) // nanoseconds in, microseconds kept: the precision both engines share
	th, err := f.st.RecordFailure(ctx, "k", func(n int) time.Time { return until })
	if err != nil || th.Failures != 1 {
		t.Fatalf("record failure: %+v %v", th, err)
	}
	th, _ = f.st.RecordFailure(ctx, "k", func(n int) time.Time { return until })
	got, err := f.st.ThrottleOf(ctx, "k")
	if err != nil || got.Failures != 2 || !got.BlockedUntil.Equal(until.Truncate(time.Microsecond)) {
		t.Errorf("throttle: got %+v (%v), want 2 failures until %s", got, err, until)
	}
	if err := f.st.ClearThrottle(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.st.ThrottleOf(ctx, "k"); got.Failures != 0 {
		t.Errorf("cleared throttle: got %+v", got)
	}
}

func testNetwork(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	n, err := f.st.Network(ctx)
	if err != nil || n.ValidityMonths != sesame.DefaultValidityMonths {
		t.Fatalf("default network: got %+v (%v), want %d months", n, err, sesame.DefaultValidityMonths)
	}
	if !reflect.DeepEqual(n.Reminders, sesame.DefaultReminderSchedule()) {
		t.Errorf("default reminders: got %+v, want %+v", n.Reminders, sesame.DefaultReminderSchedule())
	}
	want := sesame.Network{Name: "Bibliothèque du Finistère", ContactEmail: "contact@example.org", ValidityMonths: 6,
		Reminders: sesame.ReminderSchedule{DaysBefore: []int{15, 1}, DayAfter: true}}
	if err := f.st.SaveNetwork(ctx, want, sys); err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.Network(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("network: got %+v (%v), want %+v", got, err, want)
	}
}

func testConcurrentJobClaims(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	const jobs = 60
	for i := 0; i < jobs; i++ {
		if err := f.st.Enqueue(ctx, "test", fmt.Sprint(i), f.now); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(worker string) {
			defer wg.Done()
			for {
				batch, err := f.st.ClaimJobs(ctx, worker, 5, time.Minute)
				if err != nil {
					t.Errorf("%s claims: %v", worker, err)
					return
				}
				if len(batch) == 0 {
					return
				}
				for _, j := range batch {
					mu.Lock()
					if other, dup := claimed[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, other, worker)
					}
					claimed[j.ID] = worker
					mu.Unlock()
					if held, err := f.st.FinishJob(ctx, j.ID, worker, nil); err != nil || !held {
						t.Errorf("finish %d: held %v, %v", j.ID, held, err)
					}
				}
			}
		}(fmt.Sprintf("worker-%d", w))
	}
	wg.Wait()
	if len(claimed) != jobs {
		t.Errorf("claimed %d jobs, want %d", len(claimed), jobs)
	}
	done, pending, err := f.st.JobCounts(ctx)
	if err != nil || done != jobs || pending != 0 {
		t.Errorf("job counts: done %d pending %d (%v), want %d and 0", done, pending, err, jobs)
	}
}

func testJobLeaseExpires(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	if err := f.st.Enqueue(ctx, "test", "x", f.now); err != nil {
		t.Fatal(err)
	}
	first, err := f.st.ClaimJobs(ctx, "dies", 10, time.Minute)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %v (%v)", first, err)
	}
	if again, _ := f.st.ClaimJobs(ctx, "other", 10, time.Minute); len(again) != 0 {
		t.Fatalf("a leased job was claimed again before its lease ended")
	}
	f.now = f.now.Add(2 * time.Minute) // the first worker died; its lease runs out
	second, err := f.st.ClaimJobs(ctx, "other", 10, time.Minute)
	if err != nil || len(second) != 1 || second[0].ID != first[0].ID || second[0].Attempts != 2 {
		t.Fatalf("claim after the lease: got %+v (%v), want the same job, attempt 2", second, err)
	}
	if held, _ := f.st.FinishJob(ctx, first[0].ID, "dies", nil); held {
		t.Errorf("the worker whose lease ran out could still finish the job")
	}
	if held, err := f.st.FinishJob(ctx, first[0].ID, "other", nil); err != nil || !held {
		t.Errorf("the new holder could not finish: %v %v", held, err)
	}
	if held, _ := f.st.FinishJob(ctx, first[0].ID, "other", nil); held {
		t.Errorf("a job was finished twice")
	}
	if err := f.st.Enqueue(ctx, "test", "later", f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if early, _ := f.st.ClaimJobs(ctx, "w", 10, time.Minute); len(early) != 0 {
		t.Errorf("a job was claimed before its time")
	}
}

func testBulkCreate(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	var batch []store.NewPatron
	for i := 0; i < 30; i++ {
		lib, status := f.libA, sesame.StatusToValidate
		if i%3 == 0 {
			lib, status = f.libB, sesame.StatusRefused
		}
		batch = append(batch, store.NewPatron{
			Patron: sesame.Patron{LibraryID: lib, LastName: fmt.Sprintf("GUÉGUEN-%02d", i), FirstName: "Nolwenn", Email: fmt.Sprintf("n%d@example.org", i),
				BirthDate: sesame.MustDate(1990, 1, 1), PostalCode: "29000", Town: "Quimper", RegisteredOn: sesame.MustDate(2026, 1, 1), Status: status},
			ResourceIDs: f.res[:2], GrantState: sesame.GrantValidated,
		})
	}
	if err := f.st.BulkCreatePatrons(ctx, batch, sys); err != nil {
		t.Fatal(err)
	}
	for i, np := range batch {
		if np.Patron.ID == 0 {
			t.Fatalf("patron %d: no id set", i)
		}
	}
	a, _ := f.st.StatusCounts(ctx, store.LibraryScope(f.libA))
	b, _ := f.st.StatusCounts(ctx, store.LibraryScope(f.libB))
	if a[sesame.StatusToValidate] != 20 || b[sesame.StatusRefused] != 10 {
		t.Errorf("counts: A %v, B %v; want 20 À valider in A, 10 Refusé in B", a, b)
	}
	page, err := f.st.ListPatrons(ctx, store.LibraryScope(f.libB), store.PatronFilter{Query: "gueguen-03"})
	if err != nil || page.Total != 1 || len(page.Rows[0].Resources) != 2 || page.Rows[0].ID != batch[3].Patron.ID {
		t.Errorf("search after a bulk load: got %+v (%v)", page, err)
	}
	if err := f.st.OptimizeSearch(ctx); err != nil {
		t.Errorf("optimize: %v", err)
	}
	if err := f.st.BulkCreatePatrons(ctx, batch[:1], sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("same e-mail again: got %v, want conflict", err)
	}
}

func testDeleteOwnAccount(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "LE BIHAN", "Gwenaël", "gwen@example.org", sesame.StatusValidated)
	if err := f.st.CreatePatronSession(ctx, "token-hash", id); err != nil {
		t.Fatal(err)
	}
	_, err := f.st.UpdatePatron(ctx, store.LibraryScope(f.libA), id, 0, sesame.Actor{PatronID: id, Label: "l'usager (gwen@example.org)"},
		func(p *sesame.Patron) (store.Change, error) {
			p.Town = "Bénodet"
			return store.Change{Action: "informations", Detail: "Ville : « Quimper » → « Bénodet » (LE BIHAN)"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteOwnAccount(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Patron(ctx, store.NetworkScope(), id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("patron after deletion: %v, want not found", err)
	}
	if _, err := f.st.PatronSessionByHash(ctx, "token-hash"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("session after deletion: %v, want not found", err)
	}
	if counts, _ := f.st.StatusCounts(ctx, store.LibraryScope(f.libA)); counts[sesame.StatusValidated] != 0 {
		t.Errorf("counts after deletion: %v", counts)
	}
	if page, _ := f.st.ListPatrons(ctx, store.LibraryScope(f.libA), store.PatronFilter{Query: "bihan"}); page.Total != 0 {
		t.Errorf("search still finds the deleted patron")
	}
	trail, err := f.st.PatronTrail(ctx, store.NetworkScope(), id)
	if err != nil || len(trail) < 3 {
		t.Fatalf("trail: %+v (%v), want creation, change and deletion kept", trail, err)
	}
	for _, e := range trail {
		for _, personal := range []string{"BIHAN", "Gwenaël", "gwen@example.org", "Bénodet"} {
			if strings.Contains(e.ActorLabel+" "+e.Detail, personal) {
				t.Errorf("trail event %q / %q keeps %q", e.ActorLabel, e.Detail, personal)
			}
		}
	}
}

// testSSOTokenSingleUse: a signed link's callback token serves once, to one
// of several checks at once; it is spent by nobody else's uid, ends with
// its time, and is withdrawn with the patron's other SSO grants.
func testSSOTokenSingleUse(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	id := f.patron(t, f.libA, "LE BIHAN", "Gwenaël", "gwen@example.org", sesame.StatusValidated)
	other := f.patron(t, f.libA, "TANGUY", "Soizic", "soizic@example.org", sesame.StatusValidated)
	link := sesame.Connector{ResourceID: f.res[0], Kind: sesame.ConnectorSignedLink, Link: sesame.SignedLinkSettings{
		Preset: "custom", Hash: "hmac-sha256", Signed: "{uid}", URL: "https://vendor.example/entree?uid={uid}&token={token}&hash={hash}"}}
	link.Secret = "cle-partagee-du-fournisseur" // #nosec G101 -- a made-up vendor key, for a test store only
	connector, err := f.st.CreateConnector(ctx, link, sys)
	if err != nil {
		t.Fatal(err)
	}
	save := func(hash string) {
		t.Helper()
		if err := f.st.SaveSSOToken(ctx, hash, id, connector, f.now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	notFound := func(what string, err error) {
		t.Helper()
		if sesame.ErrorCode(err) != sesame.ENotFound || errors.Is(err, store.ErrSSOTokenExpired) {
			t.Errorf("%s: got %v, want not found", what, err)
		}
	}

	save("once")
	_, err = f.st.UseSSOToken(ctx, "once", other)
	notFound("another patron's uid", err)
	const checks = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	oks := 0
	for range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := f.st.UseSSOToken(ctx, "once", id)
			if err == nil && tok.PatronID == id && tok.ConnectorID == connector {
				mu.Lock()
				oks++
				mu.Unlock()
			} else if sesame.ErrorCode(err) != sesame.ENotFound {
				t.Errorf("check at once: %v", err)
			}
		}()
	}
	wg.Wait()
	if oks != 1 {
		t.Errorf("%d checks at once: got %d uses, want 1", checks, oks)
	}
	_, err = f.st.UseSSOToken(ctx, "once", id)
	notFound("used token", err)

	save("revoked")
	if err := f.st.DeletePatronSSOTokens(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = f.st.UseSSOToken(ctx, "revoked", id)
	notFound("revoked token", err)

	save("late")
	f.now = f.now.Add(10 * time.Minute)
	if _, err := f.st.UseSSOToken(ctx, "late", id); !errors.Is(err, store.ErrSSOTokenExpired) {
		t.Errorf("token at its expiry: got %v, want expired", err)
	}
	// The nightly purge takes used and expired tokens alike.
	f.now = f.now.Add(time.Second)
	if err := f.st.Update(ctx, func(tx *store.Tx) error { return tx.PurgeExpired(ctx, f.now, f.now) }); err != nil {
		t.Fatal(err)
	}
	_, err = f.st.UseSSOToken(ctx, "late", id)
	notFound("expired token after the purge", err)
}
