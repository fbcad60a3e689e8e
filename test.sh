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

# Browser tests drive Debian's chromium; without it they skip and say why.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests …"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
        && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y chromium; } >var/apt-chromium.log 2>&1; then
        echo "warning: could not install chromium (see var/apt-chromium.log); browser tests will skip." >&2
    fi
fi

# The screenshots of the zh-Hans pages need a CJK font: without one chromium draws Chinese as boxes.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's fonts-wqy-microhei for the browser tests' screenshots …"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
        && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y fonts-wqy-microhei; } >var/apt-fonts.log 2>&1; then
        echo "warning: could not install fonts-wqy-microhei (see var/apt-fonts.log); screenshots show Chinese as boxes." >&2
    fi
fi

# The SNMP probe tests start Debian's snmpd; without it they skip and say why.
if [ ! -x /usr/sbin/snmpd ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's snmpd for the SNMP probe tests …"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
        && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y snmpd; } >var/apt-snmpd.log 2>&1; then
        echo "warning: could not install snmpd (see var/apt-snmpd.log); SNMP probe tests will skip." >&2
    fi
fi

# The alert intake test against a real Alertmanager starts Debian's prometheus-alertmanager; without it
# that test skips and says why.
if [ ! -x /usr/bin/prometheus-alertmanager ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's prometheus-alertmanager for the alert intake tests …"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq update \
        && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y prometheus-alertmanager; } >var/apt-alertmanager.log 2>&1; then
        echo "warning: could not install prometheus-alertmanager (see var/apt-alertmanager.log); its test will skip." >&2
    fi
fi

exec .venv/bin/python -m pytest "$@"
