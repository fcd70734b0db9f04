"""The records admin's changelist rows (``agreements/admin/rows.py``): ``{% result_list cl %}``
as Django's admin writes it, its rows worked out a column at a time; and its menu of models,
drawn once for all it shows (``app_list_drawn``)."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from ..admin.rows import result_list
from .tracker import jinja2

register = template.Library()


@register.tag(name="result_list")
def result_list_tag(parser, token):
    # The same template as Django's tag (a model's or an app's own first, as the admin looks).
    return InclusionAdminNode(
        "result_list",
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


# The admin's menu drawn (``app_list_drawn``), by all it is drawn from.
MENUS_DRAWN: dict[tuple, str] = {}


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
