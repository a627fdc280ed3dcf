package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/storetest"
)

// adminPassword is the network admin's password in the process tests.
const adminPassword = "une phrase de passe assez longue"

// TestTwoInstancesOnePostgres runs two real "sesame serve" processes on one
// PostgreSQL database, as behind a load balancer: a session opened on one is
// valid on the other, and when one instance dies, the other keeps answering
// and finishes the background jobs the dead one held, each exactly once.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	runSesame(t, "", "migrate", "--db", dsn)
	runSesame(t, adminPassword+"\n", "admin", "create", "--db", dsn, "--login", "chef")

	env := []string{"SESAME_DB=" + dsn, "SESAME_JOB_LEASE=3s"}
	a := startServe(t, "A", nil, env...)
	b := startServe(t, "B", nil, env...)
	a.waitReady(t, 15*time.Second)
	b.waitReady(t, 15*time.Second)

	// A session opened on A is valid on B.
	cookie := login(t, a.base, "chef", adminPassword)
	toA := noRedirects(&http.Transport{MaxIdleConnsPerHost: 16})
	toB := noRedirects(&http.Transport{MaxIdleConnsPerHost: 16})
	defer toA.CloseIdleConnections()
	defer toB.CloseIdleConnections()
	if status, body, err := fetch(toB, b.base+"/admin", cookie); err != nil || status != http.StatusOK {
		t.Fatalf("GET /admin on B with A's session: status %d, err %v, want 200\n%s", status, err, body)
	}

	db := storetest.OpenRaw(t, dsn)

	// Load both instances and enqueue the ping jobs. A second in, kill A, at
	// a moment it holds some of them if it takes any within two seconds more,
	// so that their lease runs out. Load B three seconds more.
	var (
		mu           sync.Mutex
		okA, okB     int
		failuresB    []string
		failsABefore []string
		killedAt     time.Time
		stop         = make(chan struct{})
		stopOnce     sync.Once
		wg           sync.WaitGroup
	)
	stopLoad := func() {
		stopOnce.Do(func() { close(stop) })
		wg.Wait()
	}
	defer stopLoad()
	start := time.Now()
	load := func(p *instance, client *http.Client, worker int) {
		paths := [2]string{"/abonnes", "/admin"}
		for n := worker; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			path := paths[n%2]
			status, body, err := fetch(client, p.base+path, cookie)
			ok := err == nil && status == http.StatusOK && strings.Contains(body, "</html>")
			failure := fmt.Sprintf("GET %s at +%s: status %d, err %v", path, time.Since(start).Round(time.Millisecond), status, err)
			mu.Lock()
			dead := !killedAt.IsZero()
			switch {
			case p == b && ok:
				okB++
			case p == b:
				failuresB = append(failuresB, failure)
			case ok:
				okA++
			case !dead:
				failsABefore = append(failsABefore, failure)
			}
			mu.Unlock()
			if p == a && !ok && dead {
				time.Sleep(10 * time.Millisecond) // A is dead: do not spin
			}
		}
	}
	for i := range 8 {
		wg.Go(func() { load(b, toB, i) })
	}
	for i := range 4 {
		wg.Go(func() { load(a, toA, i) })
	}

	// A's worker is named host-pid-random in the jobs table (app.workerName).
	host, _ := os.Hostname()
	workerA := fmt.Sprintf("%s-%d-", host, a.cmd.Process.Pid)
	const pings = 300
	enqueueStart := time.Now()
	type enqueued struct {
		took time.Duration
		err  error
	}
	enqueue := make(chan enqueued, 1)
	bin := sesameBinary(t)
	go func() {
		_, err := sesameCommand(bin, "", "jobs", "ping", "--db", dsn, "--count", fmt.Sprint(pings))
		enqueue <- enqueued{time.Since(enqueueStart), err}
	}()
	time.Sleep(time.Second)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(jobsHeldBy(t, db, workerA)) > 0 {
			break
		}
	}
	mu.Lock()
	killedAt = time.Now()
	mu.Unlock()
	a.kill()
	time.Sleep(200 * time.Millisecond) // let PostgreSQL end A's sessions
	heldByA := jobsHeldBy(t, db, workerA)
	time.Sleep(3*time.Second - time.Since(killedAt))
	stopLoad()
	if e := <-enqueue; e.err != nil {
		t.Fatal(e.err)
	} else {
		t.Logf("%d ping jobs enqueued in %s", pings, e.took.Round(time.Millisecond))
	}
	t.Logf("load: %d requests to B answered 200 in %s; A answered %d before it was killed at +%s",
		okB, time.Since(start).Round(time.Millisecond), okA, killedAt.Sub(start).Round(time.Millisecond))
	if len(failsABefore) > 0 {
		t.Logf("A failed %d requests before its kill, first: %s", len(failsABefore), failsABefore[0])
	}
	if okB == 0 {
		t.Errorf("no request to B succeeded during the load")
	}
	if len(failuresB) > 0 {
		t.Errorf("%d requests to B failed while A died, want none; first ones:\n  %s",
			len(failuresB), strings.Join(failuresB[:min(len(failuresB), 10)], "\n  "))
	}

	// B alone finishes every ping job: those A held once their lease ends.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending := db.Count(t, `SELECT COUNT(*) FROM jobs WHERE kind = 'ping' AND done_at IS NULL`)
		if pending == 0 {
			t.Logf("all %d ping jobs seen done %s after their enqueueing began", pings, time.Since(enqueueStart).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ping jobs still pending 30 s after the load, want 0", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each job left exactly one audit event: none lost, none done twice.
	events := db.Count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'tache'`)
	distinct := db.Count(t, `SELECT COUNT(DISTINCT detail) FROM audit_events WHERE action = 'tache'`)
	if events != pings || distinct != pings {
		t.Errorf("audit trail: got %d 'tache' events with %d distinct details, want %d and %d", events, distinct, pings, pings)
	}

	doneByA := db.Count(t, `SELECT COUNT(*) FROM jobs WHERE kind = 'ping' AND starts_with(locked_by, $1)`, workerA)
	t.Logf("A did %d ping jobs before it died, B the other %d", doneByA, pings-doneByA)

	// The jobs A held were taken again once their lease ran out.
	retaken := db.Count(t, `SELECT COUNT(*) FROM jobs WHERE kind = 'ping' AND attempts > 1`)
	heldRetaken := db.Count(t, `SELECT COUNT(*) FROM jobs WHERE kind = 'ping' AND attempts > 1 AND id = ANY($1)`, heldByA)
	switch {
	case len(heldByA) == 0:
		t.Logf("A held no ping job when it was killed: the lease takeover was not exercised this time (%d jobs taken more than once)", retaken)
	case heldRetaken != len(heldByA):
		t.Errorf("A held %d ping jobs when it was killed; %d of them were taken again after their lease, want all", len(heldByA), heldRetaken)
	default:
		t.Logf("A held %d ping jobs when it was killed: all were taken again after their lease (%d jobs taken more than once)", len(heldByA), retaken)
	}
}

// jobsHeldBy lists the ping jobs not done whose lease belongs to a worker
// whose name starts with prefix.
func jobsHeldBy(t testing.TB, db storetest.RawDB, prefix string) []int64 {
	t.Helper()
	var held []int64
	for _, row := range db.Rows(t, `SELECT id, locked_by FROM jobs WHERE kind = 'ping' AND done_at IS NULL`) {
		id, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			t.Fatalf("jobs held: %v", err)
		}
		if strings.HasPrefix(row[1], prefix) {
			held = append(held, id)
		}
	}
	return held
}

// TestSigtermFinishesInFlight sends SIGTERM to a real "sesame serve" while
// requests are in flight: each one the server was handling gets its whole
// answer, none is cut, and the process then exits with status 0.
//
// net/http's Shutdown closes unanswered a request it reads after it began
// (golang/go#75591), so the instance first drains: it keeps serving for
// SESAME_SHUTDOWN_DELAY with /readyz at 503. Every request sent before the
// SIGTERM must then be answered whole. So that the test does not rest on
// timing alone, one login is surely in flight: its handler is reading the
// form, which the test sends only after the SIGTERM.
func TestSigtermFinishesInFlight(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sesame.db")
	runSesame(t, adminPassword+"\n", "admin", "create", "--db", dbPath, "--login", "chef")
	p := startServe(t, "serve", []string{"--db", dbPath})
	p.waitReady(t, 15*time.Second)
	cookie := login(t, p.base, "chef", adminPassword)

	// One fresh connection per request: none is an idle connection that the
	// shutdown may close under it.
	client := noRedirects(&http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: 10 * time.Second})
	witness := startHeldLogin(t, client, p.base, "chef", adminPassword)

	type result struct {
		connected bool // the TCP connection was made
		answered  bool // a first byte of the response came
		status    int
		body      string
		err       error
		done      time.Time
	}
	pages := make([]result, 50)
	var written, finished sync.WaitGroup
	written.Add(len(pages))
	for i := range pages {
		r := &pages[i]
		finished.Go(func() {
			var once sync.Once
			wrote := func() { once.Do(written.Done) }
			defer wrote()
			trace := &httptrace.ClientTrace{
				GotConn:              func(httptrace.GotConnInfo) { r.connected = true },
				WroteRequest:         func(httptrace.WroteRequestInfo) { wrote() },
				GotFirstResponseByte: func() { r.answered = true },
			}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, p.base+"/admin", nil)
			if err != nil {
				r.err = err
				return
			}
			req.AddCookie(cookie)
			resp, err := client.Do(req)
			if err != nil {
				r.err, r.done = err, time.Now()
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			r.status, r.body, r.err, r.done = resp.StatusCode, string(body), err, time.Now()
		})
	}
	// SIGTERM right after the requests are on the wire, once the server
	// had a moment to start some of them.
	waitGroupTimeout(t, &written, 10*time.Second, "requests written")
	time.Sleep(10 * time.Millisecond)
	termAt := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	witness.finish(t)
	finished.Wait()
	state := p.waitExit(t, 20*time.Second)
	t.Logf("process exited %s after SIGTERM: %v", time.Since(termAt).Round(time.Millisecond), state)
	if !state.Success() {
		t.Errorf("exit status after SIGTERM: got %v, want 0", state)
	}

	var answered, afterTerm, unanswered, refused int
	var example error
	for i, r := range pages {
		switch {
		case !r.connected:
			refused++
		case !r.answered && r.err != nil:
			unanswered++
			example = r.err
			t.Errorf("GET /admin, request %d: closed unanswered (%v); want a complete 200 page", i, r.err)
		case r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, "</html>"):
			t.Errorf("GET /admin, request %d: status %d, %d bytes, err %v; want a complete 200 page", i, r.status, len(r.body), r.err)
		default:
			answered++
			if r.done.After(termAt) {
				afterTerm++
			}
		}
	}
	t.Logf("%d × GET /admin: %d answered whole, %d of them after SIGTERM; %d closed unanswered, not started (%v); %d got no connection",
		len(pages), answered, afterTerm, unanswered, example, refused)
}

// heldLogin is a login whose handler is running, blocked reading the form
// that the test has not sent yet.
type heldLogin struct {
	form string
	body *io.PipeWriter
	done chan struct{}
	resp *http.Response
	page []byte
	err  error
}

// startHeldLogin posts a login with "Expect: 100-continue" and returns once
// the server asked for the form: its handler is then running.
func startHeldLogin(t testing.TB, client *http.Client, base, login, password string) *heldLogin {
	t.Helper()
	form := url.Values{"identifiant": {login}, "mot_de_passe": {password}}.Encode()
	pr, pw := io.Pipe()
	h := &heldLogin{form: form, body: pw, done: make(chan struct{})}
	asked := make(chan struct{})
	trace := &httptrace.ClientTrace{Got100Continue: func() { close(asked) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, base+"/connexion", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Expect", "100-continue")
	go func() {
		defer close(h.done)
		h.resp, h.err = client.Do(req)
		if h.err == nil {
			h.page, h.err = io.ReadAll(h.resp.Body)
			h.resp.Body.Close()
		}
	}()
	select {
	case <-asked:
	case <-h.done:
		t.Fatalf("held login: answered before the form was sent: %v", h.err)
	case <-time.After(10 * time.Second):
		t.Fatal("held login: the server did not ask for the form within 10 s")
	}
	return h
}

// finish sends the form and checks the login completes: 303 and a session cookie.
func (h *heldLogin) finish(t testing.TB) {
	t.Helper()
	go func() {
		io.WriteString(h.body, h.form)
		h.body.Close()
	}()
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		t.Fatal("held login: no answer 20 s after its form was sent")
	}
	if h.err != nil {
		t.Errorf("login in flight at the SIGTERM: %v; want its answer", h.err)
		return
	}
	var session bool
	for _, c := range h.resp.Cookies() {
		session = session || c.Name == "sesame" && c.Value != ""
	}
	if h.resp.StatusCode != http.StatusSeeOther || !session {
		t.Errorf("login in flight at the SIGTERM: status %d, session cookie %t; want %d and a cookie\n%s",
			h.resp.StatusCode, session, http.StatusSeeOther, h.page)
		return
	}
	t.Logf("login in flight at the SIGTERM: answered %d with a session", h.resp.StatusCode)
}

// waitGroupTimeout waits for wg, failing the test after d.
func waitGroupTimeout(t testing.TB, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %s", what, d)
	}
}
