"""Log-in and log-out pages and the TOTP second factor."""

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.pages import act, done, form_call, form_page, page_view
from yunwei.org.choices import UnitKind
from yunwei.org.models import Person, Unit

from . import delegation, provisioning, services
from .forms import (
    ContactForm,
    DelegationForm,
    DirectoryRuleForm,
    LoginForm,
    OtpForm,
    OtpSetupForm,
    PasswordChangeForm,
)
from .models import DirectoryAccount, DirectoryRule


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, **form.cleaned_data)
        if user is not None:
            services.log_in(request, user)
            if services.needs_second_factor(user):
                return redirect(f"{reverse('accounts:otp')}?next={_next_url(request)}")
            return redirect(_next_url(request))
        # The same message whether the account does not exist, is disabled or the password is wrong.
        services.record_failed_login(form.cleaned_data["username"], channel="web")
        form.add_error(None, _("Wrong user name or password."))
        if getattr(request, "directory_unavailable", False):
            # Said apart: the password may be right, the directory (LDAP / AD) did not answer in time.
            form.add_error(
                None,
                _(
                    "The directory (LDAP / AD) did not answer in time; directory accounts cannot log in "
                    "now. Local accounts still can."
                ),
            )
        elif getattr(request, "directory_no_access", False):
            form.add_error(
                None, _("None of your directory groups gives access to Yunwei; ask the group system admin.")
            )
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when an account and address are locked out."""
    message = _("Too many failed log-ins; try again later.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    context = {"form": LoginForm(), "next": "/", "locked_message": message}
    return render(request, "accounts/login.html", context, status=403)


@require_POST
def logout_view(request):
    services.log_out(request)
    return redirect("accounts:login")


@login_required
def otp_verify(request):
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('accounts:otp-setup')}?next={_next_url(request)}")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"].strip()):
                otp_login(request, device)
                # A new key for the raised privilege; the middleware moves the log-in session along.
                request.session.cycle_key()
                return redirect(_next_url(request))
        form.add_error("code", _("The one-time code is wrong; check the clock of your phone."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def otp_setup(request):
    if not services.may_replace_device(request.user):
        # Only the password so far: the current device must be passed before it can be replaced.
        return redirect(f"{reverse('accounts:otp')}?next={_next_url(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="TOTP", confirmed=False)
    form = OtpSetupForm(request.POST or None, has_device=user_has_device(request.user, confirmed=True))
    if request.method == "POST" and form.is_valid():
        try:
            # Setting up or replacing the second factor asks for the current one again (the password,
            # or a fresh code of the device being replaced): a session left open is not enough.
            services.check_fresh_factor(
                request.user,
                password=form.cleaned_data.get("password", ""),
                otp=form.cleaned_data.get("otp", ""),
            )
            services.confirm_totp_device(device, form.cleaned_data["code"], actor=request.user)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else "code", exc.message)
        else:
            otp_login(request, device)
            messages.success(request, _("The second factor is set up."))
            return redirect(_next_url(request))
    svg = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(svg)
    context = {
        "form": form,
        "qr_svg": base64.b64encode(svg.getvalue()).decode(),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next_url(request),
    }
    return render(request, "accounts/otp_setup.html", context)


@login_required
def contact_change(request):
    """One's own e-mail and phone, after the password (or a fresh TOTP code) is given again."""
    person = Person.objects.filter(account=request.user).first()
    if person is None:
        raise Http404
    has_device = user_has_device(request.user, confirmed=True)
    initial = {"email": person.email, "phone": person.phone, "version": person.version}
    form = ContactForm(request.POST or None, initial=initial, has_device=has_device)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = form_call(
            form,
            lambda: services.change_own_contact(
                request.user,
                password=data.get("password", ""),
                otp=data.get("otp", ""),
                expected_version=data["version"],
                email=data["email"],
                phone=data["phone"],
            ),
        )
        if changed is not None:
            messages.success(request, _("Your contact details are changed."))
            return redirect("accounts:contact")
    return render(request, "accounts/contact.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("web:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_password_change(self.request.user)
        messages.success(self.request, _("Your password is changed."))
        return response


# -- delegation (职务代理) ----------------------------------------------------------------------------


def _deputies(user):
    """Accounts the user may name: active people of the units they see, and the group's staff."""
    people = scoping.visible(Person.objects.all(), user).values("pk")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(person__in=people) | Q(person__unit__kind=UnitKind.GROUP))
        .select_related("person__unit")
        .order_by("person__unit__name", "username")
    )


