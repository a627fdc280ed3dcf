package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// regWorld is a store with two libraries and a resource, and a clock the
// test moves.
type regWorld struct {
	st         *store.Store
	mu         sync.Mutex
	now        time.Time
	libA, libB int64
	res        int64
}

func (w *regWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *regWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// newRegWorld makes a world on a fresh store from open.
func newRegWorld(t testing.TB, open Opener) *regWorld {
	t.Helper()
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	w := &regWorld{now: time.Date(2026, 11, 26, 10, 30, 0, 0, paris)}
	w.st = open(t, w.clock)
	var err error
	if w.libA, err = w.st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys); err != nil {
		t.Fatal(err)
	}
	if w.libB, err = w.st.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "b@example.org"}, sys); err != nil {
		t.Fatal(err)
	}
	if w.res, err = w.st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "d", URL: "https://example.org/"}, sys); err != nil {
		t.Fatal(err)
	}
	return w
}

// save stores a registration of email under tokenHash, valid 48 hours.
func (w *regWorld) save(t testing.TB, tokenHash, email, payload string) {
	t.Helper()
	ctx := context.Background()
	if err := w.st.Update(ctx, func(tx *store.Tx) error {
		return tx.SaveRegistration(ctx, tokenHash, email, payload, w.clock().Add(48*time.Hour))
	}); err != nil {
		t.Fatalf("save registration: %v", err)
	}
}

// awaitParent confirms the holder's link and makes the registration wait
// for the parent's link parentHash, valid 48 hours.
func (w *regWorld) awaitParent(tokenHash, parentHash string) error {
	ctx := context.Background()
	return w.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AwaitParentalConsent(ctx, tokenHash, parentHash, w.clock(), w.clock().Add(48*time.Hour))
		return err
	})
}

func (w *regWorld) renew(email, tokenHash string) (store.Registration, error) {
	ctx := context.Background()
	var r store.Registration
	err := w.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.RenewRegistrationLink(ctx, email, tokenHash, w.clock(), w.clock().Add(48*time.Hour))
		return err
	})
	return r, err
}

// newPatron is what the web layer builds from a registration: a patron of
// library A, À valider.
func (w *regWorld) newPatron(last string) store.NewPatron {
	return store.NewPatron{Patron: sesame.Patron{LibraryID: w.libA, LastName: last, FirstName: "Maël", BirthDate: sesame.MustDate(2013, 4, 3),
		PostalCode: "29170", Town: "Fouesnant", RegisteredOn: sesame.MustDate(2026, 11, 26), Status: sesame.StatusToValidate},
		ResourceIDs: []int64{w.res}, GrantState: sesame.GrantPending}
}

func (w *regWorld) confirm(tokenHash string) (int64, error) {
	return w.st.ConfirmRegistration(context.Background(), tokenHash, w.clock(), func(store.Registration) (store.NewPatron, error) {
		return w.newPatron("LE GOFF"), nil
	})
}

func (w *regWorld) consent(parentHash string) (int64, error) {
	return w.st.ConsentToRegistration(context.Background(), parentHash, w.clock(),
		func(r store.Registration) (store.NewPatron, store.ParentalConsent, error) {
			if r.Payload != "le formulaire" {
				return store.NewPatron{}, store.ParentalConsent{}, errors.New("payload lost: " + r.Payload)
			}
			return w.newPatron("LE GOFF"), store.ParentalConsent{ParentName: "Anne Le Goff", ParentEmail: "Anne.LeGoff@Example.org"}, nil
		})
}

