"""Threads (issue 15): the stories of one running event over several days, linked as a timeline.

A site of notes about one bombing (the attack, the death toll told by two outlets, the raid, the inquiry) and
stories that share its place, its region, its theme or its people without being about it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from helpers import clean_tree, invoke, published_tree, require_axe, require_vnu, sitecheck
from previewing import get, serving_here

from digest.models import Article, ArticleDate, Classification, ClassifiedStory, DateSource, EntityRef, Story
from digest.preview.serve import Previewer
from digest.settings.threads import ThreadsConfig
from digest.site import threads

NOTES = {
    "01-attack.md": ("Bomb blast at Quetta market kills nine", "2025-03-10", "Frontier Post", """\
QUETTA: A bomb exploded in the crowded Kandahari Bazaar in Quetta on Monday evening, killing nine people and wounding more than forty, police said.

Inspector General of Police Moazzam Jah Ansari said the device had been planted on a motorcycle parked outside a row of shops. The
Balochistan Liberation Army claimed the attack.

Chief Minister Sarfraz Bugti condemned the bombing and announced compensation for the families of the dead."""),
    "02-toll-a.md": ("Quetta market bombing death toll rises to 23", "2025-03-11", "Frontier Post", """\
QUETTA: The death toll from Monday's bombing in the Kandahari Bazaar rose to 23 on Tuesday as more of the wounded died in hospital,
officials at the Civil Hospital said.

Chief Minister Sarfraz Bugti visited the wounded and said the attackers would be brought to justice. Traders kept their shops in the bazaar
shut in mourning."""),
    "02-toll-b.md": ("Toll from Quetta bazaar bomb climbs to 23", "2025-03-11", "Balochistan Daily", """\
QUETTA: Twenty-three people have now died after Monday's bomb attack in the Kandahari Bazaar, doctors at the Civil Hospital said on Tuesday,
as the wounded succumbed to their injuries.

Chief Minister Sarfraz Bugti met the wounded in hospital and vowed that the bombers would be brought to justice. Shops in the bazaar stayed shut."""),
    "03-raid.md": ("Police raid hideout of Quetta bombing suspects, arrest four", "2025-03-15", "Frontier Post", """\
QUETTA: Counter-terrorism police raided a hideout on the outskirts of Quetta on Saturday and arrested four men suspected of planning the
Kandahari Bazaar bombing, officials said.

Inspector General of Police Moazzam Jah Ansari said explosives and a motorcycle registration linked to the bomb were found. He said the cell
belonged to the Balochistan Liberation Army."""),
    "04-inquiry.md": ("Judicial inquiry into Quetta bazaar bombing opens", "2025-03-21", "Balochistan Daily", """\
QUETTA: A judicial inquiry into the Kandahari Bazaar bombing, in which 23 people died, opened in Quetta on Friday, led by Justice Naeem Akhtar Afghan.

Chief Minister Sarfraz Bugti ordered the inquiry after traders said police had ignored warnings of an attack on the bazaar. The inquiry will
report within thirty days."""),
    # The same city, the same days, another theme.
    "05-cricket.md": ("Quetta Gladiators win thriller against Lahore", "2025-03-12", "Sports Desk", """\
QUETTA: Quetta Gladiators beat Lahore Qalandars by three wickets in the Pakistan Super League on Wednesday, chasing 180 with a ball to spare.

Captain Saud Shakeel scored 72 and said the crowd in Quetta had carried the team home."""),
    # The same city, theme and week, the same police: another event.
    "06-drugs.md": ("Quetta police seize heroin haul at checkpoint", "2025-03-14", "Frontier Post", """\
QUETTA: Police seized 200 kilograms of heroin from a truck at a checkpoint outside Quetta on Friday and arrested its driver, officials said.

The Anti-Narcotics Force said the drugs had been smuggled across the border from Afghanistan and were bound for the port of Gwadar."""),
    # Another attack in the same country and week, told in the same words.
    "07-bannu.md": ("Gunmen attack police post in Bannu, killing three", "2025-03-12", "Frontier Post", """\
BANNU: Gunmen attacked a police post in Bannu on Wednesday night, killing three policemen, officials said.

Inspector General of Police Zulfiqar Hameed said the attackers fled into the hills. Tehrik-e-Taliban Pakistan claimed the attack."""),
    # The chief minister and the province again, in another theme.
    "08-imf.md": ("Pakistan and IMF agree on loan review", "2025-03-13", "Business Recorder", """\