@page_view
def delegation_list(request):
    """The approver's deputies: name one for a span, see those given and held, end one early."""
    form = DelegationForm(request.POST or None, deputies=_deputies(request.user))
    if request.method == "POST" and form.is_valid():
        saved = form_call(
            form,
            lambda: delegation.name_deputy(
                request.user,
                deputy=form.cleaned_data["deputy"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            ),
        )
        if saved is not None:
            return done(request, reverse("accounts:delegation-list"), _("The deputy is named."))
    now = timezone.now()
    rows = delegation.visible_delegations(request.user)
    context = {
        "form": form,
        "rows": rows,
        "now": now,
        "running_ids": set(
            delegation.running(now).filter(pk__in=rows.values("pk")).values_list("pk", flat=True)
        ),
        "acting_for": delegation.acting_for(request.user, now),
        "endable_ids": {row.pk for row in rows if delegation.may_manage(request.user, row.principal)},
    }
    return render(request, "accounts/delegations.html", context)


@page_view
@require_POST
def delegation_end(request, pk):
    row = get_object_or_404(delegation.visible_delegations(request.user), pk=pk)
    return act(
        request,
        reverse("accounts:delegation-list"),
        lambda: delegation.end_delegation(row, actor=request.user),
        _("The delegation is ended."),
    )


# -- directory rules (group system admins) ----------------------------------------------------------


def _rules(user):
    """Group system admins see every rule; a unit admin reads those of their unit."""
    return scoping.writable(DirectoryRule.objects.select_related("unit", "created_by"), user)


@page_view
def directory_rule_list(request):
    context = {
        "rules": _rules(request.user),
        "may_edit": scoping.access_of(request.user).is_group_admin,
        "configured": bool(settings.LDAP_URL),
        "sync_minutes": settings.LDAP_SYNC_MINUTES,
        "accounts": DirectoryAccount.objects.filter(
            user__person__unit__in=scoping.writable(Unit.objects.all(), request.user)
        ).count(),
    }
    return render(request, "accounts/directory_rules.html", context)


def _rule_call(form, call):
    data = form.cleaned_data
    return call(group_dn=data["group_dn"], unit=data["unit"], role=data["role"], order=data["order"])


@page_view
def directory_rule_create(request):
    provisioning.require_group_admin(request.user)
    form = DirectoryRuleForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: _rule_call(form, lambda **f: provisioning.create_rule(actor=request.user, **f)),
        title=_("New directory rule"),
        cancel_url=reverse("accounts:directory-rule-list"),
        after=lambda _rule: reverse("accounts:directory-rule-list"),
    )


@page_view
def directory_rule_edit(request, pk):
    rule = get_object_or_404(_rules(request.user), pk=pk)
    provisioning.require_group_admin(request.user)
    form = DirectoryRuleForm(request.POST or None, rule=rule)
    return form_page(
        request,
        form,
        lambda: _rule_call(
            form,
            lambda **f: provisioning.update_rule(
                rule, actor=request.user, expected_version=form.cleaned_data["version"], **f
            ),
        ),
        title=_("Directory rule"),
        cancel_url=reverse("accounts:directory-rule-list"),
        after=lambda _rule: reverse("accounts:directory-rule-list"),
    )


@page_view
@require_POST
def directory_rule_delete(request, pk):
    rule = get_object_or_404(_rules(request.user), pk=pk)
    return act(
        request,
        reverse("accounts:directory-rule-list"),
        lambda: provisioning.delete_rule(rule, actor=request.user),
        _("The rule is deleted."),
    )
