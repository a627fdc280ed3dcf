package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/web"
)

// codeAt is what an authenticator application shows for secret at t.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("generate code: %v", err)
	}
	return code
}

// inputNamed returns the input of that name, or nil.
func (r response) inputNamed(name string) *html.Node {
	return find(r.doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == name })
}

// labelOf returns the text of the label of the element with that id.
func (r response) labelOf(id string) string {
	if n := find(r.doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == id }); n != nil {
		return text(n)
	}
	return ""
}

var secretGroups = regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`)

// enrol sets up a second factor for the staff member of c, as they would
// with their phone: it reads the secret shown for manual entry, computes
// the current code from it, and returns the secret and the recovery codes.
func (w *world) enrol(c *client) (secret string, recovery []string) {
	w.t.Helper()
	page := c.get("/compte/double-authentification")
	if page.status != http.StatusOK {
		w.t.Fatalf("security page: got status %d, want 200", page.status)
	}
	shown := page.text("cle-secrete")
	if !secretGroups.MatchString(shown) {
		w.t.Fatalf("secret for manual entry: got %q, want 8 groups of 4 base32 characters", shown)
	}
	secret = strings.ReplaceAll(shown, " ", "")
	draft := page.inputNamed("cle")
	if draft == nil || attr(draft, "value") == "" || strings.Contains(attr(draft, "value"), secret) {
		w.t.Fatalf("enrolment form: the secret must travel sealed in field cle, got %v", draft)
	}
	res := c.post("/compte/double-authentification", url.Values{"cle": {attr(draft, "value")}, "code": {codeAt(w.t, secret, w.clock.Now())}})
	if res.status != http.StatusOK {
		w.t.Fatalf("enrol: got status %d, want 200; errors %q %q", res.status, res.fieldError("code"), res.text("contenu"))
	}
	list := res.byID("liste-codes-secours")
	if list == nil {
		w.t.Fatal("enrol: no recovery codes shown")
	}
	walk(list, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "code" {
			recovery = append(recovery, text(n))
		}
	})
	if len(recovery) != 10 {
		w.t.Fatalf("enrol: got %d recovery codes, want 10", len(recovery))
	}
	return secret, recovery
}

// staffID returns the id of the staff account login.
func (w *world) staffID(login string) int64 {
	w.t.Helper()
	st, err := w.store.StaffByLogin(context.Background(), login)
	if err != nil {
		w.t.Fatal(err)
	}
	return st.ID
}

// passwordStep logs in with the password of login and checks that the
// answer is the code page, not a session.
func (c *client) passwordStep(login string) response {
	c.w.t.Helper()
	res := c.post("/connexion", url.Values{"identifiant": {login}, "mot_de_passe": {testPassword}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/connexion/verification" {
		c.w.t.Fatalf("password of %s: got status %d to %q, want 303 to /connexion/verification", login, res.status, res.header.Get("Location"))
	}
	for _, ck := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "sesame=") {
			c.w.t.Fatalf("password of %s: a session cookie before the code: %s", login, ck)
		}
	}
	return res
}

// loggedIn reports whether c has a staff session.
func (c *client) loggedIn() bool {
	c.w.t.Helper()
	return c.get("/abonnes").status == http.StatusOK
}

func TestMFAEnrolment(t *testing.T) {
	w := newWorld(t)
	c := w.login("fouesnant")

	page := c.get("/compte/double-authentification")
	if page.status != http.StatusOK {
		t.Fatalf("security page: got status %d, want 200", page.status)
	}
	menu := find(page.doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == "/compte/double-authentification" && attr(n, "aria-current") == "page"
	})
	if menu == nil || text(menu) != "Sécurité du compte" {
		t.Error("menu: no current link « Sécurité du compte »")
	}
	img := find(page.doc, func(n *html.Node) bool {
		return n.Data == "img" && strings.HasPrefix(attr(n, "src"), "data:image/png;base64,")
	})
	if img == nil || !strings.Contains(attr(img, "alt"), "QR code") || !strings.Contains(attr(img, "alt"), "clé") {
		t.Errorf("QR code: got %v, want a PNG data: image whose alt text names the QR code and the key", img)
	}
	code := page.byID("f-code")
	if code == nil || page.labelOf("f-code") != "Code à 6 chiffres *" || attr(code, "autocomplete") != "one-time-code" || attr(code, "inputmode") != "numeric" {
		t.Errorf("code field: got %v with label %q, want a labelled one-time-code numeric field", code, page.labelOf("f-code"))
	}
	shown := page.text("cle-secrete")
	secret := strings.ReplaceAll(shown, " ", "")
	draft := attr(page.inputNamed("cle"), "value")

	tests := []struct {
		name, code, want string
		status           int
	}{
		{"empty", "", "Code à 6 chiffres : ce champ est obligatoire.", http.StatusUnprocessableEntity},
		{"letters", "12a456", "Code à 6 chiffres : tapez les 6 chiffres", http.StatusUnprocessableEntity},
		{"wrong", wrongCode(codeAt(t, secret, w.clock.Now())), "Code à 6 chiffres : ce code ne correspond pas.", http.StatusUnprocessableEntity},
		{"too old", codeAt(t, secret, w.clock.Now().Add(-2*time.Minute)), "ce code ne correspond pas", http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.post("/compte/double-authentification", url.Values{"cle": {draft}, "code": {tt.code}})
			if res.status != tt.status || !strings.Contains(res.fieldError("code"), tt.want) {
				t.Errorf("got status %d, message %q; want %d, « %s »", res.status, res.fieldError("code"), tt.status, tt.want)
			}
			if res.value("code") != "" {
				t.Errorf("the code field holds %q, want it empty: a code is never sent back", res.value("code"))
			}
			if got := res.text("cle-secrete"); got != shown {
				t.Errorf("secret shown again: got %q, want the same %q, already in the phone", got, shown)
			}
		})
	}
	// A sealed secret of another account, or a forged one, is refused.
	other := w.login("quimper").get("/compte/double-authentification")
	res := c.post("/compte/double-authentification", url.Values{"cle": {attr(other.inputNamed("cle"), "value")},
		"code": {codeAt(t, strings.ReplaceAll(other.text("cle-secrete"), " ", ""), w.clock.Now())}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text("contenu"), "La clé proposée n'est plus valable") {
		t.Errorf("another account's key: got status %d, want 422 and a new key", res.status)
	}
	if on, _ := w.store.StaffHasTOTP(context.Background(), w.staffID("fouesnant")); on {
		t.Fatal("second factor on after refused codes")
	}

	_, recovery := w.enrol(c)
	for _, rc := range recovery {
		if !regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`).MatchString(rc) {
			t.Errorf("recovery code %q: want 4 groups of 4 characters", rc)
		}
	}
	id := w.staffID("fouesnant")
	if on, err := w.store.StaffHasTOTP(context.Background(), id); err != nil || !on {
		t.Fatalf("second factor: got %v (%v), want on", on, err)
	}
	page = c.get("/compte/double-authentification")
	if !strings.Contains(page.text("etat-double-authentification"), "activée depuis le 26/11/2026") || page.byID("liste-codes-secours") != nil {
		t.Errorf("page once on: got %q, want the date and no recovery codes shown again", page.text("etat-double-authentification"))
	}
	if !strings.Contains(page.text("contenu"), "Codes de secours restants : 10.") {
		t.Error("page once on: want 10 recovery codes left")
	}
	// The network admin has the page too.
	if res := w.login("admin").get("/compte/double-authentification"); res.status != http.StatusOK || res.text("cle-secrete") == "" {
		t.Errorf("admin's security page: got status %d, want 200 with a key", res.status)
	}
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestMFALogin(t *testing.T) {
	w := newWorld(t)
	secret, _ := w.enrol(w.login("fouesnant"))
	w.clock.Advance(30 * time.Second)

	c := w.anonymous()
	u, _ := url.Parse(w.server.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sesame", Value: "planted-by-an-attacker"}})
	before := map[string]bool{"planted-by-an-attacker": true}
	keep := func(res response) {
		for _, ck := range res.header.Values("Set-Cookie") {
			_, rest, _ := strings.Cut(ck, "=")
			if value, _, _ := strings.Cut(rest, ";"); value != "" {
				before[value] = true
			}
		}
	}
	keep(c.post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}, "suite": {"/abonnes/a-traiter"}}))
	if c.loggedIn() {
		t.Fatal("logged in with the password alone")
	}
	page := c.get("/connexion/verification")
	keep(page)
	if page.status != http.StatusOK || page.labelOf("f-code") != "Code de vérification *" || attr(page.byID("f-code"), "autocomplete") != "one-time-code" {
		t.Fatalf("code page: got status %d, label %q", page.status, page.labelOf("f-code"))
	}
	if page.labelOf("f-code_secours") != "Code de secours" {
		t.Errorf("code page: recovery field label %q, want « Code de secours »", page.labelOf("f-code_secours"))
	}
	res := c.post("/connexion/verification", url.Values{"code": {""}})
	keep(res)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("code"), "ce champ est obligatoire") {
		t.Errorf("empty code: got status %d, %q", res.status, res.fieldError("code"))
	}
	res = c.post("/connexion/verification", url.Values{"code": {wrongCode(codeAt(t, secret, w.clock.Now()))}})
	keep(res)
	if res.status != http.StatusUnauthorized || res.fieldError("code") != "Code de vérification : ce code ne correspond pas. Tapez le code affiché maintenant par l'application." {
		t.Errorf("wrong code: got status %d, %q", res.status, res.fieldError("code"))
	}
	if res.value("code") != "" {
		t.Errorf("wrong code: the field holds %q, want it empty", res.value("code"))
	}
	if c.loggedIn() {
		t.Fatal("logged in after a wrong code")
	}

	// The code, typed with a space as some applications show it.
	good := codeAt(t, secret, w.clock.Now())
	res = c.post("/connexion/verification", url.Values{"code": {good[:3] + " " + good[3:]}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/abonnes/a-traiter" {
		t.Fatalf("right code: got status %d to %q, want 303 to the page asked for", res.status, res.header.Get("Location"))
	}
	var session string
	for _, ck := range res.header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(ck, "sesame="); ok {
			session, _, _ = strings.Cut(v, ";")
		}
	}
	if session == "" || before[session] {
		t.Errorf("session cookie after the code: got %q, want a new value, unlike every cookie before (%d seen)", session, len(before))
	}
	if !c.loggedIn() {
		t.Fatal("not logged in after the right code")
	}
	// The waiting login is spent.
	again := c.post("/connexion/verification", url.Values{"code": {good}})
	if again.status != http.StatusUnauthorized || !strings.Contains(again.text("contenu"), "connectez-vous de nouveau") {
		t.Errorf("code page once logged in: got status %d, want 401 and the login form", again.status)
	}
}

