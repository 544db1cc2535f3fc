"""The triage inbox over a million submissions, on SQLite and on PostgreSQL.

    .venv/bin/python bench/inbox.py [--rows 1000000] [--repeat 10] [--backends sqlite,postgresql]
        [--postgresql-url URL]     (or BENCH_DATABASE_URL=URL: an empty scratch database of your own)

For each backend: a fresh database (a temporary SQLite file; on PostgreSQL the empty database
--postgresql-url names, emptied again at the end, or else a database of its own, `baro_bench_inbox`
on 127.0.0.1:5432 as user `postgres`, created and dropped by this script; skipped with a message
when the server cannot be reached), migrated with `bot.db.upgrade`, filled with --rows feedback rows
from a few thousand contacts in bulk (plain dict rows: executemany batches on SQLite, COPY on
PostgreSQL), a realistic mix of kinds, categories, sites, statuses and channels, about 1 %
confidential, due dates and folded search text as intake sets them, and referrals. Then the real
app (`create_app`, through Starlette's TestClient, signed in through the real login form) serves
GET /admin/inbox, --repeat times per case and user, and the script prints p50/p95 per case, the
fill time, the query layer's own times for the searches (the page and the count apart), and the
query plan of the first page and of a search.
"""

import argparse
import json
import math
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from bot.accounts import create_user  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.cases.queries import Filters, count_feedback, feedback_page  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from bot.models import Contact, Feedback, Partner, Referral, Site, StaffUser  # noqa: E402
from bot.references import ALPHABET, LENGTH  # noqa: E402
from bot.search import fold  # noqa: E402
from bot.seed import seed_places  # noqa: E402
from bot.vault import Vault  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "baro_bench_inbox"
PASSWORD = "bench password, long enough"
CONTACTS = 3000
RARE = "xylophone"  # in no text: the index answers at once (a LIKE '%…%' used to read every row)

KINDS = [("complaint", 55), ("need", 35), ("assembly", 9), ("confidential", 1)]
CATEGORIES = {
    "complaint": ["shelter", "water_sanitation", "health", "food", "security", "documents", "education", "other"],
    "need": ["shelter", "water_sanitation", "health", "food", "documents", "education", "livelihoods", "other"],
    "assembly": ["confirmed", "confirmed", "confirmed", "waiting"],
    "confidential": ["violence", "abuse_exploitation", "threat", "other"],
}
SITES = [("niamana", 30), ("sogoniko", 25), ("senou", 20), ("mopti", 15), ("gao", 10)]
STATUSES = [("new", 10), ("acknowledged", 10), ("in_progress", 10), ("referred", 5), ("resolved", 40), ("closed", 25)]
LANGUAGES = [("fr", 60), ("bm", 40)]
CHANNELS = [("sms", 60), ("whatsapp", 25), ("ussd", 15)]
TEXTS = [
    "Les latrines du bloc {b} débordent depuis {n} jours",
    "Le forage du bloc {b} est en panne, pas d'eau",
    "Pas de savon à la distribution de {n} heures",
    "Le toit de la tente {n} fuit quand il pleut",
    "Mon enfant est malade, le centre de santé est fermé",
    "Il manque {n} kits de cuisine au bloc {b}",
    "Nous voulons du travail, pas seulement de l'aide",
    "Les rations de riz ont diminué ce mois",
    "Je n'ai pas de carte d'identité pour inscrire mes enfants",
    "L'école du site n'a plus d'enseignant depuis {n} semaines",
    "Ji tɛ yen bloc {b} la kabini tile {n}",
    "Sanitɛri bɛ ka fa bloc {b} la",
    "Dumuni ma se an ma tile {n}",
    "An ka so tɔ bɛ ka ji bɔ",
    "Lampe solaire en panne au bloc {b}",
    "Denmisɛnw tɛ se ka taa lakɔli la bloc {b}",
]
OPEN = {"new", "acknowledged", "in_progress", "referred"}
REFERRAL_STATUSES = [("sent", 30), ("accepted", 40), ("declined", 10), ("done", 20)]
PARTNERS = ["Croix-Rouge malienne", "Plan Mali", "Médecins du Monde", "NRC Mali", "Tassaght"]


def weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return values, list(weights)


