"""Finding English left on a Finnish or Swedish page, from the part's own catalog.

A page is rendered from message ids; in a translated language each id that the catalog translates
differently should never reach the reader as itself. :class:`EnglishFinder` knows every such id of
one catalog (with a ``%(name)s`` placeholder matching any text, ``%%`` as ``%``) and looks for it in
what a reader of the page sees: its text (inline elements joined as a browser joins them, block
elements apart) and the attributes a browser shows or reads out (``title``, ``alt``,
``placeholder``, ``aria-label``, a button's ``value``, ``data-confirm``'s dialog).

A message id is found only as whole words and with its case, and not where it is a part of a
translation shown there (a Finnish text may well hold an English product word that is also a
message id of its own), so the finder reports English that was left, not coincidences.
"""
import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po

#: Elements whose text runs on with their neighbours' (a browser shows no break around them).
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
          "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "label", "tspan"}
#: Elements whose content no reader sees as text.
HIDDEN = {"script", "style", "template", "noscript"}
#: Attributes a browser shows (a tooltip, a placeholder, a dialog) or a screen reader reads.
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                    "aria-valuetext", "label", "data-confirm"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    """The page's visible text as separate runs, and the shown attributes' values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs, self._run, self._hidden = [], [], 0

    def _break(self):
        text = " ".join("".join(self._run).split())
        if text:
            self.runs.append(text)
        self._run = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
            return
        if tag not in INLINE:
            self._break()
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (name in SHOWN_ATTRIBUTES or (name == "value" and tag in ("input", "button")
                                                        and attrs.get("type") in ("submit", "button", "reset"))):
                self.runs.append(" ".join(value.split()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag not in INLINE and tag not in _VOID:
            self._break()

    def handle_data(self, data):
        if not self._hidden:
            self._run.append(data)

    def close(self):
        super().close()
        self._break()


def visible_text(html):
    """What a reader of *html* sees: text runs and shown attribute values, each a string."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.runs


def _forms(text):
    return tuple(text) if isinstance(text, (tuple, list)) else (text,)


_PLACEHOLDER = r"%\(\w+\)[sdif]"


def _literal_pieces(message):
    """The text of *message* between its placeholders, as shown (``%%`` as ``%``, white space as one space)."""
    return [" ".join(piece.replace("%%", "%").split()) for piece in re.split(_PLACEHOLDER, message)]


def _pattern(message):
    """A regular expression finding *message* as shown: a placeholder inside it as any text, one at
    either end as some text beside it (the words are what give English away), whole words only."""
    pieces = re.split(f"({_PLACEHOLDER})", " ".join(message.split()))
    parts = []
    for index, piece in enumerate(pieces):
        if re.fullmatch(_PLACEHOLDER, piece):
            parts.append(r".+?" if 0 < index < len(pieces) - 1 and pieces[index - 1] and pieces[index + 1]
                         else r"\S")
        elif piece:
            parts.append(re.escape(piece.replace("%%", "%")))
    body = "".join(parts)
    start = r"(?<!\w)" if re.match(r"\w", message) else ""
    end = r"(?!\w)" if re.search(r"\w$", message) else ""
    return re.compile(start + body + end)


class EnglishFinder:
    """The message ids of one catalog (a ``.po`` file) that it translates, and where a page still shows them.

    :param po_path: the language's ``messages.po``.

    >>> finder = EnglishFinder("sync/central/translations/fi/LC_MESSAGES/messages.po")
    >>> finder.left_in(page_html)
    ['Overview']
    """

    def __init__(self, po_path):
        with open(po_path, "rb") as f:
            catalog = read_po(f)
        self.translated = {}  # an English form -> (its longest literal piece, its pattern)
        pieces = set()
        for message in catalog:
            if not message.id:
                continue
            strings = [s for s in _forms(message.string) if s]
            pieces.update(piece for string in strings for piece in _literal_pieces(string) if piece)
            for english in _forms(message.id):
                if english not in strings and re.search(r"[A-Za-z]", english):
                    self.translated[english] = (max(_literal_pieces(english), key=len), _pattern(english))
        #: The translations' own words, which may well hold an English word that is a message id of its own.
        self._translated_pieces = sorted(pieces)

    def left_in(self, html):
        """The English message ids *html* shows, each once, in the catalog's order."""
        text = "\n".join(visible_text(html))  # a placeholder's ".+?" never runs from one run into the next
        found = []
        for english, (piece, pattern) in self.translated.items():
            if piece not in text:  # most ids are nowhere on a page: a plain search says so fastest
                continue
            if any(not self._within_translation(text, match) for match in pattern.finditer(text)):
                found.append(english)
        return found

    def _within_translation(self, text, match):
        """True when *match* lies inside the words of a translation shown there."""
        start, end = match.span()
        for piece in self._translated_pieces:
            if match.group() not in piece:
                continue
            at = text.find(piece, max(0, end - len(piece)))
            while at != -1 and at <= start:
                if at + len(piece) >= end:
                    return True
                at = text.find(piece, at + 1)
        return False
