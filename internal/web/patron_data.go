package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// myData is what "Télécharger mes données" gives the patron (RGPD art. 15):
// everything held about them, and nothing else. Never the password hash,
// session tokens or anything about other patrons.
type myData struct {
	GenereLe     string         `json:"genere_le"`
	Identite     myDataIdentity `json:"identite"`
	Bibliotheque myDataLibrary  `json:"bibliotheque"`
	Compte       myDataAccount  `json:"compte"`
	Ressources   []myDataGrant  `json:"ressources"`
	Historique   []myDataEvent  `json:"historique"`
	// Acces are the resources opened through Sésame, kept a few months for
	// the usage statistics, then counted anonymously.
	Acces []myDataLaunch `json:"acces_aux_ressources"`
	// AccordParental is the consent given at a registration before 15, or null.
	AccordParental *myDataConsent `json:"accord_parental"`
	// Fournisseurs is « Ce que les fournisseurs savent de moi » (patron_vendors.go).
	Fournisseurs []myDataVendor `json:"ce_que_les_fournisseurs_savent"`
}

// myDataVendor is one resource opened: what its vendor received through
// each way it was opened, and when.
type myDataVendor struct {
	Ressource     string            `json:"ressource"`
	Voies         []myDataWay       `json:"voies"`
	DerniersAcces []myDataLaunchWay `json:"derniers_acces"`
}

// myDataWay is a connector, or the resource's page (Protocole "").
type myDataWay struct {
	Protocole          string          `json:"protocole"`
	ConnecteurSupprime bool            `json:"connecteur_supprime,omitempty"`
	Transmis           []myDataRelease `json:"informations_transmises"`
}

type myDataLaunchWay struct {
	Date string `json:"date"`
	ISO  string `json:"iso"`
	Voie string `json:"voie"`
}

type myDataRelease struct {
	Information string `json:"information"`
	Cle         string `json:"cle"`
	Valeur      string `json:"valeur"`
	Condition   string `json:"condition,omitempty"`
}

type myDataConsent struct {
	NomParent   string `json:"nom_parent"`
	EmailParent string `json:"email_parent"`
	Date        string `json:"date"`
	ISO         string `json:"iso"`
}

type myDataIdentity struct {
	Nom           string     `json:"nom"`
	Prenom        string     `json:"prenom"`
	Email         string     `json:"email"`
	DateNaissance myDataDate `json:"date_naissance"`
	CodePostal    string     `json:"code_postal"`
	Ville         string     `json:"ville"`
	NumeroCarte   string     `json:"numero_carte"`
}

type myDataLibrary struct {
	Code string `json:"code"`
	Nom  string `json:"nom"`
}

type myDataAccount struct {
	Numero                      int64      `json:"numero"`
	Statut                      string     `json:"statut"`
	StatutLibelle               string     `json:"statut_libelle"`
	DateInscription             myDataDate `json:"date_inscription"`
	DateInscriptionBibliotheque myDataDate `json:"date_inscription_bibliotheque"`
	DateFinValidite             myDataDate `json:"date_fin_validite"`
	MotifRefus                  string     `json:"motif_refus"`
	CreeLe                      string     `json:"cree_le"`
	ModifieLe                   string     `json:"modifie_le"`
}

// myDataDate is a civil date both as shown on the site and in ISO form;
// both are empty when the date is not set.
type myDataDate struct {
	Date string `json:"date"`
	ISO  string `json:"iso"`
}

type myDataGrant struct {
	Ressource   string `json:"ressource"`
	Adresse     string `json:"adresse"`
	Etat        string `json:"etat"`
	EtatLibelle string `json:"etat_libelle"`
}

type myDataLaunch struct {
	Date      string `json:"date"`
	ISO       string `json:"iso"`
	Ressource string `json:"ressource"`
}

type myDataEvent struct {
	Date   string `json:"date"`
	ISO    string `json:"iso"`
	Par    string `json:"par"`
	Action string `json:"action"`
	Detail string `json:"detail"`
}

func dataDate(d sesame.Date) myDataDate { return myDataDate{Date: d.String(), ISO: d.ISO()} }

