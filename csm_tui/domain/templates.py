"""Reply templates with merge fields: ``Dear {{ customer.first_name }}, ...``.

Templates are Jinja2 text rendered in a locked-down sandbox, because shared templates and
macros come from other people and customer data fills them in. Pure: no I/O, no clock.

Merge fields (every value is a plain one-line string; an empty field is ``""``)::

    case.number  case.subject  case.status  case.priority  case.queue  case.channel
    customer.first_name  customer.last_name  customer.name  customer.salutation
    customer.customer_number  customer.email  customer.language
    account.name  account.tier
    agent.name  agent.first_name  agent.handle
    cursor        where typing continues once the text is in the composer

Rules:

- ``{{ field|default("text") }}`` (or ``|d``) gives ``text`` when the field is empty, blank or
  not a field at all. Autoescape is off: this is plain text, never markup.
- A line holding only a block tag (``{% if %}``, ``{% endfor %}``, ...) leaves no blank line
  (Jinja's ``trim_blocks`` and ``lstrip_blocks``); a single trailing newline is dropped.
- Values are data: a first name ``{{ 7*7 }}`` or ``[bold]`` comes out exactly as written
  (values are never rendered again). Control characters are stripped from values and output.
- The cursor mark is ``{{ cursor }}`` (a plain field, so no custom tag is needed and
  :func:`check` knows it): it is removed from the text and its offset returned. Only the
  first one counts; later ones are removed.
- A field that does not exist (a typo such as ``customer.frist_name``) renders as the
  visible mark ``[?customer.frist_name]`` and is listed in :attr:`Rendered.unknown`, unless a
  ``|default(...)`` covers it; a text with unknown fields must not be sent
  (:attr:`Rendered.ok`, :func:`unknown_marks` for text the agent edited afterwards).
- The language is cut down to what a reply needs: fields, the filters of
  :data:`ALLOWED_FILTERS`, tests (``is defined``, ...), ``{% if %}``, ``{% for %}`` (not
  recursive), ``{% set x = ... %}``, ``{% with %}``, ``range()`` and plain operators. No
  macros, includes, imports, blocks or ``{% filter %}``/``{% set %}...{% endset %}`` blocks;
  no function or method calls (except ``range``); no attribute other than a merge field or
  ``loop.index`` and friends; list and dict literals hold constants only.
- Limits keep a hostile template from hanging the desk: at most
  :data:`MAX_TEMPLATE_CHARS` of template, :data:`MAX_OUTPUT_CHARS` of output (and of any
  value computed on the way), :data:`MAX_LOOP_STEPS` loop steps in all and
  :data:`MAX_RANGE` items per ``range()``, numbers of at most :data:`MAX_INT_BITS` bits,
  and :data:`MAX_RENDER_SECONDS` of time.

Every problem is one sentence for the agent: :attr:`Rendered.errors` (syntax, refused
access, limits) and :attr:`Rendered.unknown` (field names); :func:`check` lists the
problems of a template without data, including unknown fields in branches not taken.
Jinja2 is imported on the first render, not when this module is imported.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.text import clean, clean_line

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 20_000
MAX_OUTPUT_CHARS = 20_000
#: All ``{% for %}`` loops of one render together take at most this many steps.
MAX_LOOP_STEPS = 10_000
#: ``range()`` gives at most this many numbers.
MAX_RANGE = 1_000
#: Integers computed by a template stay below 2**MAX_INT_BITS.
MAX_INT_BITS = 4_096
MAX_RENDER_SECONDS = 2.0
#: A merge value longer than this is cut (names and subjects are far shorter).
MAX_FIELD_CHARS = 1_000

#: The text an unknown field leaves in the rendered text: ``[?customer.frist_name]``.
UNKNOWN_MARK = "[?{}]"
_UNKNOWN_MARK_RE = re.compile(r"\[\?([A-Za-z_][A-Za-z0-9_.]{0,80})\]")
#: The cursor field's value while rendering: control characters, so no value (they are
#: cleaned) and no filter (upper, lower, ...) can produce or change it.
_CURSOR = "\x00\x1e\x00"

#: Filters a template may use (``d`` is ``default``).
ALLOWED_FILTERS = (
    "default",
    "d",
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "truncate",
    "first",
    "last",
    "length",
    "count",
    "wordcount",
    "int",
    "float",
    "abs",
    "round",
)
_CONTAINER_FILTERS = frozenset({"first", "last", "length", "count"})
#: ``loop.<name>`` a template may read inside ``{% for %}``.
LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0"}
)


# -- merge values --------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFields:
    number: str = ""
    subject: str = ""
    status: str = ""
    priority: str = ""
    queue: str = ""
    channel: str = ""


@dataclass(frozen=True)
class CustomerFields:
    first_name: str = ""
    last_name: str = ""
    #: The full name; :func:`merge_context` fills it from first and last name when empty.
    name: str = ""
    #: "Ms", "Herr", "Dear Dr. Weber", ... as the caller knows it; empty when unknown.
    salutation: str = ""
    customer_number: str = ""
    email: str = ""
    language: str = ""


@dataclass(frozen=True)
class AccountFields:
    name: str = ""
    tier: str = ""


@dataclass(frozen=True)
class AgentFields:
    name: str = ""
    #: :func:`merge_context` takes the first word of ``name`` when empty.
    first_name: str = ""
    handle: str = ""


@dataclass(frozen=True)
class MergeContext:
    """The values a template is filled with: plain strings, already cleaned."""

    case: CaseFields = CaseFields()
    customer: CustomerFields = CustomerFields()
    account: AccountFields = AccountFields()
    agent: AgentFields = AgentFields()


_GROUPS: dict[str, type[Any]] = {
    "case": CaseFields,
    "customer": CustomerFields,
    "account": AccountFields,
    "agent": AgentFields,
}
#: Every merge field, by group: ``FIELDS["customer"] == ("first_name", ...)``.
FIELDS: dict[str, tuple[str, ...]] = {
    group: tuple(f.name for f in dataclasses.fields(cls)) for group, cls in _GROUPS.items()
}
#: Every field a template may name, dotted: ``"case.number"``, ..., and ``"cursor"``.
KNOWN_FIELDS: tuple[str, ...] = (
    *(f"{group}.{name}" for group, names in FIELDS.items() for name in names),
    "cursor",
)
_TOP_NAMES = frozenset({*FIELDS, "cursor", "range", "loop"})


def _values(group: str, given: Any) -> dict[str, str]:
    if given is None:
        raw: Mapping[str, Any] = {}
    elif isinstance(given, Mapping):
        raw = given
    elif dataclasses.is_dataclass(given) and not isinstance(given, type):
        raw = {f.name: getattr(given, f.name) for f in dataclasses.fields(given)}
    else:
        raise ValueError(f"The {group} fields must be a mapping or a {group} fields object.")
    unknown = sorted(set(raw) - set(FIELDS[group]))
    if unknown:
        raise ValueError(
            f"{group} has no field {', '.join(unknown)}; it has {', '.join(FIELDS[group])}."
        )
    out = {}
    for name in FIELDS[group]:
        value = raw.get(name)
        text = "" if value is None else clean_line(str(getattr(value, "value", value)))
        out[name] = text.replace(_CURSOR, "")[:MAX_FIELD_CHARS]
    return out


def merge_context(
    *,
    case: CaseFields | Mapping[str, Any] | None = None,
    customer: CustomerFields | Mapping[str, Any] | None = None,
    account: AccountFields | Mapping[str, Any] | None = None,
    agent: AgentFields | Mapping[str, Any] | None = None,
) -> MergeContext:
    """A :class:`MergeContext` from field objects or plain dicts of the same names.

    Values are made one-line text without control characters (``None`` is empty); a status
    becomes its label (``on_hold`` -> ``on hold``); ``customer.name`` defaults to first and
    last name, ``agent.first_name`` to the first word of the agent's name. Raises
    ValueError (one sentence) for a name that is no field of its group."""
    c = _values("case", case)
    if c["status"] in CaseStatus.__members__.values():
        c["status"] = CaseStatus(c["status"]).label
    p = _values("customer", customer)
    if not p["name"]:
        p["name"] = f"{p['first_name']} {p['last_name']}".strip()
    a = _values("agent", agent)
    if not a["first_name"] and a["name"]:
        a["first_name"] = a["name"].split()[0]
    return MergeContext(
        case=CaseFields(**c),
        customer=CustomerFields(**p),
        account=AccountFields(**_values("account", account)),
        agent=AgentFields(**a),
    )


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """A filled-in template. ``cursor`` is an offset into ``text`` (None: no cursor mark);
    ``unknown`` names the fields that do not exist; ``errors`` are sentences. When there
    are errors, ``text`` is empty."""

    text: str
    cursor: int | None = None
    unknown: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the text may be sent as it is."""
        return not self.unknown and not self.errors

    @property
    def problems(self) -> list[str]:
        """Every problem as a sentence, for the preview."""
        sentences = [*self.errors, *(unknown_sentence(name) for name in self.unknown)]
        return list(dict.fromkeys(sentences))

    def location(self) -> tuple[int, int] | None:
        """The cursor as (row, column) in ``text``, as a text area counts them."""
        if self.cursor is None:
            return None
        before = self.text[: self.cursor]
        return before.count("\n"), len(before) - (before.rfind("\n") + 1)


