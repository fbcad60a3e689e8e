"""gunicorn settings of `yunwei web` (the product's own server configuration)."""

import gc


def post_worker_init(worker):
    """Freeze what loading the application left on the heap: Django's modules, URL patterns and
    templates are never freed, and without this every collection of the oldest generation walks them
    again, which on a busy worker (heartbeat pings) costs more than the request itself."""
    gc.collect()
    gc.freeze()
