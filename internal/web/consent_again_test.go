package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

const consentAgainRoute = "/inscription/accord-usager/"

// correctToMinor has staff correct patron B's birth date to 01/03/2015,
// naming a parent, and returns the path of the link the parent receives
// (the want-th mail to them).
func (w *world) correctToMinor(in *inbox, want int) string {
	w.t.Helper()
	form := url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
		"date_naissance": {"01/03/2015"}, "code_postal": {"29000"}, "ville": {"Quimper"}, "numero_inscription": {"B-0001"},
		"nom_parent": {"KERJEAN Maïwenn"}, "email_parent": {"maiwenn.kerjean@example.org"}}
	if res := w.login("quimper").post("/abonnes/"+itoa(w.patronB), form); res.status != http.StatusSeeOther {
		w.t.Fatalf("birth date corrected: got %d, want 303; %.300s", res.status, res.body)
	}
	return mailLink(w.t, w.onlyMail(in, "maiwenn.kerjean@example.org", want), consentAgainRoute)
}

// validate posts Validé on patron B's Statut tab.
func (w *world) validateB() response {
	return w.login("quimper").post("/abonnes/"+itoa(w.patronB)+"/statut", url.Values{
		"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}})
}

// checkConsentAgain follows the parent's link of TestBirthDateUnderFifteenAsksConsent:
// the outbox forgot its token, the library cannot validate before the
// consent, the parent's page and button record it once, and validation
// then works.
func checkConsentAgain(t *testing.T, w *world, link string) {
	t.Helper()
	ctx := context.Background()
	token := strings.TrimPrefix(link, consentAgainRoute)
	list, err := w.store.RecentMail(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		full, err := w.store.Mail(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(full.Text+full.HTML+full.Secret, token) {
			t.Errorf("outbox row %q still holds the live token after sending", m.Subject)
		}
	}

	statusTab := w.login("quimper").get("/abonnes/" + itoa(w.patronB) + "/statut")
	if got := statusTab.text("accord-attendu"); !strings.Contains(got, "Accord parental attendu (demandé le 26/11/2026)") {
		t.Errorf("Statut tab before the consent: got %q, want « Accord parental attendu (demandé le 26/11/2026) »", got)
	}
	if find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "valide" }) != nil {
		t.Errorf("Statut tab before the consent offers « Validé »")
	}
	if find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "refuse" }) == nil {
		t.Errorf("Statut tab before the consent no longer offers « Refusé »")
	}
	res := w.validateB()
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("statut"), "Accord parental attendu") {
		t.Errorf("Validé before the consent: got %d and %q, want 422 and « Accord parental attendu »", res.status, res.fieldError("statut"))
	}
	if p := w.patron(w.patronB); p.Status != sesame.StatusToValidate {
		t.Fatalf("Validé before the consent: account is %s, want À valider", p.Status)
	}

	for range 2 { // opening the page, even twice, changes nothing
		page := w.anonymous().get(link)
		if page.status != http.StatusOK || !hasButton(page, "Je donne mon accord") {
			t.Fatalf("the parent's link: got %d, want 200 and « Je donne mon accord »", page.status)
		}
		if got := page.text("demande"); !strings.Contains(got, "Yann KERJEAN") || !strings.Contains(got, "né(e) le 01/03/2015") {
			t.Errorf("the consent page: got %q, want the child's name and birth date", got)
		}
		if page.byID("ressources") == nil || !hasLink(page, "/donnees-personnelles") {
			t.Errorf("the consent page lacks the resources or the privacy notice")
		}
		form := find(page.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == link })
		if form == nil || attr(form, "method") != "post" {
			t.Errorf("the button's form does not POST to the link")
		}
	}
	if w.patron(w.patronB).ConsentAskedAt.IsZero() {
		t.Fatalf("opening the parent's link gave the consent: a GET must change nothing")
	}

	res = w.anonymous().post(link, nil)
	if res.status != http.StatusOK || !strings.Contains(res.text("accord-enregistre"), "votre accord est enregistré") {
		t.Fatalf("consent: got %d and %q, want 200 and the consent recorded", res.status, res.text("accord-enregistre"))
	}
	c, err := w.store.ParentalConsentOf(ctx, store.NetworkScope(), w.patronB)
	if err != nil || c.ParentName != "KERJEAN Maïwenn" || c.ParentEmail != "maiwenn.kerjean@example.org" || !c.At.Equal(w.clock.Now()) {
		t.Errorf("consent kept: got %+v, %v; want KERJEAN Maïwenn's, now", c, err)
	}
	events, err := w.store.PatronHistory(ctx, store.NetworkScope(), w.patronB)
	if err != nil || len(events) == 0 || !strings.Contains(events[0].Detail, "Accord parental donné par KERJEAN Maïwenn (maiwenn.kerjean@example.org)") {
		t.Errorf("history: got %+v, %v; want « Accord parental donné par KERJEAN Maïwenn » first", events, err)
	}
	if res := w.anonymous().post(link, nil); res.status != http.StatusGone || res.byID("lien-perime") == nil {
		t.Errorf("second press: got %d, want 410 « Lien expiré ou déjà utilisé »", res.status)
	}
	if res := w.anonymous().get(link); res.status != http.StatusGone {
		t.Errorf("link opened after use: got %d, want 410", res.status)
	}

	statusTab = w.login("quimper").get("/abonnes/" + itoa(w.patronB) + "/statut")
	if statusTab.byID("accord-attendu") != nil ||
		find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "valide" }) == nil {
		t.Errorf("Statut tab after the consent: want « Validé » offered and no « Accord parental attendu »")
	}
	if res := w.validateB(); res.status != http.StatusSeeOther {
		t.Fatalf("Validé after the consent: got %d, want 303; %.300s", res.status, res.body)
	}
	if p := w.patron(w.patronB); p.Status != sesame.StatusValidated {
		t.Errorf("after validation: account is %s, want Validé", p.Status)
	}
}

