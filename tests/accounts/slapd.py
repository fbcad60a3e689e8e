"""A real OpenLDAP slapd (Debian's `slapd` package, installed by ./test.sh) started on 127.0.0.1 for a
test, with a small directory: people, groups, and a group nested in another. Tests that need it skip,
saying why, where slapd or python-ldap is missing."""

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
SUFFIX = "dc=yunwei,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "slapd-test-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORDS = {"zhang": "zhang-pass-1", "li": "li-pass-2", "wang": "wang-pass-3"}

CONF = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {dir}/db
"""


def ldap_module():
    try:
        import ldap
    except ImportError:
        pytest.skip("python-ldap is not installed (the `ldap` extra; ./test.sh installs it)")
    return ldap


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def person(uid: str, name: str) -> tuple[str, dict]:
    return f"uid={uid},{PEOPLE}", {
        "objectClass": [b"inetOrgPerson"],
        "uid": [uid.encode()],
        "cn": [name.encode()],
        "displayName": [name.encode()],
        "sn": [name[0].encode()],
        "mail": [f"{uid}@yunwei.test".encode()],
        "userPassword": [PASSWORDS[uid].encode()],
    }


def group(cn: str, *members: str) -> tuple[str, dict]:
    return f"cn={cn},{GROUPS}", {
        "objectClass": [b"groupOfNames"],
        "cn": [cn.encode()],
        "member": [m.encode() for m in members],
    }


class Directory:
    def __init__(self, url: str):
        self.url = url

    def admin(self):
        ldap = ldap_module()
        conn = ldap.initialize(self.url, bytes_mode=False)
        conn.simple_bind_s(ROOT_DN, ROOT_PW)
        return conn

    def add(self, dn: str, attrs: dict) -> None:
        ldap_module()
        from ldap import modlist

        conn = self.admin()
        conn.add_s(dn, modlist.addModlist(attrs))
        conn.unbind_s()

    def delete(self, dn: str) -> None:
        conn = self.admin()
        conn.delete_s(dn)
        conn.unbind_s()


def seed(directory: Directory) -> None:
    for dn, attrs in [
        (SUFFIX, {"objectClass": [b"dcObject", b"organization"], "dc": [b"yunwei"], "o": [b"Yunwei"]}),
        (PEOPLE, {"objectClass": [b"organizationalUnit"], "ou": [b"people"]}),
        (GROUPS, {"objectClass": [b"organizationalUnit"], "ou": [b"groups"]}),
        person("zhang", "张三"),
        person("li", "李四"),
        person("wang", "王五"),
        group("oa-admins", f"uid=zhang,{PEOPLE}"),
        # Nested: li is in power-ops, which is a member of power-staff (the group the rule names).
        group("power-ops", f"uid=li,{PEOPLE}"),
        group("power-staff", f"cn=power-ops,{GROUPS}"),
        group("canteen", f"uid=wang,{PEOPLE}"),
    ]:
        directory.add(dn, attrs)


@contextlib.contextmanager
def running_slapd(tmp: Path):
    if SLAPD is None:
        pytest.skip("Debian's slapd is not installed (./test.sh installs it when run as root)")
    ldap_module()
    (tmp / "db").mkdir(parents=True)
    conf = tmp / "slapd.conf"
    conf.write_text(CONF.format(dir=tmp, suffix=SUFFIX, root_dn=ROOT_DN, root_pw=ROOT_PW))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    # -d keeps slapd in the foreground, so the test owns the process and stops it.
    proc = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.skip(f"slapd did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                pytest.skip("slapd did not listen within 10 s")
            time.sleep(0.05)
        directory = Directory(url)
        seed(directory)
        yield directory
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


class SilentDirectory:
    """A port that takes connections and never answers: a hung directory. The kernel completes each
    connection in the listen backlog, so a client connects, sends, and waits for an answer that never
    comes; nothing here accepts until `connections()` counts them."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.setblocking(False)
        self.url = f"ldap://127.0.0.1:{self.server.getsockname()[1]}"
        self.held: list[socket.socket] = []

    def connections(self) -> int:
        """How many connections were made to it so far (those waiting in the backlog taken now)."""
        while True:
            try:
                conn, _addr = self.server.accept()
            except BlockingIOError:
                return len(self.held)
            self.held.append(conn)

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.server.close()


@contextlib.contextmanager
def silent_port():
    directory = SilentDirectory()
    try:
        yield directory
    finally:
        directory.close()
