"""Translating a message outside any web request (seeding content, recording
the texts of a question version), from a part's own gettext catalogs."""
import functools

from babel import support


@functools.cache
def _translations(directory, language):
    return support.Translations.load(directory, [language])


def catalog_text(directory, msgid, language):
    """*msgid* translated into *language* from the catalogs under *directory*
    (the msgid itself when there is no translation)."""
    return _translations(str(directory), language).gettext(msgid)
