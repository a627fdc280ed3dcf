package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/demo"
)

// TestStaffTwoFactor sets up a second factor from « Sécurité du compte », as
// a librarian who cannot scan the QR code would (typing the key shown), then
// logs in with it, and runs axe-core on each page of both.
func TestStaffTwoFactor(t *testing.T) {
	today := sesame.DateOf(time.Now(), app.Paris())
	b := newBrowser(t)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	b.base = startAppEnv(t, today, map[string]string{"SESAME_SECRET_KEY": base64.StdEncoding.EncodeToString(key)})
	menu := role("navigation", "Menu principal")
	codeAt := func(secret string, at time.Time) string {
		code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	login := func(want int64) {
		b.open("/connexion")
		b.fill(textbox("Identifiant"), "fouesnant")
		b.fill(textbox("Mot de passe"), demo.Password)
		b.click(button("Se connecter"), want)
	}

	login(200)
	b.click(link("Sécurité du compte").in(menu), 200)
	b.find(role("image", "QR code de la clé de double authentification de votre compte.").startingWith())
	shown := regexp.MustCompile(`([A-Z2-7]{4} ){7}[A-Z2-7]{4}`).FindString(b.text())
	if shown == "" {
		t.Fatalf("no key in groups of 4 for manual entry: %s", b.text())
	}
	secret := strings.ReplaceAll(shown, " ", "")
	b.checkA11y("sécurité du compte, activation")
	b.screenshot("double-authentification")

	code := textbox("Code à 6 chiffres")
	b.fill(code, "12345")
	b.click(button("Activer la double authentification"), 422)
	if desc := b.find(code).description(); !strings.Contains(desc, "tapez les 6 chiffres") {
		t.Errorf("5 digits: the field's description is %q, want the message", desc)
	}
	if b.value(code) != "" {
		t.Errorf("refused code: the field holds %q, want it empty", b.value(code))
	}
	b.checkA11y("sécurité du compte, code erroné")
	b.fill(code, codeAt(secret, time.Now()))
	b.click(button("Activer la double authentification"), 200)
	if got := b.section("Vos codes de secours"); len(regexp.MustCompile(`\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\b`).FindAllString(got, -1)) != 10 {
		t.Errorf("recovery codes: got %q, want 10 codes of 4 groups", got)
	}
	b.checkA11y("sécurité du compte, codes de secours")
	b.click(link("J'ai noté mes codes de secours"), 200)
	b.find(button("Désactiver la double authentification"))
	b.checkA11y("sécurité du compte, activée")
	b.click(button("Se déconnecter").in(menu), 200)

	login(200)
	if !strings.Contains(b.location(), "/connexion/verification") {
		t.Fatalf("after the password: at %s, want the code page", b.location())
	}
	b.checkA11y("code de vérification")
	b.screenshot("code-de-verification")
	check := textbox("Code de vérification")
	b.fill(check, "000000")
	b.click(button("Vérifier le code"), 401)
	if desc := b.find(check).description(); !strings.Contains(desc, "ce code ne correspond pas") {
		t.Errorf("wrong code: the field's description is %q, want the message", desc)
	}
	b.checkA11y("code de vérification, code erroné")
	// The code of the next step: the one of enrolment is spent, and one
	// step of skew is allowed.
	b.fill(check, codeAt(secret, time.Now().Add(30*time.Second)))
	b.click(button("Vérifier le code"), 200)
	b.find(link("Mes abonnés ressources numériques").in(menu))
}
