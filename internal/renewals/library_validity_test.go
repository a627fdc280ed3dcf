package renewals_test

import (
	"context"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// TestLibraryValidity: a library that keeps its accounts 6 months, where
// the network keeps them 12, renews from its library system for 6 months,
// and reads an end of subscription as a start 6 months before it.
func TestLibraryValidity(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		lib, err := n.st.Library(ctx, n.fouesnant)
		if err != nil {
			t.Fatal(err)
		}
		lib.ValidityMonths = 6
		if err := n.st.UpdateLibrary(ctx, *lib, sesame.Actor{Label: "test"}); err != nil {
			t.Fatal(err)
		}
		sum, err := n.svc.Apply(ctx, store.LibraryScope(n.fouesnant), renewals.Input{Source: "export.csv", LibraryID: n.fouesnant}, rowsOf(
			sigb.Row{Line: 2, Card: "F-1", RegisteredOn: fileDate},
			sigb.Row{Line: 3, Card: "F-2", ValidUntil: fileDate.AddMonths(6)},
		), n.staff)
		if err != nil {
			t.Fatal(err)
		}
		checkSummary(t, "apply", sum, map[renewals.Outcome]int{renewals.Revalidated: 2})
		for _, id := range n.revalidate[:2] {
			p := n.patron(t, id)
			if p.LibraryRegisteredOn != fileDate || p.ValidUntil != fileDate.AddMonths(6) {
				t.Errorf("patron %d: got %s to %s, want %s to %s", id, p.LibraryRegisteredOn, p.ValidUntil, fileDate, fileDate.AddMonths(6))
			}
		}
		// Quimper follows the network: 12 months.
		sum, err = n.svc.Apply(ctx, store.LibraryScope(n.quimper), renewals.Input{Source: "export.csv", LibraryID: n.quimper}, rowsOf(
			sigb.Row{Line: 2, Card: "F-1", RegisteredOn: fileDate}),
			sesame.Actor{Label: "quimper (Médiathèque de Quimper)", Role: sesame.RoleLibrary, LibraryID: n.quimper, StaffID: 2})
		if err != nil {
			t.Fatal(err)
		}
		if p := n.patron(t, n.quimperF1); p.ValidUntil != fileDate.AddMonths(12) {
			t.Errorf("Quimper's patron: got end %s, want %s (%+v)", p.ValidUntil, fileDate.AddMonths(12), sum)
		}
	})
}
