package sesame_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/bdf29/sesame"
)

func TestTransition(t *testing.T) {
	today := sesame.MustDate(2026, 11, 26)
	adult, child := sesame.MustDate(1980, 5, 4), sesame.MustDate(2015, 3, 1)
	patron := func(st sesame.Status, until sesame.Date, birth sesame.Date) sesame.Patron {
		return sesame.Patron{Status: st, ValidUntil: until, BirthDate: birth}
	}
	end := sesame.MustDate(2027, 6, 30)
	later, earlier := sesame.MustDate(2027, 11, 25), sesame.MustDate(2027, 3, 31)
	none := sesame.Date{}
	for _, tt := range []struct {
		name          string
		before, after sesame.Patron
		want          []sesame.Change
		action        sesame.AuditAction
	}{
		{"À valider validated", patron(sesame.StatusToValidate, none, adult), patron(sesame.StatusValidated, end, adult),
			[]sesame.Change{{Kind: sesame.ChangeValidated}}, sesame.ActionValidation},
		{"refusal corrected by validating", patron(sesame.StatusRefused, none, adult), patron(sesame.StatusValidated, end, adult),
			[]sesame.Change{{Kind: sesame.ChangeValidated}}, sesame.ActionValidation},
		{"registration refused", patron(sesame.StatusToValidate, none, adult), patron(sesame.StatusRefused, none, adult),
			[]sesame.Change{{Kind: sesame.ChangeRefused}}, sesame.ActionRefusal},
		{"renewal refused", patron(sesame.StatusToRevalidate, none, adult), patron(sesame.StatusRefused, none, adult),
			[]sesame.Change{{Kind: sesame.ChangeRefused, Renewal: true}}, sesame.ActionRefusal},
		{"À revalider renewed", patron(sesame.StatusToRevalidate, earlier, adult), patron(sesame.StatusValidated, later, adult),
			[]sesame.Change{{Kind: sesame.ChangeRenewed}}, sesame.ActionRenewal},
		{"end date moved forward: renewed early", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusValidated, later, adult),
			[]sesame.Change{{Kind: sesame.ChangeRenewed}}, sesame.ActionRenewal},
		{"end date moved back: corrected, no renewal", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusValidated, earlier, adult),
			[]sesame.Change{{Kind: sesame.ChangeEndDateCorrected}}, sesame.ActionStatus},
		{"same end date", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusValidated, end, adult), nil, sesame.ActionStatus},
		{"refusal reason corrected", patron(sesame.StatusRefused, none, adult), patron(sesame.StatusRefused, none, adult), nil, sesame.ActionStatus},
		{"expired", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusExpired, end, adult),
			[]sesame.Change{{Kind: sesame.ChangeExpired}}, sesame.ActionExpiry},
		{"renewal requested", patron(sesame.StatusExpired, end, adult), patron(sesame.StatusToRevalidate, end, adult),
			[]sesame.Change{{Kind: sesame.ChangeRenewalRequested}}, sesame.ActionRenewalRequest},
		{"birth date corrected to under 15", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusValidated, end, child),
			[]sesame.Change{{Kind: sesame.ChangeConsentRequired}}, sesame.ActionStatus},
		{"a minor's birth date corrected, still under 15", patron(sesame.StatusValidated, end, sesame.MustDate(2014, 1, 1)), patron(sesame.StatusValidated, end, child),
			nil, sesame.ActionStatus},
		{"birth date corrected, still adult", patron(sesame.StatusValidated, end, adult), patron(sesame.StatusValidated, end, sesame.MustDate(1981, 5, 4)),
			nil, sesame.ActionStatus},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := sesame.Transition(tt.before, tt.after, today)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if a := sesame.ActionOf(got, sesame.ActionStatus); a != tt.action {
				t.Errorf("action: got %q, want %q", a, tt.action)
			}
		})
	}
}

