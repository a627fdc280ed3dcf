package sesame

import (
	"strings"
	"testing"
)

// The day the lifecycle tables below are played on, and the network's validity in months.
var (
	lifecycleToday = testDate(2024, 6, 15)
	testValidity   = DefaultValidityMonths
)

// patronIn returns a patron as it stands in status st on lifecycleToday.
func patronIn(t testing.TB, st Status) *Patron {
	t.Helper()
	p := &Patron{
		ID: 7, LibraryID: 3, LastName: "MEDIATEUR-NUM", FirstName: "Eric",
		Email: "eric@example.fr", BirthDate: testDate(1980, 12, 1), PostalCode: "29000",
		Town: "QUIMPER", CardNumber: "COMPTE-TEST", RegisteredOn: testDate(2021, 12, 17),
		Status: st, Version: 4,
	}
	switch st {
	case StatusToValidate:
	case StatusValidated:
		p.LibraryRegisteredOn, p.ValidUntil = testDate(2023, 9, 1), testDate(2024, 9, 1)
	case StatusRefused:
		p.RefusalReason = "Abonnement non à jour."
	case StatusExpired, StatusToRevalidate:
		p.LibraryRegisteredOn, p.ValidUntil = testDate(2023, 3, 1), testDate(2024, 3, 1)
	default:
		t.Fatalf("patronIn: unknown status %q", st)
	}
	return p
}

// assertFieldError fails t unless err is EInvalid with a message on field.
func assertFieldError(t testing.TB, err error, field string) {
	t.Helper()
	assertCode(t, err, EInvalid)
	fields := FieldErrorsOf(err)
	if _, ok := fields[field]; !ok {
		t.Fatalf("field errors: got %v, want a message on %q", fields, field)
	}
}

// assertUnchanged fails t unless p is still equal to before.
func assertUnchanged(t testing.TB, p *Patron, before Patron) {
	t.Helper()
	if *p != before {
		t.Errorf("patron after a refused change: got %+v, want %+v", *p, before)
	}
}

