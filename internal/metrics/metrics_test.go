package metrics_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// testHasher is argon2id with tiny costs: the tests check counts, not cost.
var testHasher = auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}

const (
	testToken    = "0123456789abcdef0123456789abcdef-metrics"
	testPassword = "un mot de passe de test"
)

// scrape reads url with a real client, bearing token when not empty, and
// returns the status and, on 200, the exposition parsed by expfmt.
func scrape(t testing.TB, target, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", target, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse the exposition: %v", err)
	}
	return res.StatusCode, families
}

// value is the value of the counter or gauge of family whose labels
// include want; ok is false when no series has them.
func value(families map[string]*dto.MetricFamily, family string, want map[string]string) (v float64, ok bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// client is a browser without redirects, keeping its cookies.
func client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t testing.TB, c *http.Client, method, target string, form url.Values) *http.Response {
	t.Helper()
	var res *http.Response
	var err error
	if method == http.MethodPost {
		res, err = c.PostForm(target, form)
	} else {
		res, err = c.Get(target)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestMetricsEndpointProtection(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		// on the site's address: with no token, with a wrong one, with the right one
		site [3]int
		// on SESAME_METRICS_ADDR, when set: with no token, with the right one
		apart [2]int
	}{
		{name: "neither setting: served nowhere", vars: nil,
			site: [3]int{http.StatusNotFound, http.StatusNotFound, http.StatusNotFound}},
		{name: "token", vars: map[string]string{"SESAME_METRICS_TOKEN": testToken},
			site: [3]int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusOK}},
		{name: "own listener", vars: map[string]string{"SESAME_METRICS_ADDR": "127.0.0.1:0"},
			site:  [3]int{http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
			apart: [2]int{http.StatusOK, http.StatusOK}},
		{name: "own listener and token", vars: map[string]string{"SESAME_METRICS_ADDR": "127.0.0.1:0", "SESAME_METRICS_TOKEN": testToken},
			site:  [3]int{http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
			apart: [2]int{http.StatusUnauthorized, http.StatusOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, base := apptest.Serve(t, tt.vars, testHasher, nil)
			for i, token := range []string{"", "not-the-token-but-as-long-as-it-is-xx", testToken} {
				if got, _ := scrape(t, base+"/metrics", token); got != tt.site[i] {
					t.Errorf("site, token %q: got status %d, want %d", token, got, tt.site[i])
				}
			}
			if a.MetricsAddr() == "" {
				if tt.apart != [2]int{} {
					t.Fatal("no listener of its own")
				}
				return
			}
			apart := "http://" + a.MetricsAddr() + "/metrics"
			for i, token := range []string{"", testToken} {
				got, families := scrape(t, apart, token)
				if got != tt.apart[i] {
					t.Errorf("own listener, token %q: got status %d, want %d", token, got, tt.apart[i])
				}
				if got == http.StatusOK {
					if up, ok := value(families, "sesame_database_up", nil); !ok || up != 1 {
						t.Errorf("sesame_database_up: got %v (%v), want 1", up, ok)
					}
				}
			}
			// Nothing else of the site is there.
			if res := do(t, client(t), http.MethodGet, "http://"+a.MetricsAddr()+"/connexion", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("own listener, /connexion: got status %d, want 404", res.StatusCode)
			}
		})
	}
}

func TestMetricsWithTokenAnswersUnauthorizedWithChallenge(t *testing.T) {
	_, base := apptest.Serve(t, map[string]string{"SESAME_METRICS_TOKEN": testToken}, testHasher, nil)
	for _, header := range []string{"", "Basic " + testToken, "Bearer", "Bearer " + testToken[:len(testToken)-1]} {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %q: got %d with challenge %q, want 401 with a Bearer challenge", header, res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestRequestsLoginsAndLaunchesAreCounted goes through the whole app: its
// requests are timed under their route pattern, never their address; a
// wrong password, a throttled login and a right one are counted on their
// form; a launch of a resource without connector counts under "page".
func TestRequestsLoginsAndLaunchesAreCounted(t *testing.T) {
	var patronID int64
	const email = "eric.mediateur@example.org"
	a, base := apptest.Serve(t, map[string]string{"SESAME_METRICS_TOKEN": testToken}, testHasher, func(ctx context.Context, a *app.App) error {
		sys := sesame.Actor{Label: "test"}
		if err := a.Store.SaveNetwork(ctx, sesame.Network{Name: "Réseau", ContactEmail: "reseau@example.org", ValidityMonths: 12}, sys); err != nil {
			return err
		}
		lib, err := a.Store.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "a@example.org"}, sys)
		if err != nil {
			return err
		}
		res, err := a.Store.CreateResource(ctx, sesame.Resource{Slug: "tout-apprendre", Name: "Tout apprendre", Description: "Cours", URL: "https://example.org/cours"}, sys)
		if err != nil {
			return err
		}
		hash, err := testHasher.Hash(testPassword)
		if err != nil {
			return err
		}
		today := sesame.DateOf(time.Now(), app.Paris())
		patronID, err = a.Store.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "MEDIATEUR-NUM", FirstName: "Eric",
			Email: email, BirthDate: sesame.MustDate(1980, 5, 17), PostalCode: "29170", Town: "Fouesnant", CardNumber: "F-1",
			RegisteredOn: today.AddMonths(-1), Status: sesame.StatusValidated, LibraryRegisteredOn: today.AddMonths(-1), ValidUntil: today.AddMonths(11)},
			PasswordHash: hash, ResourceIDs: []int64{res}, GrantState: sesame.GrantValidated}, sys)
		return err
	})

	anonymous := client(t)
	for _, id := range []int64{patronID, 123456} {
		if res := do(t, anonymous, http.MethodGet, base+"/abonnes/"+strconv.FormatInt(id, 10), nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("anonymous /abonnes/%d: got %d, want 303 to the login page", id, res.StatusCode)
		}
	}
	do(t, anonymous, http.MethodGet, base+"/nulle-part/42", nil)

	// A wrong password until the throttle, then the right one, refused too.
	for range auth.FreeFailures {
		if res := do(t, anonymous, http.MethodPost, base+"/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {"pas le bon mot de passe"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: got %d, want 401", res.StatusCode)
		}
	}
	if res := do(t, anonymous, http.MethodPost, base+"/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("throttled login: got %d, want 429", res.StatusCode)
	}
	if res := do(t, anonymous, http.MethodPost, base+"/connexion", url.Values{"identifiant": {"personne"}, "mot_de_passe": {"un mauvais mot de passe"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("staff wrong login: got %d, want 401", res.StatusCode)
	}

	_, families := scrape(t, base+"/metrics", testToken)
	for _, tt := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"sesame_http_request_duration_seconds", map[string]string{"route": "GET /abonnes/{id}", "status": "3xx"}, 2},
		{"sesame_http_request_duration_seconds", map[string]string{"route": "/", "status": "4xx"}, 1},
		{"sesame_http_request_duration_seconds", map[string]string{"route": "POST /connexion/usager", "status": "4xx"}, float64(auth.FreeFailures) + 1},
		{"sesame_logins_total", map[string]string{"audience": "patron", "outcome": "failure"}, float64(auth.FreeFailures)},
		{"sesame_logins_total", map[string]string{"audience": "patron", "outcome": "throttled"}, 1},
		{"sesame_logins_total", map[string]string{"audience": "patron", "outcome": "success"}, 0},
		{"sesame_logins_total", map[string]string{"audience": "staff", "outcome": "failure"}, 1},
		{"sesame_launches_total", map[string]string{"protocol": "page"}, 0},
	} {
		if got, ok := value(families, tt.family, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v: got %v (found %v), want %v", tt.family, tt.labels, got, ok, tt.want)
		}
	}
	for _, m := range families["sesame_http_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if v := l.GetValue(); strings.Contains(v, "123456") || strings.Contains(v, "42") || strings.Contains(v, "/"+strconv.FormatInt(patronID, 10)) {
				t.Errorf("label %s=%q carries an address, not a pattern", l.GetName(), v)
			}
		}
	}

	// The throttle's delay over (cleared as its end would), the patron logs
	// in and opens the resource.
	if err := a.Store.ClearThrottle(context.Background(), auth.AccountKey("usager:"+email)); err != nil {
		t.Fatal(err)
	}
	patron := client(t)
	if res := do(t, patron, http.MethodPost, base+"/connexion/usager", url.Values{"email": {email}, "mot_de_passe_usager": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("patron login: got %d, want 303", res.StatusCode)
	}
	res := do(t, patron, http.MethodPost, base+"/acceder/tout-apprendre", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://example.org/cours" {
		t.Fatalf("launch: got %d to %q, want 303 to the resource", res.StatusCode, res.Header.Get("Location"))
	}
	_, families = scrape(t, base+"/metrics", testToken)
	for _, tt := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"audience": "patron", "outcome": "success"}, 1},
	} {
		if got, _ := value(families, "sesame_logins_total", tt.labels); got != tt.want {
			t.Errorf("sesame_logins_total%v: got %v, want %v", tt.labels, got, tt.want)
		}
	}
	if got, _ := value(families, "sesame_launches_total", map[string]string{"protocol": "page"}); got != 1 {
		t.Errorf("launches through the page: got %v, want 1", got)
	}
}

