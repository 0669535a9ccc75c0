"""Every relative link in README.md and docs/*.md points to a file that exists, and its #anchor, if any,
to a heading of that file (GitHub's slug: lowercase, spaces to '-', punctuation other than '-' and '_'
dropped). The long parts of the README moved to docs/; a moved paragraph's links must still resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
# [text](target) and ![alt](target); the target ends at whitespace (a title may follow) or ')'
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code removed (a link in code is not a link)."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            lines.append(INLINE_CODE.sub("", line))
    return lines


def links(text: str) -> list[str]:
    return [target for line in prose_lines(text) for target in LINK.findall(line)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lowercase, punctuation but '-' and '_' dropped,
    spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of `page` that point to no file, or to no heading of their file."""
    broken = []
    for target in links(page.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:, ...
            continue
        path_part, _, anchor = target.partition("#")
        file = (page.parent / path_part).resolve() if path_part else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(REPO_ROOT) if REPO_ROOT in file.parents else file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            broken.append(f"{target}: no heading with anchor #{anchor} in {file.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_links_to_the_docs() -> None:
    """The check reads the README's links at all (a pattern that found none would pass anything)."""
    targets = links((REPO_ROOT / "README.md").read_text())
    assert any(target.startswith("docs/") for target in targets), targets


def test_slugs_follow_githubs_rule() -> None:
    assert slug("Ratios: 0 or null") == "ratios-0-or-null"
    assert slug("Semantic layer, dashboard, BI tools") == "semantic-layer-dashboard-bi-tools"
    assert slug("Old order history, and shops without tracking") == "old-order-history-and-shops-without-tracking"
    assert slug("To the one-way data flow release (issue 20)") == "to-the-one-way-data-flow-release-issue-20"
    assert slug("Semantic layer (MetricFlow)") == "semantic-layer-metricflow"
    assert slug("`dbt_project` and snake_case") == "dbt_project-and-snake_case"


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## Free space\n\ntext\n")
    page = tmp_path / "README.md"
    page.write_text(
        "# Title\n\n"
        "[fine](docs/page.md) [fine anchor](docs/page.md#free-space) [own heading](#title)\n"
        "[no file](docs/missing.md) [no anchor](docs/page.md#backfills) ![no image](docs/bench/none.png)\n"
        "`[in code](docs/also-missing.md)` [web](https://example.com/x.md)\n\n"
        "```\n[in a fence](docs/fenced-missing.md)\n```\n"
    )
    found = broken_links(page)
    assert [entry.split(":")[0] for entry in found] == [
        "docs/missing.md",
        "docs/page.md#backfills",
        "docs/bench/none.png",
    ], found
