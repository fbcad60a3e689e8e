"""Schemathesis generates requests from the OpenAPI schema against the running product: whatever it
sends, the API answers without a server error, with a status the schema documents for the operation and
a body its schema describes (DESIGN: bad input is a 4xx naming the field). Its stateful phase follows
the schema's links: create a record, then read, update, transition it."""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.product import running_product

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the budget: examples, scenarios, steps

pytestmark = pytest.mark.e2e


def _token(product_url: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{product_url}/api/auth/token/",
        data=json.dumps({"username": "admin", "password": "yunwei-demo"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)["token"]


@pytest.fixture(scope="module")
def fuzzed_product(tmp_path_factory, run_folder):
    """A product of its own: the fuzzer renames, disables and deletes demo records that the browser
    tests of the shared product rely on."""
    with running_product(tmp_path_factory.mktemp("yunwei-fuzzed"), run_folder) as url:
        yield url


def test_no_generated_request_makes_a_server_error_or_an_undocumented_answer(fuzzed_product):
    product_url = fuzzed_product
    result = subprocess.run(
        [
            SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{product_url}/api/schema/",
            "--header", f"Authorization: Token {_token(product_url)}",
            "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
            # The coverage phase costs minutes per run for little more.
            "--phases", "fuzzing,stateful",
            # Issuing tokens is rate-limited by the lock-out, which random passwords would trigger.
            "--exclude-path-regex", "auth/token",
            # A fixed seed: a red run is replayed as it was; change it to explore other requests.
            "--seed", "20261207",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    # The report names the failing operations first and sums up last: both halves, when it fails.
    assert result.returncode == 0, result.stdout[:8000] + "\n…\n" + result.stdout[-4000:]
    # Every operation was tried, and the stateful phase ran scenarios along the links.
    selected = re.search(r"Operations:\s+(\d+) selected / (\d+) total", result.stdout)
    assert selected and int(selected[1]) > 300, result.stdout[-3000:]
    scenarios = re.search(r"Scenarios:\s+(\d+)", result.stdout)
    assert scenarios and int(scenarios[1]) > 0, result.stdout[-3000:]
    # Every case passed (warnings, such as operations answering only 404 to random ids, may remain).
    cases = re.search(r"Test cases:\s+(\d+) generated, (\d+) passed", result.stdout)
    assert cases and cases[1] == cases[2], result.stdout[-3000:]
