"""The DNS probe against a responder the test starts on 127.0.0.1, and resolvers that cannot be reached."""

from yunwei.monitoring import probes

from .targets import dns_server, free_port, run, silent_udp

RECORDS = {
    ("oa.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("oa.example.test.", "MX"): ["10 mail.example.test."],
    ("oa.example.test.", "TXT"): ['"v=spf1 -all"'],
}


def ask(port, name, **fields):
    spec = {"type": "dns", "name": name, "server": "127.0.0.1", "port": port, "timeout": 1, **fields}
    return run(probes.run(spec))


def test_the_expected_address_in_the_answer_is_up():
    with dns_server(RECORDS) as port:
        result = ask(port, "oa.example.test", expected="192.0.2.10")
    assert result.status == "up", result.reason
    assert result.method == "dns"
    assert result.details["answers"] == ["192.0.2.10", "192.0.2.11"]
    assert result.details["rcode"] == "NOERROR"
    assert result.reason == "oa.example.test. A: 192.0.2.10, 192.0.2.11"


def test_a_missing_expected_answer_is_down_naming_what_came():
    with dns_server(RECORDS) as port:
        result = ask(port, "oa.example.test", expected=["192.0.2.10", "192.0.2.99"])
    assert result.status == "down"
    assert result.reason == "oa.example.test. A is 192.0.2.10, 192.0.2.11; missing 192.0.2.99"


def test_an_exact_match_is_down_for_an_extra_answer():
    with dns_server(RECORDS) as port:
        result = ask(port, "oa.example.test", expected="192.0.2.10", match="exact")
    assert result.status == "down"
    assert result.reason == "oa.example.test. A also answers 192.0.2.11"


def test_other_record_types_compare_their_text():
    with dns_server(RECORDS) as port:
        assert ask(port, "oa.example.test", record_type="MX", expected="10 mail.example.test").status == "up"
        assert ask(port, "oa.example.test", record_type="txt", expected="v=spf1 -all").status == "up"
        nodata = ask(port, "oa.example.test", record_type="AAAA")
    assert nodata.status == "down"
    assert nodata.reason == "oa.example.test. has no AAAA record"


def test_the_response_code_is_compared():
    with dns_server(RECORDS, refused={"secret.example.test."}) as port:
        nxdomain = ask(port, "gone.example.test")
        expected_gone = ask(port, "gone.example.test", expected_rcode="NXDOMAIN")
        refused = ask(port, "secret.example.test")
    assert nxdomain.status == "down"
    assert nxdomain.reason == "gone.example.test. A: response code NXDOMAIN, expected NOERROR"
    assert expected_gone.status == "up"
    assert refused.status == "down"
    assert refused.reason == "secret.example.test. A: response code REFUSED, expected NOERROR"


def test_a_resolver_that_cannot_be_reached_is_unknown_not_down():
    port = free_port()  # nothing listens: the kernel answers port unreachable, or nothing comes back
    result = ask(port, "oa.example.test", timeout=0.3)
    assert result.status == "unknown"
    assert result.reason.startswith(f"the resolver 127.0.0.1:{port}")


def test_a_resolver_that_stays_silent_is_unknown_within_the_timeout():
    with silent_udp() as port:
        result = ask(port, "oa.example.test", timeout=0.3)
    assert result.status == "unknown"
    assert result.reason == f"the resolver 127.0.0.1:{port} did not answer within 0.3 s"


def test_a_bad_record_type_is_unknown_naming_it():
    result = ask(53, "oa.example.test", record_type="BOGUS")
    assert result.status == "unknown"
    assert result.reason.startswith("invalid check:")
    assert result.reason.startswith("invalid check: 'record_type' is not usable: 'BOGUS'")
