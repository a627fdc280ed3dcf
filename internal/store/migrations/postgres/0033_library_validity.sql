-- See migrations/sqlite/0033_library_validity.sql.
ALTER TABLE libraries ADD COLUMN validity_months INTEGER NULL;
