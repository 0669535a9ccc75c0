"""No personal data reaches the serving file, wherever a sender or an exporter put it.

tests/fixtures/pii_shop plants one person's email, name, phone, IP address and
street in every place the landing contract lets them arrive: page URLs and
referrers (query strings, paths, user info, fragments), properties, identify
traits, context.ip and context.traits, a search query, and the shop's customers and orders
tables. Every text cell of every table in the published serving file is then
scanned for each planted value, as written and URL-decoded.

The same fixture shows that attribution does not move: UTM tags are read from
the page URL before its query string is cut, and the referrer keeps its host.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import unquote_plus

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pii_shop"

# Planted in the fixture; compared lower-cased with each cell as written and URL-decoded.
PLANTED_TEXT = (
    "jane.doe@example.com",
    "jane.doe",  # the email's local part alone, in any encoding of the @
    "zebulon",  # first name (traits, customers, query parameters, user info, fragments)
    "quixworth",  # last name
    "wallaby",  # street in identify traits
    "198.51.100.23",  # context.ip, a query parameter, a referrer path
)
# The phone +44 20 7946 0958, planted with spaces, dashes, + and %2B: found in a cell's digits
PLANTED_PHONE_DIGITS = "2079460958"


@pytest.fixture(scope="module")
def pii_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("pii")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def text_cells(serving: str) -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-null cell of every table in every schema, each cast to text."""
    with duckdb.connect(serving, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        cells = []
        for schema, table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            ]
            for column in columns:
                rows = con.execute(
                    f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
                cells += [(f"{schema}.{table}", column, value) for (value,) in rows]
    return cells


def planted_values_in(text: str) -> list[str]:
    forms = {text.lower(), unquote_plus(text).lower()}
    found = [value for value in PLANTED_TEXT if any(value in form for form in forms)]
    if any(PLANTED_PHONE_DIGITS in re.sub(r"[^0-9]", "", form) for form in forms):
        found.append("phone")
    return found


def test_the_serving_file_holds_none_of_the_planted_personal_data(pii_run: PipelineRun) -> None:
    cells = text_cells(str(pii_run.serving))
    # the scan reads the event marts at all: the fixture's seven events are there
    assert sum(1 for table, column, _ in cells if (table, column) == ("marts.fct_events", "message_id")) == 7
    leaks = [(table, column, text, found) for table, column, text in cells if (found := planted_values_in(text))]
    assert leaks == []


def test_urls_keep_scheme_host_path_and_the_allowed_parameters(pii_run: PipelineRun) -> None:
    with duckdb.connect(str(pii_run.serving), read_only=True) as con:
        events = dict(con.execute("select message_id, page_referrer from marts.fct_events").fetchall())
        paths = dict(con.execute("select message_id, page_path from marts.fct_events").fetchall())
    # p1: email and uid are not on the allow-list (ecom__url_parameters_kept), utm_source is; the fragment goes
    assert events["p1"] == "https://mail.example.net/inbox/?utm_source=mailer"
    # p2: the user info (zebulon:secret@) and the email parameter go; the host stays
    assert events["p2"] == "https://shop.example/"
    # t1: an IPv4 address in a path is masked
    assert events["t1"] == "https://shop.example/callback/[ip]/"
    # s1 (a server library's page call: referrer from properties): user and tel go, gclid stays
    assert events["s1"] == "https://partner.example/list?gclid=Cj0KCQ-abc"
    # an email in a path is masked, a phone (+44-20-7946-0958: a + and 12 digits) too
    assert paths["p2"] == "/account/[email]/orders"
    assert paths["t1"] == "/contact/[phone]"
    assert paths["p1"] == "/"


def test_attribution_reads_the_utm_tags_before_the_query_is_cut(pii_run: PipelineRun) -> None:
    with duckdb.connect(str(pii_run.serving), read_only=True) as con:
        sessions = dict(
            (row[0], row[1:])
            for row in con.execute(
                "select anonymous_id, source, medium, campaign, channel_group from marts.fct_sessions"
            ).fetchall()
        )
        credited = con.execute(
            "select channel_group from marts.attribution_credits where order_id = 'O1' and attribution_model = 'last_touch'"
        ).fetchall()
    # v1 landed on a URL with utm_source=Newsletter, utm_medium=email, utm_campaign=spring (lower-cased)
    assert sessions["v1"] == ("newsletter", "email", "spring", "Email")
    # v2: a server library's page call whose URL alone carries utm_* (medium referral)
    assert sessions["v2"] == ("partner", "referral", "may", "Referral")
    # O1 (v1's Order Completed) is credited to v1's Email session
    assert credited == [("Email",)]


def test_a_search_query_is_published_masked(pii_run: PipelineRun) -> None:
    """properties.query reaches site_search_daily (the one free-text property a mart publishes) with the
    email, phone and IP address masked as in URLs."""
    with duckdb.connect(str(pii_run.serving), read_only=True) as con:
        terms = con.execute("select search_term from marts.site_search_daily").fetchall()
    assert terms == [("boots [email] [phone] [ip]",)]
