"""Reply templates: merge fields, defaults, the cursor, unknown fields, and the sandbox."""

from __future__ import annotations

import time

import pytest

from csm_tui.domain import templates as t
from csm_tui.domain.templates import (
    FIELDS,
    KNOWN_FIELDS,
    MAX_LOOP_STEPS,
    MAX_OUTPUT_CHARS,
    AgentFields,
    CaseFields,
    MergeContext,
    check,
    merge_context,
    render,
    unknown_marks,
)

CASE = {
    "number": "C-2026-0042",
    "subject": "Card blocked abroad",
    "status": "on_hold",
    "priority": "high",
    "queue": "Cards DE",
    "channel": "email",
}
CUSTOMER = {
    "first_name": "Anna",
    "last_name": "Weber",
    "salutation": "Ms",
    "customer_number": "K-100234",
    "email": "anna@example.org",
    "language": "de",
}
ACCOUNT = {"name": "Weber GmbH", "tier": "gold"}
AGENT = {"name": "Bo Li", "handle": "bo.li"}


@pytest.fixture
def ctx() -> MergeContext:
    return merge_context(case=CASE, customer=CUSTOMER, account=ACCOUNT, agent=AGENT)


# -- every field -----------------------------------------------------------------------


EXPECTED = {
    "case.number": "C-2026-0042",
    "case.subject": "Card blocked abroad",
    "case.status": "on hold",
    "case.priority": "high",
    "case.queue": "Cards DE",
    "case.channel": "email",
    "customer.first_name": "Anna",
    "customer.last_name": "Weber",
    "customer.name": "Anna Weber",
    "customer.salutation": "Ms",
    "customer.customer_number": "K-100234",
    "customer.email": "anna@example.org",
    "customer.language": "de",
    "account.name": "Weber GmbH",
    "account.tier": "gold",
    "agent.name": "Bo Li",
    "agent.first_name": "Bo",
    "agent.handle": "bo.li",
}


def test_the_expected_values_cover_every_field() -> None:
    assert set(EXPECTED) | {"cursor"} == set(KNOWN_FIELDS)


@pytest.mark.parametrize("field", sorted(EXPECTED))
def test_every_field_renders(ctx: MergeContext, field: str) -> None:
    out = render(f"<{{{{ {field} }}}}>", ctx)
    assert out.ok, out.problems
    assert out.text == f"<{EXPECTED[field]}>"
    assert check(f"{{{{ {field} }}}}") == []


def test_a_whole_reply(ctx: MergeContext) -> None:
    template = (
        "Dear {{ customer.salutation }} {{ customer.last_name }},\n"
        "about your case {{ case.number }} ({{ case.subject }}):\n"
        "{{ cursor }}\n"
        "Kind regards,\n{{ agent.name }}"
    )
    out = render(template, ctx)
    assert out.text == (
        "Dear Ms Weber,\nabout your case C-2026-0042 (Card blocked abroad):\n\nKind regards,\nBo Li"
    )
    assert out.ok


def test_context_accepts_field_objects_and_rejects_unknown_names() -> None:
    ctx = merge_context(case=CaseFields(number="C-1"), agent=AgentFields(name="Bo"))
    assert render("{{ case.number }} {{ agent.first_name }}", ctx).text == "C-1 Bo"
    with pytest.raises(ValueError, match="customer has no field nickname"):
        merge_context(customer={"nickname": "x"})


def test_context_values_are_cleaned_one_line_text() -> None:
    ctx = merge_context(customer={"first_name": "An\x1b[31mna\n\tX", "last_name": None})
    assert ctx.customer.first_name == "Anna X"
    assert ctx.customer.last_name == ""
    long = merge_context(case={"subject": "x" * 5000})
    assert len(long.case.subject) == t.MAX_FIELD_CHARS


# -- defaults --------------------------------------------------------------------------


def test_defaults_fill_empty_and_blank_fields() -> None:
    ctx = merge_context(customer={"first_name": "", "last_name": "   "})
    out = render(
        '{{ customer.first_name|default("there") }}/{{ customer.last_name|d("?") }}/'
        '{{ customer.salutation|default("Hello") }}',
        ctx,
    )
    assert out.text == "there/?/Hello"
    assert out.ok


def test_a_default_does_not_replace_a_value(ctx: MergeContext) -> None:
    assert render('{{ customer.first_name|default("there") }}', ctx).text == "Anna"


