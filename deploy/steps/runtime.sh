#!/usr/bin/env bash
# The runtime image's packages and user: libpq and OpenSSL (what the binary links), CA certificates
# (PostgreSQL over TLS, webhooks, SMTP), time zones (each tenant's clock), curl (the healthcheck),
# and the `itinera` system user owning /var/lib/itinera (certificates, exports).
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(libpq5 libssl3 ca-certificates tzdata curl)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # In the image, the package lists are not kept.
    [ "${ITINERA_IMAGE_BUILD:-}" != 1 ] || rm -rf /var/lib/apt/lists/*
fi
id itinera >/dev/null 2>&1 || $sudo useradd --system --uid 10001 --home-dir /var/lib/itinera --shell /usr/sbin/nologin itinera
$sudo install -d -o itinera -g itinera -m 0750 /var/lib/itinera
