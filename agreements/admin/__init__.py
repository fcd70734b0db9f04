"""The records admin: every model, searchable, filterable, with inlines where records nest.

Changelists select their foreign keys with the rows (``list_select_related``) so the number of
queries does not grow with the rows shown. Every tracked record has a History button
(django-simple-history): who changed what, when, and from where. Append-only records (status
history, progress updates, review events, assessments) can be read but never changed or
deleted here. Writes that the pages make through ``actions`` go through the same actions here,
so the admin leaves the same trace as the pages.

``base`` holds the shared machinery; one module per part of the domain registers its models.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..forms.accounts import AdminSignInForm
from . import bodies, evidence, meetings, menu, reference, reminders, reviews, security

admin.site.site_header = _("Agreement tracker: records admin")
admin.site.site_title = _("Agreement tracker admin")
admin.site.index_title = _("Records")
admin.site.login_form = AdminSignInForm
# The admin's own password change, as the site's: after a recent confirmation, in the log.
admin.site.password_change = security.password_change(admin.site.password_change)
admin.site.get_app_list = menu.app_list_named_once(admin.site)

__all__ = ["bodies", "evidence", "meetings", "reference", "reminders", "reviews", "security"]
