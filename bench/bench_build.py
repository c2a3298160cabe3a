"""Whole-pipeline benchmark: gather() stage by stage, and ``digest build --no-search`` cold and warm.

    /work/venv/bin/python bench/bench_build.py                    # N = shipped content, 1,000 and 10,000
    /work/venv/bin/python bench/bench_build.py 2000 20000         # other sizes
    /work/venv/bin/python bench/bench_build.py --serial 10000     # classify in one process (no worker pool)
    /work/venv/bin/python bench/bench_build.py --profile 1000     # cProfile of classify, top 25 functions

The content is a generated site of N articles that reads like world news (bench/generate.py, the merge
benchmark's generator, makes made-up words: fine for merging, useless for a classifier that looks for
countries, cities, titled people and acronyms). Here each *event* has a theme (security, trade,
elections, a storm, a match, a chip maker's results, ...), a country, a city, two or three people with
their titles ("Interior Minister Maria Okafor", "Chief Minister Datuk Seri ..."), organisations
introduced with their acronym ("the National Reform Front (NRF)") and real names from the shipped
taxonomy (Donald Trump, the IMF, Pakatan Harapan). Each event is told by 1..4 outlets, about 700
words each, re-worded in part. About 60% of the articles sit in captured ``.txt`` pages (a lead
article, site chrome, then 2..4 related articles flattened to one line, as aggregators show them),
the rest are ``.md`` notes with front matter.

Each measurement runs in a fresh process, so imports, the taxonomy build and peak memory are its own:

- ``gather``: load, parse (no parse cache), merge, classify: wall time, and process CPU time of the
  classify stage (the machine may be shared: CPU time is what the code costs);
- ``build cold``: ``digest build --no-search`` with no output/ (no parse cache): the build's own time
  as ``-v`` prints it, and the command's wall time (start-up and imports included);
- ``build warm``: the same again, everything in the parse cache.

Peak memory is the largest resident set of the measured process (worker processes are smaller).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {10_000: 5.0}  # gather() seconds: "a few seconds" on a 2-core machine

# ---------------------------------------------------------------- a world to write about

# country, demonym, cities (all in digest/data/places.tsv or pycountry's subdivisions, or not: some are unknown)
COUNTRIES = [
    ("Pakistan", "Pakistani", ["Islamabad", "Karachi", "Lahore", "Quetta", "Peshawar"]),
    ("India", "Indian", ["New Delhi", "Mumbai", "Kolkata", "Srinagar", "Chennai"]),
    ("Bangladesh", "Bangladeshi", ["Dhaka", "Chittagong"]),
    ("Sri Lanka", "Sri Lankan", ["Colombo", "Kandy"]),
    ("Malaysia", "Malaysian", ["Kuala Lumpur", "Kota Kinabalu", "Penang", "Johor Bahru"]),
    ("Indonesia", "Indonesian", ["Jakarta", "Surabaya", "Bali"]),
    ("Philippines", "Filipino", ["Manila", "Cebu", "Davao"]),
    ("Thailand", "Thai", ["Bangkok", "Chiang Mai"]),
    ("Vietnam", "Vietnamese", ["Hanoi", "Ho Chi Minh City"]),
    ("China", "Chinese", ["Beijing", "Shanghai", "Shenzhen"]),
    ("Japan", "Japanese", ["Tokyo", "Osaka"]),
    ("South Korea", "South Korean", ["Seoul", "Busan"]),
    ("Australia", "Australian", ["Sydney", "Melbourne", "Canberra", "Perth"]),
    ("New Zealand", "New Zealand", ["Wellington", "Auckland"]),
    ("United States", "American", ["Washington", "New York", "Los Angeles", "Chicago", "Houston"]),
    ("Canada", "Canadian", ["Ottawa", "Toronto", "Vancouver"]),
    ("Mexico", "Mexican", ["Mexico City", "Monterrey"]),
    ("Brazil", "Brazilian", ["Brasilia", "Sao Paulo", "Rio de Janeiro"]),
    ("Argentina", "Argentine", ["Buenos Aires"]),
    ("Jamaica", "Jamaican", ["Kingston"]),
    ("Haiti", "Haitian", ["Port-au-Prince"]),
    ("United Kingdom", "British", ["London", "Manchester", "Edinburgh"]),
    ("France", "French", ["Paris", "Marseille", "Lyon"]),
    ("Germany", "German", ["Berlin", "Munich", "Frankfurt", "Hamburg"]),
    ("Italy", "Italian", ["Rome", "Milan"]),
    ("Spain", "Spanish", ["Madrid", "Barcelona"]),
    ("Poland", "Polish", ["Warsaw", "Krakow"]),
    ("Ukraine", "Ukrainian", ["Kyiv", "Kharkiv", "Odesa"]),
    ("Russia", "Russian", ["Moscow", "St Petersburg"]),
    ("Turkey", "Turkish", ["Ankara", "Istanbul"]),
    ("Iran", "Iranian", ["Tehran"]),
    ("Israel", "Israeli", ["Jerusalem", "Tel Aviv"]),
    ("Egypt", "Egyptian", ["Cairo", "Alexandria"]),
    ("Saudi Arabia", "Saudi", ["Riyadh", "Jeddah"]),
    ("Nigeria", "Nigerian", ["Abuja", "Lagos", "Kano"]),
    ("Kenya", "Kenyan", ["Nairobi", "Mombasa"]),
    ("South Africa", "South African", ["Johannesburg", "Cape Town", "Pretoria"]),
    ("Ethiopia", "Ethiopian", ["Addis Ababa"]),
]
FIRST = ("Maria", "Ahmed", "Li", "Priya", "James", "Fatima", "Olu", "Hannah", "Kenji", "Siti", "Carlos", "Anna", "Omar",
         "Grace", "Ravi", "Elena", "Tomas", "Aisha", "Daniel", "Mei", "Hassan", "Sofia", "Arjun", "Nadia", "Peter", "Yuki",
         "Lucas", "Zainab", "Ibrahim", "Chloe", "Mateo", "Amara", "Rashid", "Ingrid", "Wei", "Noor", "Samuel", "Leila")
LAST = ("Okafor", "Rahman", "Chen", "Sharma", "Walker", "Hussain", "Adeyemi", "Fischer", "Tanaka", "Abdullah", "Silva",
        "Kowalski", "Farouk", "Mensah", "Iyer", "Petrova", "Novak", "Bello", "Cohen", "Lim", "Qureshi", "Rossi", "Menon",
        "Haddad", "Larsen", "Sato", "Moreau", "Yusuf", "Karim", "Dubois", "Herrera", "Nwosu", "Siddiqui", "Berg", "Zhang",
        "Aziz", "Mwangi", "Lindqvist", "Ortega", "Wong", "Khalid", "Baker", "Ndlovu", "Ismail", "Gupta", "Brennan")
TITLES = ("Prime Minister", "Foreign Minister", "Interior Minister", "Finance Minister", "Trade Minister", "Health Minister",
          "Deputy Interior Minister", "Minister of State for Law and Justice", "President", "Opposition Leader",
          "Chief Minister Datuk Seri", "Senator", "Governor", "Mayor", "army spokesman", "central bank governor",
          "Defence Minister", "Environment Minister", "coach", "chief executive")
ORG_WORDS = (("National", "Reform", "Front"), ("United", "Workers", "Party"), ("People's", "Justice", "Alliance"),
             ("Coastal", "Fishermen", "Union"), ("Democratic", "Renewal", "Movement"), ("Federation", "of", "Rice", "Exporters"),
             ("Liberation", "Army", "of", "the", "South"), ("Green", "Future", "Party"), ("Council", "of", "Independent", "Traders"),
             ("Islamic", "Unity", "Front"), ("Progressive", "Farmers", "League"), ("Association", "of", "Chip", "Makers"))
KNOWN = ("Donald Trump", "Narendra Modi", "Anwar Ibrahim", "Xi Jinping", "Vladimir Putin", "Keir Starmer", "Emmanuel Macron",
         "the IMF", "the World Bank", "the United Nations", "Nato", "Asean", "the WHO", "Pakatan Harapan", "Barisan Nasional",
         "the Pakistani Taliban", "Tehrik-e-Taliban Pakistan (TTP)", "the Balochistan Liberation Army", "Facebook", "Google")
OUTLETS = ("The Star", "Dawn", "Reuters", "AP", "The Hindu", "Bernama", "Al Jazeera", "BBC News", "The Guardian",
           "Nikkei Asia", "Daily Sabah", "The Nation", "Malay Mail", "Gulf News", "ABC News", "France 24", "DW", "Kyodo")

THEMES = {
    "security": (["{C} says militants killed {n} soldiers near {city}", "Gunmen attack checkpoint in {city}, {n} dead",
                  "{C} army launches operation against {ORG} fighters"],
                 ["Militants attacked a security checkpoint on the outskirts of {city}, killing {n} soldiers, the army said.",
                  "{P} said the attack had been planned by {ORG} commanders operating from across the border.",
                  "Security forces launched a counter-terrorism operation and said they had killed several insurgents.",
                  "The banned group claimed responsibility in a statement posted on social media.",
                  "Police sealed off the area and residents reported hearing explosions through the night.",
                  "The {D} government has blamed the rise in violence on groups sheltering across the frontier."]),
    "trade": (["{C} and {C2} agree trade deal cutting tariffs", "{C} exports rise {n}% as {C2} demand recovers",
               "Tariff talks between {C} and {C2} stall over steel"],
              ["Negotiators from {C} and {C2} agreed to cut tariffs on steel, textiles and farm goods, officials said.",
               "{P} said the trade deal would lift exports by {n} percent within two years.",
               "Economists said the agreement could ease pressure on the currency and the trade deficit.",
               "Importers welcomed the lower duties, while manufacturers warned of cheaper competition.",
               "The central bank kept interest rates unchanged, citing inflation and weak investment.",
               "Shares of exporters rose on the stock exchange after the announcement in {city}."]),
    "politics": (["{ORG} wins by-election in {city} as coalition holds", "{P} faces no-confidence vote in parliament",
                  "Coalition talks in {C} drag on ahead of state polls"],
                 ["The {ORG} said it would contest the state election alongside its coalition partners.",
                  "{P} told reporters in {city} that the unity government would serve its full term.",
                  "Opposition lawmakers tabled a motion of no confidence in parliament on Tuesday.",
                  "Party leaders met late into the night to settle the division of seats between them.",
                  "Voters will go to the polls in {n} constituencies, the election commission said.",
                  "Analysts said the campaign would test the ruling coalition's support among young voters."]),
    "diplomacy": (["{C} foreign minister visits {C2} for talks", "{C} and {C2} restore diplomatic ties",
                   "Summit in {city} ends with joint statement"],
                  ["{P} met his {D2} counterpart in {city} for talks on regional security and trade.",
                   "The two sides signed a memorandum of understanding and agreed to reopen embassies.",
                   "The ministry said the visit would deepen bilateral ties and cooperation at the United Nations.",
                   "Diplomats said the summit's joint statement avoided the most contentious issues.",
                   "The envoy is expected to travel on to {C2} later this week."]),
    "disaster": (["Floods kill {n} in {C} as rivers burst banks", "Earthquake of magnitude 6.{n} strikes near {city}",
                  "Hurricane makes landfall in {C}, thousands evacuated"],
                 ["Heavy monsoon rain caused flooding across {city}, killing at least {n} people, officials said.",
                  "Rescue teams searched for survivors under collapsed buildings as aftershocks shook the region.",
                  "The disaster management agency said {n} thousand people had been evacuated to relief camps.",
                  "Roads were cut off and power was down in several districts after the storm.",
                  "{P} said the government would release emergency funds for the victims."]),
    "sport": (["{C} beat {C2} to win cricket final in {city}", "{P} named captain ahead of World Cup",
               "{C} stun {C2} in final-minute thriller"],
              ["{C} beat {C2} by {n} runs in the final in front of a full stadium in {city}.",
               "The captain praised the bowlers after the team defended a modest total.",
               "{P} said the squad would rest several players before the tournament.",
               "Fans celebrated in the streets after the match ended late on Sunday.",
               "The coach said the win was the best moment of his career."]),
    "technology": (["Chip maker's profit jumps {n}% on AI demand", "{C} regulator fines tech firm over data breach",
                    "{C} launches national AI strategy"],
                   ["The chip maker reported a {n}% rise in quarterly profit, driven by demand for artificial intelligence servers.",
                    "{P} said semiconductor exports would remain strong despite export controls.",
                    "The regulator said the data breach exposed the personal information of millions of users.",
                    "Analysts expect the company to expand its factories in {city} next year.",
                    "Investors cheered the results and the shares rose in early trading."]),
    "health": (["{C} reports rise in dengue cases", "Hospitals in {city} stretched as outbreak spreads",
                "WHO warns of measles resurgence in {C}"],
               ["Health officials reported {n} new cases of dengue in {city} over the past week.",
                "Hospitals said wards were full and appealed for more doctors and nurses.",
                "{P} urged parents to have their children vaccinated against measles.",
                "The outbreak has strained a health system already short of medicines."]),
    "environment": (["{C} pledges to cut emissions by {n}% by 2035", "Smog chokes {city} as pollution soars",
                     "Climate talks in {city} end without deal on coal"],
                    ["{P} said the country would cut carbon emissions and phase out coal power plants.",
                     "Air pollution in {city} reached hazardous levels, forcing schools to close.",
                     "Environmental groups said the climate pledge fell short of what scientists say is needed.",
                     "Deforestation and rising temperatures threaten the region's biodiversity."]),
    "media": (["Newspaper apologises for errors in report on {P}", "{C} journalists protest new press law",
               "Broadcaster fined over coverage of {city} protests"],
              ["The newspaper published a correction and an apology to its readers on its front page.",
               "Journalists said the press freedom law would let the government shut down news outlets.",
               "The editor said the reporter had misquoted a source in the original article.",
               "The broadcaster said it would appeal the regulator's decision."]),
}
FILLER = ["\"We will not allow this to continue,\" {P} said at a news conference in {city} on {day}.",
          "The statement came a day after {ORG_FULL} accused the authorities of ignoring its demands.",
          "{P2}, who spoke to reporters after the meeting, said talks with {K} would continue.",
          "According to officials in {city}, the decision was taken after weeks of consultations.",
          "Critics said the move would do little to address the concerns of ordinary people in {C}.",
          "{D} media reported that the cabinet would discuss the matter on {day}.",
          "The {ORG_SHORT} said in a statement that it had not been consulted.",
          "It was not immediately clear how {C2} would respond, though its embassy in {city} declined to comment.",
          "Earlier this year, {K} raised similar concerns during a visit to {C2}.",
          "{P} added that the government remained committed to working with {K}.",
          "Residents of {city} said prices of food and fuel had risen sharply in recent months.",
          "The issue is expected to feature in debates in parliament next week.",
          "Observers noted that relations between {C} and {C2} had been strained since last year.",
          "\"This is a matter for the people of {C} to decide,\" {P2} said.",
          "The {ORG_SHORT} leadership is due to meet on {day} to decide its next steps."]
SUBJECTS = ("Officials", "Analysts", "Residents", "Opposition politicians", "Business groups", "Diplomats", "Local media",
            "Witnesses", "Aid agencies", "Lawmakers", "Community leaders", "Economists", "Police officers", "Students")
VERBS = ("said", "warned", "noted", "argued", "told reporters", "insisted", "pointed out", "acknowledged", "complained")
CLAUSES = ("the situation in {city} remained tense", "the government had few options left", "the measures would take months to work",
           "{C} could not afford another crisis", "the decision reflected pressure from {C2}", "previous efforts had failed",
           "the cost of living was the main concern of voters", "more talks were planned for {day}",
           "{K} was watching the situation closely", "the {ORG_SHORT} had lost support in recent weeks",
           "the figures were likely to be revised", "the economy of the region depended on stability",
           "{n} people had been affected so far", "the plan had been drawn up in {city} last month",
           "no one had been held accountable", "the numbers did not add up", "schools and markets stayed open")
TAILS = ("", " on {day}", ", adding that more details would follow", " in interviews", ", according to a statement",
         " in {city}", ", citing people familiar with the matter")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
START = dt.date(2025, 1, 1)


class Newsroom:
    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        self.people = []  # (title, name, country index)
        for _ in range(3000):
            self.people.append((self.rng.choice(TITLES), f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", self.rng.randrange(len(COUNTRIES))))
        self.orgs = []  # (long form, acronym)
        for words in ORG_WORDS:
            for country, demonym, _ in COUNTRIES[:20]:
                long_form = " ".join((demonym, *words)) if self.rng.random() < 0.5 else " ".join((*words, "of", country))
                self.orgs.append((long_form, "".join(w[0] for w in long_form.split() if w[0].isupper())))

    def event(self, number: int) -> dict:
        rng = self.rng
        theme = rng.choice(list(THEMES))
        c = rng.randrange(len(COUNTRIES))
        c2 = rng.choice([i for i in range(len(COUNTRIES)) if i != c])
        country, demonym, cities = COUNTRIES[c]
        people = rng.sample(self.people, 3)
        org = rng.choice(self.orgs)
        slots = {"C": country, "D": demonym, "C2": COUNTRIES[c2][0], "D2": COUNTRIES[c2][1], "city": rng.choice(cities),
                 "n": str(rng.randint(2, 90)), "ORG": org[0], "ORG_FULL": f"the {org[0]} ({org[1]})", "ORG_SHORT": org[1],
                 "K": rng.choice(KNOWN), "day": rng.choice(DAYS)}
        headlines, lines = THEMES[theme]
        headline = rng.choice(headlines)
        themed, filler = rng.sample(lines, len(lines)), rng.sample(FILLER, len(FILLER))
        # The lead, the first person by title and name, the organisation with its acronym, then the rest.
        facts = [themed.pop(), "{T0} {N0} said the government was closely following events in {city}.", themed.pop(),
                 "The {ORG} ({ORG_SHORT}) said it would respond once the facts were clear."]
        while sum(len(f.split()) for f in facts) < 680:
            roll = rng.random()
            if roll < 0.2 and themed:
                facts.append(themed.pop())
            elif roll < 0.45 and filler:
                facts.append(filler.pop())
            else:
                facts.append(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAUSES)}{rng.choice(TAILS)}.")
        slots.update(T0=people[0][0], N0=people[0][1])
        return {"number": number, "slots": slots, "headline": headline, "facts": facts, "people": people,
                "day": START + dt.timedelta(days=rng.randrange(120))}

    def tell(self, event: dict, version: int) -> tuple[str, list[str], str, dt.date]:
        """One outlet's version: headline, paragraphs (the first opens with a dateline), outlet, date."""
        rng = self.rng
        slots = dict(event["slots"])
        people = event["people"]
        facts = list(event["facts"]) if version == 0 else [f for f in event["facts"] if rng.random() < 0.75]
        facts += [rng.choice(FILLER) for _ in range(rng.randint(0, 3) if version else 0)]
        sentences = []
        for k, template in enumerate(facts):
            # A person is named in full with the title first, then by surname: "Okafor said".
            slots["P"] = people[k % 2][1].split()[-1] if k > 2 else f"{people[1][0]} {people[1][1]}"
            slots["P2"] = f"{people[2][0]} {people[2][1]}" if k < 8 else people[2][1].split()[-1]
            sentences.append(template.format(**slots))
        headline = event["headline"].format(**{**slots, "P": people[0][1]})
        if version:
            headline = rng.choice((headline, f"{headline}, officials say", f"Update: {headline}", f"{headline} - report"))
        dateline = f"{slots['city'].upper()}: " if rng.random() < 0.7 else ""
        paragraphs = [dateline + " ".join(sentences[:2])] + [" ".join(sentences[i:i + 3]) for i in range(2, len(sentences), 3)]
        return headline, paragraphs, rng.choice(OUTLETS), event["day"] + dt.timedelta(days=rng.choice((0, 0, 1)) if version else 0)


