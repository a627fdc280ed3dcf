package cas

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// LogoutTimeout bounds the whole single logout of one session: a vendor
// that does not answer within it is given up on. The patron's logout never
// waits for it (see SingleLogout).
const LogoutTimeout = 5 * time.Second

// logoutRequest is the body of CAS single logout (CAS Protocol 3.0
// §2.3.3): a SAML 1.1-like LogoutRequest naming the service ticket the
// service validated. The specification fixes the NameID to @NOT_USED@.
type logoutRequest struct {
	XMLName      xml.Name `xml:"samlp:LogoutRequest"`
	Samlp        string   `xml:"xmlns:samlp,attr"`
	Saml         string   `xml:"xmlns:saml,attr"`
	ID           string   `xml:"ID,attr"`
	Version      string   `xml:"Version,attr"`
	IssueInstant string   `xml:"IssueInstant,attr"`
	NameID       string   `xml:"saml:NameID"`
	SessionIndex string   `xml:"samlp:SessionIndex"`
}

// LogoutRequestBody is the XML posted, as the logoutRequest parameter, to a
// service that validated ticket.
func LogoutRequestBody(id, ticket string, now time.Time) (string, error) {
	body, err := xml.Marshal(logoutRequest{
		Samlp: "urn:oasis:names:tc:SAML:2.0:protocol", Saml: "urn:oasis:names:tc:SAML:2.0:assertion",
		ID: id, Version: "2.0", IssueInstant: now.UTC().Format(time.RFC3339),
		NameID: "@NOT_USED@", SessionIndex: ticket,
	})
	if err != nil {
		return "", fmt.Errorf("cas logout request: %w", err)
	}
	return string(body), nil
}

// SingleLogout tells each CAS service of participants, by a back-channel
// POST to its service URL, that the patron logged out, so that it ends the
// session it opened with the ticket it validated. It is best effort: each
// vendor gets one try, all of them within ctx (bound it with
// LogoutTimeout), and the errors are returned for the log. Run it apart
// from the patron's request.
func (s *Server) SingleLogout(ctx context.Context, client *http.Client, participants []store.SSOParticipant) error {
	// All at once, so that a vendor that does not answer delays no other:
	// store.SSOParticipantsKept bounds how many.
	errs := make([]error, len(participants))
	var wg sync.WaitGroup
	for i, p := range participants {
		if p.Kind != store.ParticipantCAS {
			continue
		}
		id, err := randomID(s.Random)
		if err != nil {
			return err
		}
		wg.Go(func() {
			if err := s.logoutOne(ctx, client, "LR-"+id, p); err != nil {
				errs[i] = fmt.Errorf("cas single logout of %s: %w", truncate(p.Service), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) logoutOne(ctx context.Context, client *http.Client, id string, p store.SSOParticipant) error {
	body, err := LogoutRequestBody(id, p.SessionIndex, s.Now())
	if err != nil {
		return err
	}
	form := url.Values{"logoutRequest": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Service, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode >= 400 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// truncate keeps a service URL short in a log line.
func truncate(v string) string {
	if len(v) > 200 {
		return v[:200] + "…"
	}
	return v
}