def test_an_empty_field_without_default_is_empty_not_unknown() -> None:
    out = render("Hi {{ customer.first_name }}!", merge_context())
    assert out.text == "Hi !"
    assert out.ok


# -- the cursor ------------------------------------------------------------------------


def test_the_cursor_mark_is_removed_and_its_offset_returned(ctx: MergeContext) -> None:
    out = render("Hello {{ customer.first_name }},\n\n{{ cursor }}\n\nBye", ctx)
    assert out.text == "Hello Anna,\n\n\n\nBye"
    assert out.cursor == len("Hello Anna,\n\n")
    assert out.location() == (2, 0)


def test_only_the_first_cursor_counts_and_none_means_none(ctx: MergeContext) -> None:
    out = render("a{{ cursor }}b{{ cursor }}c", ctx)
    assert (out.text, out.cursor) == ("abc", 1)
    assert render("abc", ctx).cursor is None
    assert render("abc", ctx).location() is None


def test_the_cursor_survives_filters_and_cleaning(ctx: MergeContext) -> None:
    out = render("x\r\n{{ cursor|upper }}y", ctx)
    assert (out.text, out.cursor) == ("x\ny", 2)


# -- unknown fields --------------------------------------------------------------------


def test_an_unknown_field_is_reported_and_marked_not_sent(ctx: MergeContext) -> None:
    out = render("Hi {{ customer.frist_name }}!", ctx)
    assert out.unknown == ("customer.frist_name",)
    assert out.text == "Hi [?customer.frist_name]!"
    assert not out.ok
    assert out.problems == [
        "{{ customer.frist_name }} is not a merge field; fix or remove it before sending."
    ]
    assert unknown_marks(out.text) == ["customer.frist_name"]
    assert check("Hi {{ customer.frist_name }}!") == out.problems


def test_unknown_names_and_groups(ctx: MergeContext) -> None:
    out = render("{{ nickname }} {{ foo.bar }} {{ customer }}", ctx)
    assert out.unknown == ("nickname", "foo.bar", "customer")
    problems = check("{{ nickname }} {{ customer }}")
    assert problems[0].startswith("{{ nickname }} is not a merge field")
    assert problems[1].startswith("{{ customer }} is a group of fields; use one of")


def test_an_unknown_field_with_a_default_renders_the_default(ctx: MergeContext) -> None:
    out = render('{{ customer.nickname|default("friend") }}', ctx)
    assert out.text == "friend"
    assert out.ok  # the text is fine to send ...
    assert check('{{ customer.nickname|default("friend") }}')  # ... but the editor warns


def test_check_finds_unknown_fields_in_branches_not_taken(ctx: MergeContext) -> None:
    template = "{% if false %}{{ case.nmber }}{% endif %}ok"
    assert render(template, ctx).ok
    assert check(template) == [
        "{{ case.nmber }} is not a merge field; fix or remove it before sending."
    ]


def test_a_truth_test_on_an_unknown_field_is_reported(ctx: MergeContext) -> None:
    out = render("{% if customer.vip %}VIP{% else %}-{% endif %}", ctx)
    assert out.text == "-"
    assert out.unknown == ("customer.vip",)


def test_arithmetic_on_an_unknown_field_is_an_error_sentence(ctx: MergeContext) -> None:
    out = render("{{ case.nope + 1 }}", ctx)
    assert out.text == ""
    assert out.errors == ("{{ case.nope }} is not a merge field; fix or remove it before sending.",)
    assert out.problems == list(out.errors)


# -- hostile values --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "{{ 7*7 }}",
        "{% for x in range(3) %}x{% endfor %}",
        "[bold]Anna[/bold]",
        "[link=https://evil.example]click[/link]",
        "{{ cursor }}",
        "<b>&amp;</b>",
        "%s {0} $HOME",
    ],
)
def test_values_are_data_never_rendered_again(value: str) -> None:
    ctx = merge_context(customer={"first_name": value})
    out = render("Hi {{ customer.first_name }}!", ctx)
    assert out.ok
    assert out.text == f"Hi {value}!"
    assert out.cursor is None


def test_control_characters_in_values_and_literals_are_stripped() -> None:
    ctx = merge_context(customer={"first_name": "A\x1b]0;owned\x07nna\x9b2J"})
    assert render("{{ customer.first_name }}", ctx).text == "Anna"
    assert render('x{{ "\\x1b[2J" }}y', ctx).text == "xy"


