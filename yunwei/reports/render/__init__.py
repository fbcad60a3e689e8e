"""Renderers of the monthly report's `Document`: .docx, .pdf, .xlsx, chart PNGs and ECharts options."""

from .charts import chart_option, chart_png
from .common import TemplateError
from .docx import render_docx
from .xlsx import render_xlsx


def render_pdf(doc):
    from .pdf import render_pdf as _render_pdf

    return _render_pdf(doc)


__all__ = ["TemplateError", "chart_option", "chart_png", "render_docx", "render_pdf", "render_xlsx"]
