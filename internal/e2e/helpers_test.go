// Package e2e drives Sésame in a real headless Chromium, the way librarians
// use it, and checks every page it shows with axe-core (WCAG 2.1 A and AA)
// and on a 320 px screen, where it must not scroll sideways (WCAG 1.4.10).
//
// It needs Debian's chromium (/usr/bin/chromium) and `npm ci` at the
// repository root for axe-core; without them the tests skip, except under
// CI=true, where they fail. Set SESAME_SCREENSHOTS to a folder to keep the
// screenshots. .ci/run installs both tools.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
)

// The tools the browser tests need. Debian's chromium package installs the
// first; `npm ci` at the repository root installs the second.
const (
	chromiumPath = "/usr/bin/chromium"
	axePath      = "../../node_modules/axe-core/axe.min.js"
)

// axeTags are the rules run on every page: WCAG 2.0 and 2.1, levels A and AA,
// what the RGAA asks of a French public service.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// need skips the test when a tool is missing, except in CI, where a missing
// tool must fail the build rather than hide the browser tests.
func need(t testing.TB, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	msg := fmt.Sprintf("%s not found at %s: %s", what, path, "install the browser tooling with `apt-get install chromium` and `npm ci` at the repository root (.ci/run does both)")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("chromium or axe-core missing: " + msg)
}

// startApp runs Sésame in-process on a free port, with a fresh database
// holding the demo network seeded for today, and returns its base URL. No
// SMTP server is set: mail is kept in the outbox.
func startApp(t testing.TB, today sesame.Date) string {
	t.Helper()
	return startAppEnv(t, today, nil)
}

// startAppEnv is startApp with the SESAME_* variables in env (an SMTP
// server…), read by the same code as `sesame serve`. The public address,
// for links in mail, is the one the app listens on.
func startAppEnv(t testing.TB, today sesame.Date, env map[string]string) string {
	t.Helper()
	// A cheap hasher: the production parameters cost a second per hash.
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 8 * 1024, Threads: 1}, Random: rand.Reader}
	_, base := apptest.Serve(t, env, hasher, func(ctx context.Context, a *app.App) error {
		_, err := demo.Seed(ctx, a.Store, hasher, demo.Options{Patrons: 300, Today: today})
		return err
	})
	return base
}

// browser is a headless Chromium tab on the app, with the checks people and
// assistive technologies make: elements are found by role and accessible
// name, as a screen reader announces them, never by CSS class or id.
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string
	axe  string // source of axe.min.js
	// shots is where screenshots go: $SESAME_SCREENSHOTS, or a temp dir.
	shots string

	mu      sync.Mutex
	console []consoleError  // what the pages wrote to the console as errors
	pages   map[string]bool // the paths of the documents shown, whose status open and click check
}

type consoleError struct{ text, path string }

// newBrowser starts Chromium for the test; it ends with the test. Set the
// app's address in base before opening pages.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	need(t, chromiumPath, "chromium")
	need(t, axePath, "axe-core (npm)")
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	shots := os.Getenv("SESAME_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshots: %v", err)
	}

	// The whole browser session has a deadline, so a page that never loads
	// fails the test instead of hanging it; each step has a shorter one.
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(tabCtx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{t: t, ctx: tabCtx, axe: string(axe), shots: shots, pages: map[string]bool{}}

	// A page that works writes nothing to the console: an error there is a
	// style or script the Content-Security-Policy refused, a missing file, or
	// an exception.
	messages := chromedp.Console(tabCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, consoleError{m.Text, m.URL})
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { // runs before the browser closes
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, m := range b.console {
			path := strings.TrimPrefix(m.path, b.base)
			failedLoad := strings.HasPrefix(m.text, "Failed to load resource")
			switch {
			case failedLoad && b.pages[path]:
				// A page answered 401 or 422 on purpose; open and click checked its status.
			case failedLoad && path == "/favicon.ico":
				t.Logf("note: browsers ask for /favicon.ico and get %s", m.text)
			default:
				t.Errorf("console error on %s: %s", path, m.text)
			}
		}
	})
	return b
}

// el names an element the way assistive technologies do: its ARIA role and
// its accessible name, optionally inside another element (a landmark, a form).
type el struct {
	role, name string
	within     *el
	prefix     bool // the name only begins with name
}

func role(r, name string) el { return el{role: r, name: name} }

// in narrows the element to those inside the container c.
func (e el) in(c el) el { e.within = &c; return e }

// startingWith matches the elements whose name begins with e's name, for
// names that end with a count (« À traiter : 3 comptes »).
func (e el) startingWith() el { e.prefix = true; return e }

