#!/bin/sh
# Run once by the postgres image on an empty volume: Itinera's role (not a superuser, which would
# bypass the per-tenant roles; CREATEROLE, to make one role per tenant) and its database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv password ITINERA_DB_PASSWORD
CREATE ROLE itinera LOGIN NOINHERIT CREATEROLE PASSWORD :'password';
CREATE DATABASE itinera OWNER itinera;
SQL