def reference(i: int) -> str:
    """Distinct for each i < 31**6, scattered like the real random ones."""
    space = len(ALPHABET) ** LENGTH
    n = (i * 387_420_489 + 12_345) % space  # 9**9 is coprime with 31**6: a bijection
    chars = []
    for _ in range(LENGTH):
        n, digit = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def rows(
    count: int, contact_ids: list[int], site_ids: dict[str, int], staff_ids: list[int], vault: Vault,
    referred: list[int],
) -> Iterator[dict]:
    """`count` feedback rows over the last three years, oldest first (ids follow time, as in life, from 1 in a
    fresh database); appends to `referred` the position of each row referred to a partner."""
    rng = random.Random(20261122)
    kinds, kind_w = weighted(KINDS)
    sites, site_w = weighted(SITES)
    statuses, status_w = weighted(STATUSES)
    languages, language_w = weighted(LANGUAGES)
    channels, channel_w = weighted(CHANNELS)
    sealed = [vault.encrypt(f"Signalement confidentiel {i}") for i in range(20)]
    start = datetime.now(UTC) - timedelta(days=3 * 365)
    step = (3 * 365 * 86400) / count
    batch = 10_000
    for first in range(0, count, batch):
        n = min(batch, count - first)
        picked_kinds = rng.choices(kinds, kind_w, k=n)
        picked_sites = rng.choices(sites, site_w, k=n)
        picked_status = rng.choices(statuses, status_w, k=n)
        picked_lang = rng.choices(languages, language_w, k=n)
        picked_channel = rng.choices(channels, channel_w, k=n)
        for j in range(n):
            i = first + j
            kind = picked_kinds[j]
            confidential = kind == "confidential"
            body = rng.choice(TEXTS).format(b=rng.choice("ABCDEFGH"), n=rng.randint(2, 30))
            created_at = start + timedelta(seconds=i * step + rng.random() * step * 0.9)
            status = picked_status[j]
            # The targets intake sets (bot.cases.targets, default settings): due_at is the next step's.
            acknowledge_by = created_at + timedelta(hours=24 if confidential else 48)
            resolve_by = created_at + timedelta(days=14)
            due_at = None
            if kind != "assembly" and status in OPEN:
                due_at = acknowledge_by if status == "new" else resolve_by
            if status == "referred" or (status == "resolved" and rng.random() < 0.05):
                referred.append(i)
            yield {
                "reference": reference(i),
                "kind": kind,
                "category": rng.choice(CATEGORIES[kind]),
                "site_id": site_ids[picked_sites[j]] if rng.random() < 0.97 else None,
                "language": picked_lang[j],
                "channel": picked_channel[j],
                "text": None if confidential else body,
                "status": status,
                "confidential": confidential,
                "text_encrypted": rng.choice(sealed) if confidential else None,
                "callback": rng.choice(["this_number", "no"]) if confidential else None,
                "contact_id": rng.choice(contact_ids),
                "created_at": created_at,
                "ready_at": None,
                "assignee_id": rng.choice(staff_ids) if rng.random() < 0.5 else None,
                "tags": ["urgent"] if rng.random() < 0.05 else None,
                # Bulk rows skip the ORM event that folds `text`: fold it here, as intake would.
                "search_text": None if confidential else fold(body),
                "acknowledge_by": acknowledge_by if kind != "assembly" else None,
                "resolve_by": resolve_by if kind != "assembly" else None,
                "due_at": due_at,
            }


def batches(iterable: Iterator[dict], size: int) -> Iterator[list[dict]]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- databases -----------------------------------------------------------------------------


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / 'inbox.sqlite3'}"


