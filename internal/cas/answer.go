package cas

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"time"
)

// Code is a validation failure's code (§2.5.3).
type Code string

// The codes every CAS server implements.
const (
	InvalidRequest           Code = "INVALID_REQUEST"
	InvalidTicketSpec        Code = "INVALID_TICKET_SPEC"
	UnauthorizedServiceProxy Code = "UNAUTHORIZED_SERVICE_PROXY"
	InvalidProxyCallback     Code = "INVALID_PROXY_CALLBACK"
	InvalidTicket            Code = "INVALID_TICKET"
	InvalidService           Code = "INVALID_SERVICE"
	InternalError            Code = "INTERNAL_ERROR"
)

// Endpoint is a validation URL; they differ in what they answer.
type Endpoint int

const (
	Validate          Endpoint = iota + 1 // /validate: CAS 1.0, two lines of text
	ServiceValidate                       // /serviceValidate: CAS 2.0
	ProxyValidate                         // /proxyValidate: CAS 2.0, proxy tickets too
	P3ServiceValidate                     // /p3/serviceValidate: CAS 3.0, with attributes
	P3ProxyValidate                       // /p3/proxyValidate: CAS 3.0, with attributes, proxy tickets too
)

// Attributes reports whether the endpoint releases attributes.
func (e Endpoint) Attributes() bool { return e == P3ServiceValidate || e == P3ProxyValidate }

// acceptsProxyTickets reports whether proxy tickets are the endpoint's
// business, even though Sésame issues none.
func (e Endpoint) acceptsProxyTickets() bool { return e == ProxyValidate || e == P3ProxyValidate }

// Format is how an answer is written: XML, unless the service asked for JSON.
type Format int

const (
	XML Format = iota
	JSON
)

// Answer is a validation's outcome: a user, or a failure.
type Answer struct {
	Endpoint   Endpoint
	Format     Format
	User       string
	Attributes *Attributes // on /p3/ endpoints only
	Failure    *Failure
}

// Failure is why a validation failed, for the service's logs.
type Failure struct {
	Code        Code
	Description string
}

// Attributes are what Sésame tells a CAS 3.0 service about the patron. The
// first three are the specification's; the rest are the network's. Empty
// ones are left out.
type Attributes struct {
	AuthenticationDate time.Time // when the patron typed their password
	LongTermToken      bool      // always false: Sésame has no "remember me"
	FromNewLogin       bool      // the ticket followed a password typed for it
	FirstName          string
	LastName           string
	Email              string // only where the connector releases it
	LibraryCode        string
	ValidUntil         string // yyyy-mm-dd
}

// casNamespace is the CAS XML namespace, from Yale's days.
const casNamespace = "http://www.yale.edu/tp/cas"

// Write sends the answer: CAS 1.0 text, XML or JSON. A failure is still a
// 200: CAS clients read the failure from the body.
func (a Answer) Write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	var body []byte
	switch {
	case a.Endpoint == Validate:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = a.Text()
	case a.Format == JSON:
		h.Set("Content-Type", "application/json; charset=utf-8")
		body = a.JSON()
	default:
		h.Set("Content-Type", "application/xml; charset=utf-8")
		body = a.XML()
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// Text is the CAS 1.0 answer: "yes", then the user, or "no" and an empty line.
func (a Answer) Text() []byte {
	if a.Failure != nil {
		return []byte("no\n\n")
	}
	return []byte("yes\n" + a.User + "\n")
}

// XML is the answer as Appendix A's schema describes it.
func (a Answer) XML() []byte {
	var b bytes.Buffer
	b.WriteString(`<cas:serviceResponse xmlns:cas="` + casNamespace + `">` + "\n")
	if f := a.Failure; f != nil {
		b.WriteString(`  <cas:authenticationFailure code="`)
		xml.EscapeText(&b, []byte(f.Code))
		b.WriteString(`">`)
		xml.EscapeText(&b, []byte(f.Description))
		b.WriteString("</cas:authenticationFailure>\n")
	} else {
		b.WriteString("  <cas:authenticationSuccess>\n")
		element(&b, "    ", "user", a.User)
		if at := a.Attributes; at != nil {
			b.WriteString("    <cas:attributes>\n")
			const in = "      "
			element(&b, in, "authenticationDate", at.AuthenticationDate.UTC().Format(time.RFC3339))
			element(&b, in, "longTermAuthenticationRequestTokenUsed", boolText(at.LongTermToken))
			element(&b, in, "isFromNewLogin", boolText(at.FromNewLogin))
			for _, kv := range at.custom() {
				element(&b, in, kv[0], kv[1])
			}
			b.WriteString("    </cas:attributes>\n")
		}
		b.WriteString("  </cas:authenticationSuccess>\n")
	}
	b.WriteString("</cas:serviceResponse>\n")
	return b.Bytes()
}

// custom lists the network's attributes that have a value, in a fixed order.
func (at *Attributes) custom() [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{
		{"firstName", at.FirstName}, {"lastName", at.LastName}, {"email", at.Email},
		{"libraryCode", at.LibraryCode}, {"validUntil", at.ValidUntil},
	} {
		if kv[1] != "" {
			out = append(out, kv)
		}
	}
	return out
}

func element(b *bytes.Buffer, indent, name, value string) {
	b.WriteString(indent + "<cas:" + name + ">")
	xml.EscapeText(b, []byte(value))
	b.WriteString("</cas:" + name + ">\n")
}

func boolText(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

// The JSON answer mirrors the XML one, as §2.5.2 shows it.
type jsonAnswer struct {
	ServiceResponse jsonResponse `json:"serviceResponse"`
}

type jsonResponse struct {
	Success *jsonSuccess `json:"authenticationSuccess,omitempty"`
	Failure *jsonFailure `json:"authenticationFailure,omitempty"`
}

type jsonSuccess struct {
	User       string          `json:"user"`
	Attributes *jsonAttributes `json:"attributes,omitempty"`
}

type jsonFailure struct {
	Code        Code   `json:"code"`
	Description string `json:"description"`
}

type jsonAttributes struct {
	AuthenticationDate string `json:"authenticationDate"`
	LongTermToken      bool   `json:"longTermAuthenticationRequestTokenUsed"`
	FromNewLogin       bool   `json:"isFromNewLogin"`
	FirstName          string `json:"firstName,omitempty"`
	LastName           string `json:"lastName,omitempty"`
	Email              string `json:"email,omitempty"`
	LibraryCode        string `json:"libraryCode,omitempty"`
	ValidUntil         string `json:"validUntil,omitempty"`
}

// JSON is the answer in the form §2.5.2 gives for format=JSON.
func (a Answer) JSON() []byte {
	var out jsonAnswer
	if f := a.Failure; f != nil {
		out.ServiceResponse.Failure = &jsonFailure{Code: f.Code, Description: f.Description}
	} else {
		s := &jsonSuccess{User: a.User}
		if at := a.Attributes; at != nil {
			s.Attributes = &jsonAttributes{
				AuthenticationDate: at.AuthenticationDate.UTC().Format(time.RFC3339),
				LongTermToken:      at.LongTermToken, FromNewLogin: at.FromNewLogin,
				FirstName: at.FirstName, LastName: at.LastName, Email: at.Email,
				LibraryCode: at.LibraryCode, ValidUntil: at.ValidUntil,
			}
		}
		out.ServiceResponse.Success = s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	// Names such as « GUÉGUEN & fils » stay readable: the answer is no HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		// Strings and booleans always encode.
		panic(err)
	}
	return b.Bytes()
}