def unknown_sentence(name: str) -> str:
    return f"{{{{ {name} }}}} is not a merge field; fix or remove it before sending."


def unknown_marks(text: str) -> list[str]:
    """The unknown-field marks left in ``text`` (perhaps edited since it was rendered)."""
    return list(dict.fromkeys(_UNKNOWN_MARK_RE.findall(text)))


# -- rendering -----------------------------------------------------------------------------


class _Refused(Exception):
    """A template went past a limit; ``str()`` is the sentence."""


@dataclass
class _Run:
    deadline: float
    unknown: list[str] = dataclasses.field(default_factory=list)
    steps: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_STEPS:
            raise _Refused(
                f"The template's loops ran more than {MAX_LOOP_STEPS:,} steps; make them smaller."
            )
        if time.monotonic() > self.deadline:
            raise _Refused("The template took too long to fill in; make it simpler.")

    def record(self, name: str) -> None:
        if name not in self.unknown:
            self.unknown.append(name)


_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("csm_template_run", default=None)

_TOO_LONG = f"The text would be longer than {MAX_OUTPUT_CHARS:,} characters; shorten the template."
_TOO_BIG = "A calculation in the template would make a value too large."
_NO_CALLS = (
    "A template cannot call functions or methods (only range()); "
    "use filters such as |upper instead."
)