ISLAMABAD: Pakistan and the International Monetary Fund reached a staff-level agreement on the first review of its loan on Thursday, the
finance ministry said.

Finance Minister Muhammad Aurangzeb said the deal would release about one billion dollars. Chief Minister Sarfraz Bugti welcomed the funds
for Balochistan."""),
}
EVENT = ["bomb-blast-at-quetta-market-kills-nine", "quetta-market-bombing-death-toll-rises-to-23",
         "police-raid-hideout-of-quetta-bombing-suspects-arrest-four", "judicial-inquiry-into-quetta-bazaar-bombing-opens"]
OTHERS = ["quetta-gladiators-win-thriller-against-lahore", "quetta-police-seize-heroin-haul-at-checkpoint",
          "gunmen-attack-police-post-in-bannu-killing-three", "pakistan-and-imf-agree-on-loan-review"]
THREAD = f"threads/{EVENT[0]}/index.html"
CHARGED = ("Four charged over Quetta bazaar bombing", "2025-03-30", "Frontier Post", """\
QUETTA: An anti-terrorism court in Quetta charged four men on Sunday over the Kandahari Bazaar bombing, in which 23 people died.

Prosecutors said the men belonged to the Balochistan Liberation Army cell that police raided after the bombing. Chief Minister Sarfraz Bugti
said justice had begun.""")


def write_note(site: Path, name: str, title: str, date: str, outlet: str, body: str) -> Path:
    """A Markdown note; the body's paragraphs are wrapped here for reading, and written one line each."""
    path = site / "content" / name
    body = "\n\n".join(" ".join(paragraph.split("\n")) for paragraph in body.split("\n\n"))
    path.write_text(f"---\ntitle: {title}\ndate: {date}\noutlet: {outlet}\n---\n{body}\n", encoding="utf-8")
    return path


def event_site(root: Path, notes: dict = NOTES, settings: str = "") -> Path:
    (root / "content").mkdir(parents=True)
    (root / "digest.yaml").write_text(f"site:\n  title: Quetta Desk\n  base_url: https://news.example.com/desk/\n{settings}", encoding="utf-8")
    for name, note in notes.items():
        write_note(root, name, *note)
    return root


def links(html: str, inside: str) -> list[str]:
    """The story slugs linked from the first element whose class is ``inside``, in order."""
    part = html.split(f'class="{inside}"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'href="(?:\.\./)*stories/([^/"]+)/index\.html"', part)


def page(site: Path, path: str) -> str:
    return (site / "output" / path).read_text(encoding="utf-8")


def test_the_stories_of_one_event_become_one_thread_in_date_order(tmp_path):
    site = event_site(tmp_path / "site")
    invoke("build", "--no-search", cwd=site, check=True)

    timeline = page(site, THREAD)
    assert links(timeline, "timeline") == EVENT  # exactly the event's stories, oldest first: none of the others
    assert "<h1>Quetta bombing</h1>" in timeline
    assert "Frontier Post, Balochistan Daily · 2 sources" in timeline  # the toll is one story of two versions
    assert '<time datetime="2025-03-15"' in timeline
    assert "arrested four men suspected of planning the Kandahari Bazaar bombing, officials said.</p>" in timeline  # its first sentence

    for slug in EVENT:  # each story of the event links to the timeline and to the others
        story = page(site, f"stories/{slug}/index.html")
        assert f'href="../../{THREAD}">Quetta bombing</a>' in story
        assert links(story, "thread-steps") == [other for other in EVENT if other != slug]
        assert '<span aria-current="page">' in story.split('class="thread-steps"', 1)[1]
    for slug in OTHERS:
        assert "thread-box" not in page(site, f"stories/{slug}/index.html")

    listing = page(site, "threads/index.html")
    assert f'href="../{THREAD}">Quetta bombing</a>' in listing and "4 stories, 10–21 March 2025" in listing
    assert 'href="threads/index.html">Timelines</a>' in page(site, "index.html")  # in the navigation
    sitemap = page(site, "sitemap.xml")
    assert f"<loc>https://news.example.com/desk/threads/{EVENT[0]}/</loc>" in sitemap
    assert "<loc>https://news.example.com/desk/threads/</loc>" in sitemap
    assert invoke("check", cwd=site).returncode == 0  # every link of the new pages leads somewhere