func TestDecideTransitions(t *testing.T) {
	validate := Decision{Status: StatusValidated, LibraryRegisteredOn: testDate(2024, 6, 1)}
	refuse := Decision{Status: StatusRefused, RefusalReason: "  Pas d'abonnement en cours.  "}
	tests := []struct {
		name      string
		from      Status
		decision  Decision
		wantCode  string
		wantField string // for EInvalid
		want      Status // when accepted
	}{
		{"À valider to Validé", StatusToValidate, validate, "", "", StatusValidated},
		{"À valider to Refusé", StatusToValidate, refuse, "", "", StatusRefused},
		{"À valider to À valider", StatusToValidate, Decision{Status: StatusToValidate}, EInvalid, FieldStatus, ""},
		{"À valider to Expiré", StatusToValidate, Decision{Status: StatusExpired}, EInvalid, FieldStatus, ""},

		{"À revalider to Validé", StatusToRevalidate, validate, "", "", StatusValidated},
		{"À revalider to Refusé", StatusToRevalidate, refuse, "", "", StatusRefused},
		{"À revalider to À revalider", StatusToRevalidate, Decision{Status: StatusToRevalidate}, EInvalid, FieldStatus, ""},

		{"Validé to Validé renews", StatusValidated, validate, "", "", StatusValidated},
		{"Validé to Refusé", StatusValidated, refuse, EInvalid, FieldStatus, ""},
		{"Validé to À valider", StatusValidated, Decision{Status: StatusToValidate}, EInvalid, FieldStatus, ""},

		{"Refusé to Validé corrects the refusal", StatusRefused, validate, "", "", StatusValidated},
		{"Refusé to Refusé updates the reason", StatusRefused, refuse, "", "", StatusRefused},
		{"Refusé to À revalider", StatusRefused, Decision{Status: StatusToRevalidate}, EInvalid, FieldStatus, ""},

		// Only the network admin gets here on an Expiré account (EditableBy).
		{"Expiré to Validé corrects the expiry", StatusExpired, validate, "", "", StatusValidated},
		{"Expiré to Refusé", StatusExpired, refuse, EInvalid, FieldStatus, ""},
		{"Expiré to À revalider", StatusExpired, Decision{Status: StatusToRevalidate}, EInvalid, FieldStatus, ""},
		{"Expiré to nothing", StatusExpired, Decision{}, EInvalid, FieldStatus, ""},

		{"no status chosen", StatusToValidate, Decision{}, EInvalid, FieldStatus, ""},
		{"unknown status", StatusToRevalidate, Decision{Status: "supprime"}, EInvalid, FieldStatus, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			before := *p
			err := p.Decide(tt.decision, lifecycleToday, testValidity)
			assertCode(t, err, tt.wantCode)
			if err != nil {
				if tt.wantField != "" {
					assertFieldError(t, err, tt.wantField)
				}
				assertUnchanged(t, p, before)
				return
			}
			if p.Status != tt.want {
				t.Fatalf("status: got %q, want %q", p.Status, tt.want)
			}
			switch tt.want {
			case StatusValidated:
				if got, want := p.LibraryRegisteredOn, tt.decision.LibraryRegisteredOn; got != want {
					t.Errorf("LibraryRegisteredOn: got %v, want %v", got, want)
				}
				if got, want := p.ValidUntil, testDate(2025, 6, 1); got != want {
					t.Errorf("ValidUntil: got %v, want %v", got, want)
				}
				if p.RefusalReason != "" {
					t.Errorf("RefusalReason: got %q, want it cleared", p.RefusalReason)
				}
				if !p.ValidOn(lifecycleToday) {
					t.Errorf("ValidOn(%v): got false, want true", lifecycleToday)
				}
			case StatusRefused:
				if got, want := p.RefusalReason, "Pas d'abonnement en cours."; got != want {
					t.Errorf("RefusalReason: got %q, want %q", got, want)
				}
				if !p.ValidUntil.IsZero() {
					t.Errorf("ValidUntil: got %v, want it cleared", p.ValidUntil)
				}
				if p.ValidOn(lifecycleToday) {
					t.Errorf("ValidOn(%v): got true, want false", lifecycleToday)
				}
			}
			if p.ID != before.ID || p.LastName != before.LastName || p.RegisteredOn != before.RegisteredOn {
				t.Errorf("identity: got %+v, want only the status fields changed from %+v", *p, before)
			}
		})
	}
}

func TestDecideValidationDate(t *testing.T) {
	today := lifecycleToday
	tests := []struct {
		name          string
		from          Status
		libraryDate   Date
		months        int
		wantField     bool   // a message on FieldLibraryRegisteredOn
		wantMessage   string // a piece of that message
		wantValidTill Date
	}{
		{"no date", StatusToValidate, Date{}, 12, true, "Indiquez la date", Date{}},
		{"tomorrow is in the future", StatusToValidate, today.AddDays(1), 12, true, "futur", Date{}},
		{"next year is in the future", StatusToRevalidate, testDate(2025, 1, 1), 12, true, "futur", Date{}},
		{"validity ended yesterday", StatusToRevalidate, testDate(2023, 6, 14), 12, true, "pris fin le 14/06/2024", Date{}},
		{"validity ended long ago", StatusToValidate, testDate(2020, 1, 31), 12, true, "pris fin le 31/01/2021", Date{}},
		{"end date falls today", StatusToRevalidate, testDate(2023, 6, 15), 12, false, "", testDate(2024, 6, 15)},
		{"library date is today", StatusToValidate, today, 12, false, "", testDate(2025, 6, 15)},
		{"29/02 ends on 28/02", StatusToValidate, testDate(2024, 2, 29), 12, false, "", testDate(2025, 2, 28)},
		{"shorter validity of the network", StatusToValidate, testDate(2024, 1, 31), 6, false, "", testDate(2024, 7, 31)},
		{"shorter validity already over", StatusToValidate, testDate(2023, 12, 1), 6, true, "pris fin le 01/06/2024", Date{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			before := *p
			err := p.Decide(Decision{Status: StatusValidated, LibraryRegisteredOn: tt.libraryDate}, today, tt.months)
			if tt.wantField {
				assertFieldError(t, err, FieldLibraryRegisteredOn)
				if got := FieldErrorsOf(err)[FieldLibraryRegisteredOn]; !strings.Contains(got, tt.wantMessage) {
					t.Errorf("message: got %q, want it to contain %q", got, tt.wantMessage)
				}
				assertUnchanged(t, p, before)
				return
			}
			assertCode(t, err, "")
			if p.ValidUntil != tt.wantValidTill {
				t.Errorf("ValidUntil: got %v, want %v", p.ValidUntil, tt.wantValidTill)
			}
			if !p.ValidOn(today) {
				t.Errorf("ValidOn(%v) with end %v: got false, want true", today, p.ValidUntil)
			}
			if !p.ValidOn(p.ValidUntil) {
				t.Errorf("ValidOn(end date %v): got false, want true", p.ValidUntil)
			}
			if p.ValidOn(p.ValidUntil.AddDays(1)) {
				t.Errorf("ValidOn(day after end %v): got true, want false", p.ValidUntil)
			}
		})
	}
}

