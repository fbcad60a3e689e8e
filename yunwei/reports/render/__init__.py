"""Renderers of the monthly report's `Document`: .docx, .pdf, .xlsx, chart PNGs and ECharts options."""

from .charts import chart_option, chart_png
from .common import TemplateError
from .docx import render_docx
from .pdf import render_pdf
from .xlsx import render_xlsx

__all__ = ["TemplateError", "chart_option", "chart_png", "render_docx", "render_pdf", "render_xlsx"]