def _refused_access(name: object) -> str:
    return (
        f"A template may only read merge fields such as {{{{ customer.first_name }}}}; "
        f"{str(name)[:40]!r} is not one."
    )


class _Group:
    """One group of merge values (``customer``), readable only by field name."""

    __slots__ = ("label", "values")

    def __init__(self, label: str, values: Mapping[str, str]) -> None:
        self.label = label
        self.values = dict(values)

    def __str__(self) -> str:
        run = _RUN.get()
        if run is not None:
            run.record(self.label)
        return UNKNOWN_MARK.format(self.label)

    def __iter__(self) -> Iterator[Any]:
        raise _Refused(f"{{{{ {self.label} }}}} is a group of fields, not a list.")


def render(template: str, ctx: MergeContext) -> Rendered:
    """Fill ``template`` in with ``ctx``. Never raises for anything the template says."""
    if len(template) > MAX_TEMPLATE_CHARS:
        return Rendered("", errors=(_template_too_long(),))
    try:
        compiled = _compile(template)
    except _Problem as problem:
        return Rendered("", errors=(str(problem),))
    run = _Run(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    token = _RUN.set(run)
    chunks: list[str] = []
    size = 0
    try:
        stream = compiled.generate(
            cursor=_CURSOR,
            **{g: _Group(g, dataclasses.asdict(getattr(ctx, g))) for g in FIELDS},
        )
        try:
            for chunk in stream:
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS + len(_CURSOR) * 4:
                    raise _Refused(_TOO_LONG)
                chunks.append(chunk)
        finally:
            stream.close()
    except Exception as err:
        return Rendered("", unknown=tuple(run.unknown), errors=(_sentence(err),))
    finally:
        _RUN.reset(token)
    parts = [clean(part) for part in "".join(chunks).split(_CURSOR)]
    text = "".join(parts)
    if len(text) > MAX_OUTPUT_CHARS:
        return Rendered("", unknown=tuple(run.unknown), errors=(_TOO_LONG,))
    cursor = len(parts[0]) if len(parts) > 1 else None
    return Rendered(text, cursor, tuple(run.unknown))


def check(template: str) -> list[str]:
    """The problems of a template, without data: syntax, refused tags and filters, and
    every name that is not a merge field (also in branches a render would not take)."""
    if len(template) > MAX_TEMPLATE_CHARS:
        return [_template_too_long()]
    try:
        _compile(template)
    except _Problem as problem:
        return [str(problem)]
    env = _environment()
    from jinja2 import meta, nodes

    ast = env.parse(template)
    problems: list[str] = []
    for name in sorted(meta.find_undeclared_variables(ast) - _TOP_NAMES):
        problems.append(unknown_sentence(name))

    def walk(node: Any, parent: Any, grand: Any = None) -> None:
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.append(_refused_access(node.attr))
            return
        if isinstance(node, nodes.Call) and not (
            isinstance(node.node, nodes.Name) and node.node.name == "range"
        ):
            problems.append(_NO_CALLS)
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in FIELDS:
            field = None
            if isinstance(parent, nodes.Getattr) and parent.node is node:
                field = parent.attr
            elif (
                isinstance(parent, nodes.Getitem)
                and parent.node is node
                and isinstance(parent.arg, nodes.Const)
            ):
                field = str(parent.arg.value)
            if field is None and isinstance(parent, nodes.Assign | nodes.With):
                pass  # an alias: {% set c = customer %}{{ c.first_name }}
            elif field is None:
                problems.append(
                    f"{{{{ {node.name} }}}} is a group of fields; "
                    f"use one of {', '.join(f'{node.name}.{f}' for f in FIELDS[node.name])}."
                )
            elif field not in FIELDS[node.name]:
                problems.append(unknown_sentence(f"{node.name}.{field}"))
            elif isinstance(parent, nodes.Getattr) and isinstance(grand, nodes.Getattr):
                problems.append(unknown_sentence(f"{node.name}.{field}.{grand.attr}"))
        for child in node.iter_child_nodes():
            walk(child, node, parent)

    try:
        walk(ast, None)
    except RecursionError:
        return ["The template is nested too deeply; make it simpler."]
    return list(dict.fromkeys(problems))


def _template_too_long() -> str:
    return f"A template is at most {MAX_TEMPLATE_CHARS:,} characters long."


class _Problem(Exception):
    """The template cannot be compiled; ``str()`` is the sentence."""


def _sentence(err: BaseException) -> str:
    from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

    if isinstance(err, _Refused | SecurityError | UndefinedError):
        return str(err)
    if isinstance(err, TemplateSyntaxError):
        return _syntax_sentence(err)
    if isinstance(err, RecursionError | MemoryError | OverflowError):
        return _TOO_BIG
    detail = " ".join(str(err).split())[:200].rstrip(".") or type(err).__name__
    return f"The template could not be filled in: {detail}."


def _syntax_sentence(err: Any) -> str:
    message = " ".join(str(getattr(err, "message", None) or err).split()).rstrip(".")
    return f"Line {err.lineno} of the template has a syntax error: {message}."


# -- the sandbox ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compile(template: str) -> Template:
    from jinja2 import nodes
    from jinja2.exceptions import TemplateAssertionError, TemplateSyntaxError

    env = _environment()
    try:
        ast = env.parse(template)
        _validate(ast)
        _guard(ast, nodes)
        return env.from_string(ast)
    except TemplateAssertionError as err:
        raise _Problem(_assertion_sentence(err)) from None
    except TemplateSyntaxError as err:
        raise _Problem(_syntax_sentence(err)) from None
    except RecursionError:
        raise _Problem("The template is nested too deeply; make it simpler.") from None


def _assertion_sentence(err: Any) -> str:
    message = str(getattr(err, "message", None) or err)
    found = re.search(r"No (filter|test) named '([^']*)'", message)
    if found and found.group(1) == "filter":
        return (
            f"Line {err.lineno}: there is no filter {found.group(2)!r} in templates; "
            f"use {', '.join(ALLOWED_FILTERS)}."
        )
    if found:
        return f"Line {err.lineno}: there is no test {found.group(2)!r} in templates."
    return _syntax_sentence(err)


_STATEMENTS: dict[str, str] = {
    "Macro": "macro",
    "CallBlock": "call",
    "Import": "import",
    "FromImport": "from",
    "Include": "include",
    "Extends": "extends",
    "Block": "block",
    "FilterBlock": "filter",
    "AssignBlock": "set ... endset",
    "ScopedEvalContextModifier": "autoescape",
    "EvalContextModifier": "autoescape",
    "ExprStmt": "do",
    "Continue": "continue",
    "Break": "break",
    "Scope": "scope",
    "OverlayScope": "overlay",
}


def _validate(ast: Any) -> None:
    """Refuse what a reply template does not need and a hostile one could abuse."""
    from jinja2 import nodes

    def refuse(node: Any, sentence: str) -> None:
        raise _Problem(f"Line {getattr(node, 'lineno', 1) or 1}: {sentence}.")

    for node in ast.find_all(nodes.Node):
        kind = type(node).__name__
        if kind in _STATEMENTS:
            refuse(
                node,
                f"{{% {_STATEMENTS[kind]} %}} is not available in templates; use fields, "
                "filters, {% if %}, {% for %}, {% set %} and {% with %}",
            )
        if isinstance(node, nodes.For) and node.recursive:
            refuse(node, "recursive loops are not available in templates")
        if isinstance(node, nodes.Name) and node.name.startswith("_"):
            refuse(node, f"the name {node.name!r} is not available in templates")
        if isinstance(node, nodes.Name) and node.ctx == "store" and node.name in _TOP_NAMES:
            refuse(node, f"{node.name!r} is a merge field and cannot be set")
        if isinstance(node, nodes.List | nodes.Tuple | nodes.Dict) and (
            getattr(node, "ctx", "load") == "load"
        ):
            for child in node.iter_child_nodes():
                inner = child.value if isinstance(child, nodes.Pair) else child
                key = child.key if isinstance(child, nodes.Pair) else None
                if not isinstance(inner, nodes.Const) or (
                    key is not None and not isinstance(key, nodes.Const)
                ):
                    refuse(node, "lists and dicts in templates may hold plain values only")


def _guard(ast: Any, nodes: Any) -> None:
    """Count every loop step (``{% for %}`` iterables go through the guard filter) and
    check the length of every joined string (``~``)."""
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "csm_loop_guard", [], [], None, None, lineno=1)
    for concat in list(ast.find_all(nodes.Concat)):
        items = concat.nodes
        concat.nodes = [
            nodes.Filter(nodes.List(items, lineno=1), "csm_join", [], [], None, None, lineno=1)
        ]
    ast.set_environment(_environment())


