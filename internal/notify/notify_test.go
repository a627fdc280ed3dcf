package notify_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/notify"
)

const base = "https://sesame.example.org"

// TestRender renders every template: the subject, the plain text derived
// from the HTML (paragraphs, "- " items, a link's address after its words),
// and the HTML, which escapes what the data brings while the text keeps it.
func TestRender(t *testing.T) {
	tests := []struct {
		name    string
		data    any
		subject string
		text    string   // the whole text part, when given
		inText  []string // or parts of it
		inHTML  []string
	}{
		{name: "demande", data: notify.Request{Kind: sesame.RequestResources, Name: "MOAL Katell", Network: "Réseau", Library: "Médiathèque",
			Resources: []string{"PressReader", "Tout apprendre"}, RecordURL: base + "/abonnes/7"},
			subject: "Demande de ressources à traiter : MOAL Katell",
			text: "Bonjour,\n\nMOAL Katell demande d'autres ressources numériques, « En attente » sur l'onglet Ressources de sa fiche :\n- PressReader\n- Tout apprendre\n\n" +
				"Ouvrir la fiche de MOAL Katell :\n" + base + "/abonnes/7\n\nVous recevez un courriel par demande. L'administration du réseau peut les remplacer par un récapitulatif quotidien.\n",
			inHTML: []string{`<a href="` + base + `/abonnes/7">Ouvrir la fiche de MOAL Katell</a>`, "<li>PressReader</li>"}},
		{name: "recapitulatif", data: notify.Digest{Date: "27/11/2026", Library: "Médiathèque", ToDoURL: base + "/abonnes/a-traiter", Requests: []notify.DigestLine{
			{PatronName: "LE BIHAN Gwen", Kind: sesame.RequestRegistration, At: "26/11/2026 à 18:05", Status: sesame.StatusToValidate, URL: base + "/abonnes/3"},
			{PatronName: "MOAL Katell", Kind: sesame.RequestResources, At: "26/11/2026 à 19:00", Detail: "PressReader", Status: sesame.StatusValidated, URL: base + "/abonnes/4"}}},
			subject: "Récapitulatif du 27/11/2026 : 2 demandes pour Médiathèque",
			inText:  []string{"vos usagers ont fait 2 demandes :\n- LE BIHAN Gwen — ", "\n  " + base + "/abonnes/3\n", " le 26/11/2026 à 19:00 (PressReader), statut actuel : « "},
			inHTML:  []string{`<a href="` + base + `/abonnes/4">MOAL Katell</a> — `}},
		{name: "validation", data: notify.Validated{Name: "Katell MOAL", Network: "Réseau", Library: "Médiathèque", ValidUntil: "31/12/2027",
			Renewed: true, Waiting: []string{"PressReader"}, AccountURL: base + "/mon-compte"},
			subject: "Votre compte est validé jusqu'au 31/12/2027",
			inText:  []string{"Bonjour Katell MOAL,\n\nMédiathèque a renouvelé votre compte", "décision de votre bibliothèque :\n- PressReader\n\nVous recevrez", "Ouvrir « Mon compte » :\n" + base + "/mon-compte\n"}},
		{name: "rappel-fin-de-validite", data: notify.Reminder{Name: "Katell MOAL", Network: "Réseau", Library: "Médiathèque", ValidUntil: "31/12/2026",
			DaysLeft: 7, RenewURL: base + "/mon-compte/renouvellement"},
			subject: "Votre compte prend fin le 31/12/2026 : demandez son renouvellement",
			inText: []string{"valable jusqu'au 31/12/2026 inclus, dans 7 jours.", "Vous gardez vos accès jusqu'à la date de fin.",
				"Demander le renouvellement :\n" + base + "/mon-compte/renouvellement\n"}},
		{name: "rappel-fin-de-validite", data: notify.Reminder{Name: "Katell MOAL", Network: "Réseau", Library: "Médiathèque", ValidUntil: "31/12/2026",
			Ended: true, RenewURL: base + "/mon-compte/renouvellement"},
			subject: "Votre compte a pris fin le 31/12/2026 : demandez son renouvellement",
			inText:  []string{"a pris fin le 31/12/2026. Vous ne pouvez plus ouvrir les ressources.", "Pour le rouvrir"}},
		{name: "renouvellement-sigb", data: notify.SIGBRenewal{Name: "Soizic TANGUY", Network: "Réseau", Library: "Médiathèque de Fouesnant",
			RegisteredOn: "30/11/2026", RenewURL: base + "/mon-compte/renouvellement"},
			subject: "Votre abonnement à la bibliothèque a été renouvelé : demandez le renouvellement de votre compte en un clic",
			inText: []string{"Médiathèque de Fouesnant a enregistré le renouvellement de votre abonnement à la bibliothèque le 30/11/2026.", "seul vous pouvez en demander le renouvellement",
				"Demander le renouvellement :\n" + base + "/mon-compte/renouvellement\n"}},
		{name: "date-de-fin-corrigee", data: notify.EndDateCorrected{Name: "Katell MOAL", Library: "Médiathèque", ValidUntil: "30/06/2027"},
			subject: "La date de fin de votre compte est corrigée : 30/06/2027", inText: []string{"valable jusqu'au 30/06/2027 inclus."}},
		{name: "alerte-connecteur", data: notify.ConnectorAlert{Network: "Réseau", Connector: "n° 3 (SAML 2.0) de PressReader",
			Warning: "Le certificat du fournisseur de service prend fin le 14/12/2026 : demandez-lui ses nouvelles métadonnées.", StatusURL: base + "/admin/connecteurs/etat"},
			subject: "Connecteur à surveiller : n° 3 (SAML 2.0) de PressReader",
			inText: []string{"Le connecteur n° 3 (SAML 2.0) de PressReader du réseau Réseau demande votre attention", "prend fin le 14/12/2026",
				"n'est envoyé qu'une fois tant que le problème dure", "Ouvrir « État des connecteurs » :\n" + base + "/admin/connecteurs/etat\n"}},
		{name: "refus", data: notify.Refused{Name: "Katell <b>MOAL</b>", Library: "Médiathèque", LibraryEmail: "a@example.org", Reason: `pas d'abonnement & "<script>"`},
			subject: "Votre inscription est refusée",
			inText:  []string{"Bonjour Katell <b>MOAL</b>,", `Motif : « pas d'abonnement & "<script>" »`},
			inHTML:  []string{"Katell &lt;b&gt;MOAL&lt;/b&gt;", "&lt;script&gt;"}},
		{name: "ressources-activees", data: notify.Resources{Name: "Katell MOAL", Library: "Médiathèque", Activated: []string{"PressReader"}, Validated: true},
			subject: "Ressource activée : PressReader", inText: []string{"Médiathèque a activé pour vous :\n- PressReader\n\nOuvrez-les"}},
		{name: "mot-de-passe-change", data: notify.PasswordChanged{Name: "Anne LEFEVRE", ForgotURL: base + "/mot-de-passe-oublie"},
			subject: "Votre mot de passe a été changé",
			text: "Bonjour Anne LEFEVRE,\n\nLe mot de passe de votre compte de ressources numériques vient d'être changé depuis « Mon compte ». Vos autres sessions ont été fermées.\n\n" +
				"Si ce n'est pas vous, choisissez tout de suite un nouveau mot de passe avec « Mot de passe oublié ? », puis prévenez votre bibliothèque.\n\n" +
				"Choisir un nouveau mot de passe :\n" + base + "/mot-de-passe-oublie\n"},
		{name: "accord-parental-a-nouveau", data: notify.ConsentAgain{Parent: "Yann MOAL", Child: "Katell MOAL", Network: "Réseau", Library: "Médiathèque", BirthDate: "01/02/2015", Link: base + "/accord/t"},
			subject: "Accord parental pour l'inscription de Katell MOAL — Réseau", inText: []string{"corrigée : le 01/02/2015.", "Donner votre accord :\n" + base + "/accord/t\n"}},
		{name: "mot-de-passe-oublie", data: notify.Reset{Name: "Anne LEFEVRE", Network: "Réseau", Link: base + "/mot-de-passe/t"},
			subject: "Réinitialisation de votre mot de passe — Réseau", inText: []string{"Choisir un nouveau mot de passe :\n" + base + "/mot-de-passe/t\n"},
			inHTML: []string{`<a href="` + base + `/mot-de-passe/t">`}},
		{name: "confirmation-inscription", data: notify.Confirmation{Name: "Katell MOAL", Network: "Réseau", Link: base + "/inscription/confirmer/t", Minor: true},
			subject: "Confirmez votre inscription — Réseau", inText: []string{"Confirmer mon inscription :\n" + base + "/inscription/confirmer/t\n", "moins de 15 ans"}},
		{name: "accord-parental", data: notify.ParentalConsent{Parent: "Yann MOAL", Child: "Katell MOAL", Network: "Réseau", Library: "Médiathèque", Link: base + "/inscription/accord/t"},
			subject: "Accord parental pour l'inscription de Katell MOAL — Réseau", inText: []string{"Bonjour Yann MOAL,", base + "/inscription/accord/t\n"}},
		{name: "deja-inscrit", data: notify.AlreadyRegistered{Network: "Réseau", Login: base + "/connexion", Forgot: base + "/mot-de-passe-oublie"},
			subject: "Vous avez déjà un compte — Réseau", inText: []string{"Bonjour,\n\n", "Me connecter :\n" + base + "/connexion\n", "Mot de passe oublié ? Choisir un nouveau mot de passe :\n" + base + "/mot-de-passe-oublie\n"}},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			m, err := notify.Render(tt.name, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject: got %q, want %q", m.Subject, tt.subject)
			}
			if tt.text != "" && m.Text != tt.text {
				t.Errorf("text: got\n%q\nwant\n%q", m.Text, tt.text)
			}
			for _, want := range tt.inText {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
			}
			for _, want := range append(tt.inHTML, "<title>"+strings.ReplaceAll(tt.subject, "'", "&#39;")+"</title>") {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
		})
	}
	names, err := fs.Glob(notify.Templates(), "templates/*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n := strings.TrimSuffix(path.Base(n), ".tmpl"); !tested[n] {
			t.Errorf("template %s is not tested", n)
		}
	}
}

// TestRenderKeepsForgedSubject: a name carrying a line break stays in the
// subject as it is, so that mail.Message.Validate refuses the message (a
// forged header) instead of it leaving with a tidied name.
func TestRenderKeepsForgedSubject(t *testing.T) {
	m, err := notify.Render("demande", notify.Request{Kind: sesame.RequestRenewal, Name: "EVIL\r\nBcc: victim@example.org Eve"})
	if err != nil {
		t.Fatal(err)
	}
	m.To = "a@example.org"
	if !strings.Contains(m.Subject, "\r\nBcc:") || m.Validate() == nil {
		t.Errorf("subject %q: got it valid, want Validate to refuse it", m.Subject)
	}
}

func TestRenderUnknown(t *testing.T) {
	if _, err := notify.Render("nothing", nil); err == nil {
		t.Error("Render of an unknown template: got no error")
	}
}
