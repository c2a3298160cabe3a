"""`digest list --articles --json` on the shipped content: the issue's table of the 8 articles, field by field."""

from __future__ import annotations

import pytest
from helpers import invoke

LEAD_000, LEAD_002 = "000_c15c41152a26c795", "002_ea217e3b9676bec5"

# The table of issue 2, "What it must show". None where the cell is empty. An empty date
# cell means: no date from a passing mention; undated, or approximate and marked so.
TABLE = [
    (LEAD_000, None, "Pakistan urges global social media", None, None, None, None),
    (f"{LEAD_000}#1", "Dubai Eye", "Pakistan says deal made with US", None, None, None, None),
    (f"{LEAD_000}#2", "Campaign ME", "The Spin: When mistakes", None, None, None, None),
    (f"{LEAD_000}#3", "Arabian Post", "PM Narendra Modi Has Skillfully", "Nitya Chakraborty", "IPA Service", None, None),
    (LEAD_002, None, "Pakistan urges global social media", None, "AP", "ISLAMABAD", "2025-07-25"),
    (f"{LEAD_002}#1", "The Star", "Sabah polls: PH has a delicate", None, None, "KOTA KINABALU", "2025-07-28"),
    (f"{LEAD_002}#2", "Borneo Post", "Salleh: GRS' polls partnership", None, None, "KOTA KINABALU", "2025-07-28"),
    (f"{LEAD_002}#3", "New Straits Times", "Liew: PN must offer vision", None, None, "KUALA LUMPUR", None),
]

FIELDS = {"id", "story", "source", "outlet", "headline", "author", "credit", "dateline", "date", "date_source", "paragraphs"}


@pytest.fixture(scope="module")
def records(shipped_listing) -> dict[str, dict]:
    _, _, data = shipped_listing
    assert isinstance(data, list)
    return {record["id"]: record for record in data}


def test_every_shipped_article_is_listed_once(records):
    assert sorted(records) == sorted(row[0] for row in TABLE)


@pytest.mark.parametrize(
    "article_id, outlet, headline, author, credit, dateline, date",
    TABLE,
    ids=[row[0].split("_")[0] + row[0].partition("#")[1] + row[0].partition("#")[2] for row in TABLE],
)
def test_article_fields_match_the_issue_table(records, article_id, outlet, headline, author, credit, dateline, date):
    record = records[article_id]
    assert FIELDS <= set(record)
    assert record["outlet"] == outlet
    assert record["headline"].startswith(headline)
    assert record["author"] == author
    assert record["credit"] == credit
    assert record["dateline"] == dateline
    if date is not None:
        assert record["date"] == date
        assert record["date_source"] is not None
    else:
        # Never a date from a passing mention ("the July 26 gathering"): undated, or approximate and marked so.
        assert record["date"] is None or record["date_approximate"] is True
    assert record["source"] == article_id.split("#")[0] + ".txt"
    assert record["story"]
    assert record["paragraphs"] >= 1


def test_date_provenance_is_honest(records):
    assert records[LEAD_002]["date_source"] == "dateline+weekday"
    assert records[f"{LEAD_002}#2"]["date_source"] == "dateline+page"  # "(July 28)", year from the lead's dateline
    star = records[f"{LEAD_002}#1"]
    assert star["date_source"] == "relative-age+datelines" and star["date_approximate"] is True
    nst = records[f"{LEAD_002}#3"]  # 10 hours ago may straddle midnight: the likelier day, approximate
    assert (nst["date"], nst["date_source"], nst["date_approximate"]) == ("2025-07-28", "relative-age+datelines", True)
    # Page 000 has no capture time and no dateline: approximate dates, counted back from its file's time.
    page000 = [records[i] for i in records if i.startswith(LEAD_000)]
    assert {r["date_source"] for r in page000} == {"file-mtime", "relative-age+file-time"}
    assert all(r["date_approximate"] for r in page000)


def test_related_bodies_come_back_as_several_paragraphs(records):
    for article_id, record in records.items():
        if "#" in article_id:
            assert record["paragraphs"] >= 5, article_id


def test_lead_keeps_one_paragraph_per_line(records):
    assert records[LEAD_000]["paragraphs"] == 18
    assert records[LEAD_002]["paragraphs"] == 9


def test_plain_listing_names_every_article(site):
    result = invoke("list", "--articles", cwd=site, check=True)
    assert "Borneo Post" in result.stdout and f"[{LEAD_002}#2]" in result.stdout
    assert "2025-07-25" in result.stdout
