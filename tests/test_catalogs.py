"""The customer-facing catalogs: complete, current and really compiled.

The screen must never show an English word to a Finnish or Swedish customer,
and the committed ``.mo`` files are what the kiosk loads, so:

- every msgid in the Finnish and Swedish catalogs has a translation (no empty,
  no fuzzy entries);
- each committed ``.mo`` is byte-identical to what Babel compiles from its
  ``.po`` now (an edited ``.po`` with a stale ``.mo`` fails);
- every ``_()`` / ``_l()`` string in ``kiosk/`` and ``templates/`` is in the
  template and in every catalog, and no catalog keeps strings the code dropped.

To update after changing strings, see kiosk/translations/README.md.
"""
import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "kiosk" / "translations"
TRANSLATED = ("fi", "sv")  # English shows the msgids themselves
LANGUAGES = ("fi", "sv", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}  # pybabel extract -k _l


def catalog(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def msgids(messages):
    return {m.id for m in messages if m.id}


def strings_in_code():
    """Every translatable string, extracted the way pybabel does with babel.cfg."""
    with open(TRANSLATIONS / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    untranslated = [m.id for m in catalog(language) if m.id and not m.string]
    fuzzy = [m.id for m in catalog(language) if m.id and m.fuzzy]
    assert untranslated == [], f"{language}: no translation for {untranslated}"
    assert fuzzy == [], f"{language}: fuzzy (unchecked) translations for {fuzzy}"
    assert not catalog(language).fuzzy, f"{language}: the catalog header is marked fuzzy"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_punctuation(language):
    for message in catalog(language):
        if not message.id:
            continue
        assert message.string.strip() == message.string, f"{language}: stray spaces in {message.id!r}"
        for mark in "?!":
            assert message.id.endswith(mark) == message.string.endswith(mark), (
                f"{language}: {message.id!r} -> {message.string!r} changes the closing {mark}"
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_compiled_from_the_po(language):
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language), use_fuzzy=False)
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), (
        f"{language}: messages.mo is stale; run pybabel compile -d kiosk/translations"
    )


def test_every_string_in_the_code_is_in_the_catalogs():
    in_code = strings_in_code()
    assert "How did we do today?" in in_code and "Thank you!" in in_code, "extraction found nothing"
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = msgids(read_po(f))
    for name, ids in [("messages.pot", template)] + [(lang, msgids(catalog(lang))) for lang in LANGUAGES]:
        missing = sorted(set(in_code) - ids)
        assert missing == [], f"{name} lacks {[(m, in_code[m]) for m in missing]}"
        dropped = sorted(ids - set(in_code))
        assert dropped == [], f"{name} keeps strings no longer in the code: {dropped}"
