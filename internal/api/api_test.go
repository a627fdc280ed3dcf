package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/store"
)

// seedRenewals makes the Fouesnant: three patrons À revalider, one
// Expiré, two namesakes born the same day, and a Quimper patron with the
// same card as the first. It returns their ids by card.
func (w *world) seedRenewals() map[string]int64 {
	w.t.Helper()
	ctx := context.Background()
	ids := map[string]int64{}
	// Ended last week: recent enough that no purge of the app's jobs takes them.
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Now().In(paris)
	ended := sesame.DateOf(now.AddDate(0, 0, -7), paris)
	started := sesame.DateOf(now.AddDate(-1, 0, -7), paris)
	add := func(lib int64, card, last, first, email string, status sesame.Status) {
		p := sesame.Patron{LibraryID: lib, LastName: last, FirstName: first, Email: email, BirthDate: sesame.MustDate(1980, 5, 17),
			PostalCode: "29170", Town: "Fouesnant", CardNumber: card, RegisteredOn: started, Status: status,
			LibraryRegisteredOn: started, ValidUntil: ended}
		id, err := w.app.Store.CreatePatron(ctx, store.NewPatron{Patron: p}, sesame.Actor{Label: "test"})
		if err != nil {
			w.t.Fatalf("create %s: %v", card, err)
		}
		if lib == w.fouesnant {
			ids[card] = id
		}
	}
	add(w.fouesnant, "F1", "Le Gall", "Anne", "anne@example.org", sesame.StatusToRevalidate)
	add(w.fouesnant, "F2", "Kerjean", "Yann", "yann@example.org", sesame.StatusToRevalidate)
	add(w.fouesnant, "F3", "Morvan", "Soizic", "soizic@example.org", sesame.StatusToRevalidate)
	add(w.fouesnant, "F4", "Tanguy", "Gwen", "gwen@example.org", sesame.StatusExpired)
	add(w.fouesnant, "F5", "Riou", "Loïc", "loic1@example.org", sesame.StatusToRevalidate)
	add(w.fouesnant, "F6", "Riou", "Loïc", "loic2@example.org", sesame.StatusToRevalidate)
	add(w.quimper, "Q1", "Le Gall", "Anne", "anne.q@example.org", sesame.StatusToRevalidate)
	return ids
}

// renewalRows are the nightly job's rows: the three, the Expiré one, and a
// line that could be either namesake.
func renewalRows(date string) []map[string]string {
	return []map[string]string{
		{"card": "F1", "registered_on": date},
		{"card": "f2 ", "registered_on": date},
		{"email": "soizic@example.org", "registered_on": date},
		{"card": "F4", "registered_on": date},
		{"last_name": "Riou", "first_name": "Loïc", "birth_date": "1980-05-17", "registered_on": date},
	}
}