func TestMFACodeServesOnce(t *testing.T) {
	w := newWorld(t)
	secret, _ := w.enrol(w.login("fouesnant"))
	enrolled := w.clock.Now()
	w.clock.Advance(time.Minute) // two steps later

	tests := []struct {
		name   string
		at     time.Time // the instant of the code typed
		status int
		msg    string
	}{
		{"enrolment's code", enrolled, http.StatusUnauthorized, "ce code ne correspond pas"},
		{"previous step, skew", w.clock.Now().Add(-30 * time.Second), http.StatusSeeOther, ""},
		{"previous step again", w.clock.Now().Add(-30 * time.Second), http.StatusUnauthorized, "ce code a déjà servi"},
		{"current step", w.clock.Now(), http.StatusSeeOther, ""},
		{"current step replayed", w.clock.Now(), http.StatusUnauthorized, "ce code a déjà servi"},
		{"next step, skew", w.clock.Now().Add(30 * time.Second), http.StatusSeeOther, ""},
		{"earlier step after a later one", w.clock.Now(), http.StatusUnauthorized, "ce code a déjà servi"},
		{"two steps ahead", w.clock.Now().Add(time.Minute), http.StatusUnauthorized, "ce code ne correspond pas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := w.anonymous()
			c.passwordStep("fouesnant")
			res := c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, tt.at)}})
			if res.status != tt.status || !strings.Contains(res.fieldError("code"), tt.msg) {
				t.Errorf("got status %d, %q; want %d, « %s »", res.status, res.fieldError("code"), tt.status, tt.msg)
			}
			if got := c.loggedIn(); got != (tt.status == http.StatusSeeOther) {
				t.Errorf("logged in: got %v", got)
			}
		})
	}
}

