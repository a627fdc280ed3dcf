package cas_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/store"
)

func TestLogoutRequestBody(t *testing.T) {
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.FixedZone("Paris", 3600))
	got, err := cas.LogoutRequestBody("LR-1", "ST-ABC<&>", at)
	if err != nil {
		t.Fatal(err)
	}
	want := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1" Version="2.0" IssueInstant="2026-12-04T14:00:00Z">` +
		`<saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>ST-ABC&lt;&amp;&gt;</samlp:SessionIndex></samlp:LogoutRequest>`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestSingleLogout posts to a receiver as a CAS client's server: each
// service gets its ticket in a logoutRequest, a dead one costs an error
// and never the others, and the whole logout keeps within its context.
func TestSingleLogout(t *testing.T) {
	received := make(chan url.Values, 4)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		received <- r.PostForm
	}))
	defer ok.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)

	s := &cas.Server{Now: time.Now, Random: bytes.NewReader(bytes.Repeat([]byte{7}, 64))}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.SingleLogout(ctx, http.DefaultClient, []store.SSOParticipant{
		{Kind: store.ParticipantCAS, Service: slow.URL + "/lent", SessionIndex: "ST-1"},
		{Kind: store.ParticipantCAS, Service: ok.URL + "/kiosque/?x=1", SessionIndex: "ST-2"},
		{Kind: store.ParticipantSAML, Service: ok.URL + "/saml", SessionIndex: "_s"},
	})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("single logout took %v, want it bounded by its context", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "/lent") {
		t.Errorf("got error %v, want the slow service's timeout", err)
	}
	select {
	case form := <-received:
		if body := form.Get("logoutRequest"); !strings.Contains(body, "<samlp:SessionIndex>ST-2</samlp:SessionIndex>") {
			t.Errorf("logoutRequest: got %q, want the ticket ST-2 as SessionIndex", body)
		}
	default:
		t.Error("the working service received nothing")
	}
	if len(received) != 0 {
		t.Errorf("%d more requests: a SAML participant got a CAS logout", len(received))
	}
}
