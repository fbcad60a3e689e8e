"""The HTTP(S) probe against real servers on 127.0.0.1: status, keyword, JSON path, latency, the TLS
certificate's days left and a self-signed certificate, and targets that reset, answer garbage or hang."""

import datetime
import json
import ssl
import time

import pytest
import trustme
from werkzeug import Response

from yunwei.monitoring import probes
from yunwei.monitoring.probes import jsonpath

from .targets import closed_port, greet, hang, https_server, reset, run, self_signed_certificate, tcp_server


def check(url, **fields):
    return run(probes.run({"type": "http", "url": url, "timeout": 2, **fields}))


# --- status, keyword, JSON path, latency -------------------------------------------------------------------


def test_a_page_that_answers_200_is_up_with_its_latency(httpserver):
    httpserver.expect_request("/health").respond_with_data("all good")
    result = check(httpserver.url_for("/health"))
    assert result.status == "up", result.reason
    assert result.method == "http"
    assert result.details["status_code"] == 200
    assert 0 < result.latency_ms < 2000


def test_an_unexpected_status_is_down_naming_both_codes(httpserver):
    httpserver.expect_request("/health").respond_with_data("moved", status=301)
    result = check(httpserver.url_for("/health"), expected_status=[200], follow_redirects=False)
    assert result.status == "down"
    assert result.reason == "HTTP 301, expected 200"


def test_a_server_error_is_down_without_an_expected_status(httpserver):
    httpserver.expect_request("/health").respond_with_data("boom", status=503)
    result = check(httpserver.url_for("/health"))
    assert result.status == "down"
    assert result.reason.startswith("HTTP 503")


def test_a_declared_status_other_than_2xx_can_be_the_healthy_one(httpserver):
    httpserver.expect_request("/login").respond_with_data("", status=401)
    assert check(httpserver.url_for("/login"), expected_status=401).status == "up"


def test_the_keyword_must_be_in_the_body(httpserver):
    httpserver.expect_request("/").respond_with_data("<title>OA 办公系统</title> database: ok")
    assert check(httpserver.url_for("/"), keyword="database: ok").status == "up"
    assert check(httpserver.url_for("/"), keyword="OA 办公系统").status == "up"
    missing = check(httpserver.url_for("/"), keyword="database: degraded")
    assert missing.status == "down"
    assert missing.reason == "the keyword 'database: degraded' is not in the body"


def test_a_json_path_condition_is_judged_on_the_body(httpserver):
    body = {"status": "ok", "checks": [{"name": "db", "ok": True, "lag": 3}, {"name": "queue", "depth": 120}]}
    httpserver.expect_request("/api/health").respond_with_json(body)
    url = httpserver.url_for("/api/health")
    assert check(url, json_path="$.status", json_value="ok").status == "up"
    assert check(url, json_path="checks[0].ok", json_value=True).status == "up"
    assert check(url, json_path="checks[1].depth", json_op="lt", json_value=500).status == "up"
    assert check(url, json_path="checks[-1].name", json_value="queue").status == "up"

    too_deep = check(url, json_path="checks[1].depth", json_op="lt", json_value=100)
    assert too_deep.status == "down"
    assert too_deep.reason == "checks[1].depth is 120, expected lt 100"

    missing = check(url, json_path="checks[2].name")
    assert missing.status == "down"
    assert missing.reason == "checks[2].name is missing, expected exists"


def test_a_body_that_is_not_json_is_down_for_a_json_path(httpserver):
    httpserver.expect_request("/").respond_with_data("<html>maintenance</html>")
    result = check(httpserver.url_for("/"), json_path="status", json_value="ok")
    assert result.status == "down"
    assert result.reason.startswith("the body is not JSON")


def test_a_slow_answer_over_the_threshold_is_down_with_its_latency(httpserver):
    def slow(request):
        time.sleep(0.25)
        return Response("late but fine")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    result = check(httpserver.url_for("/slow"), max_latency_ms=100)
    assert result.status == "down"
    assert result.latency_ms >= 250
    assert result.reason.endswith("over the 100 ms threshold")


def test_a_bad_spec_is_unknown_naming_the_field():
    result = run(probes.run({"type": "http", "url": "ftp://example.test/"}))
    assert result.status == "unknown"
    assert "'url' must be http or https" in result.reason
    no_timeout = run(probes.run({"type": "http", "url": "http://127.0.0.1/", "timeout": "soon"}))
    assert no_timeout.status == "unknown"
    assert "'timeout' is not a number" in no_timeout.reason


# --- targets that misbehave --------------------------------------------------------------------------------


