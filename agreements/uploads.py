"""Every upload's name as its sender wrote it, beside the name Django keeps.

Django's upload parser cuts a file's name to its last part ("../../etc/passwd" arrives as
"passwd"), silently. A kept document whose name held a path is refused instead, with the
reason (#23): this handler, first of ``FILE_UPLOAD_HANDLERS``, parses the upload with Django's
own parser and the other handlers, noting each file's name as sent on the uploaded file
(``sent_name``), which ``documents.inspect`` reads.
"""

from __future__ import annotations

import html

from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser


class _NotingParser(MultiPartParser):
    """Django's parser, remembering the name of the file being read, as it was sent."""

    sent = ""

    def sanitize_file_name(self, file_name):
        self.sent = html.unescape(file_name)
        return super().sanitize_file_name(file_name)


class _Pairing(FileUploadHandler):
    """Pairs each file field with the name its file was sent under (passes the bytes on)."""

    def __init__(self, parser: _NotingParser, names: dict[str, str]) -> None:
        super().__init__()
        self.parser, self.names = parser, names

    def new_file(self, field_name, *args, **kwargs) -> None:
        self.names[field_name] = self.parser.sent

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


class NamesAsSent(FileUploadHandler):
    """Parse the upload with the other handlers, and note each file's name as sent."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        handlers = [h for h in self.request.upload_handlers if h is not self]
        names: dict[str, str] = {}
        parser = _NotingParser(META, input_data, handlers, encoding)
        handlers.insert(0, _Pairing(parser, names))
        parser._upload_handlers = handlers
        post, files = parser.parse()
        for field_name, sent in names.items():
            for upload in files.getlist(field_name):
                upload.sent_name = sent
        return post, files

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
