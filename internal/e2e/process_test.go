package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The process tests run the real sesame binary, built once for the whole
// package by the first test that asks for it and removed by TestMain.
var sesameBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sesameBuild.dir != "" {
		os.RemoveAll(sesameBuild.dir)
	}
	os.Exit(code)
}

// sesameBinary returns the path of ./cmd/sesame built from this checkout.
func sesameBinary(t testing.TB) string {
	t.Helper()
	b := &sesameBuild
	b.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			b.err = err
			return
		}
		if b.dir, err = os.MkdirTemp("", "sesame-e2e-"); err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(b.dir, "sesame")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/sesame")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/sesame: %v\n%s", err, out)
			return
		}
		t.Logf("built sesame in %s", time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// moduleRoot is the nearest folder above the working directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// processEnv is the test's environment without its SESAME_* settings,
// plus the given ones: a process sees only what the test chose.
func processEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SESAME_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runSesame runs a sesame command to its end, with stdin as its standard
// input, and returns what it printed; a failure fails the test.
func runSesame(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := sesameCommand(sesameBinary(t), stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sesameCommand runs the binary bin to its end, from any goroutine.
func sesameCommand(bin, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = processEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sesame %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is a running "sesame serve" process.
type instance struct {
	name   string
	base   string // http://127.0.0.1:port
	cmd    *exec.Cmd
	output *syncBuffer // standard output and error
	exited chan struct{}
	state  *os.ProcessState // set once exited is closed
	err    error            // Wait's error, set once exited is closed
}

// startServe starts "sesame serve" on a free local port with the given
// arguments and SESAME_* variables. The process is killed when the test
// ends, and its output is shown if the test failed.
func startServe(t testing.TB, name string, args []string, env ...string) *instance {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(sesameBinary(t), append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = processEnv(env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &instance{name: name, base: "http://" + addr, cmd: cmd, output: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of instance %s (pid %d):\n%s", name, cmd.Process.Pid, out)
		}
	})
	return p
}

// freeAddr returns a local address no one listens on at the moment.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// kill ends the process at once, as a crash would, and waits for its end.
func (p *instance) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// waitExit waits up to d for the process to end and returns its state.
func (p *instance) waitExit(t testing.TB, d time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-p.exited:
		return p.state
	case <-time.After(d):
		t.Fatalf("instance %s still running %s after being asked to stop", p.name, d)
		return nil
	}
}

// waitReady polls /readyz until it answers 200.
func (p *instance) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(p.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-p.exited:
			t.Fatalf("instance %s exited before being ready (%v)", p.name, p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not ready after %s: %v", p.name, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noRedirects is a client that shows redirections instead of following them.
func noRedirects(tr http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// login posts the login form to base and returns the session cookie.
func login(t testing.TB, base, login, password string) *http.Cookie {
	t.Helper()
	client := noRedirects(&http.Transport{})
	defer client.CloseIdleConnections()
	form := url.Values{"identifiant": {login}, "mot_de_passe": {password}}
	resp, err := client.PostForm(base+"/connexion", form)
	if err != nil {
		t.Fatalf("login on %s: %v", base, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on %s: status %d, want %d\n%s", base, resp.StatusCode, http.StatusSeeOther, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "sesame" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("login on %s: no session cookie in %q", base, resp.Header.Values("Set-Cookie"))
	return nil
}

// fetch gets url with the session cookie and reads the whole body.
func fetch(client *http.Client, url string, cookie *http.Cookie) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.AddCookie(cookie)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
