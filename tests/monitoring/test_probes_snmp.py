"""The SNMP probe against Debian's snmpd, started by the test on a free UDP port of 127.0.0.1 with a config
the test writes (a v2c community and a v3 user). ``./test.sh`` installs snmpd where it can; without it the
tests skip and say why."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from yunwei.monitoring import probes

from .targets import free_port, run, silent_udp

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_OPER_STATUS_1 = "1.3.6.1.2.1.2.2.1.8.1"  # interface 1 is the loopback interface on Linux
COMMUNITY = "yunwei-ro"
USER, AUTH_KEY, PRIV_KEY = "yunwei-probe", "auth-secret-42", "priv-secret-42"

SNMPD = shutil.which("snmpd") or ("/usr/sbin/snmpd" if os.access("/usr/sbin/snmpd", os.X_OK) else None)


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    if SNMPD is None:
        pytest.skip("Debian's snmpd is not installed (./test.sh installs it when run as root with apt-get)")
    directory = tmp_path_factory.mktemp("snmpd")
    port = free_port(kind=socket.SOCK_DGRAM)
    config = directory / "snmpd.conf"
    config.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f'createUser {USER} SHA "{AUTH_KEY}" AES "{PRIV_KEY}"\n'
        f"rouser {USER} priv\n"
        "sysDescr Yunwei machine-room agent\n"
        "sysLocation Machine room 1, rack A3\n"
    )
    log = directory / "snmpd.log"
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(directory / "persist"), "MIBS": ""}
    # -f foreground, -C only our config, -Lf log to a file; the agent answers without loading any MIB text.
    process = subprocess.Popen(
        [SNMPD, "-f", "-C", "-c", str(config), "-Lf", str(log), "-p", str(directory / "snmpd.pid")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    spec = {"type": "snmp", "host": "127.0.0.1", "port": port, "community": COMMUNITY, "oid": SYS_DESCR}
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            pytest.skip(f"snmpd exited with {process.returncode}: {log.read_text(errors='replace')[-400:]}")
        if run(probes.run({**spec, "timeout": 0.2})).status == "up":
            break
        if time.monotonic() > deadline:
            process.terminate()
            pytest.fail(f"snmpd did not answer within 10 s: {log.read_text(errors='replace')[-400:]}")
    yield port
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ask(port, oid, **fields):
    # A time-out generous for a busy machine: an answer (an SNMPv3 refusal too, after engine discovery)
    # comes as soon as the agent sends it; the tests of a silence set a short time-out of their own.
    spec = {"type": "snmp", "host": "127.0.0.1", "port": port, "oid": oid, "timeout": 5}
    if fields.get("version") != "3":
        spec["community"] = COMMUNITY
    return run(probes.run({**spec, **fields}))


def v3(port, oid, **fields):
    return ask(port, oid, version="3", user=USER, auth_key=AUTH_KEY, priv_key=PRIV_KEY, **fields)


def test_v2c_reads_sys_descr_and_compares_it(agent):
    result = ask(agent, SYS_DESCR, value="Yunwei machine-room agent")
    assert result.status == "up", result.reason
    assert result.method == "snmp"
    assert result.details["value"] == "Yunwei machine-room agent"
    assert result.details["version"] == "v2c"
    other = ask(agent, SYS_DESCR, op="contains", value="UPS")
    assert other.status == "down"
    assert other.reason == f"{SYS_DESCR} is 'Yunwei machine-room agent', expected contains 'UPS'"


def test_sys_uptime_is_a_number_compared_with_greater_and_less_than(agent):
    assert ask(agent, SYS_UPTIME, op="gt", value=0).status == "up"
    result = ask(agent, SYS_UPTIME, op="lt", value=0)
    assert result.status == "down"
    assert isinstance(result.details["value"], int)
    assert result.reason.endswith("expected lt 0")


def test_an_interfaces_oper_status_is_judged_as_a_number(agent):
    result = ask(agent, IF_OPER_STATUS_1, value=1)  # 1 = up in IF-MIB
    assert result.status == "up", result.reason
    assert result.details["value"] == 1
    missing = ask(agent, "1.3.6.1.2.1.2.2.1.8.999", value=1)
    assert missing.status == "down"
    assert missing.reason.startswith("1.3.6.1.2.1.2.2.1.8.999 is missing")


def test_v3_with_authentication_and_privacy_reads_the_oid(agent):
    result = v3(agent, SYS_DESCR)
    assert result.status == "up", result.reason
    assert result.details["version"] == "v3"


def test_v3_with_a_wrong_key_or_user_is_down_naming_the_authentication(agent):
    wrong_key = ask(agent, SYS_DESCR, version="3", user=USER, auth_key="not-the-auth-key", priv_key=PRIV_KEY)
    assert wrong_key.status == "down"
    assert wrong_key.reason.startswith(f"SNMPv3 authentication refused by 127.0.0.1:{agent}")
    wrong_user = ask(agent, SYS_DESCR, version="3", user="intruder", auth_key=AUTH_KEY, priv_key=PRIV_KEY)
    assert wrong_user.status == "down"
    assert wrong_user.reason.startswith(f"SNMPv3 authentication refused by 127.0.0.1:{agent}")


def test_a_wrong_community_is_down_within_the_timeout_saying_it_may_be_the_community(agent):
    result = ask(agent, SYS_DESCR, community="public", timeout=0.3)
    assert result.status == "down"
    assert result.reason == (
        f"no SNMP answer from 127.0.0.1:{agent} within 0.3 s (the agent is down or the community was refused)"
    )


def test_an_agent_that_never_answers_is_down_within_the_timeout():
    with silent_udp() as port:
        result = ask(port, SYS_DESCR, timeout=0.3)
    assert result.status == "down"
    assert result.reason.startswith(f"no SNMP answer from 127.0.0.1:{port} within 0.3 s")


def test_a_named_oid_or_bad_version_is_unknown_naming_the_field():
    named = ask(161, "sysDescr.0")
    assert named.status == "unknown"
    assert named.reason == "invalid check: 'oid' must be numeric (e.g. 1.3.6.1.2.1.1.3.0), not 'sysDescr.0'"
    bad = ask(161, SYS_DESCR, version="4")
    assert bad.status == "unknown"
    assert bad.reason == "invalid check: 'version' must be 2c or 3, not '4'"
