"""Keeping a document with a source (#23): the file and the day the copy was retrieved."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import documents
from .base import DATE

FILE_HELP = _(
    "A PDF, a Word or ODF document, a web page as your browser saved it, plain text or an "
    "image. Kept as it is, never replaced: a corrected copy is kept beside it."
)


def checked_upload(upload):
    """The upload, or the reason it is refused (``documents.inspect``), shown by its field."""
    if upload:
        try:
            documents.inspect(upload)
        except ValidationError as error:
            raise ValidationError(error.message_dict["file"]) from None
    return upload


class KeepFileForm(forms.Form):
    """A file kept with one source."""

    file = forms.FileField(label=_("File"), help_text=FILE_HELP, allow_empty_file=True)
    retrieved_on = forms.DateField(
        label=_("Retrieved on"),
        widget=DATE,
        help_text=_("The day this copy was taken from where it was published."),
    )

    def __init__(self, *args, source_pk: int, **kwargs):
        super().__init__(*args, prefix=f"keep-{source_pk}", **kwargs)
        self.fields["retrieved_on"].initial = timezone.localdate

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"])
