package sesame

import "testing"

func TestEditableBy(t *testing.T) {
	staff := Actor{StaffID: 1, Role: RoleLibrary, LibraryID: 3}
	other := Actor{StaffID: 2, Role: RoleLibrary, LibraryID: 4}
	admin := Actor{StaffID: 3, Role: RoleAdmin}
	holder := Actor{PatronID: 7}
	system := Actor{Label: "tâches de fond"}
	tests := []struct {
		name     string
		status   Status
		actor    Actor
		wantCode string
		want     Editing
	}{
		{"staff on Expiré", StatusExpired, staff, EForbidden, EditOrdinary},
		{"admin on Expiré corrects it", StatusExpired, admin, "", EditExpiredCorrection},
		{"holder on Expiré", StatusExpired, holder, "", EditOrdinary},
		{"system on Expiré", StatusExpired, system, "", EditOrdinary},
		{"another library's staff", StatusValidated, other, ENotFound, EditOrdinary},
		{"admin on Validé", StatusValidated, admin, "", EditOrdinary},
	}
	for _, st := range []Status{StatusToValidate, StatusToRevalidate, StatusValidated, StatusRefused} {
		tests = append(tests, struct {
			name     string
			status   Status
			actor    Actor
			wantCode string
			want     Editing
		}{"staff on " + st.Label(), st, staff, "", EditOrdinary})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := patronIn(t, tt.status)
			got, err := p.EditableBy(tt.actor)
			assertCode(t, err, tt.wantCode)
			if got != tt.want {
				t.Errorf("EditableBy: got %v, want %v", got, tt.want)
			}
			if p.CanBeEditedBy(tt.actor) != (err == nil) {
				t.Errorf("CanBeEditedBy: got %v, want %v", !(err == nil), err == nil)
			}
			if tt.wantCode == EForbidden {
				assertMsgContains(t, err, "seul l'usager peut demander son renouvellement")
			}
		})
	}
}
