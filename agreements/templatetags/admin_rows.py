"""The records admin's changelist rows (``agreements/admin/rows.py``): ``{% result_list cl %}``
as Django's admin writes it, its rows worked out a column at a time; the bars around them
(``{% admin_actions %}``, ``{% search_form cl %}``, ``{% change_list_object_tools %}``,
``{% pagination cl %}``) written in Python; and its menu of models, drawn once for all it
shows (``app_list_drawn``). Loaded after ``admin_list``, its tags take the place of Django's."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import admin_list_filter
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.forms.widgets import Script
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils import csp
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..admin import drawn
from ..admin.rows import plan, result_list
from ..kept import kept_per_language
from .tracker import jinja2

register = template.Library()


class ResultListNode(InclusionAdminNode):
    """Django's ``{% result_list cl %}``: the template a model's or an app's own first, as the
    admin looks; Django's own written in Python (``admin/drawn.py``) when the rows are
    ``admin/rows.py``'s to draw."""

    def render(self, context):
        opts = context["opts"]
        chosen = context.template.engine.select_template(
            [
                f"admin/{opts.app_label.lower()}/{opts.model_name}/{self.template_name}",
                f"admin/{opts.app_label.lower()}/{self.template_name}",
                f"admin/{self.template_name}",
            ]
        )
        changelist = self.args[0].resolve(context)
        if chosen.origin.name != drawn.TABLE or (columns := plan(changelist)) is None:
            return super().render(context)
        return drawn.table(result_list(changelist, columns))


