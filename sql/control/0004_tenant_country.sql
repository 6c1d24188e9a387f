-- A tenant's country: the default region for reading customers' telephone numbers written without
-- a country calling code. Tenants from before this version are in China, the documents' market.
ALTER TABLE itinera.tenants
    ADD COLUMN country char(2) NOT NULL DEFAULT 'CN' CHECK (country ~ '^[A-Z]{2}$');
ALTER TABLE itinera.tenants ALTER COLUMN country DROP DEFAULT;
