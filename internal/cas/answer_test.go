package cas

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot\n%s\nwant\n%s", name, got, want)
	}
}

var (
	authAt     = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	attributes = &Attributes{AuthenticationDate: authAt, FromNewLogin: true, FirstName: "Maël", LastName: "GUÉGUEN & fils",
		Email: "mael@example.org", LibraryCode: "QUIMPER", ValidUntil: "2027-06-01"}
)

func TestAnswersGolden(t *testing.T) {
	tests := []struct {
		name   string
		answer Answer
	}{
		{"success_cas2", Answer{Endpoint: ServiceValidate, User: "k3z7q2m5x4w6y8b2c3d4e5f6g7"}},
		{"success_cas3", Answer{Endpoint: P3ServiceValidate, User: "k3z7q2m5x4w6y8b2c3d4e5f6g7", Attributes: attributes}},
		{"success_cas3_sso_no_email", Answer{Endpoint: P3ServiceValidate, User: "k3z7q2m5x4w6y8b2c3d4e5f6g7",
			Attributes: &Attributes{AuthenticationDate: authAt, FirstName: "Yann", LastName: "KERJEAN", LibraryCode: "QUIMPER", ValidUntil: "2027-06-01"}}},
		{"failure_invalid_ticket", Answer{Endpoint: ServiceValidate, Failure: &Failure{Code: InvalidTicket,
			Description: "Ticket ST-ABCDEFGHIJKLMNOPQRSTUVWXYZ not recognized: unknown, or already validated"}}},
		{"failure_invalid_service", Answer{Endpoint: P3ServiceValidate, Failure: &Failure{Code: InvalidService,
			Description: "Ticket ST-ABCDEFGHIJKLMNOPQRSTUVWXYZ was not issued for this service: it is now void"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xmlAnswer := tt.answer
			golden(t, tt.name+".xml", xmlAnswer.XML())
			jsonAnswer := tt.answer
			jsonAnswer.Format = JSON
			golden(t, tt.name+".json", jsonAnswer.JSON())
		})
	}
}

// casDoc is the XML answer as a CAS client reads it, namespaces resolved.
type casDoc struct {
	XMLName xml.Name `xml:"http://www.yale.edu/tp/cas serviceResponse"`
	Success *struct {
		User       string `xml:"http://www.yale.edu/tp/cas user"`
		Attributes *struct {
			AuthenticationDate string `xml:"http://www.yale.edu/tp/cas authenticationDate"`
			LongTerm           string `xml:"http://www.yale.edu/tp/cas longTermAuthenticationRequestTokenUsed"`
			FromNewLogin       string `xml:"http://www.yale.edu/tp/cas isFromNewLogin"`
			LastName           string `xml:"http://www.yale.edu/tp/cas lastName"`
			Email              string `xml:"http://www.yale.edu/tp/cas email"`
		} `xml:"http://www.yale.edu/tp/cas attributes"`
	} `xml:"http://www.yale.edu/tp/cas authenticationSuccess"`
	Failure *struct {
		Code        string `xml:"code,attr"`
		Description string `xml:",chardata"`
	} `xml:"http://www.yale.edu/tp/cas authenticationFailure"`
}

// TestAnswersParse reads the answers back as a client would: the golden
// files pin the bytes, this pins the meaning (escaping included).
func TestAnswersParse(t *testing.T) {
	var doc casDoc
	a := Answer{Endpoint: P3ServiceValidate, User: "u<1>", Attributes: attributes}
	if err := xml.Unmarshal(a.XML(), &doc); err != nil {
		t.Fatalf("XML answer: %v\n%s", err, a.XML())
	}
	if doc.Success == nil || doc.Success.User != "u<1>" || doc.Success.Attributes == nil {
		t.Fatalf("got %+v, want a success for u<1> with attributes", doc)
	}
	at := doc.Success.Attributes
	if at.AuthenticationDate != "2026-11-26T09:00:00Z" || at.LongTerm != "false" || at.FromNewLogin != "true" || at.LastName != "GUÉGUEN & fils" {
		t.Errorf("attributes: got %+v", at)
	}
	doc = casDoc{}
	f := Answer{Endpoint: ServiceValidate, Failure: &Failure{Code: InvalidTicket, Description: `bad "<ticket>"`}}
	if err := xml.Unmarshal(f.XML(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Failure == nil || doc.Failure.Code != "INVALID_TICKET" || doc.Failure.Description != `bad "<ticket>"` || doc.Success != nil {
		t.Errorf("failure: got %+v", doc.Failure)
	}

	var j struct {
		ServiceResponse struct {
			AuthenticationSuccess struct {
				User       string         `json:"user"`
				Attributes map[string]any `json:"attributes"`
			} `json:"authenticationSuccess"`
		} `json:"serviceResponse"`
	}
	if err := json.Unmarshal(a.JSON(), &j); err != nil {
		t.Fatal(err)
	}
	s := j.ServiceResponse.AuthenticationSuccess
	if s.User != "u<1>" || s.Attributes["isFromNewLogin"] != true || s.Attributes["email"] != "mael@example.org" {
		t.Errorf("JSON: got %+v", s)
	}
}

func TestWriteChoosesTheForm(t *testing.T) {
	tests := []struct {
		answer   Answer
		wantType string
		wantBody string
	}{
		{Answer{Endpoint: Validate, User: "abc"}, "text/plain", "yes\nabc\n"},
		{Answer{Endpoint: Validate, Failure: &Failure{Code: InvalidTicket}}, "text/plain", "no\n\n"},
		{Answer{Endpoint: Validate, Format: JSON, User: "abc"}, "text/plain", "yes\nabc\n"},
		{Answer{Endpoint: ServiceValidate, User: "abc"}, "application/xml", "<cas:user>abc</cas:user>"},
		{Answer{Endpoint: ServiceValidate, Format: JSON, User: "abc"}, "application/json", `"user": "abc"`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		tt.answer.Write(rec)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType) || !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("%+v: got %d %q %q, want 200 %s with %q", tt.answer, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.wantType, tt.wantBody)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%+v: Cache-Control %q, want no-store", tt.answer, rec.Header().Get("Cache-Control"))
		}
	}
}

func TestTickets(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		st, err := NewServiceTicket(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(st, "ST-") || len(st) != 29 || printableTicket(st) != st || seen[st] {
			t.Fatalf("ticket %q: want ST- and 26 letters or digits, unique", st)
		}
		seen[st] = true
	}
	if printableTicket("ST-<script>") != "" || printableTicket(strings.Repeat("A", 257)) != "" {
		t.Error("an unfit ticket is quoted")
	}
}
