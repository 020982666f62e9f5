"""Macros (plan, bulk plan, TOML export and import, suggestions) and snippets."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from csm_tui.domain.macros import (
    AddTags,
    CaseFacts,
    CreateTask,
    Macro,
    RemoveTags,
    Reply,
    SetAssignee,
    SetPriority,
    SetQueue,
    SetStatus,
    Suggester,
    case_features,
    check_macro,
    macros_from_toml,
    macros_to_toml,
    plan,
    plan_bulk,
    subject_words,
    visible,
)
from csm_tui.domain.snippets import (
    Snippet,
    check_snippet,
    expand,
    find_shortcut,
    fuzzy_rank,
    fuzzy_score,
    insert,
    lookup,
    normalize_shortcut,
)
from csm_tui.domain.snippets import visible as visible_snippets
from csm_tui.domain.templates import merge_context, render

NOW = datetime(2026, 3, 2, 9, 30)
CTX = merge_context(
    case={"number": "C-7", "subject": "Refund for double charge"},
    customer={"first_name": "Anna", "last_name": "Weber"},
    agent={"name": "Bo Li", "handle": "bo"},
)
OPEN = CaseFacts(
    status="open", priority="normal", assignee=None, queue="support", tags=("card",), id="c1"
)


def macro(*actions: object, name: str = "Test", scope: str = "shared") -> Macro:
    return Macro(id="m1", name=name, actions=tuple(actions), scope=scope)  # type: ignore[arg-type]


# -- plan: one action at a time ----------------------------------------------------------


def test_set_status() -> None:
    p = plan(macro(SetStatus("solved")), OPEN, CTX, now=NOW)
    assert p.ok and p.field_changes == {"status": ("open", "solved")}
    assert p.lines() == ["status: open -> solved"]


def test_set_priority() -> None:
    p = plan(macro(SetPriority("urgent")), OPEN, CTX, now=NOW)
    assert p.field_changes == {"priority": ("normal", "urgent")}


def test_set_assignee_to_a_handle_me_or_nobody() -> None:
    p = plan(macro(SetAssignee("anna")), OPEN, CTX, agents={"anna", "bo"}, now=NOW)
    assert p.ok and p.field_changes == {"assignee": (None, "anna")}
    me = plan(macro(SetAssignee("me")), OPEN, CTX, me="bo", now=NOW)
    assert me.new_values() == {"assignee": "bo"}
    taken = CaseFacts("open", "normal", assignee="bo", id="c1")
    nobody = plan(macro(SetAssignee(None)), taken, CTX, now=NOW)
    assert nobody.field_changes == {"assignee": ("bo", None)}
    assert nobody.lines() == ["assignee: bo -> none"]


def test_set_assignee_problems() -> None:
    unknown = plan(macro(SetAssignee("zed")), OPEN, CTX, agents={"anna"}, now=NOW)
    assert unknown.problems == ("No agent has the handle 'zed'.",)
    who = plan(macro(SetAssignee("me")), OPEN, CTX, me=None, now=NOW)
    assert who.problems == ("Sync once so the desk knows who you are.",)


def test_set_queue() -> None:
    p = plan(macro(SetQueue("billing")), OPEN, CTX, queues={"billing", "support"}, now=NOW)
    assert p.field_changes == {"queue": ("support", "billing")}
    bad = plan(macro(SetQueue("nowhere")), OPEN, CTX, queues={"billing"}, now=NOW)
    assert bad.problems == ("There is no queue 'nowhere'.",)


def test_add_and_remove_tags_list_only_real_changes() -> None:
    case = CaseFacts("open", "normal", tags=("Card", "waiting"), id="c1")
    p = plan(
        macro(AddTags(("#refund", "card", "Refund")), RemoveTags(("WAITING", "absent"))),
        case,
        CTX,
        now=NOW,
    )
    assert p.tags_add == ("refund",)
    assert p.tags_remove == ("waiting",)
    assert p.lines() == ["tags: +refund -waiting"]


def test_reply_renders_the_template_with_its_cursor() -> None:
    template = "Dear {{ customer.first_name }},\nyour case {{ case.number }}: {{ cursor }}"
    p = plan(macro(Reply("public", template)), OPEN, CTX, now=NOW)
    assert p.ok
    assert p.message is not None
    kind, rendered = p.message
    assert kind == "public"
    assert rendered.text == "Dear Anna,\nyour case C-7: "
    assert rendered.cursor == len(rendered.text)
    assert p.field_changes == {}  # an open case stays open


def test_preview_equals_result() -> None:
    template = "Hi {{ customer.first_name|d('there') }}, about {{ case.subject }}."
    p = plan(macro(Reply("internal", template)), OPEN, CTX, now=NOW)
    assert p.message is not None
    assert p.message.rendered == render(template, CTX)
    assert plan(macro(Reply("internal", template)), OPEN, CTX, now=NOW) == p


def test_a_public_reply_opens_a_new_case_and_the_plan_says_so() -> None:
    new = CaseFacts("new", "normal", id="c1")
    p = plan(macro(Reply("public", "Hello")), new, CTX, now=NOW)
    assert p.field_changes == {"status": ("new", "open")}
    note = plan(macro(Reply("internal", "Note")), new, CTX, now=NOW)
    assert note.field_changes == {}


def test_reply_with_an_unknown_field_is_a_problem_never_applied() -> None:
    p = plan(macro(Reply("public", "Hi {{ customer.nick }}")), OPEN, CTX, now=NOW)
    assert not p.ok
    assert p.problems == (
        "{{ customer.nick }} is not a merge field; fix or remove it before sending.",
    )


def test_hostile_values_stay_text_in_a_reply() -> None:
    ctx = merge_context(customer={"first_name": "{{ 7*7 }} [bold]"})
    p = plan(macro(Reply("public", "Hi {{ customer.first_name }}")), OPEN, ctx, now=NOW)
    assert p.message is not None and p.message.rendered.text == "Hi {{ 7*7 }} [bold]"


def test_create_task() -> None:
    action = CreateTask("billing", "Refund {{ case.number }} for {{ customer.name }}", "+2d")
    p = plan(macro(action), OPEN, CTX, now=NOW)
    assert p.ok
    (task,) = p.tasks
    assert (task.team, task.title, task.due_at) == (
        "billing",
        "Refund C-7 for Anna Weber",
        datetime(2026, 3, 4, 9, 30),
    )
    assert p.lines() == ["task for Billing: Refund C-7 for Anna Weber, due 2026-03-04 09:30"]
    undated = plan(macro(CreateTask("fraud", "Check")), OPEN, CTX, now=NOW)
    assert undated.tasks[0].due_at is None


def test_task_title_that_renders_empty_is_a_problem() -> None:
    ctx = merge_context()
    p = plan(macro(CreateTask("fraud", "{{ customer.name }}")), OPEN, ctx, now=NOW)
    assert p.problems == ("The task title would be empty for this case; write what to do.",)


def test_a_whole_macro() -> None:
    m = macro(
        SetStatus("pending"),
        SetPriority("high"),
        SetAssignee("me"),
        SetQueue("billing"),
        AddTags(("refund",)),
        RemoveTags(("card",)),
        Reply("public", "Dear {{ customer.first_name }}, we refunded you."),
        CreateTask("billing", "Refund {{ case.number }}", "+1w"),
        name="Refund issued",
    )
    p = plan(m, OPEN, CTX, me="bo", now=NOW)
    assert p.ok and p.changes_anything
    assert p.field_changes == {
        "status": ("open", "pending"),
        "priority": ("normal", "high"),
        "assignee": (None, "bo"),
        "queue": ("support", "billing"),
    }
    assert (p.tags_add, p.tags_remove) == (("refund",), ("card",))
    assert p.lines() == [
        "status: open -> pending",
        "priority: normal -> high",
        "assignee: none -> bo",
        "queue: support -> billing",
        "tags: +refund -card",
        "public reply: 27 characters",
        "task for Billing: Refund C-7, due 2026-03-09 09:30",
    ]


def test_nothing_to_change() -> None:
    p = plan(macro(SetPriority("normal"), AddTags(("card",))), OPEN, CTX, now=NOW)
    assert p.ok and not p.changes_anything


# -- plan: the rules -------------------------------------------------------------------


def test_a_forbidden_status_move_is_reported_with_the_reason() -> None:
    p = plan(macro(SetStatus("closed")), OPEN, CTX, now=NOW)
    assert p.problems == (
        "A open case cannot move to closed directly; allowed: on hold, pending, solved.",
    )
    back = plan(macro(SetStatus("new")), OPEN, CTX, now=NOW)
    assert back.problems == ("A case cannot go back to new once it has been worked on.",)


def test_a_closed_case_takes_no_macro() -> None:
    closed = CaseFacts("closed", "normal", id="c9")
    p = plan(macro(SetPriority("high"), Reply("public", "Hi")), closed, CTX, now=NOW)
    assert p.problems[0] == (
        "A closed case takes no more updates; a reply creates a follow-up case instead."
    )


def test_values_outside_their_vocabulary_are_problems() -> None:
    m = macro(
        SetStatus("done"),
        SetPriority("p1"),
        Reply("email", "x"),
        CreateTask("legal", "x", "tomorrow"),
        AddTags(()),
    )
    problems = plan(m, OPEN, CTX, now=NOW).problems
    assert "'done' is not a status; use one of new, open, pending, on_hold, solved, closed." in (
        problems
    )
    assert "'p1' is not a priority; use one of low, normal, high, urgent." in problems
    assert "A macro writes a public reply or an internal note, not 'email'." in problems
    assert "'legal' is not a team; use one of fraud, billing, field_service." in problems
    assert "A macro's task is due a span after it is applied, such as +2d or +4h." in problems
    assert "Tags to add or remove are a list of words." in problems


def test_check_macro_rules() -> None:
    assert check_macro(macro(SetStatus("open"))) == []
    assert check_macro(macro()) == ["A macro needs at least one action."]
    assert check_macro(macro(SetStatus("open"), SetStatus("solved"))) == [
        "A macro sets the status once."
    ]
    assert check_macro(macro(Reply("public", "a"), Reply("internal", "b"))) == [
        "A macro writes at most one reply or note."
    ]
    assert check_macro(macro(AddTags(("x",)), RemoveTags(("#X",)))) == [
        "A macro cannot both add and remove the tag x."
    ]
    assert check_macro(macro(SetStatus("open"), scope="personal")) == [
        "A personal macro needs the agent it belongs to."
    ]
    assert check_macro(macro(Reply("public", "{% if %}")))[0].startswith("Line 1 ")


def test_visible_macros() -> None:
    mine = Macro("a", "Mine", (SetStatus("open"),), "personal", "agent-1")
    theirs = Macro("b", "Theirs", (SetStatus("open"),), "personal", "agent-2")
    shared = Macro("c", "Shared", (SetStatus("open"),), "shared")
    assert [m.id for m in visible([mine, theirs, shared], "agent-1")] == ["a", "c"]


# -- bulk ------------------------------------------------------------------------------


def test_bulk_plan_counts_cases_and_gives_one_sample() -> None:
    m = macro(SetStatus("solved"), Reply("public", "Hi {{ customer.first_name }}"))
    cases = [
        (CaseFacts("closed", "normal", id="c0"), CTX),
        (CaseFacts("open", "normal", id="c1"), CTX),
        (CaseFacts("pending", "normal", id="c2"), merge_context(customer={"first_name": "Li"})),
    ]
    bulk = plan_bulk(m, cases, now=NOW)
    assert bulk.count == 3
    assert [p.case_id for p in bulk.ready] == ["c1", "c2"]
    assert bulk.skipped == [
        ("c0", "A closed case takes no more updates; a reply creates a follow-up case instead.")
    ]
    assert bulk.sample is not None and bulk.sample.case_id == "c1"
    assert bulk.sample.message is not None
    assert bulk.sample.message.rendered.text == "Hi Anna"
    assert bulk.plans[2].message is not None
    assert bulk.plans[2].message.rendered.text == "Hi Li"
    assert bulk.summary() == "Test changes 2 of 3 cases (1 cannot take it)."


def test_bulk_plan_of_no_cases() -> None:
    bulk = plan_bulk(macro(SetStatus("solved")), [], now=NOW)
    assert bulk.count == 0 and bulk.sample is None
    assert bulk.summary() == "Test changes 0 of 0 cases."


# -- TOML export and import ------------------------------------------------------------

HOSTILE_BODY = 'Line "one"\n\t"""triple""" \\ back\\slash\n{{ customer.first_name }} ünï 🎉\n'


def _library() -> tuple[list[Macro], list[Snippet]]:
    macros = [
        Macro(
            "m-refund",
            "Refund issued",
            (
                SetStatus("solved"),
                SetPriority("low"),
                SetAssignee(None),
                SetQueue("billing"),
                AddTags(("refund", "money back")),
                RemoveTags(("waiting",)),
                Reply("public", HOSTILE_BODY),
                CreateTask("billing", "Refund {{ case.number }}", "+2d"),
            ),
            "shared",
            None,
            'Solves the case "as refunded".',
        ),
        Macro("m-mine", "Take it", (SetAssignee("me"),), "personal", "agent-1"),
    ]
    snippets = [
        Snippet("s1", "greet", "Greeting", "Hello {{ customer.first_name }},\n{{ cursor }}"),
        Snippet("s2", "sig", "Signature", HOSTILE_BODY, "shared"),
    ]
    snippets[0] = Snippet("s1", "greet", "Greeting", snippets[0].body, "personal", "agent-1")
    return macros, snippets


def test_toml_round_trip() -> None:
    macros, snippets = _library()
    text = macros_to_toml(macros, snippets)
    assert text.startswith("version = 1\n")
    lib = macros_from_toml(text)
    assert list(lib.macros) == macros
    assert list(lib.snippets) == snippets
    assert macros_to_toml(lib.macros, lib.snippets) == text


def test_toml_by_hand_gets_ids_and_normalized_shortcuts() -> None:
    lib = macros_from_toml(
        """