func (w *regWorld) patronCount(t testing.TB, email string) int {
	t.Helper()
	page, err := w.st.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{Query: email, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: got %v, want no error", what, err)
	case want != nil && !errors.Is(err, want) && sesame.ErrorCode(err) != sesame.ErrorCode(want):
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

var errGone = sesame.Errorf(sesame.ENotFound, "gone")

func testRegistrationWithParentalConsent(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	const email = "mael@example.org"
	w.save(t, "holder-1", email, "le formulaire")
	r, err := w.st.RegistrationByHash(ctx, "holder-1")
	if err != nil || r.Used() || !r.Pending(w.clock()) || r.Email != email {
		t.Fatalf("saved registration: got %+v (%v), want pending and unused", r, err)
	}

	w.advance(time.Hour)
	wantErr(t, "holder confirms", w.awaitParent("holder-1", "parent-1"), nil)
	r, err = w.st.RegistrationByHash(ctx, "holder-1")
	if err != nil || !r.Used() || !r.AwaitsParent() || !r.ConfirmedAt.Equal(w.clock()) {
		t.Fatalf("after the holder: got %+v (%v), want used, awaiting the parent, confirmed now", r, err)
	}
	if p, err := w.st.RegistrationByParentHash(ctx, "parent-1"); err != nil || !p.ExpiresAt.Equal(w.clock().Add(48*time.Hour)) {
		t.Fatalf("parent's link: got %+v (%v), want it valid 48 hours from the holder's confirmation", p, err)
	}
	wantErr(t, "holder confirms again", w.awaitParent("holder-1", "parent-2"), store.ErrLinkUsed)
	_, err = w.confirm("holder-1")
	wantErr(t, "holder's link makes a patron", err, store.ErrLinkUsed)
	if n := w.patronCount(t, email); n != 0 {
		t.Fatalf("patrons before the parent's consent: got %d, want 0", n)
	}

	w.advance(time.Hour)
	consentAt := w.clock()
	id, err := w.consent("parent-1")
	wantErr(t, "parent consents", err, nil)
	p, err := w.st.Patron(ctx, store.LibraryScope(w.libA), id)
	if err != nil || p.Email != email || p.Status != sesame.StatusToValidate {
		t.Fatalf("patron: got %+v (%v), want %s À valider", p, err, email)
	}
	c, err := w.st.ParentalConsentOf(ctx, store.LibraryScope(w.libA), id)
	if err != nil || c.ParentName != "Anne Le Goff" || c.ParentEmail != "anne.legoff@example.org" || !c.At.Equal(consentAt.Truncate(time.Microsecond)) {
		t.Fatalf("consent: got %+v (%v), want Anne Le Goff, anne.legoff@example.org at %s", c, err, consentAt)
	}
	if _, err := w.st.ParentalConsentOf(ctx, store.LibraryScope(w.libB), id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("consent seen from another library: got %v, want not found", err)
	}
	history, err := w.st.PatronHistory(ctx, store.LibraryScope(w.libA), id)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range history {
		details = append(details, e.Detail)
	}
	if !strings.Contains(strings.Join(details, "\n"), "avec l'accord de son parent ou tuteur légal Anne Le Goff (anne.legoff@example.org)") {
		t.Errorf("history: got %q, want the consent", details)
	}

	_, err = w.consent("parent-1")
	wantErr(t, "parent consents again", err, store.ErrLinkUsed)
	if n := w.patronCount(t, email); n != 1 {
		t.Errorf("patrons after two consents: got %d, want 1", n)
	}
	if r, err := w.st.RegistrationByParentHash(ctx, "parent-1"); err != nil || r.Payload != "" || r.DoneAt.IsZero() {
		t.Errorf("done registration: got %+v (%v), want it done with its payload emptied", r, err)
	}

	if err := w.st.DeleteOwnAccount(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.ParentalConsentOf(ctx, store.NetworkScope(), id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("consent after the account's deletion: got %v, want not found", err)
	}
}

func testRegistrationLinksServeOnce(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	const email = "double@example.org"
	w.save(t, "holder-1", email, "le formulaire")
	// Two presses at once: one patron, and the other press is told the link served.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.confirm("holder-1")
		}()
	}
	wg.Wait()
	ok, used := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrLinkUsed):
			used++
		default:
			t.Errorf("concurrent confirmation: got %v, want success or ErrLinkUsed", err)
		}
	}
	if ok != 1 || used != 1 {
		t.Errorf("two presses at once: got %d successes and %d « already used », want 1 and 1", ok, used)
	}
	if n := w.patronCount(t, email); n != 1 {
		t.Errorf("patrons: got %d, want 1", n)
	}
	_, err := w.confirm("holder-1")
	wantErr(t, "a third press", err, store.ErrLinkUsed)
	wantErr(t, "a minor's step on a done registration", w.awaitParent("holder-1", "parent-1"), store.ErrLinkUsed)
}

func testRegistrationLinksExpire(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	w.save(t, "adult", "adulte@example.org", "le formulaire")
	w.save(t, "minor", "mineur@example.org", "le formulaire")
	w.advance(47 * time.Hour)
	wantErr(t, "holder confirms at 47 hours", w.awaitParent("minor", "parent"), nil)
	w.advance(2 * time.Hour)
	_, err := w.confirm("adult")
	wantErr(t, "holder's link at 49 hours", err, errGone)
	wantErr(t, "renew an expired registration", func() error { _, err := w.renew("adulte@example.org", "adult-2"); return err }(), errGone)
	// The parent's 48 hours run from the holder's confirmation.
	_, err = w.consent("parent")
	wantErr(t, "parent's link 2 hours after the holder's confirmation", err, nil)

	w.save(t, "late", "tardif@example.org", "le formulaire")
	if err := w.awaitParent("late", "late-parent"); err != nil {
		t.Fatal(err)
	}
	w.advance(48 * time.Hour)
	_, err = w.consent("late-parent")
	wantErr(t, "parent's link at 48 hours", err, errGone)
	_, err = w.consent("unknown")
	wantErr(t, "unknown parent's link", err, errGone)
	_, err = w.confirm("unknown")
	wantErr(t, "unknown holder's link", err, errGone)
}