func (w *world) patron(id int64) *sesame.Patron {
	w.t.Helper()
	p, err := w.app.Store.Patron(context.Background(), store.NetworkScope(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) mailTo(addr string) int {
	w.t.Helper()
	mails, err := w.app.Store.RecentMail(context.Background(), 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if m.To == addr {
			n++
		}
	}
	return n
}

// TestNightlyJob is the acceptance: a Fouesnant key renews the
// three À revalider patrons, mails the Expiré one, leaves the ambiguous
// line alone; the same call again changes nothing; the key opens nothing
// of Quimper.
func TestNightlyJob(t *testing.T) {
	w := newWorld(t)
	ids := w.seedRenewals()
	_, key := w.key(w.fouesnant, "Koha nuit")
	paris, _ := time.LoadLocation("Europe/Paris")
	day := sesame.DateOf(time.Now().In(paris).AddDate(0, 0, -1), paris)
	rows := renewalRows(day.ISO())
	path := "/api/v1/libraries/FOUESNANT/renewals"

	versions := map[string]int{}
	for card, id := range ids {
		versions[card] = w.patron(id).Version
	}
	// A preview, in JSON and in CSV, says what would happen and writes nothing.
	csv := "cardnumber;dateenrolled;email;surname;firstname;dateofbirth\nF1;" + day.String() + ";;;;\nF2;" + day.String() + ";;;;\n;" + day.String() +
		";soizic@example.org;;;\nF4;" + day.String() + ";;;;\n;" + day.String() + ";;Riou;Loïc;17/05/1980\n"
	for _, preview := range []answer{
		w.postJSON(path+"?dry_run=true", key, rows),
		w.call(http.MethodPost, "/api/v1/libraries/fouesnant/renewals?dry_run=1", key, "text/csv; charset=utf-8", strings.NewReader(csv)),
	} {
		var rep report
		preview.json(t, &rep)
		if preview.status != http.StatusOK || !rep.DryRun || rep.Total != 5 || rep.Counts["revalidated"] != 3 || rep.Counts["expired_notified"] != 1 || rep.Counts["ambiguous"] != 1 {
			t.Fatalf("preview: got %d %s, want 3 revalidated, 1 expired_notified, 1 ambiguous", preview.status, preview.body)
		}
	}
	for card, id := range ids {
		if p := w.patron(id); p.Version != versions[card] {
			t.Errorf("%s: changed by a preview (version %d → %d)", card, versions[card], p.Version)
		}
	}
	if n := w.mailTo("gwen@example.org"); n != 0 {
		t.Errorf("a preview mailed the Expiré patron %d times", n)
	}

	res := w.postJSON(path, key, rows)
	var rep report
	res.json(t, &rep)
	if res.status != http.StatusOK || rep.DryRun || rep.Counts["revalidated"] != 3 || rep.Counts["expired_notified"] != 1 || rep.Counts["ambiguous"] != 1 {
		t.Fatalf("apply: got %d %s", res.status, res.body)
	}
	if i := slices.IndexFunc(rep.Lines, func(l struct {
		Line    int    `json:"line"`
		Card    string `json:"card"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}) bool {
		return l.Outcome == "ambiguous"
	}); i < 0 || rep.Lines[i].Line != 5 || rep.Lines[i].Reason == "" {
		t.Errorf("the ambiguous line: got %+v, want line 5 with its reason", rep.Lines)
	}
	for _, card := range []string{"F1", "F2", "F3"} {
		p := w.patron(ids[card])
		if p.Status != sesame.StatusValidated || p.LibraryRegisteredOn != day {
			t.Errorf("%s: got %s from %s, want Validé from %s", card, p.Status, p.LibraryRegisteredOn, day)
		}
		trail, err := w.app.Store.PatronHistory(context.Background(), store.NetworkScope(), ids[card])
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) == 0 || !strings.Contains(trail[0].ActorLabel, "API clé Koha nuit") {
			t.Errorf("%s: last event %+v, want one by « API clé Koha nuit »", card, trail)
		}
	}
	if p := w.patron(ids["F4"]); p.Status != sesame.StatusExpired {
		t.Errorf("F4: got %s, want still Expiré", p.Status)
	}
	if n := w.mailTo("gwen@example.org"); n != 1 {
		t.Errorf("the Expiré patron got %d mails, want 1", n)
	}
	for _, card := range []string{"F5", "F6"} {
		if p := w.patron(ids[card]); p.Status != sesame.StatusToRevalidate {
			t.Errorf("%s (ambiguous): got %s, want left À revalider", card, p.Status)
		}
	}

	// Again: nothing changes, nobody is mailed twice.
	for card, id := range ids {
		versions[card] = w.patron(id).Version
	}
	res = w.postJSON(path, key, rows)
	rep = report{}
	res.json(t, &rep)
	if res.status != http.StatusOK || rep.Counts["revalidated"] != 0 || rep.Counts["renewed"] != 0 || rep.Counts["expired_notified"] != 0 {
		t.Errorf("the same call again: got %d %s, want nothing done", res.status, res.body)
	}
	for card, id := range ids {
		if p := w.patron(id); p.Version != versions[card] {
			t.Errorf("%s: changed by the same call again", card)
		}
	}
	if n := w.mailTo("gwen@example.org"); n != 1 {
		t.Errorf("after the same call again, the Expiré patron got %d mails, want 1", n)
	}

	// Quimper: the same key reads as if Quimper did not exist.
	quimper := w.postJSON("/api/v1/libraries/QUIMPER/renewals", key, rows)
	unknown := w.postJSON("/api/v1/libraries/NULLEPART/renewals", key, rows)
	if quimper.status != http.StatusNotFound || unknown.status != http.StatusNotFound {
		t.Fatalf("Quimper: got %d, unknown library %d; want 404 both", quimper.status, unknown.status)
	}
	qp, up := quimper.problem(t), unknown.problem(t)
	for _, field := range []string{"type", "title", "detail", "status"} {
		if qp[field] != up[field] {
			t.Errorf("%s: Quimper %v, unknown library %v; want the same", field, qp[field], up[field])
		}
	}
	if get := w.call(http.MethodGet, "/api/v1/libraries/QUIMPER/patrons", key, "", nil); get.status != http.StatusNotFound {
		t.Errorf("GET Quimper's patrons: got %d, want 404", get.status)
	}
}

// TestMalformedBodyChangesNothing: a body broken at its end is refused
// before its first line is applied.
func TestMalformedBodyChangesNothing(t *testing.T) {
	w := newWorld(t)
	ids := w.seedRenewals()
	_, key := w.key(w.fouesnant, "Koha")
	path := "/api/v1/libraries/FOUESNANT/renewals"
	tests := []struct {
		name, contentType, body, want string
	}{
		{"cut JSON", "application/json", `[{"card": "F1", "registered_on": "2026-12-01"}, {"card": "F2"`, "avant sa fin"},
		{"not an array", "application/json", `{"card": "F1"}`, "tableau JSON"},
		{"misspelt field", "application/json", `[{"card": "F1", "registered_on": "2026-12-01"}, {"carte": "F2", "registered_on": "2026-12-01"}]`, "champ inconnu"},
		{"number for a string", "application/json", `[{"card": 12345, "registered_on": "2026-12-01"}]`, "chaîne"},
		{"trailing data", "application/json", `[{"card": "F1", "registered_on": "2026-12-01"}] []`, "après le tableau"},
		{"empty CSV", "text/csv", "", "vide"},
		{"CSV without a date column", "text/csv", "cardnumber;surname\nF1;Le Gall\n", "Colonnes non reconnues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.call(http.MethodPost, path, key, tt.contentType, strings.NewReader(tt.body))
			if res.status != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", res.status, res.body)
			}
			if p := res.problem(t); !strings.Contains(fmt.Sprint(p["detail"]), tt.want) {
				t.Errorf("detail %q, want %q in it", p["detail"], tt.want)
			}
		})
	}
	if p := w.patron(ids["F1"]); p.Status != sesame.StatusToRevalidate {
		t.Errorf("F1: got %s after refused bodies, want still À revalider", p.Status)
	}

	// Lines that are wrong but readable are reported, and the rest goes on.
	res := w.postJSON(path+"?dry_run=true", key, []map[string]string{
		{"card": "F1", "registered_on": "03/12/2026"},
		{"registered_on": "2026-12-01"},
		{"card": "F2", "registered_on": "2026-12-01"},
	})
	var rep report
	res.json(t, &rep)
	if rep.Counts["malformed"] != 2 || rep.Counts["revalidated"] != 1 || len(rep.Lines) < 2 || rep.Lines[0].Line != 1 || rep.Lines[1].Line != 2 {
		t.Errorf("wrong lines: got %s, want lines 1 and 2 malformed and line 3 revalidated", res.body)
	}
}

// TestErrorsAreProblemDetails walks the ways a call fails.
func TestErrorsAreProblemDetails(t *testing.T) {
	w := newWorld(t)
	k, key := w.key(w.fouesnant, "Koha")
	_, revoked := w.key(w.fouesnant, "ancienne")
	rk, _ := w.app.Store.APIKeys(context.Background())
	for _, x := range rk {
		if x.Name == "ancienne" {
			if _, err := w.app.Store.RevokeAPIKey(context.Background(), x.ID, sesame.Actor{Label: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	renew := "/api/v1/libraries/FOUESNANT/renewals"
	patrons := "/api/v1/libraries/FOUESNANT/patrons"
	tests := []struct {
		name        string
		method      string
		path        string
		key         string
		contentType string
		body        string
		status      int
		header      string // a header the answer must carry
	}{
		{"no key", http.MethodGet, patrons, "", "", "", http.StatusUnauthorized, "WWW-Authenticate"},
		{"unknown key", http.MethodGet, patrons, "ssm_" + strings.Repeat("x", 43), "", "", http.StatusUnauthorized, "WWW-Authenticate"},
		{"malformed key", http.MethodGet, patrons, "n'importe quoi", "", "", http.StatusUnauthorized, "WWW-Authenticate"},
		{"revoked key", http.MethodGet, patrons, revoked, "", "", http.StatusUnauthorized, "WWW-Authenticate"},
		{"no key, other library", http.MethodPost, "/api/v1/libraries/QUIMPER/renewals", "", "application/json", "[]", http.StatusUnauthorized, "WWW-Authenticate"},
		{"wrong method", http.MethodGet, renew, key, "", "", http.StatusMethodNotAllowed, "Allow"},
		{"wrong method on the list", http.MethodDelete, patrons, key, "", "", http.StatusMethodNotAllowed, "Allow"},
		{"unknown path", http.MethodGet, "/api/v1/libraries/FOUESNANT/livres", key, "", "", http.StatusNotFound, ""},
		{"unknown status", http.MethodGet, patrons + "?status=perdu", key, "", "", http.StatusBadRequest, ""},
		{"limit too large", http.MethodGet, patrons + "?limit=1000", key, "", "", http.StatusBadRequest, ""},
		{"page zero", http.MethodGet, patrons + "?page=0", key, "", "", http.StatusBadRequest, ""},
		{"text/plain", http.MethodPost, renew, key, "text/plain", "F1;2026-12-01", http.StatusUnsupportedMediaType, ""},
		{"no content type", http.MethodPost, renew, key, "", "[]", http.StatusUnsupportedMediaType, ""},
		{"dry_run neither true nor false", http.MethodPost, renew + "?dry_run=peut-etre", key, "application/json", "[]", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			res := w.call(tt.method, tt.path, tt.key, tt.contentType, body)
			if res.status != tt.status {
				t.Fatalf("got %d %s, want %d", res.status, res.body, tt.status)
			}
			p := res.problem(t)
			if p["status"] != float64(tt.status) || p["detail"] == "" || p["instance"] == "" || p["type"] == "" || p["title"] == "" {
				t.Errorf("problem %v: want type, title, status %d, detail and instance", p, tt.status)
			}
			if tt.header != "" && res.header.Get(tt.header) == "" {
				t.Errorf("no %s header", tt.header)
			}
		})
	}
	if got, _ := w.app.Store.APIKey(context.Background(), k.ID); got.LastUsedAt.IsZero() {
		t.Errorf("the key's last use was not recorded")
	}

	t.Run("too large", func(t *testing.T) {
		// Sent without a length, so that the limit is met while reading.
		big := io.MultiReader(strings.NewReader("["), &repeat{b: []byte(`{"card": "F1", "registered_on": "2026-12-01"},`), n: api.MaxBody/40 + 1000})
		res := w.call(http.MethodPost, renew, key, "application/json", big)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %s, want 413", res.status, res.body)
		}
		res.problem(t)
	})
}

// repeat reads b n times, and hides its length from net/http.
type repeat struct {
	b   []byte
	n   int
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	c := copy(p, r.b[r.off:])
	r.off += c
	if r.off == len(r.b) {
		r.off, r.n = 0, r.n-1
	}
	return c, nil
}

// TestPatronsWaiting lists the À revalider patrons, page by page.
func TestPatronsWaiting(t *testing.T) {
	w := newWorld(t)
	w.seedRenewals()
	_, key := w.key(w.fouesnant, "Koha")
	type page struct {
		Total   int `json:"total"`
		Patrons []struct {
			Card   string `json:"card"`
			Status string `json:"status"`
			Email  string `json:"email"`
		} `json:"patrons"`
		Next string `json:"next"`
	}
	var cards []string
	path := "/api/v1/libraries/FOUESNANT/patrons?status=a_revalider&limit=2"
	for range 10 {
		res := w.call(http.MethodGet, path, key, "", nil)
		if res.status != http.StatusOK {
			t.Fatalf("got %d %s", res.status, res.body)
		}
		var p page
		res.json(t, &p)
		if p.Total != 5 {
			t.Errorf("total: got %d, want 5", p.Total)
		}
		for _, pa := range p.Patrons {
			if pa.Status != "a_revalider" {
				t.Errorf("%s: status %s", pa.Card, pa.Status)
			}
			cards = append(cards, pa.Card)
		}
		if p.Next == "" {
			break
		}
		path = p.Next
	}
	slices.Sort(cards)
	if got := strings.Join(cards, " "); got != "F1 F2 F3 F5 F6" {
		t.Errorf("patrons À revalider: got %s, want F1 F2 F3 F5 F6 (not Quimper's)", got)
	}
	res := w.call(http.MethodGet, "/api/v1/libraries/FOUESNANT/patrons", key, "", nil)
	var all page
	res.json(t, &all)
	if all.Total != 6 {
		t.Errorf("every status: got %d, want 6", all.Total)
	}
}

// TestRateLimit: a key gets 60 calls at once, then 429 with Retry-After;
// another key is not slowed by it.
func TestRateLimit(t *testing.T) {
	w := newWorld(t)
	_, key := w.key(w.fouesnant, "pressé")
	_, other := w.key(w.fouesnant, "tranquille")
	limited := 0
	var last answer
	for range api.DefaultRatePerMinute + 10 {
		res := w.call(http.MethodGet, "/api/v1/libraries/FOUESNANT/patrons?limit=1", key, "", nil)
		if res.status == http.StatusTooManyRequests {
			limited++
			last = res
		}
	}
	if limited == 0 {
		t.Fatalf("%d calls at once: none limited", api.DefaultRatePerMinute+10)
	}
	if last.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	last.problem(t)
	if res := w.call(http.MethodGet, "/api/v1/libraries/FOUESNANT/patrons?limit=1", other, "", nil); res.status != http.StatusOK {
		t.Errorf("another key: got %d, want 200", res.status)
	}
}

// TestOpenAPIDescription: the description is served to anyone, describes
// every outcome of the renewals, and catches an answer that strays from it.
func TestOpenAPIDescription(t *testing.T) {
	w := newWorld(t)
	res := w.call(http.MethodGet, "/api/v1/openapi.json", "", "", nil)
	if res.status != http.StatusOK || !bytes.Equal(res.body, api.OpenAPI()) {
		t.Fatalf("GET openapi.json: got %d", res.status)
	}
	for _, o := range renewals.Outcomes {
		if !bytes.Contains(api.OpenAPI(), []byte(`"`+string(o)+`"`)) {
			t.Errorf("outcome %q is not in openapi.json", o)
		}
	}

	// The validation can fail: answers that stray from the description are caught.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/libraries/FOUESNANT/renewals", strings.NewReader("[]"))
	req.Header.Set("Content-Type", "application/json")
	wrong := []struct {
		name   string
		status int
		ct     string
		body   string
	}{
		{"a count that is not a number", 200, "application/json", `{"dry_run": false, "total": 1, "counts": {"revalidated": "un"}, "lines": []}`},
		{"an outcome nobody knows", 200, "application/json", `{"dry_run": false, "total": 1, "counts": {"teleported": 1}, "lines": []}`},
		{"no lines", 200, "application/json", `{"dry_run": false, "total": 0, "counts": {}}`},
		{"a problem without detail", 404, "application/problem+json", `{"type": "about:blank", "title": "x", "status": 404, "instance": "/"}`},
		{"an undocumented status", 418, "application/problem+json", `{"type": "about:blank", "title": "x", "status": 418, "detail": "x", "instance": "/"}`},
		{"a 401 without WWW-Authenticate", 401, "application/problem+json", `{"type": "about:blank", "title": "x", "status": 401, "detail": "x", "instance": "/"}`},
	}
	for _, tt := range wrong {
		t.Run(tt.name, func(t *testing.T) {
			res := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.ct}}}
			if errs := conformance(t, req, res, []byte(tt.body)); errs == nil {
				t.Errorf("openapi.json accepted %s", tt.body)
			}
		})
	}
	// A path openapi.json does not describe may only answer a 404 or 405 problem.
	elsewhere := httptest.NewRequest(http.MethodGet, "/api/v1/libraries/FOUESNANT/livres", nil)
	for _, tt := range []struct {
		name   string
		status int
		ct     string
		body   string
	}{
		{"200 on an undescribed path", 200, "application/json", `{}`},
		{"404 without a detail", 404, "application/problem+json", `{"type": "about:blank", "title": "x", "status": 404, "instance": "/"}`},
		{"404 in HTML", 404, "text/html", `<p>introuvable</p>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.ct}}}
			if errs := conformance(t, elsewhere, res, []byte(tt.body)); errs == nil {
				t.Errorf("accepted %d %s", tt.status, tt.body)
			}
		})
	}
	good := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	if errs := conformance(t, req, good, []byte(`{"dry_run": true, "total": 0, "counts": {}, "lines": []}`)); errs != nil {
		t.Errorf("a right answer refused: %v", errs)
	}
}

// TestLargeBody: 100,000 rows (5 MB, far above the site's 1 MiB for forms)
// are read and reported, counts exact and lines capped.
func TestLargeBody(t *testing.T) {
	w := newWorld(t)
	_, key := w.key(w.fouesnant, "Koha")
	var buf bytes.Buffer
	buf.WriteString("[")
	const rows = 100_000
	for i := range rows {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, `{"card": "X%d", "registered_on": "2026-12-01"}`, i)
	}
	buf.WriteString("]")
	start := time.Now()
	res := w.call(http.MethodPost, "/api/v1/libraries/FOUESNANT/renewals?dry_run=true", key, "application/json", bytes.NewReader(buf.Bytes()))
	var rep report
	res.json(t, &rep)
	if res.status != http.StatusOK || rep.Total != rows || rep.Counts["unknown"] != rows || len(rep.Lines) >= rows {
		t.Fatalf("got %d, total %d, counts %v, %d lines; want %d unknown rows, fewer lines", res.status, rep.Total, rep.Counts, len(rep.Lines), rows)
	}
	t.Logf("%d rows (%d bytes) previewed in %v", rows, buf.Len(), time.Since(start))
}
