"""The docs stay true to the code and to each other: the configuration tables are the config
declarations (written by cog), and every link between README.md and docs/ reaches a file and a heading."""

import re
from pathlib import Path

import pytest
from cogapp import Cog

from kiosk.config import KioskConfig
from sync.central.config import CentralConfig
from sync.common.settings import markdown_table, settings_of

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_configuration_tables_are_written_from_the_declarations(capsys):
    """`cog -r docs/configuration.md` after changing a key; this fails until it has run."""
    status = Cog().main(["cog", "--check", "--diff", str(ROOT / "docs" / "configuration.md")])
    assert status == 0, capsys.readouterr().out


def test_each_table_row_is_one_declared_key():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for config_class in (KioskConfig, CentralConfig):
        assert markdown_table(config_class) in page
        for key, declared in settings_of(config_class).items():
            assert declared.meaning.strip() and "|" not in declared.meaning, key


def _slug(heading):
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page):
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return {_slug(title) for title in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def _links(page):
    text = page.read_text(encoding="utf-8")
    return [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_reaches_a_file_and_a_heading(page):
    for link in _links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link} names no file"
        if anchor:
            assert anchor in _anchors(target), f"{page.name}: {link} names no heading of {target.name}"


def test_the_readme_links_every_page_of_the_docs():
    readme_links = set(_links(ROOT / "README.md"))
    for page in PAGES[1:]:
        assert f"docs/{page.name}" in readme_links, page.name
