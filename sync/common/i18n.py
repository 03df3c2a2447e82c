"""Translating a message outside any web request (seeding content, recording
the texts of a question version), from a part's own gettext catalogs."""
import functools
from pathlib import Path

from babel import support


@functools.cache
def _translations(directory: str, language: str) -> support.NullTranslations:
    return support.Translations.load(directory, [language])


def catalog_text(directory: str | Path, msgid: str, language: str) -> str:
    """*msgid* translated into *language* from the catalogs under *directory*
    (the msgid itself when there is no translation)."""
    return _translations(str(directory), language).gettext(msgid)
