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
    echo "Installing the pinned packages into .venv (log: var/pip-install.log) …"
    mkdir -p var
    if ! .venv/bin/python -m pip install -e . -c requirements.lock >var/pip-install.log 2>&1; then
        tail -n 30 var/pip-install.log >&2
        echo "Installing the packages failed; the whole log is var/pip-install.log." >&2
        exit 1
    fi
    touch "$stamp"
fi

exec .venv/bin/yunwei serve