func TestDecideEarlyRenewal(t *testing.T) {
	p := patronIn(t, StatusValidated) // 01/09/2023 to 01/09/2024
	renewedOn := testDate(2024, 6, 10)
	if err := p.Decide(Decision{Status: StatusValidated, LibraryRegisteredOn: renewedOn}, lifecycleToday, testValidity); err != nil {
		t.Fatalf("early renewal: got %v, want no error", err)
	}
	if got, want := p.LibraryRegisteredOn, renewedOn; got != want {
		t.Errorf("LibraryRegisteredOn: got %v, want %v", got, want)
	}
	if got, want := p.ValidUntil, testDate(2025, 6, 10); got != want {
		t.Errorf("ValidUntil: got %v, want %v", got, want)
	}
	if got, want := p.Status, StatusValidated; got != want {
		t.Errorf("status: got %q, want %q", got, want)
	}
	if !p.ValidOn(testDate(2025, 1, 1)) {
		t.Errorf("ValidOn(01/01/2025) after renewal: got false, want true")
	}
}

func TestDecideRefusalReason(t *testing.T) {
	tests := []struct {
		name       string
		from       Status
		reason     string
		wantErr    bool
		wantReason string
	}{
		{"no reason", StatusToValidate, "", false, ""},
		{"blank reason", StatusToValidate, " \n\t ", false, ""},
		{"reason trimmed", StatusToRevalidate, "  Abonnement échu.\n", false, "Abonnement échu."},
		{"reason on several lines", StatusToValidate, "Abonnement échu.\r\nMerci de passer à l'accueil.\tCordialement", false, "Abonnement échu.\r\nMerci de passer à l'accueil.\tCordialement"},
		{"500 characters", StatusToValidate, strings.Repeat("é", 500), false, strings.Repeat("é", 500)},
		{"501 characters", StatusToValidate, strings.Repeat("é", 501), true, ""},
		{"NUL character", StatusToValidate, "motif\x00", true, ""},
		{"escape character", StatusToRevalidate, "motif \x1b[31m rouge", true, ""},
		{"line separator", StatusToValidate, "motif\u2028suite", true, ""},
		{"invalid UTF-8", StatusToValidate, "motif \xff", true, ""},
		{"new reason on a Refusé account", StatusRefused, "Nouveau motif.", false, "Nouveau motif."},
		{"reason cleared on a Refusé account", StatusRefused, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			before := *p
			err := p.Decide(Decision{Status: StatusRefused, RefusalReason: tt.reason}, lifecycleToday, testValidity)
			if tt.wantErr {
				assertFieldError(t, err, FieldRefusalReason)
				assertUnchanged(t, p, before)
				return
			}
			assertCode(t, err, "")
			if p.Status != StatusRefused {
				t.Errorf("status: got %q, want %q", p.Status, StatusRefused)
			}
			if p.RefusalReason != tt.wantReason {
				t.Errorf("RefusalReason: got %q, want %q", p.RefusalReason, tt.wantReason)
			}
			if !p.ValidUntil.IsZero() {
				t.Errorf("ValidUntil: got %v, want it cleared", p.ValidUntil)
			}
		})
	}
}

