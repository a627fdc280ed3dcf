package web_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

func (w *world) launches(patronID int64) []store.Launch {
	w.t.Helper()
	l, err := w.store.PatronLaunches(context.Background(), patronID)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

func TestLaunchChecksAccountAndGrant(t *testing.T) {
	tests := []struct {
		name       string
		status     sesame.Status
		validUntil sesame.Date
		grant      sesame.GrantState
		wantStatus int
		wantText   string
		wantAfter  sesame.Status
	}{
		{"valid account, grant validée: sent to the vendor", sesame.StatusValidated, sesame.MustDate(2027, 1, 1), sesame.GrantValidated, http.StatusSeeOther, "", sesame.StatusValidated},
		{"end date today: still valid", sesame.StatusValidated, sesame.MustDate(2026, 11, 26), sesame.GrantValidated, http.StatusSeeOther, "", sesame.StatusValidated},
		{"grant en attente", sesame.StatusValidated, sesame.MustDate(2027, 1, 1), sesame.GrantPending, http.StatusForbidden, "pas encore activée", sesame.StatusValidated},
		{"past its end date: expired on the way", sesame.StatusValidated, sesame.MustDate(2026, 11, 25), sesame.GrantValidated, http.StatusForbidden, "Votre compte a expiré", sesame.StatusExpired},
		{"awaiting the library", sesame.StatusToRevalidate, sesame.MustDate(2026, 11, 1), sesame.GrantValidated, http.StatusForbidden, "pas encore validé", sesame.StatusToRevalidate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.addPatron(sesame.Patron{LibraryID: w.libA, LastName: "GUÉGUEN", FirstName: "Maël", Email: "mael@example.org",
				Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 1, 1), ValidUntil: sesame.MustDate(2027, 1, 1)}, tt.grant)
			c := w.patronLogin(id) // logs in while valid; the account may change below
			_, err := w.store.UpdatePatron(context.Background(), store.NetworkScope(), id, 0, sesame.Actor{Label: "test"},
				func(p *sesame.Patron) (store.Change, error) {
					p.Status, p.ValidUntil = tt.status, tt.validUntil
					return store.Change{Action: "test", Detail: "test"}, nil
				})
			if err != nil {
				t.Fatal(err)
			}
			res := c.post("/acceder/livres-numeriques", nil)
			if res.status != tt.wantStatus {
				t.Fatalf("launch: got %d, want %d; body %.300s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantText != "" && !strings.Contains(text(res.doc), tt.wantText) {
				t.Errorf("refusal page lacks %q: %s", tt.wantText, text(res.doc))
			}
			if got := w.patron(id).Status; got != tt.wantAfter {
				t.Errorf("status after launch: got %s, want %s", got, tt.wantAfter)
			}
			wantLaunches := 0
			if tt.wantStatus == http.StatusSeeOther {
				wantLaunches = 1
				if loc := res.header.Get("Location"); loc != "https://example.org/" {
					t.Errorf("sent to %q, want the resource's page", loc)
				}
			}
			if got := len(w.launches(id)); got != wantLaunches {
				t.Errorf("launches recorded: %d, want %d", got, wantLaunches)
			}
		})
	}
}

func TestLaunchNeedsPatronAndPost(t *testing.T) {
	w := newWorld(t)
	if res := w.anonymous().post("/acceder/livres-numeriques", nil); res.status == http.StatusSeeOther && !strings.HasPrefix(res.header.Get("Location"), "/connexion") || res.status == http.StatusOK {
		t.Errorf("anonymous launch: got %d to %q", res.status, res.header.Get("Location"))
	}
	c := w.patronLogin(w.patronB)
	if res := c.get("/acceder/livres-numeriques"); res.status != http.StatusMethodNotAllowed && res.status != http.StatusNotFound {
		t.Errorf("GET launch: got %d; a GET must change nothing", res.status)
	}
	if res := c.post("/acceder/inconnue", nil); res.status != http.StatusNotFound {
		t.Errorf("unknown resource: got %d, want 404", res.status)
	}
	if len(w.launches(w.patronB)) != 0 {
		t.Error("a launch was recorded")
	}
}

