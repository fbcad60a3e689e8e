"""Search terms for Chinese and Latin text, the same on SQLite and PostgreSQL.

Chinese has no spaces and a trigram index finds nothing shorter than three characters, so a text is cut
into character n-grams: every single CJK character (unigram) and every pair of neighbouring ones
(bigram); Latin letters and digits count as whole lower-case words. A query's Chinese run of one character
looks the unigram up, a longer run its bigrams; a document holds all of them, so 备份 finds 数据备份
and 网 finds 网络 on either database, through one indexed equality lookup per term.
"""

import re
import unicodedata
from collections import Counter

MAX_TERM = 40
MAX_QUERY_TERMS = 32
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def _runs(text: str) -> list[str]:
    # NFKC folds full-width letters and digits (ＯＡ) into ASCII ones, so both spellings meet.
    return _TOKEN.findall(unicodedata.normalize("NFKC", text or "").lower())


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(text: str) -> Counter:
    """Every term of a stored text with its count."""
    counted: Counter = Counter()
    for run in _runs(text):
        if _CJK_RUN.fullmatch(run):
            counted.update(run)
            counted.update(_bigrams(run))
        else:
            counted[run[:MAX_TERM]] += 1
    return counted


def query_terms(text: str) -> list[str]:
    """The terms a query asks for, in order, each once: a document must hold all of them."""
    found: list[str] = []
    for run in _runs(text):
        if _CJK_RUN.fullmatch(run):
            found.extend([run] if len(run) == 1 else _bigrams(run))
        else:
            found.append(run[:MAX_TERM])
    return list(dict.fromkeys(found))[:MAX_QUERY_TERMS]
