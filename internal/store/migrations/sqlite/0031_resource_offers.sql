-- Offers and licences per library (sesame.ResourceOffer, licence.go): a
-- resource offered to all libraries, or to those listed in resource_offers;
-- the network's cap on active users (0: none) and yearly price; the
-- libraries with seats of their own in library_seat_caps.
ALTER TABLE resources ADD COLUMN offered_to_all BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE resources ADD COLUMN seat_cap INTEGER NOT NULL DEFAULT 0;
-- Set when library_seat_caps has rows for the resource: reading one resource
-- (at every launch) then asks nothing more of an ordinary one.
ALTER TABLE resources ADD COLUMN has_library_caps BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE resources ADD COLUMN yearly_price_cents INTEGER NOT NULL DEFAULT 0;

CREATE TABLE resource_offers (
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    library_id  INTEGER NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, library_id)
) WITHOUT ROWID;

-- A row is also what concurrent activations in that library's pool lock.
CREATE TABLE library_seat_caps (
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    library_id  INTEGER NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    seat_cap    INTEGER NOT NULL,
    PRIMARY KEY (resource_id, library_id)
) WITHOUT ROWID;
