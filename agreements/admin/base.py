"""The admin's shared machinery: version checks, team checks, archiving, append-only, inlines."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import actions, system_texts
from .. import models as m
from ..audit import allow_citation_edits
from ..forms.base import IdChoiceField, IdMultipleChoiceField, ModelForm, VersionedForm
from ..ids import is_id
from ..models import VersionConflict
from ..models.made_once import rows_of_made_once
from .scale import AtScale

LIST_PER_PAGE = 50  # a screenful that still loads fast; the default 100 scrolls for long
TIMESTAMPS = ("created_at", "updated_at")


# --- Shared pieces ----------------------------------------------------------------------------


class OneTeamForm(ModelForm):
    """Every link stays inside the record's team: a foreign key or many-to-many field pointing
    at a team's record (a commitment, a body, a source…) takes only records of the team the
    edited record belongs to (persons too: each team keeps its own). Parties are shared
    reference data, not checked.
    The admin's forms all check it (``RecordsAdmin.form`` and the forms below)."""

    def clean(self):
        cleaned = super().clean()
        for name, message in m.outside_team(self.instance, cleaned).items():
            self.add_error(name, message)
        return cleaned


class VersionCheckedForm(OneTeamForm, VersionedForm):
    """The pages' versioned form, for the admin: the same hidden version and the same save,
    and every link inside the record's team.

    Named ``opened_version`` here: the admin would take "version" for the (non-editable) model
    field. Inlines must list ``opened_version`` in their ``fields``: a field the page does not
    render comes back empty, and every existing row would then look out of date.
    """

    version_field = "opened_version"
    version = None
    opened_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label=_("opened version")
    )


# Names kept from when only citations were checked.
SourcesOfTheTeamForm = OneTeamForm
VersionedSourcedForm = VersionCheckedForm


@admin.display(description=_("team"), ordering="meeting__team")
def meeting_team(record) -> m.Team:
    """A list column: the team of the record's meeting (select ``meeting__team`` with the rows)."""
    return record.meeting.team


class RefusedForm(forms.BaseForm):
    """A form shown again after its save was refused: it says why, with what was typed."""

    refusal = ""

    def clean(self):
        super().clean()
        raise forms.ValidationError(self.refusal, code="refused")


class RefusalsShown:
    """A save the actions refuse (``ValidationError``: a rule, an archived record) or that
    meets a newer version (``VersionConflict``) rolls back, and the form comes back with the
    user's values and the reason, never a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except VersionConflict as conflict:
            # The same POST again, on the versions stored now: saving once more applies the
            # user's values over the newer record, after they have compared.
            request.POST = self._on_current_versions(request, object_id)
            request.refusal = gettext(
                "Someone else changed “%(record)s” since you opened this page (its "
                "History shows what changed). Nothing was saved. Your values are still here: "
                "save again to apply them over the newer version."
            ) % {"record": conflict.record}
        except ValidationError as error:
            request.refusal = " ".join(error.messages)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if refusal := getattr(request, "refusal", ""):
            return type(form.__name__, (RefusedForm, form), {"refusal": refusal})
        return form

    def _on_current_versions(self, request, object_id):
        return request.POST


class IdSafeFields:
    """Foreign keys and many-to-many fields take ids through ``IdChoiceField`` and
    ``IdMultipleChoiceField``: an id no column can hold is an invalid choice, not a 500."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class IdSafeAddresses:
    """Ids taken from the address and the list's checkboxes are read as the model's key
    before any query: one it cannot hold (``abc`` for a number, say) is a 404, an initial value
    it cannot hold is left out, and a list action on one changes nothing."""

    def _is_key(self, model, value) -> bool:
        try:
            model._meta.pk.to_python(unquote(str(value)))
        except (ValidationError, ValueError):
            return False
        return "\x00" not in str(value)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            values = value if isinstance(value, list) else [value]
            if field.is_relation and not all(self._is_key(field.related_model, v) for v in values):
                del initial[name]
        return initial

    def response_action(self, request, queryset, *args, **kwargs):
        chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(self._is_key(self.model, pk) for pk in chosen):
            self.message_user(
                request, gettext("Those rows are not in this list: nothing was changed."), "error"
            )
            return None
        return super().response_action(request, queryset, *args, **kwargs)


