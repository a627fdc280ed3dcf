package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestListWaitsForATurn: on SQLite, a list page whose turn does not come
// waits rather than reads, and gives up when its request does; once a
// turn is free it reads, and gives the turn back.
func TestListWaitsForATurn(t *testing.T) {
	st := openPlanStore(t)
	if cap(st.listTurns) == 0 {
		t.Fatal("SQLite's store has no list turns")
	}
	sc := LibraryScope(1)
	for range cap(st.listTurns) {
		st.listTurns <- struct{}{} // other pages hold every turn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := st.ListPatrons(ctx, sc, PatronFilter{Query: "le"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ListPatrons with every turn taken: %v, want it to wait until its deadline", err)
	}

	<-st.listTurns // one page is over
	if _, err := st.ListPatrons(context.Background(), sc, PatronFilter{Query: "le"}); err != nil {
		t.Fatalf("ListPatrons with a free turn: %v", err)
	}
	if len(st.listTurns) != cap(st.listTurns)-1 {
		t.Errorf("%d turns taken after the page, want %d: the page kept its turn", len(st.listTurns), cap(st.listTurns)-1)
	}
}
