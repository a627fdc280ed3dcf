package storetest

import (
	"context"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testSIP2Connector: a sip2 connector keeps its login and password hash,
// is found by its login, and one login names one connector only.
func testSIP2Connector(t *testing.T, open Opener) {
	ctx := context.Background()
	f := newFixture(t, open)
	c := sesame.Connector{ResourceID: f.res[0], Kind: sesame.ConnectorSIP2,
		SIP2: sesame.SIP2Settings{Login: "pressreader-bdf29", PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2VsLXNlbA$aGFjaGU"}} // #nosec G101 -- a made-up hash of the tests
	id, err := f.st.CreateConnector(ctx, c, sys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.st.ConnectorByLookup(ctx, sesame.ConnectorSIP2, "pressreader-bdf29")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.SIP2 != c.SIP2 || got.ResourceID != f.res[0] || got.Secret != "" {
		t.Errorf("got %+v, want %+v", got, c)
	}
	c.ResourceID = f.res[1]
	if _, err := f.st.CreateConnector(ctx, c, sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("a second connector with the same SIP2 login: %v, want a conflict", err)
	}
	if _, err := f.st.ConnectorByLookup(ctx, sesame.ConnectorSIP2, "autre"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("unknown login: %v, want not found", err)
	}
}

// testPatronsBySIP2Identifier: a SIP2 vendor names a patron by card number
// (trimmed, any case) or e-mail; a card number shared by two libraries
// names both, for the caller to refuse.
func testPatronsBySIP2Identifier(t *testing.T, open Opener) {
	ctx := context.Background()
	f := newFixture(t, open)
	alice := f.patron(t, f.libA, "Martin", "Alice", "alice@example.org", sesame.StatusValidated) // card C-Alice
	bruno := f.patron(t, f.libA, "Martin", "Bruno", "bruno@example.org", sesame.StatusValidated)
	twin := f.patron(t, f.libB, "Durand", "Bruno", "bruno.durand@example.org", sesame.StatusValidated) // card C-Bruno too, other library
	tests := []struct {
		name, id string
		want     []int64
	}{
		{"card", "C-Alice", []int64{alice}},
		{"card in another case, with spaces", "  c-alice ", []int64{alice}},
		{"e-mail in another case", "Alice@Example.org", []int64{alice}},
		{"card of two libraries", "C-Bruno", []int64{bruno, twin}},
		{"unknown", "C-Inconnu", nil},
		{"empty", "  ", nil},
		{"not storable", "a\x00b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.st.PatronsBySIP2Identifier(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range got {
				ids = append(ids, p.ID)
				if p.Email == "" {
					t.Errorf("patron %d without its e-mail (the throttle key)", p.ID)
				}
			}
			if len(ids) != len(tt.want) || (len(ids) > 0 && (ids[0] != tt.want[0] || ids[len(ids)-1] != tt.want[len(tt.want)-1])) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
	if got, _ := f.st.PatronsBySIP2Identifier(ctx, "C-Bruno"); len(got) > store.MaxSIP2PatronMatches {
		t.Errorf("got %d matches, want at most %d", len(got), store.MaxSIP2PatronMatches)
	}
}