class RecordsAdmin(AtScale, RefusalsShown, IdSafeFields, IdSafeAddresses, SimpleHistoryAdmin):
    """A tracked record: History button, and a page length for working through lists.

    Never deleted here, one by one or in bulk: evidence, history and citations point at the
    records (retiring one is archiving it, where it can be). Team memberships are the one
    exception: removing one is how someone leaves a team (their history keeps who and when).
    """

    list_per_page = LIST_PER_PAGE
    form = OneTeamForm

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def history_view(self, request, object_id, extra_context=None):
        if not self._is_key(self.model, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (self._is_key(self.model, object_id) and is_id(version_id)):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


class VersionCheckedAdmin(RecordsAdmin):
    """Saves versioned records (and inline rows) only over the version the form was opened at,
    through ``VersionCheckedForm``; a conflict shows the form again with what was typed."""

    form = VersionCheckedForm

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """Archived means read-only, here too: only restoring (a list action) reopens it."""
        if obj is not None and m.is_read_only(obj):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change and isinstance(obj, m.Versioned):
            obj.save_versioned(expected=form.opened_at())
        else:
            super().save_model(request, obj, form, change)
        actions.states_moved(obj)  # a commitment's or a meeting's stored history follows

    def save_related(self, request, form, formsets, change):
        # The form's citations are set here, as an edit the record's history keeps.
        allow_citation_edits(request.user)
        super().save_related(request, form, formsets, change)
        # A meeting's commitments added or edited in its rows (their theme, target date) are
        # saved after the meeting: their stored history follows them too.
        if any(
            formset.model is m.Commitment and (formset.new_objects or formset.changed_objects)
            for formset in formsets
        ):
            actions.states_moved(form.instance)

    def _on_current_versions(self, request, object_id):
        """The POST with every versioned record's version as stored now."""
        data = request.POST.copy()
        if object_id and "opened_version" in data:
            data["opened_version"] = self.model.objects.get(pk=object_id).version
        obj = self.model.objects.get(pk=object_id) if object_id else None
        for inline in self.get_inline_instances(request, obj):
            if not issubclass(inline.model, m.Versioned):
                continue
            prefix = inline.get_formset(request, obj).get_default_prefix()
            ids = {
                k[: -len("-id")]: v
                for k, v in data.items()
                if k.startswith(f"{prefix}-") and k.endswith("-id") and is_id(v)
            }
            current = dict(
                inline.model.objects.filter(pk__in=ids.values()).values_list("pk", "version")
            )
            for row, pk in ids.items():
                if int(pk) in current:
                    data[f"{row}-opened_version"] = current[int(pk)]
        return data


class ThroughActionsAdmin(VersionCheckedAdmin):
    """Fields that change only through an action (``action_fields``), as on the pages: the form
    saves the other fields, then ``apply`` hands each changed one to its action, with the same
    rules and the same trace. A new record is saved with those fields at their defaults first."""

    action_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        if not change and self.create(request, obj):
            form.wanted = {}  # created whole by its action; the sources follow in save_related
            return
        form.wanted = {f: getattr(obj, f) for f in self.action_fields}
        stored = type(obj).objects.get(pk=obj.pk) if change else type(obj)()
        for f in self.action_fields:
            setattr(obj, f, getattr(stored, f))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record = form.instance
        changes = {f: v for f, v in form.wanted.items() if getattr(record, f) != v}
        if changes:
            self.apply(request, record, changes)

    def create(self, request, obj) -> bool:
        """Create ``obj`` through its action, if it has one (True when it did)."""
        return False

    def apply(self, request, record, changes: dict) -> None:
        raise NotImplementedError


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [
            ("no", pgettext("records in a list filter", "Current")),
            ("yes", pgettext("records in a list filter", "Archived")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class TeamFilter(admin.SimpleListFilter):
    """The team a record belongs to, through its ``team_lookups``."""

    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        # The same SQL for every list and request: made once a process (``rows_of_made_once``).
        return [(str(pk), name) for pk, name in rows_of_made_once(("admin_teams",), _teams)]

    def queryset(self, request, queryset):
        if self.value() and is_id(self.value()):
            return queryset.in_teams([int(self.value())])
        return queryset


def _teams():
    """Every team's id and name, in name order (``TeamFilter``'s choices)."""
    return m.Team.objects.values_list("pk", "name")


class ArchivableAdmin(VersionCheckedAdmin):
    """Archived, never deleted: the admin archives and restores, and cannot delete."""

    actions = ["archive_selected", "restore_selected"]

    def get_list_filter(self, request):
        return [ArchivedFilter, *super().get_list_filter(request)]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Archive the selected records"))
    def archive_selected(self, request, queryset):
        self._each(request, queryset.filter(archived_at__isnull=True), actions.archive_record)

    @admin.action(description=_("Restore the selected records"))
    def restore_selected(self, request, queryset):
        self._each(request, queryset.filter(archived_at__isnull=False), actions.restore_record)

    def _each(self, request, records, action) -> None:
        """Archive or restore each record through its action, saying so in its history."""
        archiving = action is actions.archive_record
        # Kept in the records' history as a system text, read in each reader's language.
        code = "archived_in_admin" if archiving else "restored_in_admin"
        reason = system_texts.stored(code, user=request.user)
        for record in records:
            action(record=record, by=request.user, reason=reason)
        count = len(records)
        if archiving:
            message = ngettext("%(count)d archived.", "%(count)d archived.", count)
        else:
            message = ngettext("%(count)d restored.", "%(count)d restored.", count)
        self.message_user(request, message % {"count": count})


class AppendOnlyAdmin(AtScale, RefusalsShown, IdSafeFields, admin.ModelAdmin):
    """Append-only records: added, then viewable but never changed or deleted.

    Without delete permission Django also drops the bulk "delete selected" action; ``actions``
    is emptied anyway so no future action can slip in.
    """

    actions = None
    list_per_page = LIST_PER_PAGE

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class Inline(IdSafeFields, admin.TabularInline):
    """A tabular inline whose rows come with the records their titles name (``select_related``):
    each row's heading is its ``__str__``, which would otherwise cost a query or two a row."""

    form = OneTeamForm

    select_related: tuple[str, ...] = ()
    can_delete = False  # rows are records too (see ``RecordsAdmin``)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # select_related() without fields means "all of them" (and is deprecated): only with some.
        return queryset.select_related(*self.select_related) if self.select_related else queryset


class ReadOnlyInline(Inline):
    """A trail shown beside its record: read, never added to, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