// toutApprendre adds a signed-link connector with the Tout apprendre preset
// and a callback token to the first resource.
func (w *world) toutApprendre(secret string) {
	w.t.Helper()
	_, err := w.store.CreateConnector(context.Background(), sesame.Connector{ResourceID: w.res[0], Kind: sesame.ConnectorSignedLink, Secret: secret,
		Link: sesame.SignedLinkSettings{Preset: "tout-apprendre", Hash: "md5", Signed: "{card}{time}{secret}", TimeFormat: "YYYYMMDDHHmm",
			URL: "https://vendor.example/wsUrl.aspx?iduser={card}&firstname={firstname}&lastname={lastname}&d={time}&hash={hash}&uid={uid}&token={token}"}},
		sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestSignedLinkLaunchAndCallbackCheck(t *testing.T) {
	w := newWorld(t)
	const key = "cle-partagee-tout-apprendre"
	w.toutApprendre(key)
	c := w.patronLogin(w.patronB)
	res := c.post("/acceder/livres-numeriques", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("launch: got %d; body %.300s", res.status, res.body)
	}
	link, err := url.Parse(res.header.Get("Location"))
	if err != nil || link.Host != "vendor.example" {
		t.Fatalf("sent to %q", res.header.Get("Location"))
	}
	q := link.Query()
	// 26/11/2026 10:00 in Paris, to the minute; md5 computed here from the
	// vendor's documented recipe.
	sum := md5.Sum([]byte("B-0001" + "202611261000" + key))
	if q.Get("iduser") != "B-0001" || q.Get("d") != "202611261000" || q.Get("hash") != hex.EncodeToString(sum[:]) || q.Get("lastname") != "KERJEAN" {
		t.Errorf("link %s: want iduser B-0001, d 202611261000, hash %x", link, sum)
	}
	if strings.Contains(link.String(), key) {
		t.Error("the link carries the key")
	}
	check := w.ssoCheck
	uid, token := q.Get("uid"), q.Get("token")
	if len(token) < 22 {
		t.Fatalf("token %q is shorter than 128 bits", token)
	}
	for _, bad := range []struct{ name, uid, token string }{
		{"unknown token", uid, token + "x"},
		{"another patron's uid", itoa(w.patronA), token},
		{"no token", uid, ""},
		{"uid not a number", "B-0001", token},
	} {
		if got := check(bad.uid, bad.token); got["state"] != "KO" || got["msg"] != "bad token" || got["userinfos"] != nil {
			t.Errorf("%s: %v", bad.name, got)
		}
	}
	// Wrong guesses do not spend the token; its first right check does.
	ok := check(uid, token)
	infos, _ := ok["userinfos"].(map[string]any)
	if ok["state"] != "OK" || infos["lastname"] != "KERJEAN" || infos["mail"] != "yann.kerjean@example.org" || infos["library"] != "QUIMPER" {
		t.Errorf("check of a good token: %v", ok)
	}
	for i := 2; i <= 3; i++ {
		if got := check(uid, token); got["state"] != "KO" || got["msg"] != "bad token" || got["userinfos"] != nil {
			t.Errorf("check number %d of the same token: got %v, want KO, bad token", i, got)
		}
	}
	// The grant is refused between the launch and the check: the token no
	// longer vouches.
	uid, token = w.signedLaunch(c)
	if _, err := w.store.SetGrants(context.Background(), store.NetworkScope(), w.patronB, w.res[:1], sesame.GrantRefused, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	if got := check(uid, token); got["state"] != "KO" || got["msg"] != "resource not active" {
		t.Errorf("after the grant is refused: %v", got)
	}
	if _, err := w.store.SetGrants(context.Background(), store.NetworkScope(), w.patronB, w.res[:1], sesame.GrantValidated, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	uid, token = w.signedLaunch(c)
	w.clock.Advance(11 * time.Minute)
	if got := check(uid, token); got["state"] != "KO" || got["msg"] != "bad token: expired" {
		t.Errorf("after 11 minutes: %v", got)
	}
}

// ssoCheck asks /api/v1/sso/check as the vendor would and returns its answer.
func (w *world) ssoCheck(uid, token string) map[string]any {
	w.t.Helper()
	r := w.anonymous().get("/api/v1/sso/check?uid=" + url.QueryEscape(uid) + "&token=" + url.QueryEscape(token))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		w.t.Fatalf("check: status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		w.t.Fatalf("check answer %q: %v", r.body, err)
	}
	return got
}

// signedLaunch opens the signed-link resource as c's patron and returns the
// uid and the callback token the link carries.
func (w *world) signedLaunch(c *client) (uid, token string) {
	w.t.Helper()
	res := c.post("/acceder/livres-numeriques", nil)
	link, err := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || err != nil || link.Host != "vendor.example" {
		w.t.Fatalf("launch: got %d to %q; body %.300s", res.status, res.header.Get("Location"), res.body)
	}
	return link.Query().Get("uid"), link.Query().Get("token")
}

func TestCallbackTokenOneOKForConcurrentChecks(t *testing.T) {
	w := newWorld(t)
	w.toutApprendre("cle-partagee-tout-apprendre")
	uid, token := w.signedLaunch(w.patronLogin(w.patronB))
	const checks = 8
	states := make(chan string, checks)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := http.Get(w.server.URL + "/api/v1/sso/check?uid=" + url.QueryEscape(uid) + "&token=" + url.QueryEscape(token))
			if err != nil {
				states <- "error: " + err.Error()
				return
			}
			defer r.Body.Close()
			var a struct{ State string }
			if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
				states <- "error: " + err.Error()
				return
			}
			states <- a.State
		}()
	}
	close(start)
	wg.Wait()
	close(states)
	count := map[string]int{}
	for s := range states {
		count[s]++
	}
	if count["OK"] != 1 || count["KO"] != checks-1 {
		t.Errorf("%d checks at once of one token: got %v, want 1 OK and %d KO", checks, count, checks-1)
	}
}

func TestCallbackTokenRevokedWithTheSession(t *testing.T) {
	fresh := "un tout nouveau mot de passe"
	for _, tt := range []struct {
		name string
		end  func(w *world, c *client)
	}{
		{"logout", func(w *world, c *client) {
			if res := c.post("/deconnexion", nil); res.status != http.StatusSeeOther {
				w.t.Fatalf("logout: got %d", res.status)
			}
		}},
		{"password change", func(w *world, c *client) {
			res := c.post("/mon-compte/mot-de-passe", url.Values{"mot_de_passe_actuel": {testPassword}, "nouveau_mot_de_passe": {fresh}, "confirmation": {fresh}})
			if res.status != http.StatusSeeOther {
				w.t.Fatalf("password change: got %d; body %.300s", res.status, res.body)
			}
		}},
		{"password reset", func(w *world, _ *client) {
			res := w.anonymous().post(w.resetLink(w.patronB), setPassword(fresh, fresh))
			if res.status != http.StatusSeeOther {
				w.t.Fatalf("password reset: got %d; body %.300s", res.status, res.body)
			}
		}},
		{"account deletion", func(w *world, c *client) {
			if res := c.post("/mon-compte/supprimer", url.Values{"mot_de_passe": {testPassword}}); res.status != http.StatusSeeOther {
				w.t.Fatalf("deletion: got %d; body %.300s", res.status, res.body)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.toutApprendre("cle-partagee-tout-apprendre")
			c := w.patronLogin(w.patronB)
			uid, token := w.signedLaunch(c)
			tt.end(w, c)
			if got := w.ssoCheck(uid, token); got["state"] != "KO" || got["msg"] != "bad token" || got["userinfos"] != nil {
				t.Errorf("check of a token not yet used after the %s: got %v, want KO, bad token", tt.name, got)
			}
		})
	}
}

func TestCallbackCheckSaysExpired(t *testing.T) {
	w := newWorld(t)
	w.toutApprendre("cle-partagee-tout-apprendre")
	c := w.patronLogin(w.patronB)
	res := c.post("/acceder/livres-numeriques", nil)
	link, _ := url.Parse(res.header.Get("Location"))
	// The account's end date passes between the launch and the vendor's check.
	_, err := w.store.UpdatePatron(context.Background(), store.NetworkScope(), w.patronB, 0, sesame.Actor{Label: "test"},
		func(p *sesame.Patron) (store.Change, error) {
			p.ValidUntil = sesame.MustDate(2026, 11, 25)
			return store.Change{Action: "test", Detail: "test"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	r := w.anonymous().get("/api/v1/sso/check?uid=" + link.Query().Get("uid") + "&token=" + link.Query().Get("token"))
	if !strings.Contains(r.body, `"state":"KO"`) || !strings.Contains(r.body, `"msg":"expired"`) {
		t.Errorf("check for an account past its end date: %s", r.body)
	}
	if got := w.patron(w.patronB).Status; got != sesame.StatusExpired {
		t.Errorf("status: %s, want Expiré", got)
	}
}
