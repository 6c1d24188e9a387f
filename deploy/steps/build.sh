#!/usr/bin/env bash
# Builds the release binary (the Swift runtime linked in, so the image needs no Swift) and lays
# out what the runtime image holds under STAGING: /usr/local/bin/itinera and nothing else.
set -euo pipefail
staging=${1:?usage: build.sh STAGING}
scratch=${ITINERA_RELEASE_BUILD_PATH:+--scratch-path "$ITINERA_RELEASE_BUILD_PATH"}
swift build -c release --product itinera --static-swift-stdlib $scratch
binary="$(swift build -c release --product itinera --show-bin-path $scratch)/itinera"
install -D -m 0755 "$binary" "$staging/usr/local/bin/itinera"
strip "$staging/usr/local/bin/itinera" 2>/dev/null || true