func TestDecideRefusingValidatedWithBadReason(t *testing.T) {
	p := patronIn(t, StatusValidated)
	err := p.Decide(Decision{Status: StatusRefused, RefusalReason: strings.Repeat("x", 501)}, lifecycleToday, testValidity)
	assertFieldError(t, err, FieldStatus)
	assertFieldError(t, err, FieldRefusalReason)
}

func TestAttemptAccess(t *testing.T) {
	tests := []struct {
		name        string
		from        Status
		today       Date
		wantExpired bool
		want        Status
	}{
		{"Validé before its end date", StatusValidated, testDate(2024, 6, 15), false, StatusValidated},
		{"Validé on its end date", StatusValidated, testDate(2024, 9, 1), false, StatusValidated},
		{"Validé the day after its end date", StatusValidated, testDate(2024, 9, 2), true, StatusExpired},
		{"Validé a year after its end date", StatusValidated, testDate(2025, 9, 1), true, StatusExpired},
		{"À valider", StatusToValidate, testDate(2030, 1, 1), false, StatusToValidate},
		{"À revalider past its old end date", StatusToRevalidate, testDate(2030, 1, 1), false, StatusToRevalidate},
		{"Refusé", StatusRefused, testDate(2030, 1, 1), false, StatusRefused},
		{"Expiré stays Expiré", StatusExpired, testDate(2030, 1, 1), false, StatusExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			before := *p
			if got := p.AttemptAccess(tt.today); got != tt.wantExpired {
				t.Errorf("AttemptAccess(%v): got %v, want %v", tt.today, got, tt.wantExpired)
			}
			if p.Status != tt.want {
				t.Errorf("status: got %q, want %q", p.Status, tt.want)
			}
			before.Status = tt.want
			if *p != before {
				t.Errorf("patron: got %+v, want only the status changed from %+v", *p, before)
			}
		})
	}
}

func TestAttemptAccessValidatedWithoutEndDate(t *testing.T) {
	p := patronIn(t, StatusValidated)
	p.ValidUntil = Date{}
	if got := p.AttemptAccess(lifecycleToday); got {
		t.Errorf("AttemptAccess with no end date: got %v, want false", got)
	}
	if p.ValidOn(lifecycleToday) {
		t.Errorf("ValidOn with no end date: got true, want false")
	}
}

