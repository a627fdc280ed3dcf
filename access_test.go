package sesame

import "testing"

func TestCanOpenDisabledResource(t *testing.T) {
	p := patronIn(t, StatusExpired)
	res := &Resource{Name: "Cafeyn", Disabled: true}
	reason := CanOpen(p, res, &Grant{State: GrantValidated}, lifecycleToday)
	if reason != AccessResourceDisabled {
		t.Fatalf("CanOpen: got %q, want %q", reason, AccessResourceDisabled)
	}
	assertMsgContains(t, reason.Err(p, res), "« Cafeyn » n'est plus proposée")
}

func TestShownStatus(t *testing.T) {
	tests := []struct {
		name        string
		status      Status
		today       Date
		want        string
		wantWarning bool
	}{
		{"Validé before its end date", StatusValidated, testDate(2024, 9, 1), "Validé", false},
		{"Validé past its end date", StatusValidated, testDate(2024, 9, 2), "Validé — date dépassée", true},
		{"Expiré", StatusExpired, testDate(2030, 1, 1), "Expiré", false},
		{"À valider", StatusToValidate, testDate(2030, 1, 1), "À valider", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.status)
			got := p.ShownStatus(tt.today)
			if got.Label != tt.want || got.Warning != tt.wantWarning {
				t.Errorf("ShownStatus(%v): got %+v, want %q, warning %v", tt.today, got, tt.want, tt.wantWarning)
			}
			if got.Warning != (CanOpen(p, nil, &Grant{State: GrantValidated}, tt.today) == AccessPastEndDate) {
				t.Errorf("ShownStatus and CanOpen disagree on %v", tt.today)
			}
		})
	}
}
