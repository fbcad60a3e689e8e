"""The zh-Hans catalogues are complete: no message left untranslated or marked fuzzy (a fuzzy one is not
used), and the compiled .mo holds every message of its .po."""

import gettext
import re
from pathlib import Path

import pytest

import yunwei

CATALOGUES = sorted(Path(yunwei.__file__).parent.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
# An entry whose translation is empty: `msgstr ""` not continued on the next line (the header is one).
EMPTY = re.compile(r'^msgstr ""\n(?!")', re.MULTILINE)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalogue_is_complete_and_compiled(po):
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text and ", fuzzy" not in text
    blocks = [block for block in text.split("\n\n") if "\nmsgid " in "\n" + block]
    untranslated = [
        block.split("msgid ", 1)[1].split("\n", 1)[0]
        for block in blocks[1:]  # the first is the header
        if not block.lstrip().startswith("#~") and EMPTY.search(block + "\n")
    ]
    assert untranslated == []
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # one key per message (nplurals=1), header incl.
    live = [block for block in blocks if not block.lstrip().startswith("#~")]
    assert len(compiled) == len(live)


def test_an_empty_translation_is_seen():
    block = '#: x.py:1\nmsgid "Send again"\nmsgstr ""'
    assert EMPTY.search(block + "\n")
    assert not EMPTY.search('msgid "A"\nmsgstr ""\n"一"\n')