// The parent's link asked again lasts 48 hours, a newer one voids it, and
// the purge takes it once expired, while the account still waits for the
// consent; a malformed or unknown token is as expired.
func TestConsentAgainLinkExpiresAndIsReplaced(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	first := w.correctToMinor(in, 1)

	// A staff member corrects the date again, to over 15 then back under: a new link.
	form := url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
		"date_naissance": {"17/05/1980"}, "code_postal": {"29000"}, "ville": {"Quimper"}, "numero_inscription": {"B-0001"}}
	if res := w.login("quimper").post("/abonnes/"+itoa(w.patronB), form); res.status != http.StatusSeeOther {
		t.Fatalf("birth date corrected back: got %d; %.300s", res.status, res.body)
	}
	second := w.correctToMinor(in, 2)
	if res := w.anonymous().get(first); res.status != http.StatusGone {
		t.Errorf("the older link once a newer one left: got %d, want 410", res.status)
	}
	if res := w.anonymous().post(first, nil); res.status != http.StatusGone {
		t.Errorf("the older link pressed: got %d, want 410", res.status)
	}

	w.clock.Advance(48*time.Hour + time.Minute)
	if res := w.anonymous().get(second); res.status != http.StatusGone || res.byID("lien-perime") == nil {
		t.Errorf("after 48 hours: got %d, want 410 « Lien expiré ou déjà utilisé »", res.status)
	}
	if res := w.anonymous().post(second, nil); res.status != http.StatusGone {
		t.Errorf("pressed after 48 hours: got %d, want 410", res.status)
	}
	ctx := context.Background()
	// An expired link is kept while it may be renewed, then purged.
	w.clock.Advance(store.ConsentRenewableFor)
	if err := w.store.Update(ctx, func(tx *store.Tx) error { return tx.PurgeExpired(ctx, w.clock.Now(), w.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{first, second} {
		if _, err := w.store.ConsentRequestByHash(ctx, auth.HashToken(strings.TrimPrefix(link, consentAgainRoute))); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("link %s after the purge: got %v, want it gone", link, err)
		}
	}
	if p := w.patron(w.patronB); p.ConsentAskedAt.IsZero() || !p.AwaitsParentalConsent(sesame.DateOf(w.clock.Now(), w.paris)) {
		t.Errorf("an expired, purged link lifted the wait for the consent")
	}
	if res := w.validateB(); res.status != http.StatusUnprocessableEntity {
		t.Errorf("Validé with the link expired: got %d, want 422", res.status)
	}
	for _, path := range []string{consentAgainRoute + "inconnu", consentAgainRoute + strings.Repeat("A", 43)} {
		if res := w.anonymous().post(path, nil); res.status != http.StatusGone {
			t.Errorf("%s: got %d, want 410", path, res.status)
		}
	}
}

// A parent who opens their link after its 48 hours may ask for a new one,
// with one button whose POST accepts exactly the links the page offers it
// on: expired, neither used nor replaced, of a patron still waiting for
// the consent. The new link works and voids the old one.
func TestConsentAgainExpiredLinkOffersANewOne(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	link := w.correctToMinor(in, 1)
	renew := link + "/nouveau-lien"
	offersRenewal := func(r response) bool {
		return hasButton(r, "Recevoir un nouveau lien") &&
			find(r.doc, func(n *html.Node) bool {
				return n.Data == "form" && attr(n, "action") == renew && attr(n, "method") == "post"
			}) != nil
	}

	if page := w.anonymous().get(link); page.status != http.StatusOK || offersRenewal(page) {
		t.Errorf("a live link: got %d, want 200 and no « Recevoir un nouveau lien »", page.status)
	}
	if res := w.anonymous().post(renew, nil); res.status != http.StatusGone || offersRenewal(res) {
		t.Errorf("renewal of a live link: got %d, want 410 and no button", res.status)
	}

	w.clock.Advance(48*time.Hour + time.Minute)
	page := w.anonymous().get(link)
	if page.status != http.StatusGone || !offersRenewal(page) {
		t.Fatalf("the expired link: got %d, want 410 with « Recevoir un nouveau lien » posting to %s", page.status, renew)
	}
	res := w.anonymous().post(renew, nil)
	if res.status != http.StatusOK || res.byID("nouveau-lien") == nil {
		t.Fatalf("renewal: got %d, want 200 « Nouveau lien envoyé »; %.300s", res.status, res.body)
	}
	if strings.Contains(res.body, "maiwenn.kerjean@example.org") {
		t.Errorf("the renewal's answer shows the parent's address")
	}
	fresh := mailLink(t, w.onlyMail(in, "maiwenn.kerjean@example.org", 2), consentAgainRoute)
	if fresh == link {
		t.Fatalf("the new mail carries the expired link")
	}
	if page := w.anonymous().get(fresh); page.status != http.StatusOK || !hasButton(page, "Je donne mon accord") {
		t.Errorf("the new link: got %d, want 200 and « Je donne mon accord »", page.status)
	}
	// The expired link is replaced: no second new link from it.
	if page := w.anonymous().get(link); page.status != http.StatusGone || offersRenewal(page) {
		t.Errorf("the replaced link: got %d, want 410 and no button", page.status)
	}
	if res := w.anonymous().post(renew, nil); res.status != http.StatusGone || offersRenewal(res) {
		t.Errorf("renewal of the replaced link: got %d, want 410 and no button", res.status)
	}
	for _, path := range []string{consentAgainRoute + "inconnu/nouveau-lien", consentAgainRoute + strings.Repeat("A", 43) + "/nouveau-lien"} {
		if res := w.anonymous().post(path, nil); res.status != http.StatusGone || offersRenewal(res) {
			t.Errorf("%s: got %d, want 410", path, res.status)
		}
	}
	deliver(t, w.instance("test", in))
	if got := len(in.to("maiwenn.kerjean@example.org")); got != 2 {
		t.Errorf("mails to the parent: got %d, want 2 (the first link and one new link)", got)
	}

	// Once the consent is given, an expired link offers nothing more.
	if res := w.anonymous().post(fresh, nil); res.status != http.StatusOK {
		t.Fatalf("consent with the new link: got %d", res.status)
	}
	w.clock.Advance(48*time.Hour + time.Minute)
	if page := w.anonymous().get(fresh); page.status != http.StatusGone || offersRenewal(page) {
		t.Errorf("the used link, expired: got %d, want 410 and no button", page.status)
	}
}

// New consent links are rate-limited as the other public forms that send
// mail: a parent's address gets three an hour, whatever the links; over
// that, the page answers the same and nothing leaves.
func TestConsentAgainRenewalIsRateLimited(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const parent = "parent.commun@example.org"
	var links []string
	for i, name := range []string{"ALPHA", "BRAVO", "CHARLIE", "DELTA"} {
		id := w.addPatron(sesame.Patron{LibraryID: w.libB, LastName: name, FirstName: "Yann", Email: strings.ToLower(name) + "@example.org",
			Status: sesame.StatusValidated, LibraryRegisteredOn: sesame.MustDate(2026, 6, 1), ValidUntil: sesame.MustDate(2027, 6, 1)}, sesame.GrantValidated)
		form := url.Values{"version": {strconv.Itoa(w.patron(id).Version)}, "nom": {name}, "prenom": {"Yann"},
			"date_naissance": {"01/03/2015"}, "code_postal": {"29000"}, "ville": {"Quimper"},
			"nom_parent": {"Parent commun"}, "email_parent": {parent}}
		if res := w.login("quimper").post("/abonnes/"+itoa(id), form); res.status != http.StatusSeeOther {
			t.Fatalf("birth date of %s corrected: got %d; %.300s", name, res.status, res.body)
		}
		links = append(links, mailLink(t, w.onlyMail(in, parent, i+1), consentAgainRoute))
	}
	w.clock.Advance(48*time.Hour + time.Minute)
	for _, link := range links {
		if res := w.anonymous().post(link+"/nouveau-lien", nil); res.status != http.StatusOK || res.byID("nouveau-lien") == nil {
			t.Errorf("renewal of %s: got %d, want the same answer whatever the quota", link, res.status)
		}
	}
	deliver(t, w.instance("test", in))
	if got := len(in.to(parent)); got != 4+3 {
		t.Errorf("mails to the parent: got %d, want the 4 first links and 3 new ones", got)
	}
}