// TestLifecycleByMovingTime validates a patron on one day, then walks the
// calendar forward, trying to log in each day, through expiry and renewal.
func TestLifecycleByMovingTime(t *testing.T) {
	validatedOn := testDate(2024, 2, 29)
	wantEnd := testDate(2025, 2, 28)
	p := patronIn(t, StatusToValidate)
	if err := p.Decide(Decision{Status: StatusValidated, LibraryRegisteredOn: validatedOn}, validatedOn, testValidity); err != nil {
		t.Fatalf("validate on %v: got %v, want no error", validatedOn, err)
	}
	if p.ValidUntil != wantEnd {
		t.Fatalf("ValidUntil: got %v, want %v", p.ValidUntil, wantEnd)
	}
	grant := &Grant{PatronID: p.ID, ResourceID: 1, State: GrantValidated}

	today := validatedOn
	for ; !today.After(wantEnd); today = today.AddDays(1) {
		if p.AttemptAccess(today) {
			t.Fatalf("AttemptAccess(%v) before the end %v: got true, want false", today, wantEnd)
		}
		if !p.ValidOn(today) {
			t.Fatalf("ValidOn(%v): got false, want true", today)
		}
		if err := CanOpen(p, nil, grant, today).Err(p, nil); err != nil {
			t.Fatalf("CanOpen(%v): got %v, want nil", today, err)
		}
	}
	if got, want := today, testDate(2025, 3, 1); got != want {
		t.Fatalf("first day after validity: got %v, want %v", got, want)
	}
	if err := CanOpen(p, nil, grant, today).Err(p, nil); ErrorCode(err) != EForbidden {
		t.Fatalf("CanOpen(%v) before AttemptAccess: got %v, want %s", today, err, EForbidden)
	}
	if !p.AttemptAccess(today) {
		t.Fatalf("AttemptAccess(%v) the day after the end: got false, want true", today)
	}
	if p.Status != StatusExpired {
		t.Fatalf("status: got %q, want %q", p.Status, StatusExpired)
	}
	if p.AttemptAccess(today.AddDays(1)) {
		t.Errorf("AttemptAccess again: got true, want false")
	}

	// Staff cannot touch it; its holder asks for renewal; staff validate it again.
	renewal := Decision{Status: StatusValidated, LibraryRegisteredOn: today}
	_, err := p.EditableBy(Actor{StaffID: 1, Role: RoleLibrary, LibraryID: p.LibraryID})
	assertCode(t, err, EForbidden)
	if err := p.RequestRenewal(today); err != nil {
		t.Fatalf("RequestRenewal: got %v, want nil", err)
	}
	if p.Status != StatusToRevalidate {
		t.Fatalf("status: got %q, want %q", p.Status, StatusToRevalidate)
	}
	assertCode(t, CanOpen(p, nil, grant, today).Err(p, nil), EForbidden)
	later := today.AddDays(5)
	if err := p.Decide(renewal, later, testValidity); err != nil {
		t.Fatalf("revalidate on %v: got %v, want nil", later, err)
	}
	if got, want := p.ValidUntil, testDate(2026, 3, 1); got != want {
		t.Errorf("ValidUntil after renewal: got %v, want %v", got, want)
	}
	if err := CanOpen(p, nil, grant, later).Err(p, nil); err != nil {
		t.Errorf("CanOpen(%v) after renewal: got %v, want nil", later, err)
	}
}

func TestRequestRenewal(t *testing.T) {
	tests := []struct {
		name     string
		from     Status
		today    Date // the Validé account of patronIn ends on 01/09/2024
		wantCode string
		want     Status
	}{
		{"Expiré becomes À revalider", StatusExpired, testDate(2024, 9, 2), "", StatusToRevalidate},
		{"À valider", StatusToValidate, testDate(2024, 9, 2), EForbidden, StatusToValidate},
		{"À revalider", StatusToRevalidate, testDate(2024, 9, 2), EForbidden, StatusToRevalidate},
		{"Validé, more than 90 days before its end", StatusValidated, testDate(2024, 6, 2), EForbidden, StatusValidated},
		{"Validé, 90 days before its end", StatusValidated, testDate(2024, 6, 3), "", StatusToRevalidate},
		{"Validé, on its end date", StatusValidated, testDate(2024, 9, 1), "", StatusToRevalidate},
		{"Validé, past its end date", StatusValidated, testDate(2024, 10, 1), "", StatusToRevalidate},
		{"Refusé", StatusRefused, testDate(2024, 9, 2), EForbidden, StatusRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			before := *p
			err := p.RequestRenewal(tt.today)
			assertCode(t, err, tt.wantCode)
			if p.Status != tt.want {
				t.Errorf("status: got %q, want %q", p.Status, tt.want)
			}
			before.Status = tt.want
			if *p != before {
				t.Errorf("patron: got %+v, want only the status changed from %+v", *p, before)
			}
		})
	}
}

