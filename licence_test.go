package sesame

import "testing"

func TestParsePrice(t *testing.T) {
	tests := []struct {
		name, in string
		want     Cents
		bad      bool
	}{
		{"empty is no price", "", 0, false},
		{"whole euros", "1200", 120000, false},
		{"decimal comma", "1200,5", 120050, false},
		{"decimal point", "1200.50", 120050, false},
		{"spaces and euro sign", " 1 200,50 € ", 120050, false},
		{"narrow no-break space", "1\u202f200", 120000, false},
		{"three decimals", "12,345", 0, true},
		{"letters", "douze", 0, true},
		{"negative", "-5", 0, true},
		{"two commas", "1,2,3", 0, true},
		{"no euros", ",50", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := ParsePrice(tt.in)
			if (msg != "") != tt.bad || got != tt.want {
				t.Errorf("ParsePrice(%q): got %d %q, want %d (refused: %v)", tt.in, got, msg, tt.want, tt.bad)
			}
		})
	}
}

func TestParseSeatCap(t *testing.T) {
	tests := []struct {
		in   string
		want int
		bad  bool
	}{
		{"", 0, false}, {"50", 50, false}, {"1 000", 1000, false}, {"0", 0, true}, {"-2", 0, true}, {"cinquante", 0, true}, {"2000000", 0, true},
	}
	for _, tt := range tests {
		got, msg := ParseSeatCap("Places", tt.in)
		if (msg != "") != tt.bad || got != tt.want {
			t.Errorf("ParseSeatCap(%q): got %d %q, want %d (refused: %v)", tt.in, got, msg, tt.want, tt.bad)
		}
	}
}

func TestCentsString(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "0,00\u00a0€"}, {5, "0,05\u00a0€"}, {120050, "1\u202f200,50\u00a0€"}, {123456789, "1\u202f234\u202f567,89\u00a0€"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Cents(%d).String(): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCostPerActiveUser(t *testing.T) {
	tests := []struct {
		price  Cents
		active int
		want   Cents
		ok     bool
	}{
		{120000, 100, 1200, true}, {100, 3, 33, true}, {200, 3, 67, true}, {0, 10, 0, false}, {1000, 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := CostPerActiveUser(tt.price, tt.active)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CostPerActiveUser(%d, %d): got %d %v, want %d %v", tt.price, tt.active, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSeatPool(t *testing.T) {
	r := Resource{SeatCap: 50, LibraryCaps: map[int64]int{7: 5}}
	tests := []struct {
		name     string
		library  int64
		wantPool int64
		wantCap  int
	}{
		{"a library with seats of its own", 7, 7, 5},
		{"the others share the network's", 8, NetworkPool, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, c := r.SeatPool(tt.library)
			if pool != tt.wantPool || c != tt.wantCap {
				t.Errorf("SeatPool(%d): got %d, %d; want %d, %d", tt.library, pool, c, tt.wantPool, tt.wantCap)
			}
		})
	}
}

func TestCanOpenOffersAndWaitingList(t *testing.T) {
	today := MustDate(2026, 11, 26)
	p := &Patron{LibraryID: 2, Status: StatusValidated, ValidUntil: MustDate(2027, 1, 1)}
	offeredTo1 := &Resource{Name: "PressReader", Offer: ResourceOffer{Restricted: true, Libraries: []int64{1}}}
	all := &Resource{Name: "Tout apprendre"}
	tests := []struct {
		name  string
		res   *Resource
		grant GrantState
		want  AccessReason
	}{
		{"not offered by the patron's library, even validated", offeredTo1, GrantValidated, AccessResourceNotOffered},
		{"offered to all, validated", all, GrantValidated, AccessGranted},
		{"waiting for a seat", all, GrantWaiting, AccessWaitingList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanOpen(p, tt.res, &Grant{State: tt.grant}, today); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.want != AccessGranted && tt.want.Message(p, tt.res) == "" {
				t.Errorf("no French message for %q", tt.want)
			}
		})
	}
	if (ResourceOffer{Restricted: true}).Check() == "" {
		t.Error("an offer to no library: want a complaint")
	}
	if HoldsSeat(&Patron{Status: StatusValidated, ValidUntil: MustDate(2026, 11, 25)}, GrantValidated, today) {
		t.Error("an account past its end date holds no seat")
	}
}
