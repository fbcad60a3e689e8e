"""docs/regulation.md stays true: every `path::name` it cites is defined where it says, and every article
of the regulation (1–18) has its row.

Pure file parsing with `ast`: no module of the project is imported, so the check is quick and a reference
to a file that does not import cleanly is still judged by what the file defines.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INDEX = ROOT / "docs" / "regulation.md"
ARTICLES = range(1, 19)

# `yunwei/problems/services.py::permission_failure`, `yunwei/org/models.py::Unit.staffing_gaps`
REFERENCE = re.compile(r"`([\w./-]+\.py)::([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)`")
# A heading (`## Art. 13`) or a table row whose first cell is the article (`| Art. 13 | …`).
ARTICLE_KEY = re.compile(r"^(?:#+|\|)\s*Art\.\s*(\d+)\b", re.MULTILINE)


def _assigned(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _assigned(element)]
    return []


def _defined(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names a module or class body defines: functions, classes, assignments, annotated assignments."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(dict.fromkeys(_assigned(target), node))
        elif isinstance(node, ast.AnnAssign):
            names.update(dict.fromkeys(_assigned(node.target), node))
    return names


def resolves(tree: ast.Module, dotted: str) -> bool:
    """`name` at module level, or `Class.member` (a method or attribute of a module-level class)."""
    body = tree.body
    *outer, last = dotted.split(".")
    for part in outer:
        node = _defined(body).get(part)
        if not isinstance(node, ast.ClassDef):
            return False
        body = node.body
    return last in _defined(body)


def broken_references(text: str, root: Path = ROOT) -> list[str]:
    """Each reference of `text` whose file is missing or does not define the name, with the reason."""
    trees: dict[str, ast.Module | None] = {}
    broken = []
    for path, name in dict.fromkeys(REFERENCE.findall(text)):
        if path not in trees:
            source = root / path
            trees[path] = ast.parse(source.read_text(encoding="utf-8")) if source.is_file() else None
        tree = trees[path]
        if tree is None:
            broken.append(f"{path}::{name}: no such file")
        elif not resolves(tree, name):
            broken.append(f"{path}::{name}: {name} is not defined in {path}")
    return broken


def missing_articles(text: str) -> list[int]:
    keyed = {int(number) for number in ARTICLE_KEY.findall(text)}
    return [number for number in ARTICLES if number not in keyed]


def test_every_reference_of_the_index_is_defined_where_it_says():
    text = INDEX.read_text(encoding="utf-8")
    assert len(REFERENCE.findall(text)) > 50, (
        "the index cites hardly anything: is the reference form still `path::name`?"
    )
    broken = broken_references(text)
    assert not broken, "docs/regulation.md cites what does not exist:\n" + "\n".join(broken)


def test_every_article_has_its_row():
    missing = missing_articles(INDEX.read_text(encoding="utf-8"))
    assert not missing, f"docs/regulation.md has no heading or row for Art. {', '.join(map(str, missing))}"


def test_the_check_names_a_missing_file_a_missing_name_and_a_missing_member(tmp_path):
    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text(
        "LIMIT = 3\nfirst, second = 1, 2\nWINDOW: int = 5\n\n"
        "def act():\n    inner = 1\n\n\nclass Flow:\n    STATES = ()\n\n    def step(self):\n        pass\n",
        encoding="utf-8",
    )
    good = " ".join(
        f"`pkg/mod.py::{name}`"
        for name in ("LIMIT", "second", "WINDOW", "act", "Flow", "Flow.STATES", "Flow.step")
    )
    assert broken_references(good, root=tmp_path) == []

    bad = " ".join(
        f"`pkg/{reference}`"
        for reference in (
            "gone.py::act",
            "mod.py::inner",
            "mod.py::Flow.run",
            "mod.py::act.inner",
            "mod.py::Gone",
        )
    )
    assert broken_references(bad, root=tmp_path) == [
        "pkg/gone.py::act: no such file",
        "pkg/mod.py::inner: inner is not defined in pkg/mod.py",
        "pkg/mod.py::Flow.run: Flow.run is not defined in pkg/mod.py",
        "pkg/mod.py::act.inner: act.inner is not defined in pkg/mod.py",
        "pkg/mod.py::Gone: Gone is not defined in pkg/mod.py",
    ]


def test_an_article_without_a_row_is_named():
    text = "## Art. 1 — purpose\n| Art. 2 | inventory |\n" + "".join(
        f"| Art. {n} | x |\n" for n in range(4, 19)
    )
    assert missing_articles(text) == [3]
    assert missing_articles("Art. 3 is mentioned in passing only.\n| Art. 13 | x |") == [
        n for n in ARTICLES if n != 13
    ]
