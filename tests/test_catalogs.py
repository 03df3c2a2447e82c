"""The customer-facing catalogs: complete, current and really compiled.

The screen must never show an English word to a Finnish or Swedish customer,
and the committed ``.mo`` files are what the kiosk loads, so:

- every msgid in the Finnish and Swedish catalogs has a translation (no empty,
  no fuzzy entries);
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


def strings_in_code(translations):
    """Every translatable string, extracted the way pybabel does with the part's babel.cfg."""
    with open(translations / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
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
            assert re.findall(r"%\(\w+\)s", msgid) == re.findall(r"%\(\w+\)s", string) or message.pluralizable, (
                f"{language}: {msgid!r} -> {string!r} changes its placeholders"
            )


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