def test_without_a_running_event_there_are_no_timelines(tmp_path):
    unrelated = event_site(tmp_path / "unrelated", {name: NOTES[name] for name in ("01-attack.md", "05-cricket.md", "06-drugs.md", "08-imf.md")})
    switched_off = event_site(tmp_path / "off", settings="threads:\n  enabled: false\n")
    for site in (unrelated, switched_off):
        invoke("build", "--no-search", cwd=site, check=True)
        assert not (site / "output" / "threads").exists()
        assert "Timelines" not in page(site, "index.html")
        assert "thread-box" not in page(site, f"stories/{EVENT[0]}/index.html")


def test_a_thread_keeps_its_address_as_the_event_goes_on(tmp_path):
    site = event_site(tmp_path / "site")
    invoke("build", "--no-search", cwd=site, check=True)
    first = page(site, THREAD)
    invoke("build", "--no-search", cwd=site, check=True)
    assert page(site, THREAD) == first  # the same content, the same page

    write_note(site, "09-charged.md", *CHARGED)  # nine days after the inquiry: the thread grows, its address stays
    invoke("build", "--no-search", cwd=site, check=True)
    assert links(page(site, THREAD), "timeline") == EVENT + ["four-charged-over-quetta-bazaar-bombing"]
    assert sorted(p.name for p in (site / "output" / "threads").iterdir() if p.is_dir()) == [EVENT[0]]


def test_a_stricter_threshold_and_a_shorter_window_split_the_thread(tmp_path):
    strict = event_site(tmp_path / "strict", settings="threads:\n  threshold: 0.9\n")
    invoke("build", "--no-search", cwd=strict, check=True)
    assert not (strict / "output" / "threads").exists()

    short = event_site(tmp_path / "short", settings="threads:\n  window_days: 5\n")  # the inquiry is six days after the raid
    invoke("build", "--no-search", cwd=short, check=True)
    assert links(page(short, THREAD), "timeline") == EVENT[:3]


def test_a_bad_threads_setting_is_an_error_with_its_line(tmp_path):
    site = event_site(tmp_path / "site", settings="threads:\n  threshold: high\n")
    result = invoke("build", cwd=site)
    assert result.returncode == 2 and "digest.yaml:5" in result.stderr and "threshold" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_preview_follows_edits_to_a_thread(tmp_path):
    site = event_site(tmp_path / "site")
    previewer = Previewer(None, site)
    before = previewer.build()
    assert before.failure is None and THREAD in before.files

    def same_as_a_fresh_build(outcome) -> None:
        assert outcome.failure is None
        fresh = Previewer(None, site).build()
        assert sorted(p for p in outcome.files.keys() | fresh.files.keys() if outcome.files.get(p) != fresh.files.get(p)) == []

    raid = site / "content" / "03-raid.md"  # a new headline: the timeline and every story page of the thread show it
    raid.write_text(raid.read_text(encoding="utf-8").replace("arrest four", "detain four"), encoding="utf-8")
    edited = previewer.build()
    same_as_a_fresh_build(edited)
    assert b"detain four" in edited.files[THREAD] and b"detain four" in edited.files[f"stories/{EVENT[0]}/index.html"]

    write_note(site, "04-inquiry.md", "Quetta traders reopen bazaar shops", "2025-03-21", "Balochistan Daily",
               "QUETTA: Shopkeepers reopened for business on Friday with a sale of spring fabrics, the traders' union said.")
    left = previewer.build()  # the inquiry is now another story, about trade: it leaves the thread
    same_as_a_fresh_build(left)
    assert b"Judicial inquiry" not in left.files[THREAD] and len(links(left.files[THREAD].decode(), "timeline")) == 3
    assert b"thread-box" not in left.files["stories/quetta-traders-reopen-bazaar-shops/index.html"]