func testRenewRegistrationLink(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	w.save(t, "holder-1", "attente@example.org", "le formulaire")
	w.advance(40 * time.Hour)
	r, err := w.renew("Attente@Example.org", "holder-2")
	if err != nil || r.AwaitsParent() {
		t.Fatalf("renew a holder's link: got %+v (%v), want the holder's link renewed", r, err)
	}
	if _, err := w.st.RegistrationByHash(ctx, "holder-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("the replaced link: got %v, want not found", err)
	}
	w.advance(40 * time.Hour) // 80 hours after the registration, 40 after the new link
	if r, err := w.st.RegistrationByHash(ctx, "holder-2"); err != nil || !r.Pending(w.clock()) {
		t.Fatalf("the new link: got %+v (%v), want it pending", r, err)
	}

	wantErr(t, "holder confirms", w.awaitParent("holder-2", "parent-1"), nil)
	r, err = w.renew("attente@example.org", "parent-2")
	if err != nil || !r.AwaitsParent() {
		t.Fatalf("renew while awaiting the parent: got %+v (%v), want the parent's link renewed", r, err)
	}
	if _, err := w.st.RegistrationByParentHash(ctx, "parent-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("the parent's replaced link: got %v, want not found", err)
	}
	if r, err := w.st.RegistrationByHash(ctx, "holder-2"); err != nil || !r.Used() {
		t.Errorf("the holder's link after renewing the parent's: got %+v (%v), want it kept, used", r, err)
	}
	if _, err := w.consent("parent-2"); err != nil {
		t.Fatalf("consent through the renewed link: %v", err)
	}
	_, err = w.renew("attente@example.org", "parent-3")
	wantErr(t, "renew a done registration", err, errGone)
	_, err = w.renew("inconnu@example.org", "x")
	wantErr(t, "renew an unknown address", err, errGone)
}

// A registration is found by its address while it waits for its holder or
// their parent, and no longer once expired or done.
func testPendingRegistration(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	pending := func(email string) (store.Registration, error) { return w.st.PendingRegistration(ctx, email, w.clock()) }
	w.save(t, "holder", "attente@example.org", "le formulaire")
	w.save(t, "late", "tardif@example.org", "le formulaire")
	if r, err := pending("Attente@Example.org"); err != nil || r.Payload != "le formulaire" || r.AwaitsParent() {
		t.Fatalf("waiting for its holder: got %+v (%v), want it, not awaiting a parent", r, err)
	}
	w.advance(47 * time.Hour)
	wantErr(t, "holder confirms at 47 hours", w.awaitParent("holder", "parent"), nil)
	if r, err := pending("attente@example.org"); err != nil || !r.AwaitsParent() {
		t.Fatalf("waiting for the parent: got %+v (%v), want it, awaiting a parent", r, err)
	}
	w.advance(2 * time.Hour)
	_, err := pending("tardif@example.org")
	wantErr(t, "expired registration", err, errGone)
	_, err = w.consent("parent")
	wantErr(t, "parent consents 2 hours after the confirmation", err, nil)
	_, err = pending("attente@example.org")
	wantErr(t, "done registration", err, errGone)
	_, err = pending("inconnu@example.org")
	wantErr(t, "unknown address", err, errGone)
}

func testRegisteringAgainRestartsTheSteps(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	w.save(t, "holder-1", "encore@example.org", "le formulaire")
	if err := w.awaitParent("holder-1", "parent-1"); err != nil {
		t.Fatal(err)
	}
	w.save(t, "holder-2", "encore@example.org", "le formulaire")
	if _, err := w.st.RegistrationByParentHash(ctx, "parent-1"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("the parent's link after registering again: got %v, want not found", err)
	}
	r, err := w.st.RegistrationByHash(ctx, "holder-2")
	if err != nil || r.Used() || !r.DoneAt.IsZero() {
		t.Errorf("the new registration: got %+v (%v), want it back at the holder's step", r, err)
	}
}

