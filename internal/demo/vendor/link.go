package vendor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bdf29/sesame"
)

// linkFieldLabels name, on the page, the fields a signed link carries.
var linkFieldLabels = []struct{ field, label string }{
	{"card", "carte"}, {"lastname", "nom"}, {"firstname", "prenom"}, {"library", "bibliotheque"}, {"time", "horodatage"}, {"uid", "uid"},
}

// ssoCheck is Sésame's answer at /api/v1/sso/check.
type ssoCheck struct {
	State     string `json:"state"`
	Msg       string `json:"msg"`
	UserInfos *struct {
		LastName  string `json:"lastname"`
		FirstName string `json:"firstname"`
		Mail      string `json:"mail"`
		Library   string `json:"library"`
		ValidTo   string `json:"valid_to"`
	} `json:"userinfos"`
}

// signedLink checks the link's hash with the shared key and its age, then
// spends its one-off token at Sésame's /api/v1/sso/check, which confirms
// the account may still open the resource.
func (v *Vendor) signedLink(w http.ResponseWriter, r *http.Request) {
	var link sesame.SignedLinkSettings
	for _, e := range v.Connectors() {
		if e.Connector.Kind == sesame.ConnectorSignedLink {
			link = e.Connector.Link
		}
	}
	fields, err := link.Verify(r.URL, v.linkSecret)
	if err != nil {
		v.refuse(w, sesame.ConnectorSignedLink, sesame.ErrorMessage(err), err)
		return
	}
	sent, err := strconv.ParseInt(fields["time"], 10, 64)
	if age := v.now().Sub(time.Unix(sent, 0)); err != nil || age > linkMaxAge || age < -time.Minute {
		v.refuse(w, sesame.ConnectorSignedLink, "Lien signé périmé : il vaut cinq minutes ; revenez par « Accéder ».", err)
		return
	}
	q := r.URL.Query()
	check := v.base + "/api/v1/sso/check?" + url.Values{"uid": {q.Get("uid")}, "token": {q.Get("jeton")}}.Encode()
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, check, nil)
	if err != nil {
		v.refuse(w, sesame.ConnectorSignedLink, "Le jeton n'a pas pu être vérifié.", err)
		return
	}
	res, err := v.client.Do(req)
	if err != nil {
		v.refuse(w, sesame.ConnectorSignedLink, "Sésame ne répond pas à la vérification du jeton.", err)
		return
	}
	defer res.Body.Close()
	var answer ssoCheck
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
		v.refuse(w, sesame.ConnectorSignedLink, "La réponse de Sésame est illisible.", fmt.Errorf("status %d: %w", res.StatusCode, err))
		return
	}
	if answer.State != "OK" || answer.UserInfos == nil {
		v.refuse(w, sesame.ConnectorSignedLink, "Sésame n'a pas confirmé le jeton : "+answer.Msg+".", nil)
		return
	}
	var carried []Attr
	for _, f := range linkFieldLabels {
		carried = append(carried, Attr{Name: f.label, Value: fields[f.field]})
	}
	u := answer.UserInfos
	v.show(w, http.StatusOK, visit{Protocol: sesame.ConnectorSignedLink.Label(), Person: person(fields["firstname"], fields["lastname"]),
		Sources: []Source{
			{Title: "Champs du lien, empreinte vérifiée", Attrs: carried},
			{Title: "Réponse de /api/v1/sso/check", Attrs: []Attr{{"state", answer.State}, {"lastname", u.LastName},
				{"firstname", u.FirstName}, {"mail", u.Mail}, {"library", u.Library}, {"valid_to", u.ValidTo}}},
		}})
}
