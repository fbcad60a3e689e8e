"""Yunwei (运维): operations & maintenance management for a group company's OA system."""

from .celery import app as celery_app

__all__ = ["celery_app"]
