"""Queue views, counts, sorts, windows and the FTS5 search, on a real store file filled by
a pulled snapshot (tests/triage_support.py has the hand-countable cases)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.config import SettingError, Settings
from csm_tui.desk import CaseQuery, Desk
from csm_tui.domain.models import Contact, Message
from csm_tui.errors import CsmError
from csm_tui.store.engine import make_store_engine
from tests.triage_support import CASES, NOW, build, clock, pull, rows_of, sign_in
from tests.unit.test_search import HOSTILE

VIP = {"vip": {"title": "VIP", "search": "#vip prio:high,urgent"}}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build(tmp_path / "store.sqlite3")


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk(store, clock=clock, views=VIP)
    yield desk
    desk.close()


def ids(desk: Desk, view: str = "all", search: str = "", **kw: object) -> list[str]:
    q = CaseQuery(view=view, search=search, **kw)  # type: ignore[arg-type]
    return [r.id for r in desk.case_window(0, 100, q)]


def found(desk: Desk, search: str) -> set[str]:
    return set(ids(desk, search=search))


def test_built_in_and_custom_views_in_order(desk: Desk) -> None:
    views = desk.views()
    assert [v.id for v in views] == [
        "mine",
        "unassigned",
        "queue-billing",
        "queue-cards",
        "pending",
        "solved-today",
        "all",
        "vip",
    ]
    assert views[0].title == "My open cases" and views[0].built_in
    assert views[3].title == "Cards & Fraud" and views[3].search.startswith("queue:cards")
    assert (views[-1].title, views[-1].search, views[-1].built_in) == (
        "VIP",
        "#vip prio:high,urgent",
        False,
    )


HAND_COUNT = {
    "mine": {"c1", "c6"},  # anna's new/open/pending/on hold
    "unassigned": {"c2"},
    "queue-billing": {"c1", "c3"},  # c4 is solved
    "queue-cards": {"c2"},  # c5 is closed
    "pending": {"c3"},
    "solved-today": {"c4"},
    "all": {"c1", "c2", "c3", "c4", "c5", "c6"},
    "vip": {"c1"},  # c5 is vip but normal priority
}


def test_view_counts_and_windows_match_a_hand_count(desk: Desk) -> None:
    assert desk.view_counts() == {k: len(v) for k, v in HAND_COUNT.items()}
    for view, expected in HAND_COUNT.items():
        assert set(ids(desk, view)) == expected, view
        assert desk.case_count(CaseQuery(view=view)) == len(expected)


def test_counts_follow_edits(desk: Desk) -> None:
    desk.update_case("c2", assignee_id="a-anna", status="open")
    counts = desk.view_counts()
    assert (counts["mine"], counts["unassigned"]) == (3, 0)


def test_the_no_query_calls_still_work(desk: Desk) -> None:
    assert desk.case_count() == 6
    assert [r.id for r in desk.case_window(0, 3)] == ["c4", "c1", "c2"]


def test_custom_views_are_validated_like_the_other_settings() -> None:
    assert Settings(views=VIP).views == VIP
    assert Settings.from_mapping({"views": {"x": {"search": ""}}}).views["x"]["search"] == ""
    bad = [
        ["vip"],
        {"vip": "#vip"},
        {"vip": {"title": "VIP"}},
        {"vip": {"search": "#vip", "colour": "red"}},
        {"mine": {"search": "@me"}},
        {"queue-x": {"search": "@me"}},
        {"bad id!": {"search": "x"}},
        {"vip": {"title": "", "search": "#vip"}},
    ]
    for value in bad:
        with pytest.raises(SettingError) as err:
            Settings(views=value)  # type: ignore[arg-type]
        assert err.value.key == "views" and str(err.value)


def test_an_unknown_view_is_a_clear_error(desk: Desk) -> None:
    with pytest.raises(CsmError, match="There is no view 'nope'"):
        desk.case_count(CaseQuery(view="nope"))


def test_sorts_both_ways(desk: Desk) -> None:
    assert ids(desk) == ["c4", "c1", "c2", "c6", "c3", "c5"]
    assert ids(desk, sort="updated", descending=False) == ["c5", "c3", "c6", "c2", "c1", "c4"]
    assert ids(desk, sort="created") == ["c6", "c4", "c2", "c1", "c3", "c5"]
    assert ids(desk, sort="priority") == ["c1", "c6", "c2", "c3", "c5", "c4"]
    # Next breach first (default policies): c1 urgent first reply due 11-15 10:00, c2 high
    # 11-18 13:00 (business hours), c6 urgent on hold 11-19 10:00, c3 pending resolution
    # 11-24 09:00; solved c4 and closed c5 have nothing to breach and come last.
    assert ids(desk, sort="sla") == ["c1", "c2", "c6", "c3", "c4", "c5"]
    assert ids(desk, sort="sla", descending=False) == ["c5", "c4", "c3", "c6", "c2", "c1"]
    with pytest.raises(CsmError, match="Sort by one of"):
        ids(desk, sort="random")


def test_windows_page_without_overlap_or_gap(desk: Desk) -> None:
    for sort in ("updated", "created", "priority", "sla"):
        q = CaseQuery(sort=sort)
        whole = [r.id for r in desk.case_window(0, 100, q)]
        paged = [r.id for off in range(0, 6, 2) for r in desk.case_window(off, 2, q)]
        assert paged == whole
        assert desk.case_window(6, 10, q) == [] and desk.case_window(0, 0, q) == []


def test_field_filters(desk: Desk) -> None:
    assert found(desk, "status:open") == {"c1"}
    assert found(desk, "status:new,open") == {"c1", "c2"}
    assert found(desk, "-status:solved,closed") == {"c1", "c2", "c3", "c6"}
    assert found(desk, "prio:u") == {"c1", "c6"}
    assert found(desk, "-prio:urgent") == {"c2", "c3", "c4", "c5"}
    assert found(desk, "channel:phone") == {"c2"}
    assert found(desk, "queue:bill") == {"c1", "c3", "c4"}
    assert found(desk, "queue:fraud") == {"c2", "c5"}  # a fragment of the name
    assert found(desk, "-queue:billing") == {"c2", "c5", "c6"}
    assert found(desk, "@anna.schmidt") == {"c1", "c4", "c5", "c6"}
    assert found(desk, "@ann") == {"c1", "c4", "c5", "c6"}  # a handle being typed
    assert found(desk, "@ben") == {"c3"}
    assert found(desk, "-@me") == {"c2", "c3"}
    assert found(desk, "assignee:none") == {"c2"}
    assert found(desk, "is:assigned") == {"c1", "c3", "c4", "c5", "c6"}
    assert found(desk, "#vip") == {"c1", "c5"}
    assert found(desk, "#VIP #refund") == {"c1"}
    assert found(desk, "-#vip") == {"c2", "c3", "c4", "c6"}
    assert found(desk, "updated:today") == {"c1", "c2", "c4", "c6"}
    assert found(desk, "updated:7d") == {"c1", "c2", "c3", "c4", "c6"}
    assert found(desk, "status:bogus") == set()
    assert found(desk, "queue:nowhere") == set()


def test_search_in_a_view_narrows_the_view(desk: Desk) -> None:
    assert ids(desk, "queue-billing", "prio:urgent") == ["c1"]
    assert ids(desk, "mine", "#vip") == ["c1"]
    assert desk.case_count(CaseQuery(view="mine", search="status:pending")) == 0


def test_me_before_the_first_sync(tmp_path: Path) -> None:
    store = build(tmp_path / "cold.sqlite3", signed_in=False)
    desk = Desk(store, clock=clock)
    try:
        assert desk.me_id is None
        assert desk.view_counts()["mine"] == 0
        assert found(desk, "@me") == set()
        assert desk.search_problems("@me") == [
            "@me matches nothing until the desk has synced once and knows who you are."
        ]
        sign_in(store)
        assert desk.me_id == "a-anna"
        assert found(desk, "@me") == {"c1", "c4", "c5", "c6"}
        assert desk.search_problems("@me") == []
    finally:
        desk.close()


def test_search_problems_name_what_is_not_understood(desk: Desk) -> None:
    assert desk.search_problems("refund status:open") == []
    problems = desk.search_problems("status:bogus queue:nowhere @nobody.here")
    assert problems == [
        "'bogus' is not a status; use one of new, open, pending, on_hold, solved, closed.",
        "No queue matches 'nowhere'.",
        "No agent has the handle 'nobody.here'.",
    ]


def test_agents_and_queues_for_the_pickers(desk: Desk) -> None:
    assert [(a.id, a.handle, a.name, a.team) for a in desk.agents()] == [
        ("a-anna", "anna.schmidt", "Anna Schmidt", "DE-1"),
        ("a-ben", "ben", "Ben Okafor", "DE-2"),
    ]
    assert [(q.id, q.slug, q.name) for q in desk.queues()] == [
        ("q-billing", "billing", "Billing"),
        ("q-cards", "cards", "Cards & Fraud"),
    ]


def test_text_search_over_number_subject_customer_and_messages(desk: Desk) -> None:
    assert found(desk, "refund") == {"c1"}  # subject (tags are not text)
    assert found(desk, "ref") == {"c1"}  # prefix while typing
    assert found(desk, "4711") == {"c1"}
    assert found(desk, "CS-10003") == {"c3"}  # number
    assert found(desk, "spain") == {"c2"}  # a message body
    assert found(desk, "bank") == {"c3"}
    assert found(desk, "Müller") == {"c1", "c3"}  # customer name
    assert found(desk, "K-0002") == {"c2", "c4", "c5"}  # customer number
    assert found(desk, '"card blocked"') == {"c2"}
    assert found(desk, '"blocked card"') == set()
    assert found(desk, "card spain") == {"c2"}  # every word, in any field of the case
    assert found(desk, "card -spain") == set()
    assert found(desk, "invoice -spain") == {"c4"}
    assert found(desk, "zzzz") == set()


def test_diacritics_fold(desk: Desk) -> None:
    assert found(desk, "uberweisung") == found(desk, "Überweisung") == {"c3"}
    assert found(desk, "UBERW") == {"c3"}
    assert found(desk, "jurgen muller") == {"c1", "c3"}
    assert found(desk, "Zoe") == {"c2", "c4", "c5"}


def test_a_one_letter_last_word_waits_for_the_second(desk: Desk) -> None:
    assert found(desk, "c") == found(desk, "")  # as if not typed yet
    assert found(desk, "card b") == {"c2"}
    assert found(desk, "card bl") == {"c2"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_searches_give_rows_or_a_problem(desk: Desk, text: str) -> None:
    q = CaseQuery(view="mine", search=text)
    assert desk.case_count(q) == len(desk.case_window(0, 100, q))
    assert all(p.endswith(".") for p in desk.search_problems(text))


def test_pulled_pages_reindex(desk: Desk) -> None:
    changed = CASES[1].model_copy(update={"subject": "Lost luggage"})
    pull(desk, [*rows_of(changed)])
    assert found(desk, "luggage") == {"c2"}
    assert found(desk, "abroad") == set()
    assert found(desk, "spain") == {"c2"}  # its message is still indexed

    new_message = Message(id="m9", case_id="c4", kind="customer", body="A zebra ate it.")
    pull(desk, rows_of(new_message))
    assert found(desk, "zebra") == {"c4"}

    renamed = Contact(id="p2", customer_number="K-0002", first_name="Zoë", last_name="Smithers")
    pull(desk, rows_of(renamed))
    assert found(desk, "smithers") == {"c2", "c4", "c5"}

    from csm_tui.sync.wire import ChangeRow

    pull(
        desk,
        [
            ChangeRow(seq=30, entity="case", id="c6", op="delete"),
            ChangeRow(seq=31, entity="message", id="m1", op="delete"),
            ChangeRow(seq=32, entity="case", id="c5", fields={"tags": ["gold"]}),
        ],
    )
    assert found(desk, "crashes") == set() and desk.case_count(CaseQuery()) == 5
    assert found(desk, "spain") == set()
    assert found(desk, "#vip") == {"c1"} and found(desk, "#gold") == {"c5"}


def test_local_edits_reindex(desk: Desk) -> None:
    desk.add_message("c1", "internal", "Customer mentioned a kangaroo.")
    assert found(desk, "kangaroo") == {"c1"}
    desk.update_case("c3", subject="Transfer missing")
    assert found(desk, "transfer") == {"c3"}
    assert found(desk, "Überweisung") == {"c3"}  # still in its message
    assert found(desk, "fehlt") == set()
    new_id = desk.create_case(subject="Quokka sighting", contact_id="p1", note="Wombat too.")
    assert found(desk, "quokka") == {new_id}
    assert found(desk, "wombat") == {new_id}
    assert found(desk, f"NEW-{new_id[:8]}") == {new_id}
    desk.add_tags(["c2"], ["callback"])
    assert found(desk, "#callback") == {"c2"}


def test_an_older_store_gets_the_index_on_first_open(tmp_path: Path) -> None:
    store = build(tmp_path / "old.sqlite3")
    with sqlite3.connect(store) as conn:
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE name IN ('case_fts', 'case_tag', "
            "'undo_action') OR name LIKE 'case_search%' OR name LIKE 'message_search%' "
            "OR name LIKE 'contact_search%' OR name LIKE 'case_tags%'"
        ).fetchall():
            conn.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        conn.execute("DELETE FROM sync_state WHERE key = 'search_schema'")
    # The desk (plain sqlite3, no ORM) brings it up to date on first use ...
    desk = Desk(store, clock=clock)
    try:
        assert found(desk, "spain") == {"c2"}
        assert found(desk, "#vip") == {"c1", "c5"}
    finally:
        desk.close()
    # ... and so does the ORM engine factory.
    with sqlite3.connect(store) as conn:
        conn.execute("DROP TABLE case_fts")
        conn.execute("DELETE FROM sync_state WHERE key = 'search_schema'")
    make_store_engine(store).dispose()
    desk = Desk(store, clock=clock)
    try:
        assert found(desk, "bank") == {"c3"}
    finally:
        desk.close()


def test_a_store_without_tables_reads_as_empty(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "none.sqlite3", clock=clock)
    try:
        assert desk.case_count(CaseQuery(search="refund")) == 0
        assert desk.case_window(0, 10, CaseQuery(view="mine")) == []
        assert desk.view_counts()["all"] == 0
    finally:
        desk.close()


def test_clock_is_the_desks(desk: Desk) -> None:
    assert desk.now() == NOW


@pytest.mark.parametrize(
    "view, search",
    [("all", ""), ("mine", ""), ("unassigned", ""), ("all", "refund"), ("all", "status:open")],
)
def test_case_ids_are_every_row_of_the_view(desk: Desk, view: str, search: str) -> None:
    query = CaseQuery(view=view, search=search)
    every = {r.id for r in desk.case_window(0, 10_000, query)}
    assert set(desk.case_ids(query)) == every
    assert len(desk.case_ids(query)) == desk.case_count(query)


def test_the_first_window_of_words_and_fields_does_not_wait_for_the_exact_count(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csm_tui.store import views as views_mod

    query = CaseQuery(search="queue:billing refund")
    expected = [r.id for r in desk.case_window(0, 100, query)]
    assert expected and desk.case_count(query) == len(expected)
    fresh = Desk(desk.store_path, clock=clock, views=VIP)  # nothing counted yet
    counted: list[list[str]] = []
    count_where = fresh.reader.count_where

    def spy(where: list[str], params: list[object]) -> int:
        counted.append(where)
        return count_where(where, params)

    monkeypatch.setattr(fresh.reader, "count_where", spy)
    try:
        assert [r.id for r in fresh.case_window(0, 100, query)] == expected
    finally:
        fresh.close()
    # the fields alone were counted (a covering index), never words and fields together
    words = (views_mod.FTS_CONDITION, views_mod.FTS_PROBE)
    assert counted and all(not any(c in words for c in where) for where in counted)
