"""A real 1997-98 order history with no tracking at all builds, and its marts equal plain Python.

Data we did not write: the CDNOW purchase history (tests/fixtures/cdnow, see its README for source
and licence): 69,659 purchases by the 23,570 customers whose first purchase at CDNOW fell in
January-March 1997, followed until 1998-06-30. Each line: customer id, day, number of CDs, dollars.
The whole file is used, no subset: the module costs about 95 s of CPU (the run about 40 s, the
backfill about 45 s; the full file adds only some 6 s over its published 1/10 sample).

How the lines become landing files (the shop's exports), in `land()` below:
- orders/: one order per line (a customer who bought twice on a day has two orders), order_id
  `CD<purchase number>`, created_at the day at 12:00Z (noon, so the date is the same in any reporting
  time zone within 11 hours of UTC), currency USD, discount_total 0.00. CDNOW records purchases only:
  no cancellation, no return, no refund, so every order is `fulfilled` and there is no refunds/
  folder. Hence GMV = net sales = net revenue = the dollar amount, and refunds are 0 everywhere.
- order_items/: the line's CDs at a price that makes GMV equal the dollar amount to the cent:
  with c cents over u CDs, p = c // u and r = c % u, a line of u - r CDs at p cents and (when
  r > 0) a line of r CDs at p + 1 cents: (u - r) * p + r * (p + 1) = c, units u.
- customers/: each customer once, created_at its first purchase (CDNOW has no sign-up date).
- products/: the single product `CD` every line points at (CDNOW records no titles).
- no events/ folder at all: no tracking, ever.

Figures derived here from the lines, in plain Python (never from the models):
- as-of date: the latest order date, 1998-06-30 (no events; never the wall clock);
- per day and month: orders = lines, units = CDs, net sales = sum of dollars; every day and month
  from 1997-01-01 to 1998-06-30 is a row (CDNOW has purchases on all 546 days; the months after
  March 1997 have 0 new customers, which must be rows too);
- per month: new customers (first purchase in the month), ordering customers, returning (ordered in
  the month, first purchase before it), repeat customers (>= 2 orders in the month) and the repeat
  purchase rate repeat / ordering (kpi-definitions: both counted within the month);
- all time, per customer (dim_customers): orders, net sales, first and last order day, repeat
  customer (>= 2 orders), days since the last order at the as-of date; the all-time repeat purchase
  rate = repeat customers / customers;
- cohorts by month and by ISO week (Monday) of the first purchase: size, and for every period from
  0 to the as-of date's period the customers who bought in it and their dollars (running total too);
- lifecycle per customer and month: new, returning (bought last month too), resurrected (bought,
  not last month, not new), dormant (bought last month, not this one), up to the as-of month.

The run is `make run`'s command (today's partition, as the sensor and the schedule request): it
loads orders of any date. Then two backfills of old days: refused, with what to do, under the
default ECOM_PARTITIONS_START (2025-01-01); accepted with ECOM_PARTITIONS_START=1997-01-01, after
which the marts must be unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_pipeline

SOURCE = REPO_ROOT / "tests" / "fixtures" / "cdnow" / "CDNOW_master.txt.gz"
D = dt.date
FIRST_DAY, LAST_DAY = D(1997, 1, 1), D(1998, 6, 30)
AS_OF = LAST_DAY
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Purchase:
    order_id: str
    customer_id: str
    day: dt.date
    units: int
    dollars: Decimal


def read_purchases() -> list[Purchase]:
    """Every purchase line; the file's first line is its header (customer_id date number_of_cds dollar_value)."""
    purchases = []
    with gzip.open(SOURCE, "rt", newline="") as lines:
        assert next(lines).split() == ["customer_id", "date", "number_of_cds", "dollar_value"]
        for number, line in enumerate(lines, start=1):
            customer_id, day, units, dollars = line.split()
            purchases.append(
                Purchase(
                    f"CD{number:05d}",
                    customer_id,
                    dt.datetime.strptime(day, "%Y%m%d").date(),
                    int(units),
                    Decimal(dollars),
                )
            )
    return purchases


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue())


