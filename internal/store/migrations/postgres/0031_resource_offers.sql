-- See migrations/sqlite/0031_resource_offers.sql.
ALTER TABLE resources ADD COLUMN offered_to_all BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE resources ADD COLUMN seat_cap INTEGER NOT NULL DEFAULT 0;
-- Set when library_seat_caps has rows for the resource: reading one resource
-- (at every launch) then asks nothing more of an ordinary one.
ALTER TABLE resources ADD COLUMN has_library_caps BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE resources ADD COLUMN yearly_price_cents BIGINT NOT NULL DEFAULT 0;

CREATE TABLE resource_offers (
    resource_id BIGINT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    library_id  BIGINT NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, library_id)
);

CREATE TABLE library_seat_caps (
    resource_id BIGINT  NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    library_id  BIGINT  NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    seat_cap    INTEGER NOT NULL,
    PRIMARY KEY (resource_id, library_id)
);