def _scalar(value: Any) -> Any:
    from jinja2 import Undefined

    if value is None or isinstance(value, str | int | float | Undefined | _Group):
        return value
    raise _Refused("A template prints fields, text and numbers, not lists or other objects.")


def _size_check(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT_CHARS:
        raise _Refused(_TOO_LONG)
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _Refused(_TOO_BIG)
    return value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import Undefined, pass_context
    from jinja2.exceptions import SecurityError, UndefinedError
    from jinja2.runtime import LoopContext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class FieldUndefined(Undefined):
        """A name that is no merge field: recorded when the text needs it, shown as a
        mark, and replaced by ``|default(...)`` when one is given."""

        __slots__ = ()

        @property
        def path(self) -> str:
            obj, name = self._undefined_obj, self._undefined_name
            if isinstance(obj, _Group):
                return f"{obj.label}.{name}"
            if isinstance(obj, FieldUndefined):
                return f"{obj.path}.{name}"
            return str(name)

        def _record(self) -> None:
            run = _RUN.get()
            if run is not None:
                run.record(self.path)

        def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
            self._record()
            raise UndefinedError(unknown_sentence(self.path))

        __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
        __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
        __truediv__ = __rtruediv__ = _fail_with_undefined_error
        __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
        __mod__ = __rmod__ = _fail_with_undefined_error
        __pos__ = __neg__ = _fail_with_undefined_error
        __call__ = __getitem__ = _fail_with_undefined_error
        __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
        __int__ = __float__ = __complex__ = _fail_with_undefined_error
        __pow__ = __rpow__ = _fail_with_undefined_error

        def __str__(self) -> str:
            self._record()
            return UNKNOWN_MARK.format(self.path)

        def __iter__(self) -> Iterator[Any]:
            self._record()
            yield from ()

        def __len__(self) -> int:
            self._record()
            return 0

        def __bool__(self) -> bool:
            self._record()
            return False

        def __eq__(self, other: object) -> bool:
            self._record()
            return False

        def __ne__(self, other: object) -> bool:
            self._record()
            return True

        def __hash__(self) -> int:
            return id(type(self))

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"+", "*", "**", "%"})

        def getattr(self, obj: Any, attribute: str) -> Any:
            if not isinstance(attribute, str) or attribute.startswith("_"):
                raise SecurityError(_refused_access(attribute))
            if isinstance(obj, _Group):
                if attribute in obj.values:
                    return obj.values[attribute]
                return self.undefined(obj=obj, name=attribute)
            if isinstance(obj, Undefined):
                return self.undefined(obj=obj, name=attribute)
            if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
                return getattr(obj, attribute)
            raise SecurityError(_refused_access(attribute))

        def getitem(self, obj: Any, argument: Any) -> Any:
            if isinstance(argument, str) and (
                argument.startswith("_") or isinstance(obj, _Group | Undefined | LoopContext)
            ):
                return self.getattr(obj, argument)
            if isinstance(obj, str | list | tuple | dict | range):
                try:
                    return obj[argument]
                except (TypeError, LookupError, ValueError):
                    return self.undefined(obj=obj, name=argument)
            raise SecurityError(_refused_access(argument))

        def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
            raise SecurityError(_refused_access(attribute))

        def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            if obj is _bounded_range:
                return context.call(obj, *args, **kwargs)
            raise SecurityError(_NO_CALLS)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**":
                if isinstance(left, Undefined) or isinstance(right, Undefined):
                    return left**right  # the undefined value reports itself
                if not isinstance(right, int | float) or not isinstance(left, int | float):
                    raise SecurityError(_TOO_BIG)
                if isinstance(left, int) and isinstance(right, int) and right > 0:
                    if abs(left) > 1 and right * abs(left).bit_length() > MAX_INT_BITS:
                        raise _Refused(_TOO_BIG)
                elif abs(right) > MAX_INT_BITS:
                    raise _Refused(_TOO_BIG)
            elif operator == "*":
                for a, b in ((left, right), (right, left)):
                    sequence = isinstance(a, str | list | tuple) and isinstance(b, int)
                    if sequence and len(a) * max(b, 0) > MAX_OUTPUT_CHARS:
                        raise _Refused(_TOO_LONG)
                numbers = isinstance(left, int) and isinstance(right, int)
                if numbers and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise _Refused(_TOO_BIG)
            elif operator == "%" and isinstance(left, str):
                raise SecurityError(
                    "A template cannot format text with %; write the fields into the text."
                )
            return _size_check(self.binop_table[operator](left, right))

    def bounded_default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
        if isinstance(value, Undefined) or _is_blank(value) or (boolean and not value):
            return default_value
        return value

    @pass_context
    def loop_guard(context: Any, iterable: Any) -> Iterator[Any]:
        run = _RUN.get()
        for item in iterable:
            if run is not None:
                run.step()
            yield item

    def join(items: list[Any]) -> str:
        text = "".join(str(_scalar(item)) for item in items)
        return _size_check(text)

    env = Sandbox(
        autoescape=False,
        undefined=FieldUndefined,
        finalize=lambda value: "" if value is None else _scalar(value),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    builtin = env.filters
    filters: dict[str, Any] = {}
    for name in ALLOWED_FILTERS:
        func = bounded_default if name in ("default", "d") else builtin[name]
        filters[name] = func if name in _CONTAINER_FILTERS else _scalar_input(func)
    filters["csm_loop_guard"] = loop_guard
    filters["csm_join"] = join
    env.filters = filters
    env.globals = {"range": _bounded_range}
    return env


def _scalar_input(func: Any) -> Any:
    """A filter that refuses lists (whose text form could be huge) as its input."""
    # pass_context / pass_environment filters take that first, then the value.
    passes = getattr(func, "jinja_pass_arg", None)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = args[1] if passes is not None else args[0]
        _scalar(value)
        return func(*args, **kwargs)

    return wrapper


def _bounded_range(*args: Any) -> range:
    if not all(isinstance(a, int) for a in args):
        raise _Refused("range() takes whole numbers.")
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _Refused(f"range() gives at most {MAX_RANGE:,} numbers in a template.")
    return numbers
