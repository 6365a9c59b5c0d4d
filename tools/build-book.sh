#!/usr/bin/env bash
# Build the book: set up what it needs, execute every chapter under a profile (default: the
# offline CPU profile), render the HTML and print the path of index.html.
#   bash tools/build-book.sh                        # every chapter, profile 'default'
#   bash tools/build-book.sh --profile ci           # the tiny test profile
#   bash tools/build-book.sh --chapter dropout -p epochs=5
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(bash "$REPO/tools/bootstrap.sh" book)"
cd "$REPO"
exec "$VENV/bin/python" -m alexnet_repro book "$@"