@contextmanager
def scratch_database(url: str) -> Iterator[str | None]:
    """The empty PostgreSQL database `url` names (yours: `createdb baro_bench`), emptied again at the end."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    except Exception as error:
        print(f"postgresql: skipped, {url} is not reachable ({type(error).__name__}: {str(error).strip()[:120]})")
        engine.dispose()
        yield None
        return
    if tables:
        print(f"postgresql: skipped, {url} is not empty ({tables} tables): give the bench a database of its own")
        engine.dispose()
        yield None
        return
    try:
        yield url
    finally:
        with engine.begin() as connection:  # it was empty: leave it so, for the next run
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@contextmanager
def postgresql_database() -> Iterator[str | None]:
    admin = make_engine(PG_ADMIN)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        print(
            "postgresql: skipped, 127.0.0.1:5432 is not reachable as postgres"
            f" ({type(error).__name__}: {str(error).strip()[:120]})"
        )
        admin.dispose()
        yield None
        return
    autocommit = admin.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    finally:
        with autocommit.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        admin.dispose()


def fill(url: str, count: int, vault: Vault, analyze: bool = False) -> dict:
    """Sites, staff, contacts and `count` feedback rows; returns what the measurements need."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        seed_places(db, datetime.now(UTC))
    with transaction(sessions) as db:
        users = {
            "triage": create_user(db, "triage@bench.ml", "triage", PASSWORD).id,
            "protection": create_user(db, "protection@bench.ml", "protection", PASSWORD).id,
            "triage, 2 sites": create_user(db, "sites@bench.ml", "triage", PASSWORD, ["niamana", "senou"]).id,
        }
        staff_ids = [create_user(db, f"agent{i}@bench.ml", "triage", PASSWORD).id for i in range(6)]
        site_ids = {site.slug: site.id for site in db.scalars(select(Site))}
    numbers = [f"+2237{i:07d}" for i in range(CONTACTS)]
    with engine.begin() as connection:
        connection.execute(
            insert(Contact),
            [
                {"phone_hash": vault.lookup_hash(n), "phone_encrypted": vault.encrypt(n), "language": "fr",
                 "consent": "accepted", "created_at": datetime.now(UTC), "last_seen_at": datetime.now(UTC)}
                for n in numbers
            ],
        )
        contact_ids = list(connection.scalars(select(Contact.id)))
    referred: list[int] = []
    generated = rows(count, contact_ids, site_ids, staff_ids, vault, referred)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        columns = _COLUMNS
        with engine.raw_connection() as raw:
            with raw.cursor() as cursor, cursor.copy(f"COPY feedback ({', '.join(columns)}) FROM STDIN") as copy:
                for row in generated:
                    row["tags"] = json.dumps(row["tags"]) if row["tags"] is not None else None
                    copy.write_row([row[c] for c in columns])
            raw.commit()
    else:
        with engine.begin() as connection:
            # The FTS5 index row by row (the trigger) would take most of the load: built once at the end instead,
            # the trigger put back as the migration made it.
            trigger = connection.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'feedback_search_insert'"))
            connection.execute(text("DROP TRIGGER feedback_search_insert"))
            for chunk in batches(generated, 20_000):
                connection.execute(insert(Feedback), chunk)
            connection.execute(text("INSERT INTO feedback_search(feedback_search) VALUES ('rebuild')"))
            connection.execute(text(trigger))
    refer(engine, referred, site_ids)
    if engine.dialect.name == "sqlite" and analyze:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # statistics the app does not gather today (see README)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in ("feedback", "referral"):
                connection.execute(text(f"VACUUM ANALYZE {name}"))  # what autovacuum does soon after a bulk load
    fill_seconds = time.perf_counter() - started
    with sessions() as db:
        middle = db.scalar(select(Feedback.reference).where(Feedback.id == count // 2))
        total = db.scalar(text("SELECT count(*) FROM feedback"))
    engine.dispose()
    return {"users": users, "fill_seconds": fill_seconds, "reference": middle, "total": total}


def refer(engine, referred: list[int], site_ids: dict[str, int]) -> None:
    """A few partners, and one referral for each referred row (a second one, after a decline, for some)."""
    rng = random.Random(11)
    statuses, weights = weighted(REFERRAL_STATUSES)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Partner),
            [{"name": name, "services": ["health"], "contact": "", "active": True, "created_at": now}
             for name in PARTNERS],
        )
        partner_ids = list(connection.scalars(select(Partner.id)))
        first_id = connection.scalar(select(func.min(Feedback.id)))  # ids follow the rows' positions from here

        def referrals():
            for i in referred:
                status = rng.choices(statuses, weights)[0]
                at = now - timedelta(days=rng.randint(1, 900))
                yield {"feedback_id": first_id + i, "partner_id": rng.choice(partner_ids), "status": status,
                       "note": None, "created_at": at}
                if status == "declined" and rng.random() < 0.5:
                    yield {"feedback_id": first_id + i, "partner_id": rng.choice(partner_ids), "status": "accepted",
                           "note": None, "created_at": at + timedelta(days=2)}

        for chunk in batches(referrals(), 20_000):
            connection.execute(insert(Referral), chunk)


_COLUMNS = [
    "reference", "kind", "category", "site_id", "language", "channel", "text", "status", "confidential",
    "text_encrypted", "callback", "contact_id", "created_at", "ready_at", "assignee_id", "tags",
    "search_text", "acknowledge_by", "resolve_by", "due_at",
]


# --- measuring ---------------------------------------------------------------------------