func TestMFAWrongCodesAreThrottled(t *testing.T) {
	w := newWorld(t)
	secret, _ := w.enrol(w.login("fouesnant"))
	w.clock.Advance(30 * time.Second)
	ctx := context.Background()
	c := w.anonymous()
	c.passwordStep("fouesnant")
	bad := url.Values{"code": {wrongCode(codeAt(t, secret, w.clock.Now()))}}
	for i := 1; i <= 3; i++ {
		if res := c.post("/connexion/verification", bad); res.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: got status %d, want 401", i, res.status)
		}
	}
	// The right password again does not wipe the wrong codes out.
	c.passwordStep("fouesnant")
	for i := 4; i <= auth.FreeFailures; i++ {
		if res := c.post("/connexion/verification", bad); res.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: got status %d, want 401", i, res.status)
		}
	}
	for _, key := range []string{auth.AccountKey("fouesnant"), auth.AddressKey("127.0.0.1")} {
		if th, err := w.store.ThrottleOf(ctx, key); err != nil || th.Failures != auth.FreeFailures {
			t.Errorf("throttle %s: got %d failures (%v), want %d", key, th.Failures, err, auth.FreeFailures)
		}
	}
	res := c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.text("contenu"), "Trop de tentatives de connexion. Réessayez dans ") {
		t.Fatalf("right code after %d wrong ones: got status %d, want 429 and the wait in French; %s", auth.FreeFailures, res.status, res.text("contenu"))
	}
	if c.loggedIn() {
		t.Fatal("logged in while blocked")
	}
	w.clock.Advance(auth.FirstDelay + time.Second)
	res = c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("right code after the delay: got status %d, want 303", res.status)
	}
	for _, key := range []string{auth.AccountKey("fouesnant"), auth.AddressKey("127.0.0.1")} {
		if th, _ := w.store.ThrottleOf(ctx, key); th.Failures != 0 {
			t.Errorf("throttle %s after success: got %d failures, want none", key, th.Failures)
		}
	}
}

