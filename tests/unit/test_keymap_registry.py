"""Every binding of the desk has an id, ``csm keys`` sees them all, and a keymap's ids that
name nothing or keys that collide are found."""

from __future__ import annotations

from csm_tui import keymap


def test_every_binding_has_an_id_and_a_description() -> None:
    assert keymap.missing_ids() == []
    infos = keymap.key_map()
    assert all(info.description for info in infos)
    ids = [info.id for info in infos]
    assert len(ids) == len(set(ids)), "two bindings share an id"
    wheres = {info.where for info in infos}
    assert {"app", "queue", "case", "composer"} <= wheres
    assert infos[0].where == "app"  # app-wide keys first


def test_the_map_in_force_follows_the_keymap() -> None:
    by_id = {i.id: i for i in keymap.key_map({"queue.take": "T,ctrl+t", "app.help": "?"})}
    take = by_id["queue.take"]
    assert take.keys == ("T", "ctrl+t") and take.default_keys == ("t",) and take.remapped
    assert not by_id["app.help"].remapped  # "?" is the default, written another way
    assert not by_id["queue.assign"].remapped


def test_unknown_ids_and_clashes_are_sentences() -> None:
    assert keymap.unknown_ids({"queue.take": "T", "queue.tkae": "x"}) == ["queue.tkae"]
    said = keymap.problems({"queue.tkae": "x", "case.reply": "q", "queue.take": "T"})
    assert len(said) == 2
    assert "'queue.tkae'" in said[0] and "csm keys" in said[0]
    assert "case.reply" in said[1] and "app.quit" in said[1]
    assert keymap.problems({}) == [] and keymap.problems({"queue.take": "T"}) == []