[[macro]]
name = "Close politely"
scope = "shared"
[[macro.action]]
type = "set_status"
status = "solved"

[[snippet]]
shortcut = ";Thanks"
title = "Thanks"
body = "Thank you!"
scope = "shared"
"""
    )
    assert lib.macros[0].id and lib.macros[0].actions == (SetStatus("solved"),)
    assert lib.snippets[0].shortcut == "thanks" and lib.snippets[0].id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[macro]\nname = 1", "The file is not valid TOML: "),
        ("colour = 'red'", "A macro file has no setting 'colour'; use macro and snippet."),
        ("version = 2", "newer version"),
        ("macro = 3", "Write each macro as a [[macro]] table."),
        (
            "[[macro]]\nscope = 'shared'\n[[macro.action]]\ntype='set_status'\nstatus='open'",
            "has no name",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\ncolour = 1",
            "Macro 'X' has no setting 'colour'",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'explode'",
            "Macro 'X': action 1 has type 'explode'; use one of set_status,",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'set_status'\n"
            "status = 'done'",
            "Macro 'X': action 1 (set_status): 'done' is not a status; use one of",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'set_status'",
            "Macro 'X': action 1 (set_status) needs status.",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'set_status'\n"
            "status = 'open'\ncolour = 'red'",
            "Macro 'X': action 1 (set_status) has no setting 'colour'; it takes status.",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'add_tags'\n"
            "tags = 'x'",
            "takes tags as a list of words",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'reply'\n"
            "kind = 'public'\ntemplate = '{{ customer.nick }}'",
            "Macro 'X': action 1 (reply): {{ customer.nick }} is not a merge field",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'\n[[macro.action]]\ntype = 'reply'\n"
            "kind = 'public'\ntemplate = '{% macro x() %}{% endmacro %}'",
            "{% macro %} is not available",
        ),
        (
            "[[macro]]\nname = 'X'\nscope = 'shared'",
            "Macro 'X': A macro needs at least one action.",
        ),
        (
            "[[snippet]]\nshortcut = 'a b'\ntitle = 't'\nbody = 'b'",
            "Snippet 'a b': A shortcut is a word",
        ),
        (
            "[[snippet]]\nshortcut = 'x'\ntitle = 't'\nbody = 'b'\nscope = 'shared'\n"
            "[[snippet]]\nid = 'same'\nshortcut = 'y'\ntitle = 't'\nbody = 'b'\nscope = 'shared'\n"
            "[[snippet]]\nid = 'same'\nshortcut = 'z'\ntitle = 't'\nbody = 'b'\nscope = 'shared'",
            "Two snippets have the id 'same'; ids must differ.",
        ),
        (
            "[[snippet]]\nshortcut = 'x'\ntitle = 't'\nbody = 'b'",
            "Snippet 'x': A personal snippet needs the agent it belongs to.",
        ),
    ],
)
def test_toml_errors_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        macros_from_toml(text)
    sentence = str(caught.value)
    assert message in sentence
    assert "\n" not in sentence.strip() and sentence.endswith(".")


# -- snippets --------------------------------------------------------------------------

GREET_SHARED = Snippet("1", "greet", "Greeting", "Hello {{ customer.first_name }},\n", "shared")
GREET_MINE = Snippet(
    "2", "greet", "My greeting", "Hi {{ customer.first_name }}! {{ cursor }}", "personal", "agent-1"
)
REFUND = Snippet("3", "refund", "Refund issued", "We refunded your card.", "shared")
SIG = Snippet("4", "sig", "Signature", "Kind regards,\n{{ agent.name }}", "shared")
GRUSS = Snippet("5", "gr", "Grüße", "Viele Grüße", "shared")
OTHERS = Snippet("6", "zz", "Not yours", "x", "personal", "agent-2")
ALL = [GREET_SHARED, GREET_MINE, REFUND, SIG, GRUSS, OTHERS]


@pytest.mark.parametrize(
    ("line", "word"),
    [
        (";greet", "greet"),
        ("Hello ;greet", "greet"),
        ("(;Sig", "sig"),
        ("a;greet", None),
        ("x ;", None),
        ("x ;greet ", None),
        ("; greet", None),
        ("x ;" + "a" * 40, None),
    ],
)
def test_find_shortcut(line: str, word: str | None) -> None:
    assert find_shortcut(line) == word


def test_lookup_prefers_my_own_and_hides_others() -> None:
    assert lookup("greet", ALL, "agent-1") == GREET_MINE
    assert lookup(";GREET", ALL, "agent-9") == GREET_SHARED
    assert lookup("zz", ALL, "agent-1") is None
    assert [s.id for s in visible_snippets(ALL, "agent-1")] == ["1", "2", "3", "4", "5"]


def test_expand_replaces_the_shortcut_and_places_the_cursor() -> None:
    text = "Thanks!\n;greet"
    e = expand(text, len(text), ALL, CTX, agent_id="agent-1")
    assert e is not None
    assert e.text == "Thanks!\nHi Anna! "
    assert e.cursor == len(e.text)
    assert (e.start, e.end) == (8, len(e.text))
    shared = expand(text, len(text), ALL, CTX, agent_id=None)
    assert shared is not None and shared.text == "Thanks!\nHello Anna,"


def test_expand_in_the_middle_keeps_the_rest() -> None:
    text = "A ;sig B"
    e = expand(text, 6, ALL, CTX)
    assert e is not None and e.text == "A Kind regards,\nBo Li B"
    assert e.cursor == len("A Kind regards,\nBo Li")


def test_expand_does_nothing_without_a_known_shortcut() -> None:
    assert expand("no shortcut", 11, ALL, CTX) is None
    assert expand(";nope", 5, ALL, CTX) is None


def test_several_snippets_go_into_one_reply() -> None:
    e1 = expand(";greet", 6, ALL, CTX)
    assert e1 is not None
    e2 = insert(e1.text, e1.cursor, REFUND, CTX)
    text = e2.text + "\n;sig"
    e3 = expand(text, len(text), ALL, CTX)
    assert e3 is not None
    assert e3.text == "Hello Anna,We refunded your card.\nKind regards,\nBo Li"


def test_a_broken_snippet_inserts_nothing_and_says_why() -> None:
    bad = Snippet("9", "bad", "Bad", "{% if %}", "shared")
    e = insert("keep", 4, bad, CTX)
    assert e.text == "keep" and e.cursor == 4
    assert e.rendered.errors and e.rendered.problems[0].startswith("Line 1 ")


def test_snippet_checks() -> None:
    assert check_snippet(REFUND) == []
    assert normalize_shortcut(";Hi-There_2") == "hi-there_2"
    with pytest.raises(ValueError, match="A shortcut is a word"):
        normalize_shortcut("two words")
    broken = Snippet("x", "", "", "{{ customer.nick }}", "team")  # type: ignore[arg-type]
    problems = check_snippet(broken)
    assert problems[0].startswith("A shortcut is a word")
    assert "A snippet needs a title for the picker." in problems
    assert "A snippet is personal or shared, not 'team'." in problems
    assert problems[-1].startswith("{{ customer.nick }} is not a merge field")


def test_fuzzy_score() -> None:
    assert fuzzy_score("rfd", "refund") is not None
    assert fuzzy_score("xyz", "refund") is None
    assert fuzzy_score("", "anything") == 0
    # consecutive letters and word starts beat scattered ones
    assert fuzzy_score("ref", "refund") > fuzzy_score("ref", "r e f")  # type: ignore[operator]
    assert fuzzy_score("ri", "Refund issued") > fuzzy_score("ri", "Refunding")  # type: ignore[operator]
    assert fuzzy_score("grusse", "Grüße") is not None


def test_fuzzy_rank() -> None:
    snippets = visible_snippets(ALL, "agent-1")
    assert [s.id for s in fuzzy_rank("gr", snippets)][:1] == ["5"]  # the exact shortcut
    assert [s.id for s in fuzzy_rank("greet", snippets)] == ["2", "1"]  # mine first
    assert [s.id for s in fuzzy_rank("refnd", snippets)] == ["3"]
    assert [s.id for s in fuzzy_rank("card", snippets)] == ["3"]  # in the body
    assert [s.id for s in fuzzy_rank("grüsse", snippets)] == ["5"]
    assert [s.id for s in fuzzy_rank("refund card", snippets)] == ["3"]  # every word
    assert fuzzy_rank("xyz", snippets) == []
    assert [s.id for s in fuzzy_rank("", snippets)] == ["2", "5", "1", "3", "4"]
    assert len(fuzzy_rank("", snippets, limit=2)) == 2


# -- suggestions that learn ------------------------------------------------------------


def test_subject_words_and_features() -> None:
    assert subject_words("Bitte: Karte gesperrt! The card is BLOCKED, card") == [
        "karte",
        "gesperrt",
        "card",
        "blocked",
    ]
    assert case_features("Billing", ["#Refund"], "Double charge") == [
        "queue:billing",
        "tag:refund",
        "word:double",
        "word:charge",
    ]


def test_ranking_without_history_keeps_the_given_order() -> None:
    s = Suggester()
    ranked = s.rank(["a", "b", "c"], queue="billing", subject="refund")
    assert [r.macro_id for r in ranked] == ["a", "b", "c"]
    assert all(r.reasons == () for r in ranked)


def test_ranking_learns_from_use() -> None:
    s = Suggester()
    ids = ["greet", "refund", "card-block"]
    for _ in range(3):
        s.record("refund", queue="billing", tags=["refund"], subject="Refund for double charge")
    s.record("card-block", queue="cards", subject="Card blocked abroad")
    billing = s.rank(ids, queue="billing", subject="Where is my refund?")
    assert billing[0].macro_id == "refund"
    assert billing[0].reasons == (
        "used 3 times in queue billing",
        "used 3 times when the subject said 'refund'",
    )
    cards = s.rank(ids, queue="cards", subject="card blocked")
    assert cards[0].macro_id == "card-block"
    # more use on cards moves the card macro further ahead
    before = cards[0].score - cards[1].score
    s.record("card-block", queue="cards", subject="Card blocked in Spain")
    after_rank = s.rank(ids, queue="cards", subject="card blocked")
    assert after_rank[0].macro_id == "card-block"
    assert after_rank[0].score - after_rank[1].score > before


def test_a_macro_used_often_elsewhere_does_not_crowd_out() -> None:
    s = Suggester()
    for _ in range(20):
        s.record("popular", queue="billing", subject="invoice question")
    for _ in range(2):
        s.record("niche", queue="cards", subject="card stolen")
    ranked = s.rank(["popular", "niche"], queue="cards", subject="stolen card")
    assert [r.macro_id for r in ranked] == ["niche", "popular"]


def test_suggester_round_trips_through_json_and_forgets() -> None:
    s = Suggester()
    s.record("a", queue="billing", tags=["x"], subject="refund please")
    s.record("b", queue="cards")
    data = json.loads(json.dumps(s.to_dict()))
    back = Suggester.from_dict(data)
    assert back.to_dict() == s.to_dict()
    assert back.rank(["b", "a"], queue="billing") == s.rank(["b", "a"], queue="billing")
    back.forget("a")
    assert back.total == 1 and "a" not in back.to_dict()["macros"]


def test_suggester_from_a_damaged_dict_keeps_what_it_can() -> None:
    data = {
        "macros": {
            "a": {"uses": 2, "features": {"queue:x": 2, "tag:y": "many", "tag:z": 99}},
            "b": {"uses": "lots"},
            "c": "nonsense",
        }
    }
    s = Suggester.from_dict(data)
    assert s.to_dict() == {
        "version": 1,
        "total": 2,
        "macros": {"a": {"uses": 2, "features": {"queue:x": 2}}},
    }
    assert Suggester.from_dict({}).total == 0
    assert Suggester.from_dict([]).total == 0  # type: ignore[arg-type]
