"""The zh-Hans catalogues are complete: no message left untranslated or marked fuzzy (a fuzzy one is not
used), and the compiled .mo holds every message of its .po."""

import contextlib
import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

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


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext's xgettext is not installed")
def test_every_message_of_the_code_has_its_translation(tmp_path):
    """makemessages over a copy of the package finds no message of the code or templates without its
    zh-Hans translation (a merge that dropped an entry, or a new string nobody translated)."""
    package = Path(yunwei.__file__).parent
    copy = tmp_path / "yunwei"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    with contextlib.chdir(copy):
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, no_location=True, verbosity=0)
    for po in sorted(copy.glob("**/locale/zh_Hans/LC_MESSAGES/django.po")):
        text = po.read_text(encoding="utf-8")
        blocks = [block for block in text.split("\n\n")[1:] if "\nmsgid " in "\n" + block]
        missing = [block for block in blocks if EMPTY.search(block + "\n") or ", fuzzy" in block]
        assert missing == [], f"{po.relative_to(tmp_path)}: untranslated {missing[:5]}"
