package vendor

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/bdf29/sesame"
)

// casAnswer is the part of a CAS 3.0 serviceValidate answer a service reads.
type casAnswer struct {
	Success *struct {
		User       string `xml:"user"`
		Attributes struct {
			List []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"attributes"`
	} `xml:"authenticationSuccess"`
	Failure *struct {
		Code    string `xml:"code,attr"`
		Message string `xml:",chardata"`
	} `xml:"authenticationFailure"`
}

// cas is the CAS service: without a ticket, it sends the patron to Sésame's
// /cas/login; with one, it validates it at /cas/p3/serviceValidate, which
// answers with the attributes.
func (v *Vendor) cas(w http.ResponseWriter, r *http.Request) {
	service := v.base + casPath
	ticket := r.URL.Query().Get("ticket")
	if ticket == "" {
		http.Redirect(w, r, v.base+"/cas/login?"+url.Values{"service": {service}}.Encode(), http.StatusFound)
		return
	}
	validate := v.base + "/cas/p3/serviceValidate?" + url.Values{"service": {service}, "ticket": {ticket}}.Encode()
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, validate, nil)
	if err != nil {
		v.refuse(w, sesame.ConnectorCAS, "Le ticket n'a pas pu être vérifié.", err)
		return
	}
	res, err := v.client.Do(req)
	if err != nil {
		v.refuse(w, sesame.ConnectorCAS, "Sésame ne répond pas à la vérification du ticket.", err)
		return
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		v.refuse(w, sesame.ConnectorCAS, "Sésame ne répond pas à la vérification du ticket.", err)
		return
	}
	var answer casAnswer
	if err := xml.Unmarshal(body, &answer); err != nil || res.StatusCode != http.StatusOK {
		v.refuse(w, sesame.ConnectorCAS, "La réponse de Sésame est illisible.", fmt.Errorf("status %d: %w", res.StatusCode, err))
		return
	}
	if answer.Failure != nil || answer.Success == nil {
		why := "Sésame n'a pas reconnu le ticket."
		if f := answer.Failure; f != nil {
			why = "Sésame a refusé le ticket : " + f.Code + "."
		}
		v.refuse(w, sesame.ConnectorCAS, why, nil)
		return
	}
	s := answer.Success
	attrs := []Attr{{Name: "user", Value: s.User}}
	values := map[string]string{}
	for _, a := range s.Attributes.List {
		attrs = append(attrs, Attr{Name: a.XMLName.Local, Value: a.Value})
		values[a.XMLName.Local] = a.Value
	}
	v.show(w, http.StatusOK, visit{Protocol: sesame.ConnectorCAS.Label(), Person: person(values["firstName"], values["lastName"]),
		Sources: []Source{{Title: "Réponse de /cas/p3/serviceValidate", Attrs: attrs}}})
}