def item_lines(p: Purchase) -> list[list]:
    cents = int(p.dollars * 100)
    price, extra = divmod(cents, p.units)
    lines = [[p.order_id, f"{p.order_id}-1", "CD", p.units - extra, Decimal(price) / 100]]
    if extra:
        lines.append([p.order_id, f"{p.order_id}-2", "CD", extra, Decimal(price + 1) / 100])
    return lines


def land(purchases: list[Purchase], landing: Path) -> None:
    noon = "{:%Y-%m-%d}T12:00:00Z".format
    write_csv(
        landing / "orders" / "orders.csv",
        ["order_id", "customer_id", "created_at", "status", "currency", "subtotal", "discount_total", "total"],
        [[p.order_id, p.customer_id, noon(p.day), "fulfilled", "USD", p.dollars, "0.00", p.dollars] for p in purchases],
    )
    write_csv(
        landing / "order_items" / "order_items.csv",
        ["order_id", "line_id", "product_id", "quantity", "unit_price"],
        [line for p in purchases for line in item_lines(p)],
    )
    first: dict[str, dt.date] = {}
    for p in purchases:
        first[p.customer_id] = min(first.get(p.customer_id, p.day), p.day)
    write_csv(
        landing / "customers" / "customers.csv",
        ["customer_id", "created_at"],
        [[customer, noon(day)] for customer, day in first.items()],
    )
    write_csv(landing / "products" / "products.csv", ["product_id", "title"], [["CD", "Compact disc"]])


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return D(index // 12, index % 12 + 1, 1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    out = [month_of(first)]
    while out[-1] < month_of(last):
        out.append(add_months(out[-1], 1))
    return out


def table(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def failed_checks(run: PipelineRun) -> list[str]:
    return [line for line in run.result.stderr.splitlines() if line.startswith("check ")]


MARTS_COMPARED_AFTER_BACKFILL = {
    "kpi_daily": "date_day",
    "kpi_monthly": "month_start",
    "cohort_retention_monthly": "cohort_month, period_number",
    "dim_customers": "customer_id",
    "customer_lifecycle_monthly": "customer_id, month_start",
}


def snapshot_marts(serving: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return {
            name: con.execute(f"select * from marts.{name} order by {order}").fetchall()
            for name, order in MARTS_COMPARED_AFTER_BACKFILL.items()
        }


@dataclass
class History:
    purchases: list[Purchase]
    run: PipelineRun
    refused: PipelineRun
    backfill: PipelineRun
    before_backfill: dict[str, list[tuple]]
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    purchases = read_purchases()
    workdir = tmp_path_factory.mktemp("cdnow")
    landing = workdir / "landing"
    land(purchases, landing)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ECOM_PARTITIONS_START", raising=False)
        run = run_pipeline(workdir, landing)
        assert run.result.returncode == 0, run.result.stderr[-5000:]
        before = snapshot_marts(run.serving)
        refused = run_pipeline(workdir, landing, ("backfill", "--start", "1997-01-01", "--end", "1997-01-07"))
        env.setenv("ECOM_PARTITIONS_START", "1997-01-01")
        backfill = run_pipeline(workdir, landing, ("backfill", "--start", "1997-01-01", "--end", "1997-01-07"))
    con = duckdb.connect(str(run.serving), read_only=True)
    yield History(purchases, run, refused, backfill, before, con)
    con.close()


@pytest.fixture(scope="module")
def by_customer(history: History) -> dict[str, list[Purchase]]:
    grouped: dict[str, list[Purchase]] = defaultdict(list)
    for p in history.purchases:
        grouped[p.customer_id].append(p)
    return grouped


@pytest.fixture(scope="module")
def first_day(by_customer: dict[str, list[Purchase]]) -> dict[str, dt.date]:
    return {customer: min(p.day for p in bought) for customer, bought in by_customer.items()}


def test_the_data_is_the_published_cdnow_history(history: History, by_customer) -> None:
    # the counts Fader and Hardie give for the dataset: 23,570 customers, 69,659 purchases
    assert (len(by_customer), len(history.purchases)) == (23570, 69659)
    assert min(p.day for p in history.purchases) == FIRST_DAY and max(p.day for p in history.purchases) == LAST_DAY
    # the item lines reproduce every dollar amount and unit count
    for p in history.purchases[:2000]:
        lines = item_lines(p)
        assert sum(line[3] * line[4] for line in lines) == p.dollars and sum(line[3] for line in lines) == p.units


def test_an_orders_only_shop_builds_with_no_failed_check(history: History) -> None:
    assert "pipeline succeeded" in history.run.result.stderr
    # no events is normal: no error, no warning (events_fresh passes when nothing was ever tracked)
    assert failed_checks(history.run) == []
    assert history.con.execute("select count(*) from marts.fct_events").fetchone()[0] == 0
    assert history.con.execute("select count(*) from marts.fct_sessions").fetchone()[0] == 0
    assert history.con.execute("select count(*) from marts.fct_orders").fetchone()[0] == len(history.purchases)


def test_the_as_of_date_is_the_latest_order_day_without_events(history: History) -> None:
    assert history.con.execute("select distinct as_of_date from marts.dim_customers").fetchall() == [(AS_OF,)]


def test_kpi_daily_covers_every_day_of_the_history(history: History) -> None:
    orders, units, sales = Counter(), Counter(), defaultdict(Decimal)
    for p in history.purchases:
        orders[p.day] += 1
        units[p.day] += p.units
        sales[p.day] += p.dollars
    got = table(history.con, "select * from marts.kpi_daily order by date_day")
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    # 546 days, none missing. (CDNOW has a purchase on every one of them; the zero rows of a quiet
    # period show in the months after March 1997: no new customer, a 0 in kpi_monthly and cac_monthly.)
    assert [r["date_day"] for r in got] == days
    for r in got:
        day = r["date_day"]
        assert (r["orders"], r["units_sold"], r["net_sales"], r["gmv"]) == (
            orders[day],
            units[day],
            sales[day],
            sales[day],
        ), day
        assert (r["sessions"], r["conversion_rate"], r["refunds"]) == (0, None, 0)


def test_kpi_monthly_orders_sales_customers_and_repeat_rates(history: History, first_day) -> None:
    orders, units, sales = Counter(), Counter(), defaultdict(Decimal)
    per_customer_month: Counter = Counter()
    for p in history.purchases:
        month = month_of(p.day)
        orders[month] += 1
        units[month] += p.units
        sales[month] += p.dollars
        per_customer_month[(p.customer_id, month)] += 1
    ordering, repeat, returning, new = Counter(), Counter(), Counter(), Counter()
    for (customer, month), n in per_customer_month.items():
        ordering[month] += 1
        repeat[month] += n >= 2
        returning[month] += first_day[customer] < month
    for day in first_day.values():
        new[month_of(day)] += 1

    got = table(history.con, "select * from marts.kpi_monthly order by month_start")
    assert [r["month_start"] for r in got] == months(FIRST_DAY, LAST_DAY)  # 18 months
    for r in got:
        m = r["month_start"]
        assert (r["orders"], r["units_sold"], r["net_sales"], r["net_revenue"]) == (
            orders[m],
            units[m],
            sales[m],
            sales[m],
        ), m
        assert (r["new_customers"], r["ordering_customers"], r["returning_customers"], r["repeat_customers"]) == (
            new[m],
            ordering[m],
            returning[m],
            repeat[m],
        ), m
        assert r["repeat_purchase_rate"] == pytest.approx(repeat[m] / ordering[m], abs=1e-12)
        assert r["returning_customer_rate"] == pytest.approx(returning[m] / ordering[m], abs=1e-12)
        assert r["sessions"] == 0 and r["conversion_rate"] is None
    # CDNOW's customers all started in 1997-Q1: no new customer afterwards
    assert {m for m in new if new[m]} == {D(1997, 1, 1), D(1997, 2, 1), D(1997, 3, 1)}


def test_dim_customers_and_the_all_time_repeat_purchase_rate(history: History, by_customer) -> None:
    got = {r["customer_id"]: r for r in table(history.con, "select * from marts.dim_customers")}
    assert got.keys() == by_customer.keys()
    for customer, bought in by_customer.items():
        days = [p.day for p in bought]
        r = got[customer]
        expected = (
            len(bought),
            sum(p.dollars for p in bought),
            min(days),
            max(days),
            month_of(min(days)),
            week_of(min(days)),
            len(bought) >= 2,
            (AS_OF - max(days)).days,
        )
        assert (
            r["orders_count"],
            r["net_sales"],
            r["first_order_date"],
            r["last_order_date"],
            r["cohort_month"],
            r["cohort_week"],
            r["is_repeat_customer"],
            r["days_since_last_order"],
        ) == expected, customer
    repeat_rate = sum(len(bought) >= 2 for bought in by_customer.values()) / len(by_customer)
    [(rate,)] = history.con.execute(
        "select avg(case when is_repeat_customer then 1.0 else 0.0 end) from marts.dim_customers where has_ordered"
    ).fetchall()
    assert float(rate) == pytest.approx(repeat_rate, abs=1e-12)
    assert 0.4 < repeat_rate < 0.5  # CDNOW: 11,000-odd of 23,570 bought again


def expected_cohorts(purchases: list[Purchase], first_day: dict[str, dt.date], grain: str) -> dict[tuple, tuple]:
    """(cohort start, period number) -> (size, active customers, dollars, cumulative dollars)."""
    if grain == "month":
        start_of, step = month_of, (lambda start, n: add_months(start, n))
    else:
        start_of, step = week_of, (lambda start, n: start + dt.timedelta(weeks=n))
    members = Counter(start_of(day) for day in first_day.values())
    active: dict[tuple, set] = defaultdict(set)
    dollars: dict[tuple, Decimal] = defaultdict(Decimal)
    for p in purchases:
        key = (start_of(first_day[p.customer_id]), start_of(p.day))
        active[key].add(p.customer_id)
        dollars[key] += p.dollars
    expected = {}
    for cohort, size in members.items():
        n, running = 0, Decimal(0)
        while step(cohort, n) <= start_of(AS_OF):
            period = step(cohort, n)
            running += dollars[(cohort, period)]
            expected[(cohort, n)] = (size, len(active[(cohort, period)]), dollars[(cohort, period)], running)
            n += 1
    return expected


@pytest.mark.parametrize("grain", ["month", "week"])
def test_cohort_sizes_retention_and_revenue(history: History, first_day, grain: str) -> None:
    expected = expected_cohorts(history.purchases, first_day, grain)
    rows = table(history.con, f"select * from marts.cohort_retention_{grain}ly")
    got = {
        (r[f"cohort_{grain}"], r["period_number"]): (
            r["cohort_size"],
            r["active_customers"],
            r["net_revenue"],
            r["cumulative_net_revenue"],
        )
        for r in rows
    }
    # every cohort-period up to the as-of period is a row, zeros included, and equal
    assert got == expected
    for r in rows:
        assert r["retention_rate"] == pytest.approx(r["active_customers"] / r["cohort_size"], abs=1e-12)
    if grain == "month":
        # 3 cohorts (Jan, Feb, Mar 1997) x 18, 17, 16 months
        assert len(rows) == 18 + 17 + 16


def test_customer_lifecycle_every_month_to_the_as_of_month(history: History, by_customer, first_day) -> None:
    as_of_month = month_of(AS_OF)
    expected: Counter = Counter()
    for customer, bought in by_customer.items():
        active = {month_of(p.day) for p in bought}
        for month in months(first_day[customer], AS_OF):
            last = add_months(month, -1)
            if month in active:
                if month == month_of(first_day[customer]):
                    status = "new"
                else:
                    status = "returning" if last in active else "resurrected"
            elif last in active:
                status = "dormant"
            else:
                continue
            expected[(month, status)] += 1
    got = history.con.execute(
        "select month_start, lifecycle_status, count(*) from marts.customer_lifecycle_monthly group by all"
    ).fetchall()
    assert {(m, s): n for m, s, n in got} == dict(expected)
    assert max(m for m, _ in expected) == as_of_month


def test_cac_monthly_covers_every_month_without_spend(history: History, first_day) -> None:
    new = Counter(month_of(day) for day in first_day.values())
    rows = table(history.con, "select * from marts.cac_monthly order by month_start")
    # no sessions, so no touch: every customer is acquired Direct (kpi-definitions, CAC)
    assert [(r["month_start"], r["channel_group"], r["spend"], r["new_customers"]) for r in rows] == [
        (m, "Direct", 0, new[m]) for m in months(FIRST_DAY, LAST_DAY)
    ]


def test_a_backfill_of_1997_is_refused_by_default_and_works_with_the_partitions_start(history: History) -> None:
    refused = history.refused.result
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "backfill NOT started" in refused.stderr
    assert "ECOM_PARTITIONS_START=1997-01-01" in refused.stderr, refused.stderr[-3000:]
    backfill = history.backfill.result
    assert backfill.returncode == 0, backfill.stderr[-5000:]
    assert "1997-01-01 00:00:00" in backfill.stderr + backfill.stdout  # the window reached dbt
    assert failed_checks(history.backfill) == []
    # rebuilding old days changes nothing: the same files give the same marts
    assert snapshot_marts(history.run.serving) == history.before_backfill


def test_the_sensor_and_the_schedule_request_a_run_that_loads_the_whole_history(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration import triggers
    from orchestration.partitions import daily_partitions, today_partition_key

    monkeypatch.setenv("ECOM_LANDING_DIR", str(history.run.landing))
    files = triggers.landed_files()
    assert {f.relative_path.split("/")[0] for f in files} >= {"orders", "order_items", "customers"}
    request, _ = triggers.landing_decision(files, None, time.time() + 3600, settle_seconds=10)
    # the request `make run` also makes: today's partition, which loads files of any date
    assert isinstance(request, dg.RunRequest) and request.partition_key == today_partition_key()
    for start in ("2025-01-01", "1997-01-01"):
        monkeypatch.setenv("ECOM_PARTITIONS_START", start)
        partitions = daily_partitions()
        assert partitions.get_first_partition_key() == start
        assert partitions.has_partition_key(request.partition_key)
    from orchestration.definitions import defs

    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime.now(dt.UTC), repository_def=defs.get_repository_def()
    )
    [scheduled] = defs.resolve_schedule_def("daily_pipeline").evaluate_tick(context).run_requests
    assert scheduled.partition_key == today_partition_key()


def test_a_bad_partitions_start_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.settings import partitions_start

    monkeypatch.setenv("ECOM_PARTITIONS_START", "01.01.1997")
    with pytest.raises(ValueError, match="ECOM_PARTITIONS_START='01.01.1997' is no day: set it to YYYY-MM-DD"):
        partitions_start()


def test_summary_and_dashboard_on_a_shop_without_events(history: History, capsys) -> None:
    from orchestration.report import report_path
    from orchestration.summary import print_summary

    june = [p for p in history.purchases if p.day >= D(1998, 6, 1)]
    assert print_summary(history.run.serving, 30) == 0
    out = capsys.readouterr().out
    assert "last 30 days of data: 1998-06-01 .. 1998-06-30" in out
    assert " ".join(out.split()).count("conversion rate n/a") == 1
    assert f"orders {len(june):,}" in " ".join(out.split())
    page = report_path(history.run.serving).read_text()
    assert "Last 30 days of data: 1998-06-01 .. 1998-06-30" in page
    assert 'data-kpi="sessions" data-value="0.0"' in page
    assert (
        'data-kpi="conversion_rate" data-value=""><div class="label">Conversion rate</div><div class="value">n/a'
        in page
    )
    assert f'data-kpi="orders" data-value="{float(len(june))}"' in page


def test_the_semantic_layer_time_spine_reaches_back_to_the_first_order(history: History) -> None:
    [(first,)] = history.con.execute("select min(date_day) from marts.metricflow_time_spine").fetchall()
    assert first <= FIRST_DAY


@pytest.mark.parametrize(
    ("latest_event_hours_ago", "passed"),
    [(None, True), (1, True), (40, False)],  # never tracked; fresh; older than the default 36 h
)
def test_events_fresh_passes_for_a_shop_that_never_sent_an_event(latest_event_hours_ago, passed: bool) -> None:
    from orchestration.checks import events_freshness

    now = dt.datetime(2026, 3, 2, 12)
    with duckdb.connect() as con:
        con.execute("create schema marts; create table marts.fct_events (event_at timestamp)")
        if latest_event_hours_ago is not None:
            con.execute("insert into marts.fct_events values (?)", [now - dt.timedelta(hours=latest_event_hours_ago)])
        result = events_freshness(con, now, max_hours=36)
    assert result.passed is passed