# -- syntax and refused parts of the language ------------------------------------------


def test_a_syntax_error_is_one_sentence(ctx: MergeContext) -> None:
    out = render("Hi {{ customer.first_name }", ctx)
    assert out.text == ""
    assert len(out.errors) == 1
    assert out.errors[0].startswith("Line 1 of the template has a syntax error: ")
    assert out.errors[0].endswith(".")
    assert check("Hi {{ customer.first_name }") == list(out.errors)
    assert check("Line one\n{% if %}")[0].startswith("Line 2 ")


@pytest.mark.parametrize(
    ("template", "word"),
    [
        ("{% macro f() %}x{% endmacro %}", "{% macro %}"),
        ('{% include "x" %}', "{% include %}"),
        ('{% import "x" as y %}', "{% import %}"),
        ('{% extends "x" %}', "{% extends %}"),
        ("{% block b %}{% endblock %}", "{% block %}"),
        ("{% filter upper %}x{% endfilter %}", "{% filter %}"),
        ("{% set x %}y{% endset %}", "{% set ... endset %}"),
        ("{% for x in [1] recursive %}{% endfor %}", "recursive"),
        ("{% set customer = 1 %}", "'customer' is a merge field"),
        ("{{ [case.number] }}", "plain values only"),
        ("{{ _private }}", "'_private'"),
    ],
)
def test_refused_tags_are_one_sentence(ctx: MergeContext, template: str, word: str) -> None:
    out = render(template, ctx)
    assert out.text == ""
    assert len(out.errors) == 1 and word in out.errors[0]


def test_an_unknown_filter_names_the_allowed_ones(ctx: MergeContext) -> None:
    out = render("{{ customer.first_name|center(1000000000) }}", ctx)
    assert out.errors == (
        "Line 1: there is no filter 'center' in templates; use "
        + ", ".join(t.ALLOWED_FILTERS)
        + ".",
    )


def test_allowed_filters_and_statements_work(ctx: MergeContext) -> None:
    template = (
        "{{ customer.first_name|upper }} {{ case.subject|truncate(9, true, '') }} "
        "{{ customer.last_name|length }} "
        "{% set n = customer.first_name|lower %}{{ n }} "
        "{% with s = case.subject %}{{ s|wordcount }}{% endwith %} "
        "{% for i in range(3) if i is odd %}{{ loop.index }}:{{ i }}{% endfor %} "
        "{% if account.tier in ('gold', 'platinum') %}priority line{% endif %} "
        "{{ 'abc'[::-1] ~ case['number'] }}"
    )
    out = render(template, ctx)
    assert out.ok, out.problems
    assert out.text == "ANNA Card bloc 5 anna 3 1:1 priority line cbaC-2026-0042"
    assert check(template) == []


# -- the sandbox -----------------------------------------------------------------------

