"""Schema-driven fuzzing (schemathesis) of every operation the API serves, in-process over WSGI,
as four callers: anonymous, a customer and a store employee (allauth app sessions, X-Session-Token)
and a channel API key. Fails on any 5xx, any response that does not match its documented schema,
and any status code the operation does not document.

Bounded for CI: OMNISHOP_FUZZ_EXAMPLES examples per operation (default 25), each sent as all four
callers, derandomized so a failure reproduces.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .fuzzing import IDENTITIES, fuzz_shop, served_schema

EXAMPLES = int(os.environ.get("OMNISHOP_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


def _session_token(user) -> str:
    """An allauth app session for ``user``: the token is the session key (X-Session-Token)."""
    client = Client()
    client.force_login(user)
    return client.session.session_key


@pytest.fixture
def fuzz_identities(db):
    shop = fuzz_shop()
    return {
        "anonymous": {},
        "customer": {"X-Session-Token": _session_token(shop["users"]["customer"])},
        "staff": {"X-Session-Token": _session_token(shop["users"]["staff"])},
        "channel_key": {"Authorization": f"Api-Key {shop['key']}"},
    }


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As Django's test client does: a request must not close the connection holding the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The document /api/schema/ serves (the same generator), called in-process through the WSGI app.
schema = schemathesis.openapi.from_dict(served_schema())
schema.app = get_wsgi_application()

# Values the generator rarely hits by chance, spliced into some cases' strings (the families of
# input that once answered 500): NUL, digits int() reads but are not 0-9, numbers too long for a
# column. Lone surrogates and ".." cannot travel through this client (it encodes bodies as UTF-8
# and resolves dot segments); test_hostile_inputs sends those as raw bytes.
SPIKES = ["\x00", "ab\x00cd", "\u00b2", "\u0661\u0662", "%2e%2e", "9" * 30]


def _spike_strings(container, spike: str) -> None:
    """Replaces every string in a generated dict/list (in place) with ``spike``."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, value in list(items):
        if isinstance(value, str):
            container[key] = spike
        elif isinstance(value, dict | list):
            _spike_strings(value, spike)


def _spiked(case, where: str | None, spike: str):
    if where == "path" and case.path_parameters:
        _spike_strings(case.path_parameters, spike)
    elif where == "query" and case.query:
        _spike_strings(case.query, spike)
    elif where == "body" and isinstance(case.body, dict | list):
        _spike_strings(case.body, spike)
    return case


@schema.hook
def flatmap_case(context, case):
    plain = st.just((None, ""))
    spiked = st.tuples(st.sampled_from(["path", "query", "body"]), st.sampled_from(SPIKES))
    return st.one_of(plain, spiked).map(lambda choice: _spiked(case, *choice))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_caller(case, fuzz_identities):
    assert set(fuzz_identities) == set(IDENTITIES)
    for headers in fuzz_identities.values():
        case.call_and_validate(headers=headers, checks=CHECKS)
