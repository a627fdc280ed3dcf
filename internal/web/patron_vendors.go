package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/bdf29/sesame"
)

// « Ce que les fournisseurs savent de moi »: for each resource the patron
// opened (as the launches still kept say), through which connector, what
// that connector releases (sesame.Connector.Released, the list the
// protocols ask before they send anything) with the patron's values, and
// the last launches. « Télécharger mes données » carries the same.

// VendorLaunchesShown is how many of the last launches each vendor shows.
const VendorLaunchesShown = 10

// vendorKnown is one resource opened, with each way it was opened.
type vendorKnown struct {
	Resource string
	Ways     []vendorWay
	Launches []vendorLaunch // newest first, VendorLaunchesShown at most
	// More is how many older launches are kept beside those shown.
	More int
}

// vendorWay is one connector of the resource, or its own page.
type vendorWay struct {
	// Protocol is the connector's kind as the patron reads it; "" for the
	// resource's own page, where Sésame sends nothing.
	Protocol string
	// Gone is set when the connector has been deleted since: what it
	// received can no longer be said.
	Gone     bool
	Released []releasedValue
}

// vendorLaunch is one launch, and the way it went.
type vendorLaunch struct {
	At  time.Time
	Way string // the protocol, « page de la ressource », or « connecteur supprimé »
}

// releasedValue is one attribute released, with the patron's value.
type releasedValue struct {
	Attribute sesame.Attribute
	Label     string
	Value     string // "" when the patron has none
	Note      string // when the vendor receives it under a condition
}

type vendorsPage struct {
	Vendors []vendorKnown
}

// myVendors shows « Ce que les fournisseurs savent de moi ».
func (s *Server) myVendors(w http.ResponseWriter, r *http.Request) {
	vendors, err := s.vendorsKnown(r.Context(), patronFrom(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mon_compte_fournisseurs", layout{Title: "Ce que les fournisseurs savent de moi", Section: "mon-compte",
		Content: vendorsPage{Vendors: vendors}})
}

// vendorsKnown groups the patron's kept launches by resource, the most
// recently opened first, and each resource's by connector.
func (s *Server) vendorsKnown(ctx context.Context, p *sesame.Patron) ([]vendorKnown, error) {
	launches, err := s.store.PatronLaunches(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		return nil, err
	}
	byResource := map[int64]int{}
	ways := map[int64]vendorWay{} // by connector, 0 for the page
	var out []vendorKnown
	for _, l := range launches {
		i, seen := byResource[l.ResourceID]
		if !seen {
			name, err := s.resourceName(ctx, l.ResourceID)
			if err != nil {
				return nil, err
			}
			i = len(out)
			byResource[l.ResourceID] = i
			out = append(out, vendorKnown{Resource: name})
		}
		way, seen := ways[l.ConnectorID]
		if !seen {
			if way, err = s.vendorWay(ctx, p, lib, l.ConnectorID); err != nil {
				return nil, err
			}
			ways[l.ConnectorID] = way
			out[i].Ways = append(out[i].Ways, way)
		}
		v := &out[i]
		if len(v.Launches) >= VendorLaunchesShown {
			v.More++
			continue
		}
		label := way.Protocol
		switch {
		case way.Gone:
			label = "connecteur supprimé depuis"
		case label == "":
			label = "page de la ressource"
		}
		v.Launches = append(v.Launches, vendorLaunch{At: l.At, Way: label})
	}
	return out, nil
}

func (s *Server) resourceName(ctx context.Context, id int64) (string, error) {
	switch res, err := s.store.Resource(ctx, id); {
	case err == nil:
		return res.Name, nil
	case sesame.ErrorCode(err) == sesame.ENotFound:
		return "Ressource supprimée depuis", nil
	default:
		return "", err
	}
}

// vendorWay describes a connector, or the resource's page for 0.
func (s *Server) vendorWay(ctx context.Context, p *sesame.Patron, lib *sesame.Library, connectorID int64) (vendorWay, error) {
	if connectorID == 0 {
		return vendorWay{}, nil
	}
	c, err := s.store.Connector(ctx, connectorID)
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return vendorWay{Gone: true}, nil
	}
	if err != nil {
		return vendorWay{}, err
	}
	way := vendorWay{Protocol: c.Kind.Label()}
	way.Released, err = s.releasedValues(ctx, p, lib, c)
	return way, err
}

// releasedValues are the connector's released attributes with the
// patron's values.
func (s *Server) releasedValues(ctx context.Context, p *sesame.Patron, lib *sesame.Library, c *sesame.Connector) ([]releasedValue, error) {
	var out []releasedValue
	for _, a := range c.Released() {
		v := releasedValue{Attribute: a, Label: a.Label()}
		var err error
		switch a {
		case sesame.AttributePseudonym:
			v.Value, err = s.pseudonym(ctx, p, c)
		case sesame.AttributeLastName, sesame.AttributeFirstName:
			v.Value = p.LastName
			if a == sesame.AttributeFirstName {
				v.Value = p.FirstName
			}
			if c.Kind == sesame.ConnectorOIDC {
				v.Note = "seulement si le fournisseur demande votre profil"
			}
		case sesame.AttributeEmail:
			v.Value = p.Email
			if c.Kind == sesame.ConnectorOIDC {
				v.Note = "seulement si le fournisseur la demande"
			}
		case sesame.AttributeLibrary:
			v.Value = lib.Code
		case sesame.AttributeValidUntil:
			v.Value = p.ValidUntil.String()
		case sesame.AttributeCard:
			v.Value = p.CardNumber
			if v.Value == "" {
				// A signed link carries the pseudonym instead (web/launch.go).
				v.Label = sesame.AttributePseudonym.Label()
				v.Value, err = s.store.PatronPseudonym(ctx, p.ID, c.ResourceID)
			}
		case sesame.AttributeUID:
			v.Value = strconv.FormatInt(p.ID, 10)
		case sesame.AttributeBirthYear:
			if !p.BirthDate.IsZero() {
				v.Value = strconv.Itoa(p.BirthDate.Year)
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// pseudonym is the identifier the connector's vendor knows the patron by.
func (s *Server) pseudonym(ctx context.Context, p *sesame.Patron, c *sesame.Connector) (string, error) {
	switch c.Kind {
	case sesame.ConnectorOIDC:
		if s.oidc == nil {
			return "", nil
		}
		return s.oidc.Subject(ctx, p.ID, c.OIDC.ClientID)
	case sesame.ConnectorSAML:
		return s.samlIdP().NameID(ctx, c.SAML.EntityID, p.ID)
	case sesame.ConnectorCAS:
		return s.store.PatronPseudonym(ctx, p.ID, c.ResourceID)
	}
	return "", nil
}
