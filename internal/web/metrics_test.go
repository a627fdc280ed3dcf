package web_test

import (
	"testing"

	"github.com/bdf29/sesame"
)

// launchCount reads sesame_launches_total for protocol from the world's registry.
func (w *world) launchCount(protocol string) float64 {
	w.t.Helper()
	families, err := w.metrics.Registry().Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "sesame_launches_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "protocol" && l.GetValue() == protocol {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	w.t.Fatalf("no sesame_launches_total series for %q", protocol)
	return 0
}

// Every protocol's launch is counted once, under its own name, where the
// gate lets the patron through: OpenID Connect when its code is granted,
// CAS when its ticket is issued.
func TestLaunchesCountedPerProtocol(t *testing.T) {
	t.Run("oidc", func(t *testing.T) {
		w := newWorld(t)
		w.givePassword(w.patronB)
		v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
		v.login(w.anonymous(), w.patronB)
		if got := w.launchCount("oidc"); got != 1 {
			t.Errorf("OpenID Connect launches: got %v, want 1", got)
		}
		if got := w.launchCount("cas") + w.launchCount("page"); got != 0 {
			t.Errorf("other launches: got %v, want 0", got)
		}
	})
	t.Run("cas", func(t *testing.T) {
		w := newCASWorld(t)
		ticketIn(t, w.signIn(w.anonymous(), w.patronB, casLogin(casLivres)), casLivres)
		if got := w.launchCount("cas"); got != 1 {
			t.Errorf("CAS launches: got %v, want 1", got)
		}
		if got := w.launchCount("oidc"); got != 0 {
			t.Errorf("OpenID Connect launches: got %v, want 0", got)
		}
	})
}