def log_in(client: TestClient, email: str) -> None:
    page = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "csrf": csrf, "next": "/admin"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def older_link(html: str) -> str | None:
    found = re.search(r'<a href="(/admin/inbox\?[^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(client: TestClient, url: str, repeat: int) -> tuple[list[float], int, int]:
    client.get(url)  # warm: the first request pays for template compilation and caches
    times, size, items = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        size, items = len(response.content), response.text.count('<th scope="row">')
    return times, size, items


def fifth_page(client: TestClient, url: str) -> str:
    for _ in range(4):
        url = older_link(client.get(url).text)
    return url


def searches(reference: str) -> list[tuple[str, dict]]:
    """The searches timed through the page and through the query layer alone."""
    return [
        (f"q={RARE} (matches nothing)", {"q": RARE}),
        ("q=forage (common word)", {"q": "forage"}),
        ("q=ecole (finds école)", {"q": "ecole"}),
        ("q=denmisenw (finds denmisɛnw)", {"q": "denmisenw"}),
        ("q=bloc latr (two words, prefix)", {"q": "bloc latr"}),
        ("q=<reference>", {"q": reference.lower()}),
        ("site=gao&q=forage (filter + word)", {"site": "gao", "q": "forage"}),
        (f"status=new&q={RARE}", {"status": "new", "q": RARE}),
    ]


def cases(client: TestClient, reference: str) -> list[tuple[str, str]]:
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    return [
        ("first page", "/admin/inbox"),
        ("status=new", "/admin/inbox?status=new"),
        ("site=gao", "/admin/inbox?site=gao"),
        ("page 5 (cursor)", fifth_page(client, "/admin/inbox")),
        ("sort=oldest", "/admin/inbox?sort=oldest"),
        ("sort=due", "/admin/inbox?sort=due"),
        ("sort=due, page 5 (cursor)", fifth_page(client, "/admin/inbox?sort=due")),
        ("referral=any", "/admin/inbox?referral=any"),
        ("referral=declined (latest)", "/admin/inbox?referral=declined"),
        ("category=livelihoods (~3 %)", "/admin/inbox?category=livelihoods"),
        ("category=threat (confidential only)", "/admin/inbox?category=threat"),
        ("one day, a year ago", f"/admin/inbox?date_from={year_ago}&date_to={year_ago}"),
        *[(name, "/admin/inbox?" + urlencode(params)) for name, params in searches(reference)],
    ]


def query_times(url: str, user_id: int, reference: str, repeat: int) -> list[tuple[str, float, float, float, float]]:
    """The query layer alone, for each search: p50/p95 of a page (feedback_page) and of its count (count_feedback)."""
    engine = make_engine(url)
    results = []
    with make_sessionmaker(engine)() as db:
        user = db.get(StaffUser, user_id)
        for name, params in searches(reference):
            filters = Filters.parse(params)
            timings = {"page": [], "count": []}
            for run in range(repeat + 1):
                for what, call in (("page", feedback_page), ("count", count_feedback)):
                    started = time.perf_counter()
                    call(db, user, filters)
                    if run:  # the first run warms the caches
                        timings[what].append((time.perf_counter() - started) * 1000)
                db.expunge_all()
            page, count = timings["page"], timings["count"]
            results.append((name, statistics.median(page), percentile(page, 95),
                            statistics.median(count), percentile(count, 95)))
    engine.dispose()
    return results


def explain(url: str, user_id: int, filters: Filters) -> str:
    """The plan of the page query as the query layer builds it (for an index that is missing)."""
    engine = make_engine(url)
    captured = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM feedback" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", grab)
    with make_sessionmaker(engine)() as db:
        feedback_page(db, db.get(StaffUser, user_id), filters)
    event.remove(engine, "before_cursor_execute", grab)
    lines = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        for number, (statement, parameters) in enumerate(captured, start=1):
            if len(captured) > 1:
                lines.append(f"query {number} of {len(captured)}:")
            if engine.dialect.name == "sqlite":
                plan = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                lines += [row[-1] for row in plan]
            else:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN " + statement, parameters)
                    lines += [row[0] for row in cursor.fetchall()][:6]
    engine.dispose()
    return "\n".join("      " + line for line in lines)


