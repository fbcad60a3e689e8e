"""The child process that fills a group's .docx template (see template.py); reads stdin, writes stdout.

It is run as a script with `python -I` under resource limits and imports nothing of the product. An error
is reported as one line "TEMPLATE-ERROR: <where>: <what>" on stderr with exit status 2.
"""

import base64
import io
import json
import sys


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Before any untrusted byte is read: bounded memory and CPU, no file written, few descriptors."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> int:
    # The libraries are imported first (they open their own files); the descriptor limit comes after.
    import resource

    from docx import Document as open_docx
    from docxtpl import DocxTemplate
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))
    request = json.loads(sys.stdin.buffer.read())
    data = base64.b64decode(request["template"])
    context = request["context"]
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)

    try:
        template = DocxTemplate(io.BytesIO(data))
        template.init_docx()
    except Exception as error:  # a broken package: name the error, never a traceback
        fail(f"the .docx could not be read ({type(error).__name__}: {error})")
    try:
        template.render(context, jinja_env=env)
        out = io.BytesIO()
        template.save(out)
    except BaseException as error:  # Jinja's errors, the sandbox's refusals, MemoryError, OverflowError …
        if isinstance(error, SystemExit | KeyboardInterrupt):
            raise
        where, cause = locate(open_docx(io.BytesIO(data)), env, context)
        cause = cause or error
        fail(f"{where}: {describe(cause)}")
    sys.stdout.buffer.write(out.getvalue())
    return 0


def describe(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "MemoryError: it needs more memory than a template may use"
    return f"{type(error).__name__}: {error}"


def paragraphs(word):
    """(where, text) of every paragraph in the body, its tables, and the headers and footers."""
    for index, paragraph in enumerate(word.paragraphs, start=1):
        yield f"paragraph {index}", paragraph.text
    for t, table in enumerate(word.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                for paragraph in cell.paragraphs:
                    yield f"table {t} row {r} cell {c}", paragraph.text
    for s, section in enumerate(word.sections, start=1):
        for name, part in (("header", section.header), ("footer", section.footer)):
            for index, paragraph in enumerate(part.paragraphs, start=1):
                yield f"section {s} {name} paragraph {index}", paragraph.text


BLOCK_BALANCE = ("Unexpected end of template", "Encountered unknown tag 'end", "Encountered unknown tag 'el")


def locate(word, env, context):
    """(where, error) of the first paragraph whose placeholders fail on their own, quoted.

    A paragraph that fails only because its {% for %}/{% if %} block closes in another paragraph is
    named only when no paragraph has a real error.
    """
    candidates = [(where, text) for where, text in paragraphs(word) if "{{" in text or "{%" in text]
    unbalanced = None
    for where, text in candidates:
        try:
            env.from_string(text).render(context)
        except Exception as error:
            if any(marker in str(error) for marker in BLOCK_BALANCE):
                unbalanced = unbalanced or (f"{where} ({quote(text)})", error)
                continue
            return f"{where} ({quote(text)})", error
        except MemoryError as error:
            return f"{where} ({quote(text)})", error
    if unbalanced:
        return unbalanced
    if candidates:
        return "placeholders in " + ", ".join(
            f"{where} ({quote(text)})" for where, text in candidates[:3]
        ), None
    return "the template", None


def quote(text: str) -> str:
    text = text.strip()
    return "“" + (text if len(text) <= 60 else text[:57] + "…") + "”"


def fail(message: str) -> None:
    sys.stderr.write("TEMPLATE-ERROR: " + message.replace("\n", " ") + "\n")
    sys.stderr.flush()
    sys.exit(2)


if __name__ == "__main__":
    limit(int(sys.argv[1]), int(sys.argv[2]))
    sys.exit(main())
