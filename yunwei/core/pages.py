"""What every app's pages share: log-in and the service's refusals as 403, the answer after a POST, and
a service call made from a page."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django_htmx.http import HttpResponseLocation

from . import errors


def page_view(view):
    """Log-in required; a service's refusal of who acts (core PermissionDenied) answers 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None

    return login_required(wrapper)


def done(request, url, message=None):
    """After a successful POST: a message, then the page (HX-Location for htmx requests)."""
    if message:
        messages.success(request, message)
    return HttpResponseLocation(url) if request.htmx else redirect(url)


def act(request, url, call, message):
    """Run a service call from a page, then show `url`: with `message`, or with the reason the flow
    refused it. A refusal of who acts still answers 403."""
    try:
        call()
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, url)
    return done(request, url, message)
