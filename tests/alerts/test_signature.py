"""HMAC signatures over `<timestamp>.<body>`: a good one is accepted; a wrong, missing (when required), old
or replayed one is refused (401/403) and nothing is stored — the seen signature included."""

import datetime
import json

import pytest
import time_machine

from yunwei.alerts import services
from yunwei.alerts.models import Alert, Payload, SeenSignature

from .conftest import am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db
SECRET = "a-shared-secret-of-32-characters"
NOW = datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC)


@pytest.fixture
def signed(unit_a, group_admin):
    return make_integration(unit_a, group_admin, hmac_secret=SECRET, signature_required=True)


def _headers(body: bytes, *, at=NOW, secret=SECRET) -> dict:
    timestamp = str(int(at.timestamp()))
    return {
        services.TIMESTAMP_HEADER: timestamp,
        services.SIGNATURE_HEADER: "sha256=" + services.sign(secret, timestamp, body),
    }


def _body() -> bytes:
    return json.dumps(am_payload(am_alert(fingerprint="s1"))).encode()


def _stored() -> tuple[int, int, int]:
    return Payload.objects.count(), Alert.objects.count(), SeenSignature.objects.count()


@time_machine.travel(NOW, tick=False)
def test_a_good_signature_is_accepted_and_remembered_for_its_window(signed, post):
    body = _body()
    answer = post(signed, None, raw=body, headers=_headers(body))
    assert answer.status_code == 200, answer.content
    seen = SeenSignature.objects.get()
    assert seen.expires_at == NOW + datetime.timedelta(seconds=300)
    assert _stored() == (1, 1, 1)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, headers: (body + b" ", headers), id="body-changed"),
        pytest.param(
            lambda body, headers: (body, _headers(body, secret="another-secret-of-enough-length")),
            id="secret",
        ),
        pytest.param(lambda body, headers: (body, {}), id="missing"),
        pytest.param(
            lambda body, headers: (
                body,
                {**headers, services.TIMESTAMP_HEADER: str(int(NOW.timestamp()) + 1)},
            ),
            id="timestamp-changed",
        ),
    ],
)
def test_a_wrong_or_missing_signature_is_refused_with_401_and_nothing_stored(signed, post, tamper):
    body = _body()
    sent, headers = tamper(body, _headers(body))
    answer = post(signed, None, raw=sent, headers=headers)
    assert answer.status_code == 401
    assert "sign" in answer.json()["detail"].lower()
    assert _stored() == (0, 0, 0)


@time_machine.travel(NOW, tick=False)
def test_a_signature_older_than_the_window_is_refused_with_403(signed, post):
    body = _body()
    old = _headers(body, at=NOW - datetime.timedelta(seconds=301))
    answer = post(signed, None, raw=body, headers=old)
    assert answer.status_code == 403
    assert "300-second window" in answer.json()["detail"]
    assert _stored() == (0, 0, 0)
    assert (
        post(
            signed, None, raw=body, headers=_headers(body, at=NOW - datetime.timedelta(seconds=299))
        ).status_code
        == 200
    )


@time_machine.travel(NOW, tick=False)
def test_a_replayed_signature_is_refused_with_403_and_changes_nothing(signed, post):
    body = _body()
    headers = _headers(body)
    assert post(signed, None, raw=body, headers=headers).status_code == 200
    alert = Alert.objects.values().get()
    answer = post(signed, None, raw=body, headers=headers)
    assert answer.status_code == 403
    assert "replay" in answer.json()["detail"]
    assert _stored() == (1, 1, 1)
    assert Alert.objects.values().get() == alert  # not even counted as a repeat


@time_machine.travel(NOW, tick=False)
def test_a_refused_body_does_not_burn_its_signature(signed, post):
    """The seen signature is written in the request's transaction: a 400 rolls it back with the rest."""
    body = b'{"alerts": "not a list"}'
    assert post(signed, None, raw=body, headers=_headers(body)).status_code == 400
    assert _stored() == (0, 0, 0)


@time_machine.travel(NOW, tick=False)
def test_with_a_secret_but_no_requirement_an_unsigned_post_passes_and_a_signed_one_is_checked(
    unit_a, group_admin, post
):
    optional = make_integration(unit_a, group_admin, hmac_secret=SECRET)
    body = _body()
    assert post(optional, None, raw=body).status_code == 200
    bad = {services.TIMESTAMP_HEADER: str(int(NOW.timestamp())), services.SIGNATURE_HEADER: "sha256=00"}
    assert post(optional, None, raw=body, headers=bad).status_code == 401


def test_a_required_signature_without_a_secret_is_refused_naming_the_secret(unit_a, group_admin):
    from yunwei.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        make_integration(unit_a, group_admin, signature_required=True)
    assert refused.value.field == "hmac_secret"


def test_old_signatures_are_pruned_after_their_window(signed, post):
    body = _body()
    with time_machine.travel(NOW, tick=False):
        post(signed, None, raw=body, headers=_headers(body))
    assert services.prune(now=NOW + datetime.timedelta(seconds=299)) == 0
    assert services.prune(now=NOW + datetime.timedelta(seconds=301)) == 1
    assert not SeenSignature.objects.exists()