func TestMFARecoveryCodeServesOnce(t *testing.T) {
	w := newWorld(t)
	_, recovery := w.enrol(w.login("fouesnant"))

	c := w.anonymous()
	c.passwordStep("fouesnant")
	// Typed in capitals, with spaces for dashes.
	res := c.post("/connexion/verification", url.Values{"code_secours": {strings.ToUpper(strings.ReplaceAll(recovery[3], "-", " "))}})
	if res.status != http.StatusSeeOther || !c.loggedIn() {
		t.Fatalf("recovery code: got status %d, want 303 and a session", res.status)
	}
	if page := c.get("/compte/double-authentification"); !strings.Contains(page.text("contenu"), "Codes de secours restants : 9.") {
		t.Errorf("after one recovery code: want 9 left, page says %q", page.text("contenu"))
	}

	c = w.anonymous()
	c.passwordStep("fouesnant")
	res = c.post("/connexion/verification", url.Values{"code_secours": {recovery[3]}})
	if res.status != http.StatusUnauthorized || !strings.Contains(res.fieldError("code_secours"), "ne sert qu'une fois") || res.value("code_secours") != "" {
		t.Errorf("the same recovery code again: got status %d, %q, field %q; want 401, a French message and an empty field",
			res.status, res.fieldError("code_secours"), res.value("code_secours"))
	}
	if c.loggedIn() {
		t.Error("logged in with a spent recovery code")
	}
}

func TestMFAPendingLoginExpires(t *testing.T) {
	w := newWorld(t)
	secret, _ := w.enrol(w.login("fouesnant"))
	w.clock.Advance(30 * time.Second)
	c := w.anonymous()
	c.passwordStep("fouesnant")
	w.clock.Advance(5*time.Minute + time.Second)
	res := c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
	if res.status != http.StatusUnauthorized || !strings.Contains(res.text("contenu"), "le délai de 5 minutes pour le taper est dépassé") {
		t.Errorf("code after 5 minutes: got status %d, want 401 and the login form; %s", res.status, res.text("contenu"))
	}
	if res.byID("f-identifiant") == nil {
		t.Error("code after 5 minutes: no login form")
	}
	if c.loggedIn() {
		t.Error("logged in after the 5 minutes")
	}
	// Within the 5 minutes, it works.
	c.passwordStep("fouesnant")
	w.clock.Advance(4*time.Minute + 30*time.Second)
	if res := c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}}); res.status != http.StatusSeeOther {
		t.Errorf("code after 4 min 30 s: got status %d, want 303", res.status)
	}
}

