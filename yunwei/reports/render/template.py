"""A group's own .docx template, filled as data in a sandboxed subprocess.

The template's body is its cover, with placeholders {{ title }}, {{ subtitle }}, {{ organisation }},
{{ language }}, {{ cover_lines }} (label/value pairs) and {{ cover["编制"] }}; its styles, header and footer
stay as they are. docxtpl fills it with a Jinja2 SandboxedEnvironment and StrictUndefined (an unknown
placeholder is an error, not a silent blank), inside a child process with limits: address space
(RLIMIT_AS), CPU seconds, no files written, a handful of descriptors, an empty working directory, no
environment, and a wall-clock timeout. The child reads the template from stdin and writes the result to
stdout; it imports nothing of the product. The parent refuses before starting it: anything that is not a
.docx zip, more than 5 MB, or that expands to more than 50 MB (a zip bomb), or carries macros.
"""

from __future__ import annotations

import base64
import io
import json
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from yunwei.reports.document import Document

from .common import TemplateError

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_EXPANDED_BYTES = 50 * 1024 * 1024
MEMORY_BYTES = 768 * 1024 * 1024
CPU_SECONDS = 10  # filling a cover takes well under a second
WALL_SECONDS = 40
WORKER = Path(__file__).with_name("template_worker.py")


def check_template(template: bytes) -> None:
    """Refuse what is not a plausible .docx before any parser sees it."""
    if len(template) > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            f"template: {len(template) / 1024 / 1024:.1f} MB,"
            f" more than the {MAX_TEMPLATE_BYTES // 1024 // 1024} MB allowed"
        )
    if not zipfile.is_zipfile(io.BytesIO(template)):
        raise TemplateError("template: not a .docx file (a .docx is a zip package)")
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as archive:
            names = archive.namelist()
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise TemplateError(f"template: not a readable .docx file ({error})") from error
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise TemplateError("template: not a .docx file (no word/document.xml)")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TemplateError("template: carries macros (word/vbaProject.bin); save it as .docx, not .docm")
    if expanded > MAX_EXPANDED_BYTES:
        raise TemplateError(f"template: expands to {expanded // 1024 // 1024} MB, more than 50 MB allowed")


def template_context(doc: Document) -> dict:
    return {
        "title": doc.title,
        "subtitle": doc.subtitle,
        "organisation": doc.organisation,
        "language": doc.language,
        "cover_lines": [list(pair) for pair in doc.cover_lines],
        "cover": dict(doc.cover_lines),
    }


def fill_template(template: bytes, doc: Document) -> bytes:
    """The template with its placeholders filled; TemplateError names what is wrong and where."""
    check_template(template)
    request = json.dumps(
        {"template": base64.b64encode(template).decode("ascii"), "context": template_context(doc)}
    ).encode()
    with tempfile.TemporaryDirectory(prefix="yunwei-template-") as empty:
        try:
            done = subprocess.run(  # noqa: S603 (our own interpreter and script, no shell)
                # The child sets its limits itself before it reads the template (no preexec_fn, which
                # is unsafe in a threaded server): memory bytes and CPU seconds come as arguments.
                [sys.executable, "-I", str(WORKER), str(MEMORY_BYTES), str(CPU_SECONDS)],
                input=request,
                capture_output=True,
                cwd=empty,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                timeout=WALL_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise TemplateError(f"template: filling it took more than {WALL_SECONDS} s") from error
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise TemplateError(f"template: filling it took more than the {CPU_SECONDS} s of CPU time allowed")
    if done.returncode != 0:
        message = _child_error(done.stderr)
        raise TemplateError(f"template: {message}")
    return done.stdout


def _child_error(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("TEMPLATE-ERROR: "):
            return line.removeprefix("TEMPLATE-ERROR: ")
    if any("MemoryError" in line for line in lines):
        return "filling it needed more memory than allowed"
    return "it could not be filled (" + (lines[-1] if lines else "the filler stopped") + ")"