def test_a_closed_port_is_down_refused():
    result = check(f"http://127.0.0.1:{closed_port()}/")
    assert result.status == "down"
    assert "refused" in result.reason


def test_a_target_that_resets_the_connection_is_down():
    with tcp_server(reset) as port:
        result = check(f"http://127.0.0.1:{port}/")
    assert result.status == "down"
    assert "reset" in result.reason or "disconnected" in result.reason, result.reason


def test_a_target_that_answers_garbage_is_down_as_not_http():
    with tcp_server(greet(b"SSH-2.0-OpenSSH_9.2\r\n\x00\xff garbage\r\n\r\n")) as port:
        result = check(f"http://127.0.0.1:{port}/")
    assert result.status == "down"
    assert result.reason.startswith("not a valid HTTP answer"), result.reason


def test_a_target_that_hangs_is_down_within_the_checks_timeout():
    with tcp_server(hang) as port:
        result = check(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert result.status == "down"  # the reason is the timeout's: it gave up at 0.3 s, the target never did
    assert result.reason == f"no answer from http://127.0.0.1:{port}/ within 0.3 s"


# --- TLS ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _serving(ca, tmp_path, days):
    not_after = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    leaf = ca.issue_cert("127.0.0.1", not_after=not_after)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return context, bundle


def test_https_reports_the_certificates_days_left(ca, tmp_path):
    context, bundle = _serving(ca, tmp_path, days=40)
    with https_server(context) as port:
        result = check(f"https://127.0.0.1:{port}/", ca_bundle=str(bundle), cert_min_days=14)
    assert result.status == "up", result.reason
    assert 39.9 < result.details["cert_days_left"] <= 40
    assert "127.0.0.1" in result.details["cert_subject"] or result.details["cert_subject"]


def test_a_certificate_expiring_sooner_than_wanted_is_down_with_the_days_left(ca, tmp_path):
    context, bundle = _serving(ca, tmp_path, days=5)
    with https_server(context) as port:
        result = check(f"https://127.0.0.1:{port}/", ca_bundle=str(bundle), cert_min_days=14)
    assert result.status == "down"
    assert result.reason.startswith("the TLS certificate expires in 5.0 days") or result.reason.startswith(
        "the TLS certificate expires in 4.9"
    ), result.reason
    assert result.reason.endswith("under the 14 days wanted")


def test_a_certificate_from_an_untrusted_authority_is_down(ca, tmp_path):
    context, _ = _serving(ca, tmp_path, days=40)
    with https_server(context) as port:
        result = check(f"https://127.0.0.1:{port}/")
    assert result.status == "down"
    assert result.reason.startswith("TLS certificate not trusted: unable to get local issuer certificate")


def test_a_self_signed_certificate_is_down_unless_the_check_says_not_to_verify(tmp_path):
    cert, key = self_signed_certificate(tmp_path, days=20)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with https_server(context) as port:
        refused = check(f"https://127.0.0.1:{port}/")
        accepted = check(f"https://127.0.0.1:{port}/", verify_tls=False, cert_min_days=30)
    assert refused.status == "down"
    assert refused.reason == "TLS certificate not trusted: self-signed certificate"
    # Not verifying still reads the certificate: its days left are judged all the same.
    assert accepted.status == "down"
    assert 19.9 < accepted.details["cert_days_left"] <= 20
    assert accepted.details["cert_issuer"] == "CN=switch.example.test"
    assert accepted.reason.endswith("under the 30 days wanted")


# --- the path evaluator ------------------------------------------------------------------------------------


def test_the_path_evaluator_reads_keys_indexes_and_quoted_keys():
    document = json.loads('{"a": {"b.c": [10, {"d": "x"}]}, "n": "5"}')
    assert jsonpath.find(document, '$.a["b.c"][1].d') == "x"
    assert jsonpath.find(document, "a.missing") is jsonpath.MISSING
    assert jsonpath.compare("5", "eq", 5)
    assert jsonpath.compare(document["n"], "ge", "4.5")
    with pytest.raises(jsonpath.PathError):
        jsonpath.parse("a..b[")


def test_a_boolean_field_is_read_strictly(httpserver):
    httpserver.expect_request("/").respond_with_data("moved", status=302, headers={"Location": "/elsewhere"})
    httpserver.expect_request("/elsewhere").respond_with_data("here")
    not_followed = check(httpserver.url_for("/"), follow_redirects="false", expected_status=302)
    assert not_followed.status == "up", not_followed.reason
    unclear = check(httpserver.url_for("/"), follow_redirects="maybe")
    assert unclear.status == "unknown"
    assert unclear.reason == "invalid check: 'follow_redirects' is not true or false: 'maybe'"
