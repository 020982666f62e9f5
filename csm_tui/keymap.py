"""Every key binding of the desk, by id, and what the ``keymap`` setting makes of them.

Each ``Binding`` in csm_tui has an ``id`` (``queue.take``, ``case.reply``, ...); the keymap
setting maps ids to keys (``"queue.take" = "T"``, several keys comma-separated) and the App
hands it to Textual's ``App.set_keymap``. This module finds every binding by importing the
app, the screens and the widgets (so: never on the way to the first paint), and says which
keys are in force (``csm keys``), which ids of a keymap name nothing, and which remapped keys
take another binding's key on the same screen or widget.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class KeyInfo:
    """One binding as it is in force."""

    id: str
    keys: tuple[str, ...]
    default_keys: tuple[str, ...]
    description: str
    where: str
    owner: str
    """The class that declares it (``QueueScreen``, ``CaseTable``, ...)."""
    shown: bool

    @property
    def remapped(self) -> bool:
        return self.keys != self.default_keys


@dataclass(frozen=True)
class Clash:
    """A remapped key that took another binding's key on the same screen or widget."""

    key: str
    binding_id: str
    lost_id: str
    owner: str


def _owners() -> list[type[DOMNode]]:
    """The app and every screen and widget class of csm_tui that declares bindings."""
    import csm_tui.screens
    import csm_tui.widgets
    from csm_tui.app import CsmApp

    modules = []
    for package in (csm_tui.screens, csm_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    owners: list[type[DOMNode]] = [CsmApp]
    for module in modules:
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls.__module__ == module.__name__
                and issubclass(cls, DOMNode)
                and cls.__dict__.get("BINDINGS")
            ):
                owners.append(cls)
    return owners


def _declared(owner: type[DOMNode]) -> list[Binding]:
    return [b for b in owner.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def missing_ids() -> list[str]:
    """``Class: key`` of every binding declared without an id (there should be none)."""
    return [
        f"{owner.__name__}: {b.key}" for owner in _owners() for b in _declared(owner) if not b.id
    ]


def normalise(keymap: Mapping[str, str]) -> dict[str, str]:
    """The keymap as Textual reads it ("?" becomes "question_mark", spaces dropped)."""
    from csm_tui.app import CsmApp

    return dict(CsmApp._normalize_keymap(dict(keymap)))


def key_map(keymap: Mapping[str, str] | None = None) -> list[KeyInfo]:
    """Every binding with the keys in force under ``keymap``, app-wide ones first, then by
    where they act and id."""
    wanted = normalise(keymap or {})
    infos: list[KeyInfo] = []
    for owner in _owners():
        for binding in _declared(owner):
            if not binding.id:
                continue
            default = tuple(k.strip() for k in binding.key.split(","))
            keys = (
                tuple(k.strip() for k in wanted[binding.id].split(","))
                if (binding.id in wanted)
                else default
            )
            infos.append(
                KeyInfo(
                    id=binding.id,
                    keys=keys,
                    default_keys=default,
                    description=binding.description,
                    where=binding.id.partition(".")[0],
                    owner=owner.__name__,
                    shown=binding.show,
                )
            )
    infos.sort(key=lambda i: (i.where != "app", i.where, i.id))
    return infos


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids of ``keymap`` that no binding has (typos, or bindings that went away)."""
    known = {info.id for info in key_map()}
    return sorted(k for k in keymap if k not in known)


def clashes(keymap: Mapping[str, str]) -> list[Clash]:
    """Keys a remapped binding shares with another binding that acts in the same place (the
    same screen and its widgets, or app-wide): only one of them can have it."""
    wanted = normalise(keymap)
    if not wanted:
        return []
    infos = key_map(keymap)
    found: list[Clash] = []
    for info in infos:
        if info.id not in wanted:
            continue
        for key in info.keys:
            for other in infos:
                if (
                    other.id != info.id
                    and key in other.keys
                    and other.where in (info.where, "app")
                    and not (other.id in wanted and other.id < info.id)
                ):
                    found.append(Clash(key, info.id, other.id, other.owner))
    return sorted(found, key=lambda c: (c.binding_id, c.key))


def problems(keymap: Mapping[str, str]) -> list[str]:
    """Sentences about a keymap: ids that name nothing, keys taken from other bindings."""
    out: list[str] = []
    unknown = unknown_ids(keymap)
    if unknown:
        names = ", ".join(repr(i) for i in unknown)
        out.append(
            f"The keymap names {'a binding' if len(unknown) == 1 else 'bindings'} that the desk "
            f"does not have ({names}); `csm keys` lists them all."
        )
    for clash in clashes(keymap):
        out.append(
            f"The keymap gives {clash.key} to {clash.binding_id}, which {clash.lost_id} "
            "also has; only one of them acts on it."
        )
    return out
