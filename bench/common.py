"""What the benchmarks share: a database of their own, the units they report in, and their output."""

import atexit
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path


def setup_django() -> None:
    """Django on `YUNWEI_DATABASE_URL` when set, else on a temporary SQLite file removed at exit."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if not os.environ.get("YUNWEI_DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="yunwei-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["YUNWEI_VAR_DIR"] = folder
        Path(folder, "static").mkdir()  # WhiteNoise warns about a missing static root otherwise
        os.environ["YUNWEI_DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")
    import django

    django.setup()


def migrate_empty(model, what: str) -> None:
    """Migrate, and refuse a database that already holds `model` rows: the figures need known data."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if model.objects.exists():
        sys.exit(f"The benchmark needs an empty database of its own (YUNWEI_DATABASE_URL holds {what}).")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def p95(values: list[float]) -> float:
    """Nearest rank: the ⌈0.95·n⌉-th smallest value (the 48th of 50)."""
    return sorted(values)[max(0, math.ceil(len(values) * 0.95) - 1)]


def report(figures: dict, width: int, summary: dict) -> None:
    """Each figure on its own line, then everything as one JSON object, the last line."""
    for key, value in figures.items():
        print(f"{key:>{width}}: {value}")
    print(json.dumps({**summary, **figures}, ensure_ascii=False))