func testPurgeTakesExpiredRegistrations(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	w.save(t, "expired-holder", "a@example.org", "le formulaire")
	w.save(t, "expired-parent", "b@example.org", "le formulaire")
	if err := w.awaitParent("expired-parent", "parent-b"); err != nil {
		t.Fatal(err)
	}
	w.save(t, "done", "c@example.org", "le formulaire")
	if _, err := w.confirm("done"); err != nil {
		t.Fatal(err)
	}
	w.advance(47 * time.Hour)
	w.save(t, "fresh-holder", "d@example.org", "le formulaire")
	w.save(t, "fresh-parent", "e@example.org", "le formulaire")
	if err := w.awaitParent("fresh-parent", "parent-e"); err != nil {
		t.Fatal(err)
	}
	w.advance(2 * time.Hour)
	if err := w.st.Update(ctx, func(tx *store.Tx) error {
		return tx.PurgeExpired(ctx, w.clock().Add(-12*time.Hour), w.clock().Add(-24*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash   string
		parent bool
		kept   bool
	}{
		{"expired-holder", false, false}, {"parent-b", true, false}, {"done", false, false},
		{"fresh-holder", false, true}, {"parent-e", true, true},
	} {
		find := w.st.RegistrationByHash
		if tt.parent {
			find = w.st.RegistrationByParentHash
		}
		_, err := find(ctx, tt.hash)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s after the purge: got kept %v (%v), want %v", tt.hash, kept, err, tt.kept)
		}
	}
}

func testConsentToTakenAddress(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	w.save(t, "holder", "pris@example.org", "le formulaire")
	if err := w.awaitParent("holder", "parent"); err != nil {
		t.Fatal(err)
	}
	np := w.newPatron("AUTRE")
	np.Patron.Email = "pris@example.org"
	if _, err := w.st.CreatePatron(ctx, np, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	_, err := w.consent("parent")
	wantErr(t, "consent to a taken address", err, store.ErrAlreadyRegistered)
	if _, err := w.st.RegistrationByParentHash(ctx, "parent"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("the registration after the conflict: got %v, want it deleted", err)
	}
}

func testPossibleDuplicates(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	add := func(lib int64, last, first, email string, birth sesame.Date) *sesame.Patron {
		t.Helper()
		p := sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: email, BirthDate: birth,
			PostalCode: "29000", Town: "Quimper", RegisteredOn: sesame.MustDate(2026, 1, 5), Status: sesame.StatusToValidate}
		id, err := w.st.CreatePatron(ctx, store.NewPatron{Patron: p}, sesame.Actor{Label: "test"})
		if err != nil {
			t.Fatal(err)
		}
		p.ID = id
		return &p
	}
	birth := sesame.MustDate(2012, 6, 1)
	mael := add(w.libA, "LE GOFF", "Maël", "mael1@example.org", birth)
	twin := add(w.libA, "le goff", "MAEL", "mael2@example.org", birth)
	add(w.libA, "LE GOFF", "Maël", "autre-date@example.org", sesame.MustDate(2012, 6, 2))
	add(w.libA, "LE GOFF", "Maëlle", "autre-prenom@example.org", birth)
	add(w.libB, "LE GOFF", "Maël", "quimper@example.org", birth)
	alone := add(w.libA, "KERJEAN", "Yann", "yann@example.org", birth)

	tests := []struct {
		name string
		sc   store.Scope
		p    *sesame.Patron
		want []int64
	}{
		{"same names folded and birth date, same library", store.LibraryScope(w.libA), mael, []int64{twin.ID}},
		{"from the twin's side", store.LibraryScope(w.libA), twin, []int64{mael.ID}},
		{"the admin sees the same library's only", store.NetworkScope(), mael, []int64{twin.ID}},
		{"no duplicate", store.LibraryScope(w.libA), alone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.st.PossibleDuplicates(ctx, tt.sc, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
	if got, err := w.st.PossibleDuplicates(ctx, store.LibraryScope(w.libB), mael); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("another library's patron: got %v (%v), want not found", got, err)
	}
}

// testCopyKeepsParentalConsent: sesame copy takes the consents along, from
// open's engine into SQLite.
func testCopyKeepsParentalConsent(t *testing.T, open Opener) {
	w := newRegWorld(t, open)
	ctx := context.Background()
	w.save(t, "holder", "copie@example.org", "le formulaire")
	if err := w.awaitParent("holder", "parent"); err != nil {
		t.Fatal(err)
	}
	id, err := w.consent("parent")
	if err != nil {
		t.Fatal(err)
	}
	want, err := w.st.ParentalConsentOf(ctx, store.NetworkScope(), id)
	if err != nil {
		t.Fatal(err)
	}
	target := OpenSQLite(t, w.clock)
	if _, err := store.Copy(ctx, w.st, target, nil); err != nil {
		t.Fatalf("copy: %v", err)
	}
	got, err := target.ParentalConsentOf(ctx, store.LibraryScope(w.libA), id)
	if err != nil || got.ParentName != want.ParentName || got.ParentEmail != want.ParentEmail || !got.At.Equal(want.At) {
		t.Errorf("consent in the copy: got %+v (%v), want %+v", got, err, want)
	}
}
