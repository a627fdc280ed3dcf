-- A vendor's SIP2 client logs in (message 93) with the login of its sip2
-- connector, kept in lookup_key: one login names one connector, or a
-- vendor's password would open another vendor's resource.
CREATE UNIQUE INDEX connectors_sip2_login ON connectors (lookup_key) WHERE kind = 'sip2';
