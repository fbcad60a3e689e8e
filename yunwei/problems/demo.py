"""Demo data of problems."""


def load(stdout) -> None:
    """Nothing yet."""
