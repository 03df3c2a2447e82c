"""Reading head office's pages, and what they should say, worked out by hand from the stored rows.

The oracle here never asks central's reports, rollups or figure formulas: it
reads the raw ``rating`` and ``followup`` rows, places each on its site's
local day in plain Python, and does the arithmetic of docs/manager.md's figure
definitions in whole numbers (percentages rounded half up, so an exact 12.5 %
is 13 % and a Happy Index of exactly 18.75 is 18.8, whatever a float says).
The pages are read as a browser gets them, through a small tree built with
the standard library's HTML parser.
"""
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

# -- the pages as a tree ------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    """One element of a page: its tag, attributes, children (elements and text) and parent."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def text(self):
        """The visible text inside, with runs of white space as one space (as a browser shows it)."""
        parts = []

        def walk(node):
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in ("title", "script", "style"):
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        """Descendants with *tag*, CSS class *cls* and *attrs* (``data_figure="x"``; ``True``: present)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        found = []
        for element in self.iter():
            if tag is not None and element.tag != tag:
                continue
            if cls is not None and cls not in element.classes:
                continue
            if all((name in element.attrs) if value is True else element.attrs.get(name) == value
                   for name, value in wanted.items()):
                found.append(element)
        return found

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def one(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    def cells(self):
        """The ``td``/``th`` children of a table row."""
        return [child for child in self.children if isinstance(child, Element) and child.tag in ("td", "th")]

    def title(self):
        """The text of an SVG element's own ``<title>`` child."""
        for child in self.children:
            if isinstance(child, Element) and child.tag == "title":
                return " ".join("".join(c for c in child.children if isinstance(c, str)).split())
        return None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):  # <rect .../> in the SVG charts
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_page(text):
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def figure_rows(page, what):
    """``{name: (row element, {figure: text})}`` for rows carrying ``data-<what>``."""
    rows = {}
    for row in page.find_all("tr", **{f"data_{what}": True}):
        rows[row.attrs[f"data-{what}"]] = (row, {cell.attrs["data-figure"]: cell.text()
                                                 for cell in row.find_all(data_figure=True)})
    return rows


KEY_FIGURES = {"Responses": "responses", "Satisfaction": "satisfaction", "Happy Index": "happy_index",
               "Trend": "trend"}


def key_figures(page):
    """The key figures at the top of a page (English): ``({figure: text}, {figure: box classes})``."""
    values, classes = {}, {}
    for box in page.one("div", cls="grid--kpi").find_all("div", cls="kpi"):
        name = KEY_FIGURES[box.one(cls="kpi__label").text()]
        values[name], classes[name] = box.one(cls="kpi__value").text(), box.classes
    return values, classes


def next_cells(row, figure, count):
    """The *count* cells right after the row's ``data-figure=figure`` cell (columns without a hook)."""
    cells = row.cells()
    index = next(i for i, cell in enumerate(cells) if cell.attrs.get("data-figure") == figure)
    return [cell.text() for cell in cells[index + 1:index + 1 + count]]


# -- the figures, by hand -----------------------------------------------------------------------