// A login waiting for its code ends with the account's sessions: a code
// typed after the admin reset the password, or disabled the account, opens
// nothing.
func TestMFAPendingLoginEndsWithSessions(t *testing.T) {
	w := newWorld(t)
	secret, _ := w.enrol(w.login("fouesnant"))
	w.clock.Advance(30 * time.Second)
	c := w.anonymous()
	c.passwordStep("fouesnant")
	if res := w.login("admin").post("/admin/personnel/"+itoa(w.staffID("fouesnant"))+"/mot-de-passe", url.Values{}); res.status != http.StatusOK {
		t.Fatalf("password reset by the admin: got %d", res.status)
	}
	c.post("/connexion/verification", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
	if c.loggedIn() {
		t.Error("a code typed after the password reset opened a session")
	}
}

func TestMFADisable(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.staffID("fouesnant")

	t.Run("by the network admin", func(t *testing.T) {
		w.enrol(w.login("fouesnant"))
		admin := w.login("admin")
		page := admin.get("/admin/personnel/" + itoa(id))
		if !strings.Contains(page.text("contenu"), "Activée depuis le 26/11/2026") {
			t.Errorf("staff page: want « Activée depuis le … », got %s", page.text("contenu"))
		}
		res := admin.post("/admin/personnel/"+itoa(id)+"/double-authentification", url.Values{})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/personnel/"+itoa(id)+"?ok=double-authentification-desactivee" {
			t.Fatalf("disable: got status %d to %q", res.status, res.header.Get("Location"))
		}
		page = admin.get(res.header.Get("Location"))
		if !strings.Contains(page.text("contenu"), "La double authentification est désactivée.") || !strings.Contains(page.text("contenu"), "Non activée") {
			t.Errorf("staff page after: got %s", page.text("contenu"))
		}
		if on, _ := w.store.StaffHasTOTP(ctx, id); on {
			t.Fatal("still on")
		}
		// The password alone opens the account again, as before.
		if c := w.login("fouesnant"); !c.loggedIn() {
			t.Error("no session with the password alone")
		}
		if res := w.login("quimper").post("/admin/personnel/"+itoa(id)+"/double-authentification", url.Values{}); res.status != http.StatusForbidden {
			t.Errorf("a librarian disabling someone's second factor: got status %d, want 403", res.status)
		}
	})

	t.Run("by its owner", func(t *testing.T) {
		w.clock.Advance(30 * time.Second)
		c := w.login("fouesnant")
		secret, _ := w.enrol(c)
		w.clock.Advance(30 * time.Second)
		res := c.post("/compte/double-authentification/desactiver", url.Values{})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("code"), "ou bien votre mot de passe") {
			t.Errorf("nothing typed: got status %d, %q", res.status, res.fieldError("code"))
		}
		res = c.post("/compte/double-authentification/desactiver", url.Values{"mot_de_passe": {"pas le bon mot de passe"}})
		if res.status != http.StatusUnauthorized || res.fieldError("mot_de_passe") != "Mot de passe : ce n'est pas votre mot de passe actuel." ||
			res.value("mot_de_passe") != "" {
			t.Errorf("wrong password: got status %d, %q", res.status, res.fieldError("mot_de_passe"))
		}
		// New recovery codes, with a code of the application.
		res = c.post("/compte/double-authentification/codes-de-secours", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
		if res.status != http.StatusOK || res.byID("liste-codes-secours") == nil {
			t.Errorf("new recovery codes: got status %d, %s", res.status, res.text("contenu"))
		}
		res = c.post("/compte/double-authentification/desactiver", url.Values{"code": {codeAt(t, secret, w.clock.Now())}})
		if res.status != http.StatusUnauthorized || !strings.Contains(res.fieldError("code"), "déjà servi") {
			t.Errorf("the same code again: got status %d, %q", res.status, res.fieldError("code"))
		}
		res = c.post("/compte/double-authentification/desactiver", url.Values{"mot_de_passe": {testPassword}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("right password: got status %d, want 303", res.status)
		}
		if on, _ := w.store.StaffHasTOTP(ctx, id); on {
			t.Error("still on")
		}
	})
}

func TestMFARequiredByTheNetwork(t *testing.T) {
	w := newWorld(t)
	admin := w.login("admin")
	res := admin.post("/admin/reseau", url.Values{"nom": {"Réseau de test"}, "email": {"reseau@example.org"}, "validite": {"12"}, "double_authentification": {"1"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("network settings: got status %d, want 303; %s", res.status, res.text("contenu"))
	}
	if n, err := w.store.Network(context.Background()); err != nil || !n.StaffMFARequired {
		t.Errorf("network settings: got %+v (%v), want the second factor required", n, err)
	}
	// The admin, already logged in, is held on the set-up page too.
	if res := admin.get("/admin"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/compte/double-authentification" {
		t.Errorf("admin without a second factor: got status %d to %q", res.status, res.header.Get("Location"))
	}

	c := w.anonymous()
	res = c.post("/connexion", url.Values{"identifiant": {"fouesnant"}, "mot_de_passe": {testPassword}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/compte/double-authentification" {
		t.Fatalf("login without a second factor: got status %d to %q, want the set-up page", res.status, res.header.Get("Location"))
	}
	for _, path := range []string{"/abonnes", "/statistiques", "/abonnes/" + itoa(w.patronA)} {
		if res := c.get(path); res.status != http.StatusSeeOther || res.header.Get("Location") != "/compte/double-authentification" {
			t.Errorf("GET %s before set-up: got status %d to %q", path, res.status, res.header.Get("Location"))
		}
	}
	if res := c.post("/abonnes/"+itoa(w.patronA)+"/statut", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("POST before set-up: got status %d, want 303 to the set-up page", res.status)
	}
	if res := c.get("/"); res.status != http.StatusOK {
		t.Errorf("home page: got status %d, want 200", res.status)
	}
	page := c.get("/compte/double-authentification")
	if !strings.Contains(page.text("contenu"), "Obligatoire.") {
		t.Error("set-up page: no word that it is required")
	}
	w.enrol(c)
	if !c.loggedIn() {
		t.Error("after set-up: still held")
	}
	w.enrol(admin)
	if page := admin.get("/admin/reseau"); page.status != http.StatusOK || !hasAttr(page.byID("f-double_authentification"), "checked") {
		t.Errorf("network settings: got status %d, want 200 and the box ticked", page.status)
	}
}

// TestMFAWithoutSecretKey runs a server whose store has no SESAME_SECRET_KEY:
// the page says why there is no second factor, and offers none.
func TestMFAWithoutSecretKey(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sans-cle.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := testHasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateStaff(ctx, sesame.Staff{Login: "admin", Name: "Administration", Role: sesame.RoleAdmin, PasswordHash: hash}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Now: clock.Now, Random: rand.Reader, Hasher: testHasher})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, clock: clock, server: httptest.NewServer(srv.Handler())}
	t.Cleanup(w.server.Close)
	c := w.login("admin")
	page := c.get("/compte/double-authentification")
	if page.status != http.StatusOK || !strings.Contains(page.text("contenu"), "SESAME_SECRET_KEY") || page.byID("f-code") != nil || len(page.all("img")) != 0 {
		t.Errorf("without a key: got status %d, %q; want an explanation and no form", page.status, page.text("contenu"))
	}
	if res := c.post("/compte/double-authentification", url.Values{"code": {"123456"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("enrol without a key: got status %d, want 422", res.status)
	}
	res := c.post("/admin/reseau", url.Values{"nom": {"Réseau"}, "email": {"reseau@example.org"}, "validite": {"12"}, "double_authentification": {"1"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("double_authentification"), "SESAME_SECRET_KEY") {
		t.Errorf("requiring it without a key: got status %d, %q", res.status, res.fieldError("double_authentification"))
	}
}
