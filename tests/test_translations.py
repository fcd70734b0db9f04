"""The interface in Spanish: every string marked, every marked string translated, the compiled
catalogue committed and in step, and the language a user picks kept for them."""

from __future__ import annotations

import ast
import datetime
import html
import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation.template import templatize

from agreements.models import Preference, language_of

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# Attributes a screen reader speaks or a browser shows: their text is interface text too.
SPOKEN = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"{]*)"')
WORDS = re.compile(r"[A-Za-z]{2,}")
# A quoted phrase (two words or more) in a tag's arguments, e.g. `with legend="Add a body"`,
# unless it is `_("…")`, Django's translated literal.
PHRASE_IN_TAG = re.compile(r'(?<!_\()"([A-Za-z][^"]*\s[^"]*)"')
TAGS_WITHOUT_TEXT = ("url ", "load ", "static ", "include ", "extends ", "partial")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def untranslated_text(source: str) -> list[str]:
    """Words of a template shown to users outside {% translate %} / {% blocktranslate %}."""
    found, kept, skipping = [], [], None
    for token in Lexer(source).tokenize():
        contents = token.contents.strip()
        if token.token_type == TokenType.TEXT:
            kept.append("" if skipping else token.contents)
            continue
        kept.append("\x00")  # a tag or variable: not text, but it may sit inside an HTML tag
        if token.token_type != TokenType.BLOCK:
            continue
        name = contents.split(" ", 1)[0]
        if skipping:
            skipping = None if name == skipping else skipping
        elif name in ("blocktranslate", "blocktrans"):
            skipping = "endblocktranslate" if name == "blocktranslate" else "endblocktrans"
        elif name == "comment":
            skipping = "endcomment"
        elif name == "include":  # its template's name aside, what it is given may be shown
            found += PHRASE_IN_TAG.findall(contents.partition(" with ")[2])
        elif not contents.startswith(("translate ", "trans ", *TAGS_WITHOUT_TEXT)):
            found += PHRASE_IN_TAG.findall(contents)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", "".join(kept), flags=re.S)
    found += [value for value in SPOKEN.findall(text) if WORDS.search(value)]
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return found + WORDS.findall(text)


def marked_messages(path: Path) -> list[tuple[str | None, str]]:
    """(context, msgid) of each string a template marks, as makemessages would read them."""
    return marked_messages_of(path.read_text(), origin=str(path))


def marked_messages_of(text: str, origin: str = "template.html") -> list[tuple[str | None, str]]:
    source = templatize(text, origin=origin)
    messages = []
    for match in re.finditer(r"\b(n?p?gettext)\(", source):
        depth, parts = 0, []
        for tok in tokenize.generate_tokens(io.StringIO(source[match.start() :]).readline):
            parts.append(tok.string)
            depth += {"(": 1, ")": -1}.get(tok.string, 0)
            if tok.string == ")" and depth == 0:
                break
        call = ast.parse("".join(parts)).body[0].value
        args = [ast.literal_eval(arg) for arg in call.args if isinstance(arg, ast.Constant)]
        context = args.pop(0) if "p" in match.group(1)[:2] else None
        messages.append((context, args[0]))
    return messages


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_word_of_a_template_is_marked_for_translation(path):
    assert untranslated_text(path.read_text()) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_marked_string_of_a_template_has_a_spanish_translation(path):
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue()}
    missing = [
        message
        for message in marked_messages(path)
        if message not in entries
        or not entries[message].translated()
        or "fuzzy" in entries[message].flags
    ]
    assert missing == []


def test_the_catalogue_is_complete_and_the_committed_mo_is_in_step():
    po = catalogue()
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    compiled = polib.mofile(str(PO.with_suffix(".mo")))
    expected = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in po.translated_entries()}
    got = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in compiled}
    got.pop((None, ""), None)  # the header
    assert got == expected, "run `make messages` after translating"


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    if not shutil.which("xgettext"):
        reason = "GNU gettext (xgettext) is not installed: cannot gather the marked strings"
        if os.environ.get("CI", "").lower() in ("1", "true"):
            # CI must run this check (.ci/run installs gettext): a green run that skipped it
            # would let an unmarked or untranslated string through.
            pytest.fail(f"CI is set but {reason} (apt-get install gettext)")
        pytest.skip(reason)
    shutil.copytree(
        ROOT,
        tmp_path / "tree",
        ignore=shutil.ignore_patterns(".venv", ".git", "staticfiles", "var", "node_modules"),
    )
    tree = tmp_path / "tree"
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "--no-obsolete",
            *("--ignore=tests/*", "--ignore=scripts/*", "--ignore=staticfiles/*"),
        ],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    gathered = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tree / PO.relative_to(ROOT)))}
    committed = {(e.msgctxt, e.msgid) for e in catalogue()}
    assert gathered - committed == set(), "run `make messages` and translate the new strings"
    # And none the code uses is found no more: a text marked inside an f-string's braces
    # (``f"{_('Draw')}"``) is translated when run, but xgettext does not see it, and the
    # next ``make messages`` would drop its translation. Name the text first.
    assert committed - gathered == set(), "mark these where makemessages finds them"


def test_a_page_reads_in_spanish_when_the_browser_asks_for_it(client, editor):
    client.force_login(editor)
    response = client.get(reverse("agreements:dashboard"), headers={"accept-language": "es"})
    assert '<html lang="es">' in response.text
    assert "Idioma" in response.text and response.headers["Content-Language"] == "es"