def half_up(numerator, denominator):
    """numerator / denominator rounded to a whole number, halves up (both whole, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass
class Tally:
    """Counted ratings per face (1-4) and left-out ratings per filter, counted by hand."""

    faces: Counter = field(default_factory=Counter)
    left_out: Counter = field(default_factory=Counter)

    def add(self, rating):
        if rating.filtered:
            self.left_out[rating.filtered] += 1
        else:
            self.faces[rating.rating] += 1

    @property
    def counted(self):
        return sum(self.faces.values())

    @property
    def happy(self):
        return self.faces[3] + self.faces[4]


@dataclass(frozen=True)
class Rules:
    """The brand's target (percent) and the fewest counted ratings that show a percentage."""

    target: int
    min_responses: int

    def satisfaction(self, tally):
        """Whole percent of happy and very happy, or None when too few."""
        if tally.counted < max(1, self.min_responses):
            return None
        return half_up(100 * tally.happy, tally.counted)

    def happy_index(self, tally):
        """The Happy Index as shown (one decimal), or None when too few: 100 x mean((rating - 1) / 3)."""
        if tally.counted < max(1, self.min_responses):
            return None
        points = sum((rating - 1) * n for rating, n in tally.faces.items())
        tenths = half_up(1000 * points, 3 * tally.counted)
        return f"{tenths // 10}.{tenths % 10}"

    def below(self, tally):
        shown = self.satisfaction(tally)
        return shown is not None and shown < self.target

    def trend(self, now, before):
        """Percentage points between the two shown satisfactions, or None when either is too few."""
        a, b = self.satisfaction(now), self.satisfaction(before)
        return None if a is None or b is None else a - b

    # -- as the pages write them
    def satisfaction_cell(self, tally):
        shown = self.satisfaction(tally)
        if shown is None:
            return "too few"
        return f"{shown} % ↓ below" if shown < self.target else f"{shown} %"

    def satisfaction_kpi(self, tally):
        shown = self.satisfaction(tally)
        return "–" if shown is None else f"{shown} %"

    def happy_index_cell(self, tally):
        return self.happy_index(tally) or "–"

    def trend_cell(self, now, before):
        return points_text(self.trend(now, before))


def points_text(change):
    """A change in percentage points as the pages write it (trends and the drivers' changes alike)."""
    if change is None:
        return "–"
    if change > 0:
        return f"▲ +{change} pts"
    if change < 0:
        return f"▼ {change} pts"
    return "■ 0 pts"


# -- the stored rows ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredRating:
    id: str
    kiosk: str  # kiosk name
    site: str
    rating: int
    filtered: str | None
    occurred_at: object  # aware UTC datetime
    day: date  # the local day at its site
    time_basis: str


@dataclass(frozen=True)
class KioskFacts:
    id: int
    name: str
    site: str
    service: str
    provider: str | None


@dataclass
class Stored:
    """Everything central holds that a figure is made of, read straight from the tables."""

    sites: dict  # name -> (id, ZoneInfo)
    kiosks: dict  # name -> KioskFacts
    services: dict  # name -> id
    providers: dict  # name -> id
    ratings: list
    followups: list  # (StoredRating, reason key)
    rules: Rules

    def zone(self, site):
        return self.sites[site][1]

    def select(self, days_of, kiosks=None):
        """The ratings of *kiosks* (names; all when None) on the local days ``days_of(site) = (first, last)``."""
        spans = {site: days_of(site) for site in self.sites}
        return [r for r in self.ratings if (kiosks is None or r.kiosk in kiosks)
                and spans[r.site][0] <= r.day <= spans[r.site][1]]

    def tally(self, ratings):
        tally = Tally()
        for rating in ratings:
            tally.add(rating)
        return tally

    def kiosks_where(self, site=None, service=None, provider=None):
        return {k.name for k in self.kiosks.values() if (site is None or k.site == site)
                and (service is None or k.service == service) and (provider is None or k.provider == provider)}


def read_stored(central):
    """The raw rows and the organisation, as central's tables hold them."""

    def read(models):
        sites = {s.name: (s.id, ZoneInfo(s.timezone)) for s in models.Site.select()}
        kiosks = {k.id: KioskFacts(k.id, k.name, k.site.name, k.service.name, k.provider.name if k.provider else None)
                  for k in models.Kiosk.select()}
        settings = dict(models.Setting.select(models.Setting.key, models.Setting.value).tuples())
        ratings = {}
        for row in models.Rating.select():
            kiosk = kiosks[row.kiosk_id]
            occurred = row.occurred_at.astimezone(timezone.utc)
            ratings[row.id] = StoredRating(row.id, kiosk.name, kiosk.site, row.rating, row.filtered, occurred,
                                           occurred.astimezone(sites[kiosk.site][1]).date(), row.time_basis)
        followups = [(ratings[f.rating_id], f.reason) for f in models.Followup.select()]
        return Stored(sites, {k.name: k for k in kiosks.values()},
                      {s.name: s.id for s in models.Service.select()}, {p.name: p.id for p in models.Provider.select()},
                      list(ratings.values()), followups, Rules(int(settings["target"]), int(settings["min_responses"])))

    return central.query(read)