func (e el) String() string {
	s := fmt.Sprintf("%s « %s »", e.role, e.name)
	if e.prefix {
		s = fmt.Sprintf("%s « %s… »", e.role, e.name)
	}
	if e.within != nil {
		s += " in " + e.within.String()
	}
	return s
}

// Shorthands for the roles the tests use.
func link(name string) el     { return role("link", name) }
func button(name string) el   { return role("button", name) }
func textbox(name string) el  { return role("textbox", name) }
func combobox(name string) el { return role("combobox", name) }
func checkbox(name string) el { return role("checkbox", name) }

// node is an element found in the accessibility tree.
type node struct {
	backend cdp.BackendNodeID
	ax      *accessibility.Node
}

// prop returns the accessibility property name of n ("readonly", "invalid", "required"…).
func (n node) prop(name string) (string, bool) {
	for _, p := range n.ax.Properties {
		if string(p.Name) == name && p.Value != nil {
			return strings.Trim(string(p.Value.Value), `"`), true
		}
	}
	return "", false
}

// description is the accessible description: what a screen reader reads
// after the name, from aria-describedby (hints and error messages).
func (n node) description() string { return axString(n.ax.Description) }

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}

// errNotYet means the element is not on the page yet; find retries.
var errNotYet = errors.New("no element has this role and name")

// find returns the one element named e, waiting a little for it to appear.
// Two elements with the same role and name fail the test: a screen reader
// user could not tell them apart either.
func (b *browser) find(e el) node {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := chromedp.Run(b.ctx, b.lookup(e))
		if err == nil {
			return n
		}
		if !errors.Is(err, errNotYet) || time.Now().After(deadline) {
			b.t.Fatalf("%s: %v (page %s)", e, err, b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count returns how many elements have e's role and name, without waiting.
func (b *browser) count(e el) int {
	b.t.Helper()
	nodes, err := chromedp.Run(b.ctx, b.query(e))
	if err != nil && !errors.Is(err, errNotYet) {
		b.t.Fatalf("%s: %v", e, err)
	}
	return len(nodes)
}

func (b *browser) lookup(e el) chromedp.Action[node] {
	return func(ctx context.Context, t *chromedp.Target) (node, error) {
		nodes, err := b.query(e)(ctx, t)
		if err != nil {
			return node{}, err
		}
		switch len(nodes) {
		case 0:
			return node{}, errNotYet
		case 1:
			return nodes[0], nil
		}
		return node{}, fmt.Errorf("%d elements have this role and name, want one: a screen reader user could not tell them apart", len(nodes))
	}
}

// query asks Chromium's accessibility tree for the elements with e's role
// and name, inside e.within when set. A trailing " *" (the required-field
// mark) and spaces are ignored in names, so a test says "Identifiant", as a
// person would.
func (b *browser) query(e el) chromedp.Action[[]node] {
	return func(ctx context.Context, t *chromedp.Target) ([]node, error) {
		params := accessibility.QueryAXTreeParams{Role: e.role}
		if e.within != nil {
			c, err := b.lookup(*e.within)(ctx, t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.within, err)
			}
			params.BackendNodeID = c.backend
		} else {
			doc, err := chromedp.Evaluate[*runtime.RemoteObject]("document")(ctx, t)
			if err != nil {
				return nil, err
			}
			params.ObjectID = doc.ObjectID
		}
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, params)
		if err != nil {
			return nil, err
		}
		var found []node
		for _, n := range res.Nodes {
			name := axString(n.Name)
			// Spaces around a name are not heard: a required mark hidden
			// from screen readers leaves one ("Ressources souhaitées ").
			name = strings.TrimSpace(strings.TrimSuffix(name, " *"))
			named := name == e.name || (e.prefix && strings.HasPrefix(name, e.name))
			if n.Ignored || n.BackendDOMNodeID == 0 || !named {
				continue
			}
			found = append(found, node{backend: n.BackendDOMNodeID, ax: n})
		}
		if len(found) == 0 {
			return nil, errNotYet
		}
		return found, nil
	}
}

// names lists the accessible names of the elements with role r inside c,
// in the order of the page, without waiting.
func (b *browser) names(r string, c el) []string {
	b.t.Helper()
	b.find(c) // a missing container fails, rather than holding nothing
	nodes, err := chromedp.Run(b.ctx, b.query(role(r, "").startingWith().in(c)))
	if err != nil && !errors.Is(err, errNotYet) {
		b.t.Fatalf("%s in %s: %v", r, c, err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, strings.TrimSpace(strings.TrimSuffix(axString(n.ax.Name), " *")))
	}
	return names
}

// nodeIDs hands n to chromedp's own actions (Click, SendKeys…).
func (b *browser) nodeIDs(n node) chromedp.NodeIDs {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, dom.PushNodesByBackendIDsToFrontend,
		dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: []cdp.BackendNodeID{n.backend}})
	if err != nil || len(res.NodeIDs) != 1 || res.NodeIDs[0] == 0 {
		b.t.Fatalf("node %d: %v", n.backend, err)
	}
	return chromedp.NodeIDs(res.NodeIDs)
}

