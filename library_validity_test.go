package sesame

import "testing"

func TestNetworkValidityFor(t *testing.T) {
	tests := []struct {
		name    string
		network int
		lib     *Library
		want    int
	}{
		{"no library: the network's", 18, nil, 18},
		{"a library following the network", 18, &Library{}, 18},
		{"a library with its own", 18, &Library{ValidityMonths: 6}, 6},
		{"a network never saved", 0, &Library{}, DefaultValidityMonths},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Network{ValidityMonths: tt.network}).ValidityFor(tt.lib); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLibraryValidityMonths(t *testing.T) {
	good := Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "mediatheque@fouesnant.fr"}
	tests := []struct {
		name    string
		typed   string
		want    int
		wantMsg bool
	}{
		{"empty follows the network", "", 0, false},
		{"six months", "6", 6, false},
		{"the longest", "36", 36, false},
		{"too long", "37", 37, true},
		{"zero", "0", 0, true},
		{"negative", "-1", 0, true},
		{"not a number", "six", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			months, msg := ParseLibraryValidityMonths(tt.typed)
			l := good
			l.ValidityMonths = months
			if err := l.Validate(); err != nil {
				msg += FieldErrorsOf(err)[FieldLibraryValidity]
			}
			if months != tt.want && msg == "" {
				t.Errorf("got %d months, want %d", months, tt.want)
			}
			if (msg != "") != tt.wantMsg {
				t.Errorf("got message %q, want one: %v", msg, tt.wantMsg)
			}
		})
	}
}
