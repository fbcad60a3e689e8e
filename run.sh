#!/usr/bin/env bash
# Start Yunwei in embedded mode: web server, worker and scheduler on SQLite under ./var/.
# Needs only Python 3.11+; the first start creates .venv, installs the pinned packages and the demo data.
# YUNWEI_PORT chooses the port (default 8000); see .env.example for every other setting.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "Yunwei needs Python 3.11 or newer ($PYTHON is older)." >&2; exit 1; }
    "$PYTHON" -m venv .venv
fi

# Reinstall only when the project's requirements changed since the last install.
stamp=var/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e . -c requirements.lock
    mkdir -p var
    touch "$stamp"
fi

exec .venv/bin/yunwei serve