def test_the_language_a_user_picks_is_kept_for_every_device(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("language_set"), {"language": "es", "next": reverse("agreements:meeting_list")}
    )
    assert response.status_code == 302 and response.url == reverse("agreements:meeting_list")
    assert language_of(editor) == "es"
    page = client.get(reverse("agreements:dashboard"), headers={"accept-language": "en"})
    assert '<html lang="es">' in page.text

    elsewhere = type(client)()  # another browser, asking for English, signing in afresh
    elsewhere.force_login(editor)
    page = elsewhere.get(reverse("agreements:dashboard"), headers={"accept-language": "en"})
    assert '<html lang="es">' in page.text


def test_the_switcher_before_sign_in_keeps_the_choice_in_a_cookie(client, db):
    response = client.post(reverse("language_set"), {"language": "es", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in client.get(reverse("login")).text
    assert not Preference.objects.exists()


def test_a_language_the_tracker_does_not_speak_is_ignored(client, editor):
    client.force_login(editor)
    client.post(reverse("language_set"), {"language": "xx", "next": "/"})
    assert language_of(editor) == settings.LANGUAGE_CODE


def test_an_unsafe_next_address_is_not_followed(client, db):
    response = client.post(
        reverse("language_set"), {"language": "es", "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302 and response.url == "/"


def test_dates_are_written_in_the_readers_language():
    day = datetime.date(2025, 9, 3)
    with translation.override("es"):
        assert date_format(day, "DATE_FORMAT") == "3 de septiembre de 2025"
    with translation.override("en-gb"):
        assert date_format(day, "DATE_FORMAT") == "3 Sep 2025"


def test_a_long_lists_count_is_grouped_the_readers_way(client, editor, meeting, settings):
    from agreements.views.paging import CappedPaginator
    from tests.conftest import make_commitment

    for _ in range(27):
        make_commitment(meeting)
    client.force_login(editor)
    # A list larger than the count's cap, without making 1,000 rows: a cap of one page (25).
    # A search, as the plain list's size is read exactly from the tallies.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CappedPaginator, "CAP", 25)
        search = {"q": "commitment"}
        english = client.get("/commitments/", search, headers={"accept-language": "en"}).text
        spanish = client.get("/commitments/", search, headers={"accept-language": "es"}).text
    assert "More than 25 commitments" in english and "Más de 25 compromisos" in spanish
    with translation.override("es"):  # Spanish groups with a (no-break) space, as the RAE asks
        assert Template("{% load tracker %}{{ n|grouped }}").render(Context({"n": 10000})) == (
            "10\xa0000"
        )
    with translation.override("en-gb"):
        assert Template("{% load tracker %}{{ n|grouped }}").render(Context({"n": 10000})) == (
            "10,000"
        )


def test_the_template_check_finds_words_left_outside_the_translate_tags():
    assert untranslated_text('{% load i18n %}<p title="Open it">{% translate "Kept" %}</p>') == [
        "Open it"
    ]
    assert untranslated_text('{% include "x.html" with legend="Add a body" %}') == ["Add a body"]
    assert untranslated_text('{% include "x.html" with legend=_("Add a body") %}') == []
    assert untranslated_text("<p>Hello {{ name }}</p>") == ["Hello"]
    marked = "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}"
    assert untranslated_text(marked) == []
    assert marked_messages_of(marked) == [(None, "Hello %(name)s")]


def test_english_words_walk_no_empty_catalogue_and_read_as_before():
    """English texts are written as they are, and no catalogue that holds nothing is chained
    behind English (``catalogues.skip_empty_fallbacks``: five empty ``en`` catalogues of
    Django's apps made every English text a walk through them). Django's own English and
    Spanish texts, plurals and contexts read as before."""
    from django.utils.translation import trans_real

    with translation.override("en-gb"):
        english = trans_real._active.value
        chained = []
        fallback = english._fallback
        while fallback is not None:
            chained.append(fallback)
            fallback = fallback._fallback
        assert not any(set(getattr(c, "_catalog", None) or {"x": 1}) <= {""} for c in chained)
        assert translation.gettext("Commitments") == "Commitments"
        assert translation.gettext("A text no catalogue holds") == "A text no catalogue holds"
        assert translation.ngettext("%d day", "%d days", 2) == "%d days"
        assert translation.pgettext("navigation", "Search") == "Search"
        assert translation.gettext("This field is required.") == "This field is required."
    with translation.override("es"):
        assert translation.gettext("Commitments") == "Compromisos"
        assert translation.gettext("This field is required.") == "Este campo es obligatorio."
        assert translation.gettext("A text no catalogue holds") == "A text no catalogue holds"


def test_what_is_drawn_once_a_language_is_drawn_again_when_a_catalogue_is_compiled():
    """The parts drawn once a process for each language (the header's navigation, the failed
    requests' texts, the admin's menu and names, a blank review form) are forgotten when
    runserver sees a catalogue compiled again, so an edited translation shows without a
    restart; a code file's change leaves them (runserver restarts for it anyway)."""
    from django.utils.autoreload import file_changed

    from agreements.admin import dates, drawn, menu
    from agreements.forms.reviews import DrawnReviewForms
    from agreements.templatetags import admin_rows, tracker

    stores = [
        tracker._NAVS,
        tracker._ERRORS,
        admin_rows.MENUS_DRAWN,
        DrawnReviewForms._DRAWN,
        dates.NAMES,
        drawn.ACTION_FIELDS,
        menu.MENUS,
        admin_rows.USERLINKS_DRAWN,
        admin_rows.SCRIPTS_DRAWN,
    ]
    for store in stores:
        store["probe"] = "drawn before"
    file_changed.send(sender=None, file_path=Path("agreements/views/dashboard.py"))
    assert all(store.get("probe") == "drawn before" for store in stores)
    file_changed.send(sender=None, file_path=PO.with_suffix(".mo"))
    assert not any("probe" in store for store in stores)
