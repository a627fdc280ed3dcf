// Package access holds the one rule every way into a resource obeys: Sésame
// vouches for a patron only while the account is Validé, not past its end
// date, and that resource's grant is validée. The launch route, the OpenID
// provider, the CAS server, the SAML identity provider and the callback
// check all ask the Gate.
package access

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/metrics"
	"github.com/bdf29/sesame/internal/store"
)

// Gate decides and records. Location is the network's civil time zone, in
// which an end date is a day.
type Gate struct {
	Store    *store.Store
	Now      func() time.Time
	Location *time.Location
	// Logger receives the failures of Failed; nil discards them.
	Logger *slog.Logger
	// Metrics counts the launches per protocol; nil counts nothing.
	Metrics *metrics.Metrics
}

// Grantee is a patron who may open a resource, with what connectors tell
// the vendor about them.
type Grantee struct {
	Patron   *sesame.Patron
	Library  *sesame.Library
	Resource *sesame.Resource
}

// Use is how a holder uses their account, as the audit of an expiry says.
type Use int

const (
	UseLogin    Use = iota // the holder logs in
	UseResource            // the holder opens a resource
)

func (u Use) String() string {
	if u == UseLogin {
		return "lors de la connexion de l'usager"
	}
	return "lors de l'accès à une ressource"
}

// AttemptAccess is the tutorial's rule, at login and at every way into a
// resource alike: a Validé account found past its end date becomes Expiré,
// saved and audited. It returns the patron as they now are.
func (g *Gate) AttemptAccess(ctx context.Context, patronID int64, use Use) (*sesame.Patron, error) {
	today := sesame.DateOf(g.Now(), g.Location)
	p, err := g.Store.Patron(ctx, store.NetworkScope(), patronID)
	if err != nil {
		return nil, fmt.Errorf("check patron %d: %w", patronID, err)
	}
	if !p.PastEndDate(today) {
		// Most attempts only read, and SQLite has one writer.
		return p, nil
	}
	p, err = g.Store.UpdatePatron(ctx, store.NetworkScope(), patronID, 0, sesame.Actor{PatronID: patronID, Label: "Sésame"},
		func(p *sesame.Patron) (store.Change, error) {
			if !p.AttemptAccess(today) {
				return store.Change{}, nil
			}
			return store.Change{Action: sesame.ActionExpiry,
				Detail: "Statut : « Validé » → « Expiré » : date de fin de validité (" + p.ValidUntil.String() + ") dépassée " + use.String() + "."}, nil
		})
	if err != nil {
		return nil, fmt.Errorf("expire patron %d: %w", patronID, err)
	}
	return p, nil
}

// Check reports whether the patron may open the resource now. An account
// found past its end date is expired and saved, as at login (the tutorial's
// rule). A refusal is a *sesame.AccessDenied, whose reason
// sesame.AccessReasonOf reads, with code EForbidden and a French message
// that says what to do; a patron or resource that no longer exists is
// ENotFound.
func (g *Gate) Check(ctx context.Context, patronID, resourceID int64) (*Grantee, error) {
	today := sesame.DateOf(g.Now(), g.Location)
	p, err := g.AttemptAccess(ctx, patronID, UseResource)
	if err != nil {
		return nil, err
	}
	res, err := g.Store.Resource(ctx, resourceID)
	if err != nil {
		return nil, fmt.Errorf("check resource %d: %w", resourceID, err)
	}
	grant, err := g.Store.PatronGrant(ctx, patronID, resourceID)
	if err != nil {
		return nil, err
	}
	if err := sesame.CanOpen(p, res, grant, today).Err(p, res); err != nil {
		return nil, err
	}
	lib, err := g.Store.Library(ctx, p.LibraryID)
	if err != nil {
		return nil, fmt.Errorf("check library %d: %w", p.LibraryID, err)
	}
	return &Grantee{Patron: p, Library: lib, Resource: res}, nil
}

// Open is Check, then records the launch through connector via (nil for
// the resource's own page), for the usage statistics and the metrics.
func (g *Gate) Open(ctx context.Context, patronID, resourceID int64, via *sesame.Connector) (*Grantee, error) {
	who, err := g.Check(ctx, patronID, resourceID)
	if err != nil {
		return nil, err
	}
	var connectorID int64
	if via != nil {
		connectorID = via.ID
	}
	err = g.Store.RecordLaunch(ctx, store.Launch{At: g.Now(), PatronID: patronID, LibraryID: who.Patron.LibraryID,
		ResourceID: resourceID, ConnectorID: connectorID})
	if err != nil {
		return nil, err
	}
	g.Launched(via)
	return who, nil
}

// Launched counts, in the operators' metrics, a launch recorded through
// connector via (nil for the resource's own page): by Open, and by the
// OpenID provider, which records its launches with its code in one write.
func (g *Gate) Launched(via *sesame.Connector) {
	protocol := metrics.ProtocolPage
	if via != nil {
		protocol = string(via.Kind)
	}
	g.Metrics.Launch(protocol)
}
