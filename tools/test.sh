#!/usr/bin/env bash
# Run the whole test suite: set up what it needs (browser included), then pytest.
# Extra arguments go to pytest, e.g.  bash tools/test.sh -m "not slow"
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(bash "$REPO/tools/bootstrap.sh" test)"
cd "$REPO"
exec "$VENV/bin/python" -m pytest -ra "$@"
