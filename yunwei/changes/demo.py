"""Demo data of changes."""


def load(stdout) -> None:
    """Nothing yet."""