def write_site(root: Path, n: int, seed: int = 11) -> Path:
    """A digest site of n articles under root: digest.yaml (the shipped one) and content/."""
    newsroom = Newsroom(seed)
    rng = newsroom.rng
    articles = []
    number = 0
    while len(articles) < n:
        event = newsroom.event(number)
        for version in range(rng.choice((1, 1, 2, 2, 3, 4))):
            articles.append(newsroom.tell(event, version))
        number += 1
    articles = articles[:n]
    rng.shuffle(articles)
    content = root / "content"
    i = page = 0
    while i < len(articles):
        folder = content / f"{page // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if rng.random() < 0.6:
            group, i = articles[i:i + rng.randint(3, 5)], i + len(articles[i:i + rng.randint(3, 5)])
            (folder / f"page-{page:05d}.txt").write_text(_captured(group, rng), encoding="utf-8")
        else:
            headline, paragraphs, outlet, day = articles[i]
            i += 1
            (folder / f"note-{page:05d}.md").write_text(
                f"---\ntitle: {json.dumps(headline)}\ndate: {day.isoformat()}\noutlet: {outlet}\n---\n" + "\n\n".join(paragraphs) + "\n",
                encoding="utf-8")
        page += 1
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    return root


def _captured(group: list, rng: random.Random) -> str:
    (headline, paragraphs, outlet, day), related = group[0], group[1:]
    lines = ["---", f"captured: {day.isoformat()}T18:30:00+08:00", f"outlet: {outlet}", "---", headline, *paragraphs,
             "Hashtags", "#news", "Try Our AI Features", "Related Articles", ""]
    for r_headline, r_paragraphs, r_outlet, _ in related:
        lines += ["", r_outlet, f"{rng.randint(1, 23)} hours ago", f"- {r_outlet}", r_headline, " ".join(r_paragraphs), ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- measuring


def measure_gather(site: Path, serial: bool, profile: bool) -> dict:
    """In this process: gather() once with no parse cache, timed stage by stage."""
    os.chdir(site)
    started = time.perf_counter()
    import digest.classify.filing
    from digest.pipeline.cache import ParseCache
    from digest.pipeline.gather import Timings, gather
    from digest.settings.config import load_config

    if serial:
        digest.classify.filing.PARALLEL_CLASSIFY_MIN = 1 << 60
    config = load_config(site / "digest.yaml")
    setup = time.perf_counter() - started
    timings = Timings()
    profiler = cProfile.Profile() if profile else None
    original = digest.pipeline.build.classify_stories
    cpu: dict[str, float] = {}

    def classify_timed(*args, **kwargs):
        if profiler:
            profiler.enable()
        before = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            cpu["classify"] = time.process_time() - before
            if profiler:
                profiler.disable()

    digest.pipeline.build.classify_stories = classify_timed
    started = time.perf_counter()
    result = gather(config, ParseCache(), timings)
    total = time.perf_counter() - started
    report = {"setup": setup, "gather": total, "stages": dict(timings.stages), "classify_cpu": cpu["classify"],
              "articles": len(result.articles), "stories": len(result.stories),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "workers_cpu": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        out2 = io.StringIO()
        pstats.Stats(profiler, stream=out2).sort_stats("tottime").print_stats(25)
        report["profile"] = out.getvalue() + out2.getvalue()
    return report


def run_build(site: Path) -> dict:
    """``digest build --no-search -v`` in a child process: its own time, wall time and peak memory."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--no-search", "-v"], cwd=site,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"digest build failed:\n{stdout}\n{stderr}")
    own = re.search(r" in ([\d.]+) s;", stdout)
    stages = re.search(r"Stages: (.*)", stdout)
    return {"own": float(own.group(1)) if own else None, "wall": wall, "stages": stages.group(1) if stages else "",
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(label: str, site: Path, serial: bool, profile: bool, builds: bool) -> None:
    flags = ["--serial"] if serial else []
    g = child(["--gather", str(site), *flags, *(["--profile"] if profile else [])])
    stages = "  ".join(f"{name} {seconds * 1000:,.0f}" for name, seconds in g["stages"].items())
    target = TARGETS.get(g["articles"])
    verdict = "" if target is None else f"  (target < {target:g} s: {'met' if g['gather'] < target else 'MISSED'})"
    print(f"{label:>9} {g['articles']:>6} articles {g['stories']:>6} stories | gather {g['gather']:6.2f} s  [{stages} ms]"
          f"  classify CPU {g['classify_cpu'] * 1000:,.0f} ms + workers {g['workers_cpu'] * 1000:,.0f} ms"
          f"  peak {g['peak_rss_mb']:,.0f} MB{verdict}", flush=True)
    if profile:
        print(g["profile"])
    if builds:
        shutil.rmtree(site / "output", ignore_errors=True)
        cold = child(["--build", str(site)])
        warm = child(["--build", str(site)])
        for name, b in (("cold", cold), ("warm", warm)):
            print(f"{'':>9} build {name}: {b['own']:.2f} s (command {b['wall']:.2f} s)  peak {b['peak_rss_mb']:,.0f} MB  [{b['stages']}]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of articles (default: 1000 10000)")
    parser.add_argument("--serial", action="store_true", help="classify in this process only (no worker pool)")
    parser.add_argument("--profile", action="store_true", help="cProfile the classify stage")
    parser.add_argument("--no-build", action="store_true", help="time gather() only, not digest build")
    parser.add_argument("--keep", type=Path, help="write the generated sites here and keep them")
    parser.add_argument("--gather", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gather:
        print(json.dumps(measure_gather(args.gather, args.serial, args.profile)))
        return
    if args.build:
        print(json.dumps(run_build(args.build)))
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        shipped = root / "shipped"
        if not shipped.exists():
            shutil.copytree(REPO / "content", shipped / "content")
            shutil.copy(REPO / "digest.yaml", shipped / "digest.yaml")
        print(f"{os.cpu_count()} cores; {'serial' if args.serial else 'default'} classify", flush=True)
        bench("shipped", shipped, args.serial, args.profile, not args.no_build)
        for n in args.sizes or [1_000, 10_000]:
            site = root / f"n{n}"
            if not (site / "content").exists():
                started = time.perf_counter()
                write_site(site, n)
                print(f"{'':>9} (generated {n:,} articles in {time.perf_counter() - started:.1f} s: {site})", flush=True)
            bench(f"N={n:,}", site, args.serial, args.profile, not args.no_build)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