// TestJobsAndOutboxAreReadAtScrape scrapes over HTTP a store where no
// runner takes the jobs: what waits, fails and stays in the outbox shows,
// and follows the store from one scrape to the next.
func TestJobsAndOutboxAreReadAtScrape(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	st := storetest.Open(t, clock)
	m := metrics.New(st, clock, nil)
	srv := httptest.NewServer(m.Handler(""))
	t.Cleanup(srv.Close)

	_, families := scrape(t, srv.URL, "")
	if got, ok := value(families, "sesame_mail_outbox_backlog", nil); !ok || got != 0 {
		t.Errorf("empty outbox: got %v (%v), want 0", got, ok)
	}
	if _, ok := value(families, "sesame_jobs_waiting", nil); ok {
		t.Errorf("no job: got a sesame_jobs_waiting series, want none")
	}

	err := st.Update(ctx, func(tx *store.Tx) error {
		for _, to := range []string{"anne.lefevre@example.org", "yann.kerjean@example.org"} {
			if err := mail.Enqueue(ctx, tx, mail.Message{To: to, Subject: "Votre compte", Text: "Bonjour."}); err != nil {
				return err
			}
		}
		return tx.EnqueueJob(ctx, jobs.KindReminders, "", start.Add(-time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(90 * time.Second)
	claimed, err := st.ClaimJobs(ctx, "w", 1, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].Kind != jobs.KindReminders {
		t.Fatalf("claim: %v (%v), want the reminders' job", claimed, err)
	}
	if err := st.RetryJob(ctx, claimed[0].ID, "w", context.DeadlineExceeded, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	_, families = scrape(t, srv.URL, "")
	for _, tt := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"sesame_jobs_waiting", map[string]string{"kind": jobs.KindMail}, 2},
		{"sesame_jobs_failing", map[string]string{"kind": jobs.KindMail}, 0},
		{"sesame_jobs_waiting", map[string]string{"kind": jobs.KindReminders}, 0}, // its retry is in an hour
		{"sesame_jobs_failing", map[string]string{"kind": jobs.KindReminders}, 1},
		{"sesame_jobs_oldest_waiting_seconds", nil, 90},
		{"sesame_mail_outbox_backlog", nil, 2},
		{"sesame_mail_outbox_oldest_seconds", nil, 90},
		{"sesame_database_up", nil, 1},
	} {
		if got, ok := value(families, tt.family, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v: got %v (found %v), want %v", tt.family, tt.labels, got, ok, tt.want)
		}
	}

	// The mails sent, the backlog empties and their kind leaves the gauges.
	pending, err := st.ClaimJobs(ctx, "w", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range pending {
		if _, err := st.FinishJob(ctx, j.ID, "w", nil); err != nil {
			t.Fatal(err)
		}
	}
	_, families = scrape(t, srv.URL, "")
	if got, _ := value(families, "sesame_mail_outbox_backlog", nil); got != 0 {
		t.Errorf("outbox sent: got a backlog of %v, want 0", got)
	}
	if _, ok := value(families, "sesame_jobs_waiting", map[string]string{"kind": jobs.KindMail}); ok {
		t.Errorf("mail jobs done: still a sesame_jobs_waiting series for them")
	}
}

// TestNilMetricsCountNothing: code built without metrics (a test of one
// handler, a command) calls them all the same.
func TestNilMetricsCountNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Login(metrics.Staff, metrics.LoginFailure)
	m.Launch(metrics.ProtocolCAS)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	if got := m.Measure(h, http.NewServeMux()); got == nil {
		t.Fatal("Measure of nil metrics: got nil handler")
	}
}

// TestLaunchLabelIsBounded: a protocol the package does not know counts as
// "other", so that no caller can grow the label's values.
func TestLaunchLabelIsBounded(t *testing.T) {
	m := metrics.New(storetest.Open(t, time.Now), nil, nil)
	m.Launch("cas")
	m.Launch("patron-42")
	srv := httptest.NewServer(m.Handler(""))
	t.Cleanup(srv.Close)
	_, families := scrape(t, srv.URL, "")
	for protocol, want := range map[string]float64{"cas": 1, "other": 1, "oidc": 0} {
		if got, ok := value(families, "sesame_launches_total", map[string]string{"protocol": protocol}); !ok || got != want {
			t.Errorf("launches through %s: got %v (%v), want %v", protocol, got, ok, want)
		}
	}
	if _, ok := value(families, "sesame_launches_total", map[string]string{"protocol": "patron-42"}); ok {
		t.Error("an unknown protocol got its own series")
	}
}
