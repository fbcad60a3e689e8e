"""Limits on files people upload, checked before a file is read into memory: one helper for every
upload (log-book and service-desk attachments, the inventory's Excel/CSV import, the work-calendar
import).

`check_file()` refuses by the size the upload already knows (`UploadedFile.size`: Django has spooled a
large file to disk without reading it into memory) and by the file name's type. `check_xlsx()` reads
only an .xlsx's zip directory and refuses a zip bomb — members whose uncompressed sizes add up past a
limit, or too many members — before openpyxl opens it. The declared sizes are a real bound: Python's
zipfile never inflates a member past the size its directory entry declares (a member lying about it
fails its CRC check instead). Each refusal is a DomainError naming the form or API field.
"""

import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

# An .xlsx is a zip of XML parts; a workbook of the imports' size unpacks to a few MB in some dozens of
# parts.
XLSX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAX_MEMBERS = 1000


def size_text(n: int) -> str:
    """5242880 → "5 MB", 512000 → "500 KB" (binary units, as the limits are set)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    return f"{max(n, 1024) / 1024:.3g} KB"


def _label(field: str, label) -> str:
    return str(label) if label else field


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""


def check_size(size: int | None, *, field: str, max_bytes: int, label=None, limit_text: str = "") -> None:
    """Refuse a file of `size` bytes over `max_bytes` (and a missing or empty one). `limit_text` says the
    limit in the unit it was set in (e.g. "2048 KB"), else it is written in MB or KB."""
    if not size:
        raise DomainError(
            _("%(field)s: choose a file; this one is empty.") % {"field": _label(field, label)}, field=field
        )
    if size > max_bytes:
        raise DomainError(
            _("%(field)s: the file is larger than %(limit)s.")
            % {"field": _label(field, label), "limit": limit_text or size_text(max_bytes)},
            field=field,
        )


def check_file(upload, *, field: str, max_bytes: int, types=None, label=None, limit_text: str = "") -> str:
    """Refuse an upload over `max_bytes` or whose name's type is not in `types` (e.g. ["xlsx", "csv"]),
    without reading it. Returns the type (the name's extension, lower case)."""
    if upload is None:
        raise DomainError(_("%(field)s: choose a file.") % {"field": _label(field, label)}, field=field)
    kind = extension_of(getattr(upload, "name", ""))
    if types is not None and kind not in types:
        raise DomainError(
            _("%(field)s: files of type “%(type)s” are refused; allowed: %(types)s.")
            % {"field": _label(field, label), "type": kind or "—", "types": ", ".join(types)},
            field=field,
        )
    check_size(
        getattr(upload, "size", None), field=field, max_bytes=max_bytes, label=label, limit_text=limit_text
    )
    return kind


def check_xlsx(source, *, field: str, label=None, max_unpacked: int | None = None, max_members=None) -> None:
    """Refuse an .xlsx that is no zip, has too many members or unpacks to too much, reading only its zip
    directory. `source` is a file object (left at its start) or bytes."""
    max_unpacked = max_unpacked or getattr(
        settings, "UPLOAD_XLSX_MAX_UNPACKED_BYTES", XLSX_MAX_UNPACKED_BYTES
    )
    max_members = max_members or getattr(settings, "UPLOAD_XLSX_MAX_MEMBERS", XLSX_MAX_MEMBERS)
    name = _label(field, label)
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        source.seek(0)
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DomainError(
            _("%(field)s: this is not an Excel (.xlsx) file.") % {"field": name}, field=field
        ) from None
    finally:
        source.seek(0)
    if len(members) > max_members:
        raise DomainError(
            _("%(field)s: the workbook holds %(n)s parts, more than %(max)s; it is refused unread.")
            % {"field": name, "n": len(members), "max": max_members},
            field=field,
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked:
        raise DomainError(
            _("%(field)s: the workbook unpacks to more than %(limit)s (%(size)s); it is refused unread.")
            % {"field": name, "size": size_text(unpacked), "limit": size_text(max_unpacked)},
            field=field,
        )
