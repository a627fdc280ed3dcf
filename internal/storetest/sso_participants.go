package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// testSSOParticipants checks the vendors kept for single logout: a SAML
// vendor once per session with its last SessionIndex, a CAS service once
// per ticket, at most store.SSOParticipantsKept per session (the newest),
// nothing for a session that has ended, and all of them gone with their
// session.
func testSSOParticipants(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, time.Now)
	patron, _, conn := casFixture(t, st)
	const session = "session-hash"
	if err := st.CreatePatronSession(ctx, session, patron); err != nil {
		t.Fatal(err)
	}
	add := func(p store.SSOParticipant) {
		t.Helper()
		p.SessionHash, p.ConnectorID = session, conn
		if err := st.AddSSOParticipant(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	list := func(kind string) []store.SSOParticipant {
		t.Helper()
		ps, err := st.SSOParticipants(ctx, session, kind)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}

	add(store.SSOParticipant{Kind: store.ParticipantSAML, Service: "https://sp.example/", NameID: "n", SessionIndex: "_first"})
	add(store.SSOParticipant{Kind: store.ParticipantSAML, Service: "https://sp.example/", NameID: "n", SessionIndex: "_second"})
	if got := list(store.ParticipantSAML); len(got) != 1 || got[0].SessionIndex != "_second" || got[0].NameID != "n" {
		t.Errorf("SAML participants: got %+v, want one, with the last SessionIndex", got)
	}

	for i := range store.SSOParticipantsKept + 5 {
		add(store.SSOParticipant{Kind: store.ParticipantCAS, Service: "https://presse.example/", SessionIndex: fmt.Sprint("ST-", i)})
	}
	cas := list(store.ParticipantCAS)
	saml := list(store.ParticipantSAML)
	if n := len(cas) + len(saml); n != store.SSOParticipantsKept {
		t.Errorf("participants kept: got %d, want %d", n, store.SSOParticipantsKept)
	}
	if len(cas) == 0 || cas[len(cas)-1].SessionIndex != fmt.Sprint("ST-", store.SSOParticipantsKept+4) {
		t.Errorf("CAS participants: got %+v, want the newest kept", cas)
	}

	if err := st.AddSSOParticipant(ctx, store.SSOParticipant{SessionHash: "ended", ConnectorID: conn, Kind: store.ParticipantCAS,
		Service: "https://presse.example/", SessionIndex: "ST-x"}); err != nil {
		t.Errorf("a participant of a session that has ended: got %v, want it ignored", err)
	}

	if err := st.DeletePatronSession(ctx, session); err != nil {
		t.Fatal(err)
	}
	if got := append(list(store.ParticipantCAS), list(store.ParticipantSAML)...); len(got) != 0 {
		t.Errorf("after the session ended: got %d participants, want none", len(got))
	}
}
