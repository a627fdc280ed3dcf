-- A library may keep its patrons' accounts open for its own number of months
-- (sesame.Network.ValidityFor); NULL follows the network's validity_months.
ALTER TABLE libraries ADD COLUMN validity_months INTEGER NULL;
