"""A record's own words keep the language they were written in, and say which: the interface
is translated, a commitment's text or a quotation never is."""

from __future__ import annotations

import io
import json
from csv import reader

from agreements.models import Commitment, Meeting
from tests.conftest import make_commitment, meeting_data

NEW = "/meetings/new/"


def _row(**extra) -> dict:
    return {
        "title": "Frenar el fentanilo",
        "text": "Interrumpir los envíos",
        "theme": "drugs",
    } | extra


def test_a_commitment_written_in_spanish_says_so(client, editor, team, us, mexico):
    client.force_login(editor)
    response = client.post(NEW, meeting_data(team, us, mexico, [_row(language="es")]))
    assert response.status_code == 302
    assert Commitment.objects.get().language == "es"


def test_a_row_that_names_no_language_is_in_english_and_keeps_its_own_when_edited(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    client.post(NEW, meeting_data(team, us, mexico, [_row()]))
    commitment = Commitment.objects.get()
    assert commitment.language == "en"
    commitment.language = "es"
    commitment.save(update_fields=["language"])
    meeting = Meeting.objects.get()
    data = meeting_data(team, us, mexico, [_row(id=commitment.pk, version=commitment.version)])
    data |= {"commitments-INITIAL_FORMS": "1", "version": meeting.version}
    assert client.post(f"/meetings/meeting-{meeting.pk}/edit/", data).status_code == 302
    commitment.refresh_from_db()
    assert commitment.language == "es"


def test_a_language_that_is_not_a_language_tag_is_refused_next_to_the_field(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    response = client.post(NEW, meeting_data(team, us, mexico, [_row(language="Spanish!")]))
    assert response.status_code == 422
    assert "A language tag such as en, es or es-MX." in response.text
    assert 'value="Spanish!"' in response.text  # what was typed is kept
    assert not Commitment.objects.exists()


def test_open_data_and_the_csv_carry_the_language(client, editor, meeting):
    make_commitment(meeting, title="Frenar el fentanilo", language="es")
    client.force_login(editor)
    document = json.loads(b"".join(client.get("/open-data.json").streaming_content))
    assert [c["language"] for c in document["commitments"]] == ["es"]
    csv = b"".join(client.get("/commitments/?format=csv").streaming_content).decode()
    header, row = list(reader(io.StringIO(csv.lstrip("\ufeff"))))[:2]
    assert dict(zip(header, row, strict=True))["language"] == "es"


def test_a_download_keeps_the_readers_language_while_it_streams(client, editor, meeting):
    make_commitment(meeting, title="Halt fentanyl")
    client.force_login(editor)
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    response = client.get("/commitments/?format=csv")
    body = b"".join(response.streaming_content).decode()  # read after the view returned
    assert body.splitlines()[0].lstrip("\ufeff").startswith("id,title,reference,text,language")
    assert ",No iniciado," in body and "Not started" not in body


def test_a_commitments_words_are_marked_with_their_language_for_screen_readers(
    client, editor, meeting
):
    commitment = make_commitment(meeting, title="Frenar el fentanilo", language="es")
    client.force_login(editor)
    page = client.get(commitment.get_absolute_url(), headers={"accept-language": "en"}).text
    assert '<h1 lang="es">Frenar el fentanilo</h1>' in page
    assert "<dt>Written in</dt><dd>Spanish</dd>" in page
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    assert "<dt>Escrito en</dt><dd>Español</dd>" in client.get(commitment.get_absolute_url()).text
    meeting_page = client.get(meeting.get_absolute_url()).text
    assert 'lang="es"><strong>Frenar el fentanilo</strong>' in meeting_page


def test_a_meeting_recorded_in_spanish_marks_its_own_words(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [_row()], language="es", summary="Acordaron cooperar.")
    assert client.post(NEW, data).status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.language == "es"
    page = client.get(meeting.get_absolute_url()).text
    assert '<p lang="es">Acordaron cooperar.</p>' in page