func TestCanOpen(t *testing.T) {
	validated := &Grant{State: GrantValidated}
	tests := []struct {
		name        string
		from        Status
		grant       *Grant
		today       Date
		wantCode    string
		wantMessage string
		wantReason  AccessReason
	}{
		{"Validé with a validated grant", StatusValidated, validated, lifecycleToday, "", "", AccessGranted},
		{"Validé on its end date", StatusValidated, validated, testDate(2024, 9, 1), "", "", AccessGranted},
		{"Validé past its end date", StatusValidated, validated, testDate(2024, 9, 2), EForbidden, "a expiré", AccessPastEndDate},
		{"Expiré", StatusExpired, validated, lifecycleToday, EForbidden, "a expiré", AccessExpired},
		{"À valider", StatusToValidate, validated, lifecycleToday, EForbidden, "pas encore validé", AccessAwaitingLibrary},
		{"À revalider", StatusToRevalidate, validated, lifecycleToday, EForbidden, "À revalider", AccessAwaitingLibrary},
		{"Refusé", StatusRefused, validated, lifecycleToday, EForbidden, "Refusé", AccessAccountRefused},
		{"no grant", StatusValidated, nil, lifecycleToday, EForbidden, "pas encore activée", AccessResourceNotGranted},
		{"grant pending", StatusValidated, &Grant{State: GrantPending}, lifecycleToday, EForbidden, "pas encore activée", AccessResourceNotGranted},
		{"grant refused", StatusValidated, &Grant{State: GrantRefused}, lifecycleToday, EForbidden, "pas encore activée", AccessResourceNotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.from)
			reason := CanOpen(p, nil, tt.grant, tt.today)
			if reason != tt.wantReason {
				t.Errorf("CanOpen: got %q, want %q", reason, tt.wantReason)
			}
			err := reason.Err(p, nil)
			if AccessReasonOf(err) != tt.wantReason {
				t.Errorf("AccessReasonOf: got %q, want %q", AccessReasonOf(err), tt.wantReason)
			}
			assertCode(t, err, tt.wantCode)
			if err != nil {
				assertMsgContains(t, err, tt.wantMessage)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name        string
		status      Status
		label       string
		awaitsStaff bool
	}{
		{"à valider", StatusToValidate, "À valider", true},
		{"à revalider", StatusToRevalidate, "À revalider", true},
		{"validé", StatusValidated, "Validé", false},
		{"refusé", StatusRefused, "Refusé", false},
		{"expiré", StatusExpired, "Expiré", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.status.Label(); got != tt.label {
				t.Errorf("Label(): got %q, want %q", got, tt.label)
			}
			if got := tt.status.AwaitsStaff(); got != tt.awaitsStaff {
				t.Errorf("AwaitsStaff(): got %v, want %v", got, tt.awaitsStaff)
			}
			if got, ok := ParseStatus(string(tt.status)); !ok || got != tt.status {
				t.Errorf("ParseStatus(%q): got %q, %v, want %q, true", tt.status, got, ok, tt.status)
			}
		})
	}
	if got, ok := ParseStatus("Validé"); ok {
		t.Errorf("ParseStatus(label): got %q, true, want false", got)
	}
}

// validDetails returns details that Apply accepts on lifecycleToday.
func validDetails() PatronDetails {
	return PatronDetails{
		LastName: "Le Goff-Kerjean", FirstName: "Ana María", BirthDate: "01/12/1980",
		PostalCode: "29000", Town: "QUIMPER", CardNumber: "COMPTE-TEST",
	}
}

func TestApplyAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*PatronDetails)
		check  func(testing.TB, *Patron)
	}{
		{"apostrophe", func(d *PatronDetails) { d.LastName = "N'Guyen" }, func(t testing.TB, p *Patron) {
			t.Helper()
			if p.LastName != "N'Guyen" {
				t.Errorf("LastName: got %q, want %q", p.LastName, "N'Guyen")
			}
		}},
		{"typographic apostrophe", func(d *PatronDetails) { d.LastName = "N’Guyen" }, nil},
		{"space and hyphen", func(d *PatronDetails) { d.LastName = "Le Goff-Kerjean" }, nil},
		{"accent", func(d *PatronDetails) { d.LastName = "Lefèvre" }, nil},
		{"decomposed accent", func(d *PatronDetails) { d.LastName = "Lefe\u0300vre" }, nil},
		{"first name with space and accent", func(d *PatronDetails) { d.FirstName = "Ana María" }, nil},
		{"dot", func(d *PatronDetails) { d.LastName = "St. John" }, nil},
		{"other script", func(d *PatronDetails) { d.LastName = "Ζαχαρίου" }, nil},
		{"100 characters", func(d *PatronDetails) { d.LastName = strings.Repeat("é", 100) }, nil},
		{"surrounding spaces trimmed", func(d *PatronDetails) {
			d.LastName, d.FirstName, d.PostalCode, d.Town = "  Lefèvre ", " Eric\t", " 29900 ", " Concarneau "
		}, func(t testing.TB, p *Patron) {
			t.Helper()
			if p.LastName != "Lefèvre" || p.FirstName != "Eric" || p.PostalCode != "29900" || p.Town != "Concarneau" {
				t.Errorf("trimmed fields: got %q %q %q %q, want %q %q %q %q",
					p.LastName, p.FirstName, p.PostalCode, p.Town, "Lefèvre", "Eric", "29900", "Concarneau")
			}
		}},
		{"ISO birth date", func(d *PatronDetails) { d.BirthDate = "1980-12-01" }, nil},
		{"born today", func(d *PatronDetails) { d.BirthDate = lifecycleToday.String() }, func(t testing.TB, p *Patron) {
			t.Helper()
			if p.BirthDate != lifecycleToday {
				t.Errorf("BirthDate: got %v, want %v", p.BirthDate, lifecycleToday)
			}
		}},
		{"born 01/01/1900", func(d *PatronDetails) { d.BirthDate = "01/01/1900" }, nil},
		{"born 29/02", func(d *PatronDetails) { d.BirthDate = "29/02/2000" }, nil},
		{"no card number", func(d *PatronDetails) { d.CardNumber = "" }, func(t testing.TB, p *Patron) {
			t.Helper()
			if p.CardNumber != "" {
				t.Errorf("CardNumber: got %q, want it empty", p.CardNumber)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			details := validDetails()
			tt.change(&details)
			p := patronIn(t, StatusValidated)
			if err := details.Apply(p, lifecycleToday); err != nil {
				t.Fatalf("Apply(%+v): got %v, want nil", details, err)
			}
			if got, want := p.BirthDate.String(), parseOrFail(t, details.BirthDate).String(); got != want {
				t.Errorf("BirthDate: got %v, want %v", got, want)
			}
			if got, want := p.CardNumber, strings.TrimSpace(details.CardNumber); got != want {
				t.Errorf("CardNumber: got %q, want %q", got, want)
			}
			if p.Email != "eric@example.fr" || p.Status != StatusValidated {
				t.Errorf("untouched fields: got %q %q, want e-mail and status kept", p.Email, p.Status)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func parseOrFail(t testing.TB, s string) Date {
	t.Helper()
	got, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): got %v, want no error", s, err)
	}
	return got
}

func TestApplyRejects(t *testing.T) {
	tests := []struct {
		name        string
		change      func(*PatronDetails)
		wantField   string
		wantMessage string
	}{
		{"empty last name", func(d *PatronDetails) { d.LastName = "" }, FieldLastName, "obligatoire"},
		{"blank last name", func(d *PatronDetails) { d.LastName = "   " }, FieldLastName, "obligatoire"},
		{"empty first name", func(d *PatronDetails) { d.FirstName = "" }, FieldFirstName, "obligatoire"},
		{"digits only", func(d *PatronDetails) { d.LastName = "12345" }, FieldLastName, "n'est pas admis"},
		{"digit inside", func(d *PatronDetails) { d.FirstName = "Eric2" }, FieldFirstName, "« 2 »"},
		{"punctuation only", func(d *PatronDetails) { d.LastName = "-'." }, FieldLastName, "au moins une lettre"},
		{"NUL character", func(d *PatronDetails) { d.LastName = "Du\x00pont" }, FieldLastName, "contrôle"},
		{"tab inside", func(d *PatronDetails) { d.FirstName = "Jean\tPierre" }, FieldFirstName, "contrôle"},
		{"line break inside", func(d *PatronDetails) { d.LastName = "Du\npont" }, FieldLastName, "contrôle"},
		{"invalid UTF-8", func(d *PatronDetails) { d.LastName = "Du\xffpont" }, FieldLastName, "invalides"},
		{"101 characters", func(d *PatronDetails) { d.LastName = strings.Repeat("a", 101) }, FieldLastName, "100 caractères"},
		{"markup", func(d *PatronDetails) { d.LastName = "<b>Dupont</b>" }, FieldLastName, "n'est pas admis"},
		{"empty postal code", func(d *PatronDetails) { d.PostalCode = "" }, FieldPostalCode, "obligatoire"},
		{"4-digit postal code", func(d *PatronDetails) { d.PostalCode = "2900" }, FieldPostalCode, "5 chiffres"},
		{"6-digit postal code", func(d *PatronDetails) { d.PostalCode = "290000" }, FieldPostalCode, "5 chiffres"},
		{"letter in postal code", func(d *PatronDetails) { d.PostalCode = "2A004" }, FieldPostalCode, "5 chiffres"},
		{"space in postal code", func(d *PatronDetails) { d.PostalCode = "29 000" }, FieldPostalCode, "5 chiffres"},
		{"full-width digits", func(d *PatronDetails) { d.PostalCode = "２９０００" }, FieldPostalCode, "5 chiffres"},
		{"birth date tomorrow", func(d *PatronDetails) { d.BirthDate = lifecycleToday.AddDays(1).String() }, FieldBirthDate, "futur"},
		{"birth date 31/02", func(d *PatronDetails) { d.BirthDate = "31/02/1980" }, FieldBirthDate, "n'existe pas"},
		{"birth date bad format", func(d *PatronDetails) { d.BirthDate = "1er décembre 1980" }, FieldBirthDate, "jj/mm/aaaa"},
		{"birth date two-digit year", func(d *PatronDetails) { d.BirthDate = "01/12/80" }, FieldBirthDate, "jj/mm/aaaa"},
		{"birth date empty", func(d *PatronDetails) { d.BirthDate = "" }, FieldBirthDate, "Indiquez une date"},
		{"birth date before 1900", func(d *PatronDetails) { d.BirthDate = "31/12/1899" }, FieldBirthDate, "01/01/1900"},
		{"empty town", func(d *PatronDetails) { d.Town = " " }, FieldTown, "obligatoire"},
		{"town over 100 characters", func(d *PatronDetails) { d.Town = strings.Repeat("Q", 101) }, FieldTown, "100 caractères"},
		{"control character in town", func(d *PatronDetails) { d.Town = "QUIM\x07PER" }, FieldTown, "contrôle"},
		{"card number over 50 characters", func(d *PatronDetails) { d.CardNumber = strings.Repeat("9", 51) }, FieldCardNumber, "50 caractères"},
		{"control character in card number", func(d *PatronDetails) { d.CardNumber = "A\x1bB" }, FieldCardNumber, "contrôle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			details := validDetails()
			tt.change(&details)
			p := patronIn(t, StatusValidated)
			before := *p
			err := details.Apply(p, lifecycleToday)
			assertFieldError(t, err, tt.wantField)
			fields := FieldErrorsOf(err)
			if len(fields) != 1 {
				t.Errorf("field errors: got %v, want only %q", fields, tt.wantField)
			}
			if got := fields[tt.wantField]; !strings.Contains(got, tt.wantMessage) {
				t.Errorf("message on %q: got %q, want it to contain %q", tt.wantField, got, tt.wantMessage)
			}
			assertUnchanged(t, p, before)
		})
	}
}

func TestApplyReportsEveryField(t *testing.T) {
	p := patronIn(t, StatusToValidate)
	before := *p
	err := PatronDetails{LastName: "1", BirthDate: "31/02/2000", PostalCode: "29", CardNumber: "\x00"}.Apply(p, lifecycleToday)
	assertCode(t, err, EInvalid)
	fields := FieldErrorsOf(err)
	for _, f := range []string{FieldLastName, FieldFirstName, FieldBirthDate, FieldPostalCode, FieldTown, FieldCardNumber} {
		if _, ok := fields[f]; !ok {
			t.Errorf("field errors: got %v, want a message on %q", fields, f)
		}
	}
	assertUnchanged(t, p, before)
}

func TestDetailsRoundTrip(t *testing.T) {
	p := patronIn(t, StatusValidated)
	before := *p
	if err := p.Details().Apply(p, lifecycleToday); err != nil {
		t.Fatalf("Details().Apply: got %v, want nil", err)
	}
	if *p != before {
		t.Errorf("patron after applying its own details: got %+v, want %+v", *p, before)
	}
}
