"""The README's map of the code stays true: "How it fits together" names real paths, and every
package of the project sits in exactly one row of its parts table."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title):
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def parts_rows():
    """The parts table's rows as (part, paths in its "where" column)."""
    rows = []
    for line in section("How it fits together").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and not set(cells[0]) <= {"-"} and cells[0] != "layer":
            rows.append((cells[1], re.findall(r"`([^`]+)`", cells[2])))
    return rows


def packages():
    return {path.parent.relative_to(ROOT).as_posix() + "/" for top in ("kiosk", "sync")
            for path in (ROOT / top).rglob("__init__.py")}


def test_every_path_in_how_it_fits_together_exists():
    named = set(re.findall(r"`((?:kiosk|sync|templates|systemd)/[^`\s]*)`", section("How it fits together")))
    assert len(named) > 40
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == []


def test_every_package_is_in_exactly_one_row_of_the_parts_table():
    rows = parts_rows()
    assert len(rows) >= 10
    where = {}
    for part, paths in rows:
        for path in paths:
            if path.endswith("/"):
                where.setdefault(path, []).append(part)
    expected = packages() - {"kiosk/", "sync/"}  # the two roots hold parts of several rows
    assert {path for path in where if path in expected} == expected, sorted(expected - set(where))
    assert [path for path, owners in where.items() if len(owners) > 1] == []


def test_every_source_path_a_unit_file_cites_exists():
    cited = {path for unit in (ROOT / "systemd").iterdir()
             for path in re.findall(r"\b((?:kiosk|sync)/[\w/]+\.(?:py|js|css))", unit.read_text(encoding="utf-8"))}
    assert cited, "the units cite the code they rely on"
    assert sorted(path for path in cited if not (ROOT / path).exists()) == []