ESCAPES = [
    "{{ case.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ customer.__dict__ }}",
    "{{ customer['__class__'] }}",
    "{{ customer.values }}{{ customer.label.__class__ }}",
    "{{ range.__self__ }}",
    "{{ (1).real.__class__ }}",
    "{{ loop.__class__ }}",
    "{{ self.__init__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace.__init__ }}",
    "{{ case|attr('__class__') }}",
    "{{ ''.join(['a']) }}",
    "{{ customer.first_name.upper() }}",
    "{{ customer.first_name.format(1) }}",
    "{{ '{0.__class__}'.format(case) }}",
    "{{ dict(a=1) }}",
    "{{ lipsum(n=100000) }}",
    "{% for i in range(2) %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{{ self }}",
    "{{ '%s' % case }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_the_sandbox_refuses_escapes_with_a_sentence(ctx: MergeContext, template: str) -> None:
    out = render(template, ctx)
    assert not out.ok
    assert "class" not in out.text and "<" not in out.text
    for sentence in out.problems:
        assert sentence.endswith(".") and "Traceback" not in sentence


def test_refused_attribute_access_says_why(ctx: MergeContext) -> None:
    out = render("{{ case.__class__.__mro__ }}", ctx)
    assert out.errors == (
        "A template may only read merge fields such as {{ customer.first_name }}; "
        "'__class__' is not one.",
    )
    call = render("{{ customer.first_name.upper() }}", ctx)
    assert "'upper' is not one" in call.errors[0]
    assert "cannot call functions" in render("{{ lipsum(3) }}", ctx).errors[0]
    assert any("cannot call functions" in p for p in check("{{ case.number.upper() }}"))
    assert any("'__class__' is not one" in p for p in check("{{ ''.__class__ }}"))


# -- limits: nothing hangs, nothing grows without bound --------------------------------

BOMBS = [
    ("{% for x in range(10**9) %}x{% endfor %}", "range() gives at most"),
    ("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}", "loops"),
    (
        "{% for a in 'x' * 20000 %}{% for b in 'y' * 20000 %}{% endfor %}{% endfor %}",
        "loops",
    ),
    ("{% for a in [1,2,3,4,5,6,7,8,9,10] %}" * 6 + "{% endfor %}" * 6, "loops"),
    ("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "longer than"),
    ("{{ 'x' * 10**9 }}", "longer than"),
    ("{{ [0] * 10**9 }}", "longer than"),
    ("{{ 10**10**10**10**10 }}", "too large"),  # left-associative in Jinja
    ("{{ 2**100000 }}", "too large"),
    ("{{ 10.0**400 }}", "too large"),
    ("{% set a = 'x' * 20000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c|length }}", "longer"),
    ("{% set a = 'x' * 20000 %}{% set b = a + a %}{{ b|length }}", "longer than"),
    ("{{ 'a' in range(10**9) }}", "range() gives at most"),
    ("{{ (" * 2000 + "1" + ")" * 2000 + " }}", "nested too deeply"),
]


@pytest.mark.parametrize(("template", "words"), BOMBS)
def test_hostile_templates_stop_quickly_with_a_sentence(
    ctx: MergeContext, template: str, words: str
) -> None:
    started = time.perf_counter()
    out = render(template, ctx)
    assert time.perf_counter() - started < 2.0
    assert out.text == ""
    assert len(out.errors) == 1 and words in out.errors[0], out.errors


def test_loop_steps_count_across_loops(ctx: MergeContext) -> None:
    half = MAX_LOOP_STEPS // 2
    inner = "{% for i in range(1000) %}{% endfor %}"
    assert render(inner * (half // 1000), ctx).ok
    assert not render(inner * (MAX_LOOP_STEPS // 1000 + 1), ctx).ok


def test_output_up_to_the_cap_is_fine(ctx: MergeContext) -> None:
    out = render("{{ 'x' * " + str(MAX_OUTPUT_CHARS) + " }}", ctx)
    assert out.ok and len(out.text) == MAX_OUTPUT_CHARS
    assert not render("{{ 'x' * " + str(MAX_OUTPUT_CHARS) + " }}y", ctx).ok


def test_a_too_long_template_is_refused(ctx: MergeContext) -> None:
    long = "x" * (t.MAX_TEMPLATE_CHARS + 1)
    assert render(long, ctx).errors == ("A template is at most 20,000 characters long.",)
    assert check(long) == ["A template is at most 20,000 characters long."]


def test_runtime_errors_are_one_sentence(ctx: MergeContext) -> None:
    out = render("{{ 1 // 0 }}", ctx)
    assert len(out.errors) == 1
    assert out.errors[0].startswith("The template could not be filled in: ")


# -- preview equals result -------------------------------------------------------------


def test_preview_equals_result(ctx: MergeContext) -> None:
    template = (
        "Dear {{ customer.first_name|default('customer') }},\n{{ cursor }}\n"
        "{% for i in range(2) %}{{ loop.index }}{% endfor %} {{ case.nope }}"
    )
    first = render(template, ctx)
    for _ in range(3):
        assert render(template, ctx) == first
    again = render(template, merge_context(case=CASE, customer=CUSTOMER, agent=AGENT))
    assert again.text == first.text and again.cursor == first.cursor


def test_fields_table_matches_the_groups() -> None:
    assert set(FIELDS) == {"case", "customer", "account", "agent"}
    assert "first_name" in FIELDS["customer"]


def test_block_lines_leave_no_blank_lines(ctx: MergeContext) -> None:
    out = render("A\n{% if account.tier == 'gold' %}\nB\n{% endif %}\nC\n", ctx)
    assert out.text == "A\nB\nC"


def test_a_group_may_be_aliased(ctx: MergeContext) -> None:
    template = "{% set c = customer %}{{ c.first_name }}"
    assert render(template, ctx).text == "Anna"
    assert check(template) == []