@register.tag(name="result_list")
def result_list_tag(parser, token):
    return ResultListNode(
        "result_list",
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


class DrawnNode(InclusionAdminNode):
    """One of Django's inclusion tags of a changelist (``admin_list``): its template chosen
    among the model's, the app's and the admin's as Django chooses, then written in Python
    by ``writer`` (``admin/drawn.py``) where the choice is ``written``, the template it
    writes; any other drawn as Django draws it."""

    def __init__(self, *args, written: str, writer, **kwargs):
        super().__init__(*args, **kwargs)
        self.written, self.writer = written, writer

    def render(self, context):
        opts = context["opts"]
        chosen = context.template.engine.select_template(
            [
                f"admin/{opts.app_label.lower()}/{opts.model_name}/{self.template_name}",
                f"admin/{opts.app_label.lower()}/{self.template_name}",
                f"admin/{self.template_name}",
            ]
        )
        if chosen.origin.name != self.written:
            return super().render(context)
        args, kwargs = self.get_resolved_arguments(context)
        return self.writer(self.func(*args, **kwargs))


@register.tag(name="admin_actions")
def admin_actions_tag(parser, token):
    return DrawnNode(
        "admin_actions",
        parser,
        token,
        func=admin_list.admin_actions,
        template_name="actions.html",
        written=drawn.ACTIONS,
        writer=drawn.actions,
    )


@register.tag(name="search_form")
def search_form_tag(parser, token):
    return DrawnNode(
        "search_form",
        parser,
        token,
        func=admin_list.search_form,
        template_name="search_form.html",
        takes_context=False,
        written=drawn.SEARCH,
        writer=drawn.search_form,
    )


@register.tag(name="change_list_object_tools")
def change_list_object_tools_tag(parser, token):
    return DrawnNode(
        "change_list_object_tools",
        parser,
        token,
        func=lambda context: context,
        template_name="change_list_object_tools.html",
        written=drawn.OBJECT_TOOLS,
        writer=drawn.object_tools,
    )


@register.tag(name="pagination")
def pagination_tag(parser, token):
    return DrawnNode(
        "pagination",
        parser,
        token,
        func=admin_list.pagination,
        template_name="pagination.html",
        takes_context=False,
        written=drawn.PAGINATION,
        writer=drawn.pagination,
    )


@register.simple_tag
def list_filter_drawn(changelist, spec) -> str:
    """Django's ``{% admin_list_filter cl spec %}``, its own template written in Python
    (``admin/drawn.py``); a filter's or the project's own template drawn as Django draws it."""
    if spec.template != "admin/filter.html" or get_template(spec.template).origin.name != (
        drawn.FILTER
    ):
        return admin_list_filter(changelist, spec)
    return drawn.list_filter(spec.title, list(spec.choices(changelist)))


# The admin's menu drawn (``app_list_drawn``), by all it is drawn from.
MENUS_DRAWN: dict[tuple, str] = kept_per_language({})


@register.simple_tag(takes_context=True)
def app_list_drawn(context, template_name: str, *, app_list, path: str, **values) -> str:
    """``{% jinja2 template_name app_list=… path=… %}`` for the admin's menu (every admin
    page's sidebar: 36 models), drawn once for all it shows: each app's and model's names,
    addresses and permissions, which of their addresses the page's ``path`` holds (all the
    template reads of it), and the page's words (``values``)."""
    key = (
        template_name,
        tuple(sorted(values.items())),
        tuple(
            (
                app["app_label"],
                app["name"],
                app["app_url"],
                app["app_url"] in path,
                tuple(
                    (
                        model["object_name"],
                        model["name"],
                        model["admin_url"],
                        bool(model["admin_url"]) and model["admin_url"] in path,
                        model["add_url"],
                        model.get("view_only"),
                    )
                    for model in app["models"]
                ),
            )
            for app in app_list
        ),
    )
    try:
        return MENUS_DRAWN[key]
    except KeyError:
        pass
    if len(MENUS_DRAWN) >= 500:  # users' permissions and languages: a few hundred kinds
        MENUS_DRAWN.clear()
    drawn = jinja2(context, template_name, app_list=app_list, path=path, **values)
    MENUS_DRAWN[key] = drawn
    return drawn


# The links of the admin's header (``block userlinks`` of Django's ``admin/base.html``), drawn
# once for all they are drawn from (``userlinks_drawn``), the CSRF token left out.
USERLINKS_DRAWN: dict[tuple, str] = kept_per_language({})
# What stands for the page's CSRF token in a drawn ``block userlinks``.
_TOKEN = "\x00csrf-token\x00"


@register.simple_tag(takes_context=True)
def userlinks_drawn(context) -> str:
    """Django's ``block userlinks`` of ``admin/base.html`` (the site's link, the documentation's,
    the password's, the sign-out form, the colour theme's button: 0.7 ms of a changelist's
    time), drawn by that block once for what it shows: the language, the site's address, the
    user's kind (active staff, a usable password), the addresses' URLconf and prefix; the page's
    CSRF token then put in. Where the page's base is not Django's own, or it has no token,
    the block as Django draws it."""
    user, token = context.get("user"), context.get("csrf_token")
    block = _djangos_userlinks()
    if block is None or user is None or not token or token == "NOTPROVIDED":
        return context["block"].super()
    request = context.get("request")
    key = (
        get_language(),
        str(context.get("site_url")),
        bool(user.is_active and user.is_staff),
        bool(user.has_usable_password()),
        getattr(request, "current_app", None),
        getattr(getattr(request, "resolver_match", None), "namespace", None),
        get_urlconf(),
        get_script_prefix(),
    )
    try:
        drawn = USERLINKS_DRAWN[key]
    except KeyError:
        if len(USERLINKS_DRAWN) >= 500:  # languages, users' kinds: a few
            USERLINKS_DRAWN.clear()
        with context.push(csrf_token=_TOKEN):
            drawn = USERLINKS_DRAWN[key] = block.nodelist.render(context)
    return mark_safe(drawn.replace(_TOKEN, conditional_escape(token)))


# The admin's script tags of a changelist's head (``{% csp_nonce_attr media.js %}`` in Django's
# ``admin/change_list.html``), drawn once for each list of scripts, the CSP nonce left out.
SCRIPTS_DRAWN: dict[tuple, str] = kept_per_language({})
# What stands for the page's nonce in drawn script tags.
_NONCE = "\x00csp-nonce\x00"


@register.simple_tag(takes_context=True)
def scripts_drawn(context, media) -> str:
    """``{% csp_nonce_attr media %}`` (a ``Media``'s script tags, each with the page's nonce),
    drawn once for each list of scripts and whether the page has a nonce: each page worked out
    every script's address and wrote its tag again (0.4 ms of a changelist's time); the page's
    nonce then put in. Scripts named other than by a path and attributes: as Django draws them."""
    nonce = context.get(csp.CONTEXT_KEY)
    scripts = media._js
    if not all(type(script) is Script for script in scripts):
        return csp.nonce_attr(context, media)
    key = (
        nonce is None,
        *((str(s._path), tuple(sorted(s.attributes.items()))) for s in scripts),
    )
    try:
        drawn = SCRIPTS_DRAWN[key]
    except KeyError:
        if len(SCRIPTS_DRAWN) >= 500:  # the admins' lists of scripts: a few
            SCRIPTS_DRAWN.clear()
        attrs = None if nonce is None else {"nonce": _NONCE}
        drawn = SCRIPTS_DRAWN[key] = media.render(attrs=attrs)
    except TypeError:  # an attribute's value that is no key
        return csp.nonce_attr(context, media)
    return mark_safe(drawn if nonce is None else drawn.replace(_NONCE, conditional_escape(nonce)))


def _djangos_userlinks():
    """The ``userlinks`` block of Django's ``admin/base.html``, when the admin's base templates
    are Django's own (``admin/base_site.html`` too); else None."""
    base = get_template("admin/base.html").template
    site = get_template("admin/base_site.html").template
    if base.origin.name != drawn.BASE or site.origin.name != drawn.BASE_SITE:
        return None
    return next(
        (node for node in base.nodelist.get_nodes_by_type(BlockNode) if node.name == "userlinks"),
        None,
    )