// call runs the JavaScript function fn with the element as this, and
// decodes its result into T.
func call[T any](b *browser, n node, fn string, args ...any) T {
	b.t.Helper()
	obj, err := chromedp.Call(b.ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: n.backend})
	if err != nil {
		b.t.Fatalf("resolve node: %v", err)
	}
	v, err := chromedp.Run(b.ctx, chromedp.CallFunctionOn[T](fn, func(p *runtime.CallFunctionOnParams) {
		p.ObjectID = obj.Object.ObjectID
	}, args...))
	if err != nil {
		b.t.Fatalf("%s: %v", fn, err)
	}
	return v
}

// location is the path of the page shown, for messages.
func (b *browser) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(loc, b.base)
}

// stepTimeout bounds one navigation, so a click that leads nowhere fails fast.
const stepTimeout = 15 * time.Second

// shown records the page shown as a document whose status the test checks.
func (b *browser) shown() {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return
	}
	b.mu.Lock()
	b.pages[strings.TrimPrefix(loc, b.base)] = true
	b.mu.Unlock()
}

// open loads path and checks it answered 200.
func (b *browser) open(path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.shown()
	if resp.Status != 200 {
		b.t.Fatalf("open %s: status %d, want 200", path, resp.Status)
	}
}

// click clicks e with the mouse and waits for the page it leads to, which
// must answer with status want.
func (b *browser) click(e el, want int64) {
	b.t.Helper()
	ids := b.nodeIDs(b.find(e))
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(ids))
	if err != nil {
		b.t.Fatalf("click %s: %v", e, err)
	}
	b.shown()
	if resp.Status != want {
		b.t.Fatalf("click %s: page %s answered %d, want %d", e, b.location(), resp.Status, want)
	}
}

// fill replaces the content of the field e by typing value.
func (b *browser) fill(e el, value string) {
	b.t.Helper()
	ids := b.nodeIDs(b.find(e))
	if err := chromedp.Do(b.ctx, chromedp.Clear(ids), chromedp.SendKeys(ids, value)); err != nil {
		b.t.Fatalf("fill %s: %v", e, err)
	}
	if got := b.value(e); got != value {
		b.t.Fatalf("fill %s: got %q, want %q", e, got, value)
	}
}

// value is the current value of the field e.
func (b *browser) value(e el) string {
	b.t.Helper()
	return call[string](b, b.find(e), `function() { return this.value; }`)
}

// choose selects the option labelled option in the list e, as a person
// picking it, and fires the events a real choice fires.
func (b *browser) choose(e el, option string) {
	b.t.Helper()
	ok := call[bool](b, b.find(e), `function(label) {
		const o = [...this.options].find(o => o.label.trim() === label);
		if (!o) return false;
		this.focus();
		this.value = o.value;
		this.dispatchEvent(new Event('input', {bubbles: true}));
		this.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	}`, option)
	if !ok {
		b.t.Fatalf("%s has no option « %s »", e, option)
	}
}

// tick clicks the checkbox e and checks it is ticked.
func (b *browser) tick(e el) {
	b.t.Helper()
	n := b.find(e)
	if err := chromedp.Do(b.ctx, chromedp.Click(b.nodeIDs(n))); err != nil {
		b.t.Fatalf("tick %s: %v", e, err)
	}
	if !call[bool](b, n, `function() { return this.checked; }`) {
		b.t.Fatalf("tick %s: still unticked after the click", e)
	}
}

// text is the visible text of the page's main content.
func (b *browser) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
	if err != nil {
		b.t.Fatalf("read page: %v", err)
	}
	return s
}

// section is the visible text of the region (a <section> with a heading)
// named name: what a screen reader user reaches by jumping to that heading.
func (b *browser) section(name string) string {
	b.t.Helper()
	return call[string](b, b.find(role("region", name)), `function() { return this.innerText; }`)
}

// live returns the texts of the page's live regions with the role r
// ("status", "alert"): what a screen reader announces after a search, a save
// or an error.
func (b *browser) live(r string) []string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[role=`+r+`]')].map(e => e.innerText.trim())`))
	if err != nil {
		b.t.Fatalf("read %s regions: %v", r, err)
	}
	return s
}

// screenshot saves the whole page as name.png.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// axeResult is the part of axe-core's report the tests print.
type axeResult struct {
	Violations []axeRule `json:"violations"`
	Incomplete []axeRule `json:"incomplete"`
}