# -- periods: each site's own local days --------------------------------------------------------

PERIOD_LENGTHS = {"today": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class Period:
    """A period as the query string gives it, and the local days it means at each site."""

    query: str  # the query string that asks for it
    kind: str
    first: date | None = None
    last: date | None = None

    @classmethod
    def custom(cls, first, last):
        return cls(f"from={first}&to={last}", "custom", first, last)

    @classmethod
    def relative(cls, kind):
        return cls(f"period={kind}", kind)

    def days(self, zone, now):
        if self.kind == "custom":
            return self.first, self.last
        today = now.astimezone(zone).date()
        return today - timedelta(days=PERIOD_LENGTHS[self.kind] - 1), today

    def previous(self, zone, now):
        first, last = self.days(zone, now)
        length = (last - first).days + 1
        return first - timedelta(days=length), first - timedelta(days=1)


# -- what the reasons say -----------------------------------------------------------------------

#: The quality model (docs/configuration.md): reason key -> (group, dimension), and the pages' English names.
REASON_GROUPS = {
    "outcome": "outcome", "staff": "attitude", "waiting": "accessibility", "opening_hours": "accessibility",
    "reliability": "reliability", "information": "communication", "premises": "environment", "trust": "trust",
    "problem_handling": "recovery",
}
DIMENSIONS = {"outcome": "technical"}  # every other group is functional: the process, how
DIMENSION_NAMES = {"technical": "Technical: what", "functional": "Functional: how"}


def dimension_of(group):
    return DIMENSIONS.get(group, "functional")


@dataclass
class DriverFigures:
    """Among unhappy counted ratings that gave a reason: counts per reason, group and dimension."""

    reasons: Counter

    @property
    def total(self):
        return sum(self.reasons.values())

    @property
    def groups(self):
        groups = Counter()
        for reason, n in self.reasons.items():
            groups[REASON_GROUPS[reason]] += n
        return groups

    @property
    def dimensions(self):
        dimensions = Counter({"technical": 0, "functional": 0})
        for group, n in self.groups.items():
            dimensions[dimension_of(group)] += n
        return dimensions

    def share(self, n):
        return half_up(100 * n, self.total) if self.total else None


def unhappy_reasons(stored, ratings):
    """Reason counts among the unhappy (1-2) counted ones of *ratings*."""
    chosen = {r.id for r in ratings if not r.filtered and r.rating <= 2}
    return DriverFigures(Counter(reason for rating, reason in stored.followups if rating.id in chosen))


def change(now, before, part, key):
    """Change of a share against the previous period, in points (None when either has no reasons)."""
    if not now.total or not before.total:
        return None
    return now.share(getattr(now, part)[key]) - before.share(getattr(before, part).get(key, 0))


def ordered(counter):
    """Keys with a count, largest first, then by name: the order the pages list them in."""
    return [key for key, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])) if n]


# -- one central per backend for a whole module -------------------------------------------------

def start_central(request, tmp_path_factory, clock):
    """A central on the backend *request* names (``sqlite`` or ``postgresql``) for a module-scoped fixture:
    a module that builds one network and then only reads it pays for the network once per backend."""
    from tests.helpers.central import Central

    data_dir = tmp_path_factory.mktemp("central")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'central.sqlite3'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database(f"m_{uuid.uuid4().hex[:16]}")
    return Central(request.param, url, data_dir, clock)


# -- opening hours, by hand ---------------------------------------------------------------------

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hour_specs(hours):
    """``add-site --hours`` arguments for ``{weekday key: "HH:MM-HH:MM"}``."""
    return [f"{day}={span}" for day, span in hours.items()]


def open_at(hours, zone, moment):
    """Whether a site with *hours* (``{weekday key: "HH:MM-HH:MM"}``, no span past midnight) is open then."""
    local = moment.astimezone(zone)
    span = hours.get(WEEKDAY_KEYS[local.weekday()])
    if span is None:
        return False
    start, end = ((int(part[:2]) * 60 + int(part[3:])) for part in span.split("-"))
    return start <= local.hour * 60 + local.minute < end