func TestGrantTransition(t *testing.T) {
	for _, tt := range []struct {
		name          string
		before, after sesame.GrantState
		want          sesame.ChangeKind // "" for no decision
	}{
		{"request granted", sesame.GrantPending, sesame.GrantValidated, sesame.ChangeResourceGranted},
		{"granted without a request", "", sesame.GrantValidated, sesame.ChangeResourceGranted},
		{"request refused", sesame.GrantPending, sesame.GrantRefused, sesame.ChangeResourceRefused},
		{"refusal reversed", sesame.GrantRefused, sesame.GrantValidated, sesame.ChangeResourceGranted},
		{"withdrawn by refusing", sesame.GrantValidated, sesame.GrantRefused, sesame.ChangeResourceWithdrawn},
		{"withdrawn back to pending", sesame.GrantValidated, sesame.GrantPending, sesame.ChangeResourceWithdrawn},
		{"asked for", "", sesame.GrantPending, ""},
		{"unchanged", sesame.GrantValidated, sesame.GrantValidated, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := sesame.GrantTransition("Cafeyn", tt.before, tt.after)
			if ok != (tt.want != "") || c.Kind != tt.want {
				t.Fatalf("got %+v %v, want %q", c, ok, tt.want)
			}
			if ok && (c.Resource != "Cafeyn" || c.Kind.Action() != sesame.ActionResources) {
				t.Errorf("got %+v, action %q, want Cafeyn and %q", c, c.Kind.Action(), sesame.ActionResources)
			}
		})
	}
}

func TestAwaitsStaff(t *testing.T) {
	for _, tt := range []struct {
		status  sesame.Status
		pending int
		want    bool
	}{
		{sesame.StatusToValidate, 0, true},
		{sesame.StatusToRevalidate, 0, true},
		{sesame.StatusValidated, 0, false},
		{sesame.StatusValidated, 3, true}, // issue #10: validated with requests undecided
		{sesame.StatusRefused, 2, false},
		{sesame.StatusExpired, 2, false}, // only the holder acts on it
	} {
		p := sesame.Patron{Status: tt.status}
		if got := p.AwaitsStaff(tt.pending); got != tt.want {
			t.Errorf("%s with %d pending: got %v, want %v", tt.status, tt.pending, got, tt.want)
		}
	}
}

func TestRequireParentalConsent(t *testing.T) {
	p := sesame.Patron{Status: sesame.StatusValidated, ValidUntil: sesame.MustDate(2027, 1, 1)}
	p.RequireParentalConsent()
	if p.Status != sesame.StatusToValidate || !p.ValidUntil.IsZero() {
		t.Errorf("got %s until %s, want À valider without an end date", p.Status, p.ValidUntil)
	}
	r := sesame.Patron{Status: sesame.StatusRefused}
	if r.RequireParentalConsent(); r.Status != sesame.StatusRefused {
		t.Errorf("refused: got %s, want it refused", r.Status)
	}
}

// Issue #10, bug 6: a patron who became a minor waits for the consent asked
// again; Decide refuses to validate them until it is back, or until they
// are no longer under ParentalConsentAge, and still lets staff refuse.
func TestDecideWaitsForParentalConsent(t *testing.T) {
	today := sesame.MustDate(2026, 11, 26)
	asked := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		birth     sesame.Date
		asked     time.Time
		decision  sesame.Status
		wantError bool
	}{
		{"consent awaited, validation refused", sesame.MustDate(2015, 3, 1), asked, sesame.StatusValidated, true},
		{"consent awaited, refusal allowed", sesame.MustDate(2015, 3, 1), asked, sesame.StatusRefused, false},
		{"consent given", sesame.MustDate(2015, 3, 1), time.Time{}, sesame.StatusValidated, false},
		{"turned 15 meanwhile", sesame.MustDate(2011, 11, 26), asked, sesame.StatusValidated, false},
		{"birth date corrected back", sesame.MustDate(1980, 5, 17), asked, sesame.StatusValidated, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := sesame.Patron{Status: sesame.StatusToValidate, BirthDate: tt.birth, ConsentAskedAt: tt.asked}
			err := p.Decide(sesame.Decision{Status: tt.decision, LibraryRegisteredOn: sesame.MustDate(2026, 11, 1)}, today, 12)
			if got := err != nil; got != tt.wantError {
				t.Fatalf("Decide: got error %v, want error %v", err, tt.wantError)
			}
			if tt.wantError && sesame.ErrorMessage(err) == "" {
				t.Errorf("the refusal has no French message")
			}
		})
	}
}