type axeRule struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// checkA11y checks the page's reflow at 320 px (checkReflow), then runs
// axe-core's WCAG 2.1 A and AA rules on it and fails the test with every
// violation. The script goes in through the
// DevTools protocol, which the page's Content-Security-Policy does not
// govern, so the page's own script-src 'self' stays as strict as in production.
func (b *browser) checkA11y(page string) {
	b.t.Helper()
	b.checkReflow(page)
	loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	if !loaded {
		if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
			b.t.Fatalf("inject axe-core on %s: %v", page, err)
		}
	}
	tags, _ := json.Marshal(axeTags)
	script := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}}).then(r => {
		const rules = list => list.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), summary: n.failureSummary || ''}))}));
		return {violations: rules(r.violations), incomplete: rules(r.incomplete)};
	})`
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	for _, r := range res.Incomplete {
		targets := make([]string, len(r.Nodes))
		for i, n := range r.Nodes {
			targets[i] = n.Target
		}
		b.t.Logf("axe, %s: needs review by hand: %s (%s) on %s", page, r.ID, r.Help, strings.Join(targets, ", "))
	}
	if len(res.Violations) == 0 {
		b.t.Logf("axe, %s: no WCAG 2.1 A/AA violation", page)
		return
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "axe, %s (%s): %d WCAG 2.1 A/AA violation(s):", page, b.location(), len(res.Violations))
	for _, v := range res.Violations {
		fmt.Fprintf(&msg, "\n  - %s [%s] %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&msg, "\n      %s\n        %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n        "))
		}
	}
	b.t.Error(msg.String())
}

// reflowWidth is the narrowest screen a page must fit without scrolling
// sideways: a phone, or 1280 px at 400 % zoom (WCAG 1.4.10, RGAA 10.11).
const reflowWidth = 320

// overflowing lists, for the message, the deepest elements that reach past
// the right edge of a reflowWidth screen, with a little of their text. An
// element inside a box that scrolls on its own (a wide table's) is left out:
// it widens that box, not the page.
const overflowing = `width => {
	const out = e => e.getBoundingClientRect().right > width + 0.5;
	const scrolled = e => {
		for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			if (getComputedStyle(a).overflowX !== 'visible') return !out(a);
		}
		return false;
	};
	return [...document.body.querySelectorAll('*')]
	.filter(e => out(e) && !scrolled(e))
	.filter(e => ![...e.children].some(out))
	.slice(0, 5)
	.map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/\s+/g, '.') : '') +
		' (' + Math.round(e.getBoundingClientRect().right) + ' px) « ' + (e.innerText || '').trim().slice(0, 40) + ' »');
}`

// checkReflow shows the page on a reflowWidth-wide screen and fails the test
// when it scrolls sideways there, naming the elements that stick out. The
// window then gets its size back, so the test goes on as a desktop user.
func (b *browser) checkReflow(page string) {
	b.t.Helper()
	b.resize(reflowWidth, 800)
	defer b.resize(0, 0)
	type measure struct {
		ScrollWidth int      `json:"scrollWidth"`
		Culprits    []string `json:"culprits"`
	}
	script := fmt.Sprintf(`({scrollWidth: document.documentElement.scrollWidth, culprits: (%s)(%d)})`, overflowing, reflowWidth)
	m, err := chromedp.Run(b.ctx, chromedp.Evaluate[measure](script))
	if err != nil {
		b.t.Fatalf("reflow on %s: %v", page, err)
	}
	if m.ScrollWidth > reflowWidth {
		b.t.Errorf("reflow, %s (%s): the page is %d px wide on a %d px screen and scrolls sideways; sticking out: %s",
			page, b.location(), m.ScrollWidth, reflowWidth, strings.Join(m.Culprits, "; "))
	}
}

// resize shows the page on a width × height screen, as a phone or a zoomed
// window would; resize(0, 0) gives the window its own size back.
func (b *browser) resize(width, height int64) {
	b.t.Helper()
	var err error
	if width == 0 && height == 0 {
		// chromedp's ResetViewport sets a 0 × 0 override, which leaves the
		// page laid out at the last width: clearing the override does not.
		_, err = chromedp.Call(b.ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	} else {
		err = chromedp.Do(b.ctx, chromedp.EmulateViewport(width, height))
	}
	if err != nil {
		b.t.Fatalf("resize to %d × %d: %v", width, height, err)
	}
}

// printing shows the page as it prints (CSS @media print) while on is true.
func (b *browser) printing(on bool) {
	b.t.Helper()
	media := ""
	if on {
		media = "print"
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		b.t.Fatalf("emulate media %q: %v", media, err)
	}
}