def test_an_edit_that_moves_no_link_keeps_the_threads_found_and_equals_a_clean_build(tmp_path, monkeypatch):
    # A closing paragraph names nobody new and is far from the lead: the thread facts, headline, entities and
    # dates are the last build's, so the threads are the last ones with the edited story in them, not found again.
    site = event_site(tmp_path / "site")
    invoke("build", "--no-search", cwd=site, check=True)
    found: list[int] = []
    find_threads = threads.find_threads
    monkeypatch.setattr(threads, "find_threads", lambda items, *rest: found.append(len(items)) or find_threads(items, *rest))
    toll = site / "content" / "02-toll-a.md"
    toll.write_text(toll.read_text(encoding="utf-8") + "\nThe bazaar's traders' union said the market would reopen next week.\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=site, check=True)  # a new process's memo: read from the cache
    assert found == []
    assert b"reopen next week" in (site / "output" / "stories" / EVENT[1] / "index.html").read_bytes()
    monkeypatch.undo()
    monkeypatch.chdir(site)
    assert published_tree(site / "output") == clean_tree(site)


def test_digest_serve_shows_a_thread_as_it_grows(tmp_path):
    site = event_site(tmp_path / "site")
    with serving_here(site) as served:
        status, body, _ = get(served.url + THREAD)
        assert status == 200 and links(body.decode(), "timeline") == EVENT
        after = served.status()
        write_note(site, "09-charged.md", *CHARGED)
        served.wait_for_rebuild(after, "the build with the charges")
        status, body, _ = get(served.url + THREAD)
        assert status == 200 and links(body.decode(), "timeline") == EVENT + ["four-charged-over-quetta-bazaar-bombing"]
        status, body, _ = get(served.url + f"stories/{EVENT[0]}/index.html")
        assert b"Four charged over Quetta bazaar bombing" in body


def test_linking_compares_only_nearby_stories_that_share_a_rare_name():
    """2,000 stories in one city, in 50 events of 40 stories each (each with its own site and envoy), one a day: the
    city (named by all) proposes no pair, and within each event's names each story is paired with its nearest
    neighbours only."""
    def item(n: int) -> ClassifiedStory:
        event = n % 50
        date = ArticleDate(dt.date(2025, 1, 1) + dt.timedelta(days=n // 50), DateSource.FRONT_MATTER)
        article = Article(f"s{n}", f"s{n}.md", 1, "note", f"Story {n} about event {event}", (), date=date)
        story = Story(f"s{n}", article.headline, (article,), summary=(f"Something happened in Quetta at site {event}.",))
        refs = (EntityRef("quetta", "Quetta", "place"), EntityRef(f"site-{event}", f"Site {event}", "place"),
                EntityRef(f"envoy-{event}", f"Envoy {event}", "person"))
        return ClassifiedStory(story, Classification(region="South Asia", theme="security", entities=refs))

    items = [item(n) for n in range(2000)]
    facts = [threads._facts_of(i, {}) for i in items]
    config = ThreadsConfig(window_days=60)
    pairs = threads._candidates(facts, config)
    assert 0 < len(pairs) <= len(items) * threads.NEIGHBOURS  # not the 2 million pairs of 2,000 stories: the site and
    # the envoy of an event propose the same pairs
    assert all(a % 50 == b % 50 for a, b in pairs)  # proposed by the event's own name only
    found = threads.find_threads(items, config, facts)
    assert len(found) == 50 and all(len(t.stories) == 40 for t in found)
    assert all(len({int(i.slug[1:]) % 50 for i in t.stories}) == 1 for t in found)  # each thread one event


@pytest.fixture(scope="module")
def built_event_site(tmp_path_factory) -> Path:
    """The event site, built once for the module's checks of its pages. Read only."""
    site = event_site(tmp_path_factory.mktemp("threads") / "site")
    invoke("build", "--no-search", cwd=site, check=True)
    return site


@pytest.fixture(scope="module")
def served_event_site(built_event_site):
    """built_event_site's output served over http under /desk/, its base path; yields its URL."""
    with sitecheck.serve(built_event_site / "output", "/desk/") as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_timeline_and_thread_box_pass_nu_and_axe(tmp_path, built_event_site, served_event_site, axe_in_both_schemes, scheme):
    site = built_event_site
    nu = None
    if scheme == "light":
        require_vnu()
        pages = tmp_path / "pages"
        for path in (THREAD, "threads/index.html", f"stories/{EVENT[2]}/index.html"):
            (pages / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(site / "output" / path, pages / path)
        nu = sitecheck.VnuRun(pages)  # Java checks the pages while the browser does
    try:
        require_axe()
        for path in (THREAD, "threads/index.html", f"stories/{EVENT[2]}/index.html"):
            violations = axe_in_both_schemes(served_event_site + path.removesuffix("index.html"))[scheme]  # one load, both schemes
            assert not violations, f"axe-core on /{path} ({scheme}):\n" + "\n".join(violations)
        if nu is not None:
            report = nu.report()
            assert report.files == 3 and not report.errors, "\n".join(report.errors)
    finally:
        if nu is not None:
            nu.stop()
