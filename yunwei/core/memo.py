"""Answers that do not change within one unit of work, asked once in it.

The worker draining the alert outbox correlates hundreds of alerts a batch; each correlation asks which
relation types are dependencies, what the fold window is, what its item reaches and whether it has a
window. Inside `scope()` (one batch, one sweep) such a question is answered by the database once and
remembered until the scope ends; outside any scope, `remember` simply computes. Nothing is kept between
scopes, so an edit is seen by the next batch.
"""

import contextlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict | None] = ContextVar("yunwei_memo", default=None)


@contextlib.contextmanager
def scope():
    """Remember answers until the block ends; a scope inside another shares the outer one's."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def active() -> bool:
    """Whether a scope is open: a caller may then read a wider answer once instead of a narrow one often."""
    return _memo.get() is not None


def remember(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, once per scope for `key`; every time outside a scope."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