def run_backend(name: str, url: str, args, directory: Path) -> list[tuple]:
    vault_key = secrets.token_urlsafe(32)
    print(f"\n{name}: migrating and filling {args.rows:,} rows…", flush=True)
    upgrade(url)
    filled = fill(url, args.rows, Vault(vault_key), analyze=args.sqlite_analyze)
    print(f"{name}: {filled['total']:,} feedback rows in {filled['fill_seconds']:.1f} s "
          f"({filled['total'] / filled['fill_seconds']:,.0f} rows/s)", flush=True)
    settings = Settings(
        _env_file=None,
        database_url=url,
        secret_key=vault_key,
        twilio_auth_token=secrets.token_hex(16),
        redis_url="redis://127.0.0.1:1/0",  # the inbox needs no Redis; nothing here may reach one
        var_dir=directory,
        public_url="http://testserver",
    )
    app = create_app(settings)
    results = []
    for role in ("triage", "protection", "triage, 2 sites"):
        client = TestClient(app)
        log_in(client, {"triage": "triage@bench.ml", "protection": "protection@bench.ml",
                        "triage, 2 sites": "sites@bench.ml"}[role])
        chosen = cases(client, filled["reference"]) if role != "triage, 2 sites" else [("first page", "/admin/inbox")]
        for case, case_url in chosen:
            times, size, items = measure(client, case_url, args.repeat)
            results.append((name, role, case, statistics.median(times), percentile(times, 95), items, size))
            print(f"  {name:<10} {role:<16} {case:<36} p50 {results[-1][3]:8.1f} ms  p95 {results[-1][4]:8.1f} ms"
                  f"  {items:>3} items {size / 1024:5.1f} KB", flush=True)
        client.close()
    app.state.runtime.close()
    layer = []
    for role in ("triage", "protection"):
        timed = query_times(url, filled["users"][role], filled["reference"], args.repeat)
        for case, p50, p95, count50, count95 in timed:
            layer.append((name, role, case, p50, p95, count50, count95))
            print(f"  {name:<10} {role:<16} {case:<36} page p50 {p50:7.1f} p95 {p95:7.1f} ms, "
                  f"count p50 {count50:7.1f} p95 {count95:7.1f} ms", flush=True)
    if args.plans:
        for role in ("triage", "protection", "triage, 2 sites"):
            print(f"  plan of the first page, {role}:\n{explain(url, filled['users'][role], Filters())}")
        for params in ({"q": RARE}, {"q": "forage"}, {"sort": "due"}, {"referral": "declined"}):
            plan = explain(url, filled["users"]["triage"], Filters.parse(params))
            print(f"  plan of {urlencode(params)}, triage:\n{plan}")
    return results, layer, filled["fill_seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-plans", dest="plans", action="store_false", help="do not print the query plans")
    parser.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="run ANALYZE after filling SQLite (the app never does: without statistics SQLite picks worse plans)",
    )
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="an empty PostgreSQL database of your own to fill (default: BENCH_DATABASE_URL; without either, "
        f"{PG_BENCH_DB} is created and dropped on 127.0.0.1:5432)",
    )
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    summary = []
    with tempfile.TemporaryDirectory(prefix="baro-bench-inbox-") as tmp:
        directory = Path(tmp)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                opener = sqlite_database(directory)
            elif args.postgresql_url:
                opener = scratch_database(args.postgresql_url)
            else:
                opener = postgresql_database()
            with opener as url:
                if url is None:
                    continue
                started = time.perf_counter()
                results, layer, fill_seconds = run_backend(backend, url, args, directory)
                summary.append((backend, fill_seconds, time.perf_counter() - started, results, layer))
    print(f"\nGET /admin/inbox, {args.rows:,} feedback rows, {args.repeat} timed requests per case "
          "(after one warm-up), through TestClient; times in ms")
    print(f"{'backend':<10} {'user':<16} {'case':<36} {'p50':>8} {'p95':>8} {'items':>5} {'KB':>6}")
    for backend, fill_seconds, total_seconds, results, _ in summary:
        for _, role, case, p50, p95, items, size in results:
            print(f"{backend:<10} {role:<16} {case:<36} {p50:8.1f} {p95:8.1f} {items:>5} {size / 1024:6.1f}")
        print(f"{backend:<10} fill {fill_seconds:.1f} s; whole backend run {total_seconds:.1f} s")
    print(f"\nSearches through the query layer alone (bot.cases.queries), {args.repeat} runs each after one warm-up;"
          " times in ms")
    print(f"{'backend':<10} {'user':<16} {'search':<36} {'page p50':>9} {'p95':>7} {'count p50':>10} {'p95':>7}")
    for backend, _, _, _, layer in summary:
        for _, role, case, p50, p95, count50, count95 in layer:
            print(f"{backend:<10} {role:<16} {case:<36} {p50:9.1f} {p95:7.1f} {count50:10.1f} {count95:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
