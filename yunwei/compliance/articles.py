"""The regulation's articles as data (zh-Hans source text with an English reading), and the rows of
docs/regulation.md that say how the product enforces each one."""

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data" / "articles.json"
INDEX = Path(settings.BASE_DIR).parent / "docs" / "regulation.md"
_ROW = re.compile(r"^\| Art\. (\d+)(?:[–-](\d+))? \| (.+?) \| (.+?) \| (.+?) \|$")
_REF = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Article:
    number: int
    chapter_zh: str
    chapter_en: str
    zh: str
    en: str

    @property
    def chapter(self) -> str:
        return self.chapter_en if (get_language() or "").startswith("en") else self.chapter_zh


@functools.cache
def all_articles() -> dict[int, Article]:
    return {row["number"]: Article(**row) for row in json.loads(DATA.read_text(encoding="utf-8"))}


@dataclass(frozen=True)
class Enforcement:
    duty: str
    carried_by: tuple[str, ...]
    proved_by: tuple[str, ...]


@functools.cache
def enforcement() -> dict[int, list[Enforcement]]:
    """docs/regulation.md's rows by article (a row for Art. 14–16 stands under each); empty when the
    documentation is not installed beside the package."""
    rows: dict[int, list[Enforcement]] = {}
    if not INDEX.exists():
        return rows
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        first, last, duty, carried, proved = match.groups()
        entry = Enforcement(duty, tuple(_REF.findall(carried)), tuple(_REF.findall(proved)))
        for number in range(int(first), int(last or first) + 1):
            rows.setdefault(number, []).append(entry)
    return rows
