"""The customer-facing catalogs: complete, current and really compiled.

The screen must never show an English word to a Finnish or Swedish customer,
and the committed ``.mo`` files are what the kiosk loads, so:

- every msgid in the Finnish and Swedish catalogs has a translation (no empty,
  no fuzzy entries);
- every translation keeps its msgid's placeholders (``%(name)s``, ``%(n)d``) and
  holds no other ``%`` but ``%%``: Jinja's newstyle gettext %-formats every
  string a template translates, so a bare ``%`` (Finnish ``%-yks.``) is a 500
  on every page that shows it; and a ``%%`` only where the string is formatted
  (a template, or code that passes it values), else the reader sees ``%%``;
- each committed ``.mo`` is byte-identical to what Babel compiles from its
  ``.po`` now (an edited ``.po`` with a stale ``.mo`` fails);
- every ``_()`` / ``N_()`` string a part's ``babel.cfg`` names is in that
  part's template and in every catalog, and no catalog keeps strings the code dropped.

Each part has its own catalogs: the kiosk's (screen and manager) in
``kiosk/translations``, central's (seeded content, head-office pages) in
``sync/central/translations``.

To update after changing strings, see kiosk/translations/README.md.
"""
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.helpers.untranslated import EnglishFinder, visible_text

ROOT = Path(__file__).resolve().parents[1]
#: part -> its catalogs and the sample msgids its extraction must find.
PARTS = {
    "kiosk": (ROOT / "kiosk" / "translations", ("How did we do today?", "Thank you!")),
    "central": (ROOT / "sync" / "central" / "translations", ("How did we do today?", "The result")),
}
TRANSLATED = ("fi", "sv")  # English shows the msgids themselves
LANGUAGES = ("fi", "sv", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}  # pybabel extract -k N_


def catalog(translations, language):
    with open(translations / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def forms(text):
    """A message's text as a tuple: one form, or a plural's forms."""
    return tuple(text) if isinstance(text, (tuple, list)) else (text,)


def msgids(messages):
    return {m.id for m in messages if m.id}


def strings_in_code(translations, every_place=False):
    """Every translatable string, extracted the way pybabel does with the part's babel.cfg: msgid -> its first
    place (``file:line``), or with *every_place* -> the files it is in."""
    with open(translations / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if every_place:
            for msgid in forms(message):
                found.setdefault(msgid, []).append(filename)
        else:
            found.setdefault(message, f"{filename}:{lineno}")
    return found


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(part, language):
    translations = PARTS[part][0]
    untranslated = [m.id for m in catalog(translations, language) if m.id and not all(forms(m.string))]
    fuzzy = [m.id for m in catalog(translations, language) if m.id and m.fuzzy]
    assert untranslated == [], f"{language}: no translation for {untranslated}"
    assert fuzzy == [], f"{language}: fuzzy (unchecked) translations for {fuzzy}"
    assert not catalog(translations, language).fuzzy, f"{language}: the catalog header is marked fuzzy"


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def bare_percents(text):
    """The ``%`` signs of *text* that are neither a placeholder nor an escaped ``%%``."""
    return re.sub(r"%%", "", PLACEHOLDER.sub("", text)).count("%")


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_punctuation(part, language):
    translations = PARTS[part][0]
    for message in catalog(translations, language):
        if not message.id:
            continue
        # A plural's forms pair with its singular and plural msgids; Finnish and Swedish have two forms.
        for msgid, string in zip(forms(message.id), forms(message.string), strict=True):
            assert string.strip() == string, f"{language}: stray spaces in {msgid!r}"
            for mark in "?!":
                assert msgid.endswith(mark) == string.endswith(mark), (
                    f"{language}: {msgid!r} -> {string!r} changes the closing {mark}"
                )
            assert placeholders(string) == placeholders(msgid), (
                f"{language}: {msgid!r} -> {string!r} changes its placeholders"
            )


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_holds_a_percent_sign_the_formatting_would_trip_on(part, language):
    translations = PARTS[part][0]
    for message in catalog(translations, language):
        for text in (*forms(message.id), *forms(message.string)):
            if message.id and text:
                assert bare_percents(text) == 0, (
                    f"{language}: {text!r} (for {forms(message.id)[0]!r}) has a bare %: write %% for a percent sign"
                )


@pytest.mark.parametrize("part", PARTS)
def test_an_escaped_percent_is_only_where_the_string_is_formatted(part):
    """``%%`` shows as ``%`` only when the string is %-formatted: always in a template; in code only when
    the call passes values, which a msgid with a placeholder or a ``%%`` of its own says it does."""
    translations = PARTS[part][0]
    where = strings_in_code(translations, every_place=True)
    for language in TRANSLATED:
        for message in catalog(translations, language):
            msgid = forms(message.id)[0]
            if not msgid or "%" in msgid or not any("%%" in text for text in forms(message.string)):
                continue
            in_code = [place for place in where.get(msgid, []) if not place.endswith(".html")]
            assert not in_code, f"{language}: {msgid!r} -> %% would show as %% where code translates it: {in_code}"


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_compiled_from_the_po(part, language):
    translations = PARTS[part][0]
    compiled = io.BytesIO()
    write_mo(compiled, catalog(translations, language), use_fuzzy=False)
    committed = (translations / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), (
        f"{language}: messages.mo is stale; run pybabel compile -d {translations.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("part", PARTS)
def test_every_string_in_the_code_is_in_the_catalogs(part):
    translations, samples = PARTS[part]
    in_code = strings_in_code(translations)
    assert set(samples) <= set(in_code), "extraction found nothing"
    with open(translations / "messages.pot", "rb") as f:
        template = msgids(read_po(f))
    for name, ids in [("messages.pot", template)] + [(lang, msgids(catalog(translations, lang))) for lang in LANGUAGES]:
        missing = sorted(set(in_code) - ids)
        assert missing == [], f"{name} lacks {[(m, in_code[m]) for m in missing]}"
        dropped = sorted(ids - set(in_code))
        assert dropped == [], f"{name} keeps strings no longer in the code: {dropped}"


def test_the_english_finder_sees_ids_left_in_english_and_not_words_inside_a_translation():
    """The all-pages tests' check (tests/helpers/untranslated.py) on a page made to hold both."""
    finder = EnglishFinder(PARTS["central"][0] / "fi" / "LC_MESSAGES" / "messages.po")
    page = ('<html><head><title>Overview · Hymy</title></head><body><nav><a href="/">Yleiskuva</a></nav>'
            '<p>3 <b>alerts</b> open</p><button title="Log out">x</button><p>Happy Index 61,1</p>'
            '<textarea placeholder="Empty: open around the clock"></textarea>'
            '<p>Kamppi <span>+3 pts</span></p><script>const Comments = 1;</script><p data-figure="Trend">5 %</p>'
            '</body></html>')
    assert "Comments" not in " ".join(visible_text(page))  # a script is no text
    assert set(finder.left_in(page)) == {"Overview", "%(num)s alerts open", "open", "Log out",
                                         "Empty: open around the clock", "pts"}
    translated = ('<title>Yleiskuva · Hymy</title><p>3 hälytystä avoinna</p><p>Happy Index 61,1</p>'
                  '<p>Toimipaikka lisätty.</p><p>+3 %-yks.</p>')
    assert finder.left_in(translated) == []
