"""The records admin's changelist rows (``agreements/admin/rows.py``): ``{% result_list cl %}``
as Django's admin writes it, its rows worked out a column at a time."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from ..admin.rows import result_list

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