// myDataDownload answers the patron's own data as a JSON file.
func (s *Server) myDataDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := patronFrom(ctx)
	sc := store.LibraryScope(p.LibraryID)
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	grants, err := s.store.PatronGrants(ctx, sc, p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	history, err := s.store.PatronHistory(ctx, sc, p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	launches, err := s.store.PatronLaunches(ctx, p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vendors, err := s.vendorsKnown(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stamp := func(t time.Time) string { return t.In(s.cfg.Location).Format(time.RFC3339) }
	var consent *myDataConsent
	switch c, err := s.store.ParentalConsentOf(ctx, sc, p.ID); {
	case err == nil:
		consent = &myDataConsent{NomParent: c.ParentName, EmailParent: c.ParentEmail,
			Date: c.At.In(s.cfg.Location).Format("02/01/2006 15:04"), ISO: stamp(c.At)}
	case sesame.ErrorCode(err) != sesame.ENotFound:
		s.fail(w, r, err)
		return
	}
	data := myData{
		GenereLe: stamp(s.cfg.Now()),
		Identite: myDataIdentity{Nom: p.LastName, Prenom: p.FirstName, Email: p.Email, DateNaissance: dataDate(p.BirthDate),
			CodePostal: p.PostalCode, Ville: p.Town, NumeroCarte: p.CardNumber},
		Bibliotheque: myDataLibrary{Code: lib.Code, Nom: lib.Name},
		Compte: myDataAccount{Numero: p.ID, Statut: string(p.Status), StatutLibelle: p.Status.Label(),
			DateInscription: dataDate(p.RegisteredOn), DateInscriptionBibliotheque: dataDate(p.LibraryRegisteredOn),
			DateFinValidite: dataDate(p.ValidUntil), MotifRefus: p.RefusalReason, CreeLe: stamp(p.CreatedAt), ModifieLe: stamp(p.UpdatedAt)},
		Ressources:     []myDataGrant{},
		Historique:     []myDataEvent{},
		Acces:          []myDataLaunch{},
		AccordParental: consent,
		Fournisseurs:   []myDataVendor{},
	}
	for _, v := range vendors {
		dv := myDataVendor{Ressource: v.Resource, Voies: []myDataWay{}, DerniersAcces: []myDataLaunchWay{}}
		for _, way := range v.Ways {
			dw := myDataWay{Protocole: way.Protocol, ConnecteurSupprime: way.Gone, Transmis: []myDataRelease{}}
			for _, a := range way.Released {
				dw.Transmis = append(dw.Transmis, myDataRelease{Information: a.Label, Cle: string(a.Attribute), Valeur: a.Value, Condition: a.Note})
			}
			dv.Voies = append(dv.Voies, dw)
		}
		for _, l := range v.Launches {
			dv.DerniersAcces = append(dv.DerniersAcces, myDataLaunchWay{Date: l.At.In(s.cfg.Location).Format("02/01/2006 15:04"), ISO: stamp(l.At), Voie: l.Way})
		}
		data.Fournisseurs = append(data.Fournisseurs, dv)
	}
	for _, g := range grants {
		if g.State == "" {
			continue
		}
		data.Ressources = append(data.Ressources, myDataGrant{Ressource: g.Resource.Name, Adresse: g.Resource.URL,
			Etat: string(g.State), EtatLibelle: g.State.Label()})
	}
	names := map[int64]string{}
	for _, g := range grants {
		names[g.Resource.ID] = g.Resource.Name
	}
	for _, l := range launches {
		data.Acces = append(data.Acces, myDataLaunch{Date: l.At.In(s.cfg.Location).Format("02/01/2006 15:04"), ISO: stamp(l.At), Ressource: names[l.ResourceID]})
	}
	for _, e := range history {
		data.Historique = append(data.Historique, myDataEvent{Date: e.At.In(s.cfg.Location).Format("02/01/2006 15:04"),
			ISO: stamp(e.At), Par: e.ActorLabel, Action: e.Action, Detail: e.Detail})
	}
	body, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="mes-donnees-sesame.json"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}

// deleteOwnPage is the confirmation page of "Supprimer mon compte".
type deleteOwnPage struct {
	Patron  *sesame.Patron
	Library *sesame.Library
	Form    form
	Message string
}

func (s *Server) myAccountDeleteForm(w http.ResponseWriter, r *http.Request) {
	s.renderDeleteOwn(w, r, http.StatusOK, form{Values: url.Values{}, Errors: sesame.FieldErrors{}}, "")
}

func (s *Server) renderDeleteOwn(w http.ResponseWriter, r *http.Request, status int, f form, msg string) {
	p := patronFrom(r.Context())
	lib, err := s.store.Library(r.Context(), p.LibraryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "mon_compte_supprimer", layout{Title: formTitle("Supprimer mon compte", f), Section: "mon-compte",
		Content: deleteOwnPage{Patron: p, Library: lib, Form: f, Message: msg}})
}

// myAccountDelete deletes the patron's own account (RGPD art. 17) once they
// have typed their password again. A wrong password counts as a failed
// login, for throttling.
func (s *Server) myAccountDelete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	p := patronFrom(ctx)
	password := r.PostForm.Get("mot_de_passe")
	f := form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
	if password == "" {
		f.Errors.Add("mot_de_passe", "Votre mot de passe : ce champ est obligatoire.")
	}
	email := sesame.NormalizeEmail(p.Email)
	id, hash, err := s.store.PatronCredentials(ctx, email)
	if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
		s.fail(w, r, err)
		return
	}
	ok, wait, _, err := s.verifyLogin(r, auth.AccountKey("usager:"+email), password, hash, err == nil && id == p.ID && password != "")
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case wait > 0:
		s.renderDeleteOwn(w, r, http.StatusTooManyRequests, f, "Trop de tentatives. Réessayez dans "+humanDuration(wait)+".")
		return
	case !ok:
		if len(f.Errors) == 0 {
			f.Errors.Add("mot_de_passe", "Votre mot de passe : il ne correspond pas à votre compte. Votre compte n'a pas été supprimé.")
		}
		s.log.Warn("échec de confirmation de suppression usager", "addr", s.clientAddress(r))
		s.renderDeleteOwn(w, r, http.StatusUnprocessableEntity, f, "")
		return
	}
	if err := s.store.DeleteOwnAccount(ctx, p.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearNamedCookie(w, s.patronCookieName())
	redirect(w, r, "/", "compte-supprime")
}
