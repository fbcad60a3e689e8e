#!/usr/bin/env bash
# Run the test suite: ./test.sh [pytest arguments]
# On SQLite by default; with YUNWEI_DATABASE_URL=postgresql://… the same suite runs on PostgreSQL
# (pytest-django creates and drops the test_<name> database itself).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi

# python-ldap (the `ldap` extra the tests install) has no wheel on PyPI and compiles against OpenLDAP's
# and Cyrus SASL's headers; the directory tests start Debian's slapd. Installed for the tests only: the
# product starts with Python alone while no directory is configured.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
    && { [ ! -f /usr/include/ldap.h ] || [ ! -d /usr/include/sasl ] || [ ! -x /usr/sbin/slapd ]; }; then
    echo "Installing Debian's libldap2-dev, libsasl2-dev and slapd for the directory tests …"
    mkdir -p var
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
        && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y libldap2-dev libsasl2-dev slapd gcc; } \
        >var/apt-ldap.log 2>&1; then
        echo "warning: could not install the LDAP headers or slapd (see var/apt-ldap.log)." >&2
    fi
fi

stamp=var/.installed-test
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    echo "Installing the pinned packages into .venv (log: var/pip-install-test.log) …"
    mkdir -p var
    extras=test
    if [ -f /usr/include/ldap.h ] && [ -d /usr/include/sasl ]; then
        extras=test,ldap
    else
        echo "warning: no LDAP headers (libldap2-dev, libsasl2-dev): python-ldap is left out; the directory tests will skip." >&2
    fi
    if ! .venv/bin/python -m pip install -e ".[$extras]" -c requirements.lock >var/pip-install-test.log 2>&1; then
        tail -n 30 var/pip-install-test.log >&2
        echo "Installing the packages failed; the whole log is var/pip-install-test.log." >&2
        exit 1
    fi
    touch "$stamp"
fi

# Debian's packages that some tests start or drive, installed when missing and we are root with apt:
# apt_for_tests <a path that shows it is there> <what for> <what happens without it> <packages…>
apt_for_tests() {
    local present=$1 purpose=$2 without=$3
    shift 3
    if [ ! -e "$present" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Debian's $* $purpose …"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
            && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y "$@"; } >"var/apt-$1.log" 2>&1; then
            echo "warning: could not install $* (see var/apt-$1.log); $without." >&2
        fi
    fi
}

# Without them the tests that need them skip and say why.
apt_for_tests /usr/bin/chromium "for the browser tests" "browser tests will skip" chromium
# Without a CJK font chromium draws Chinese as boxes in the screenshots of the zh-Hans pages.
apt_for_tests /usr/share/fonts/truetype/wqy/wqy-microhei.ttc "for the browser tests' screenshots" \
    "screenshots show Chinese as boxes" fonts-wqy-microhei
apt_for_tests /usr/sbin/snmpd "for the SNMP probe tests" "SNMP probe tests will skip" snmpd
apt_for_tests /usr/bin/prometheus-alertmanager "for the alert intake tests" "its test will skip" \
    prometheus-alertmanager

exec .venv/bin/python -m pytest "$@"
