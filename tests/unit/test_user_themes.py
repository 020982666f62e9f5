"""User themes from ``<config dir>/themes/*.toml``: what makes a usable one, and one sentence
naming the file and the problem for each that is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from csm_tui.themes import DOMAIN_VARIABLE_DEFAULTS
from csm_tui.themes.user import load_user_themes, theme_from_mapping


def write(folder: Path, name: str, text: str) -> None:
    (folder / "themes").mkdir(exist_ok=True)
    (folder / "themes" / name).write_text(text)


def test_good_themes_load_with_the_domain_colours(tmp_path: Path) -> None:
    write(tmp_path, "paper.toml", 'dark = false\nprimary = "#0072B2"\nbackground = "white"\n')
    write(
        tmp_path,
        "night.toml",
        'name = "night-shift"\nextends = "csm-high-contrast"\n[variables]\nsla-breach = "#FF5A5A"\n'
        'block-cursor-text-style = "bold"\n',
    )
    found = load_user_themes(tmp_path)
    assert found.problems == []
    themes = {t.name: t for t in found.themes}
    assert set(themes) == {"paper", "night-shift"}
    assert themes["paper"].dark is False
    assert set(DOMAIN_VARIABLE_DEFAULTS) <= set(themes["paper"].variables)
    night = themes["night-shift"]
    assert night.primary == "#F0E442" and night.variables["sla-breach"] == "#FF5A5A"
    assert night.variables["block-cursor-text-style"] == "bold"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("primary = [", "not valid TOML"),
        ('primary = "blurple"', "is not a colour"),
        ('background = "#000000"', "needs primary"),
        ('primary = "#000000"\nfont = "comic"', "unknown key 'font'"),
        ('primary = "#000000"\ndark = "yes"', "dark must be true or false"),
        ('extends = "solarized"', "not one of csm-dark"),
        ('primary = "#000000"\ntext_alpha = 3', "text_alpha must be a number"),
        ('primary = "#000000"\n[variables]\nsla-ok = "green; }"', "is not a colour"),
        ('primary = "#000000"\n[variables]\nborder = "red; } Screen {"', "cannot use"),
        ('name = "csm-dark"\nprimary = "#000000"', "taken by another theme"),
        ('name = "bad name!"\nprimary = "#000000"', "the name 'bad name!'"),
    ],
)
def test_a_bad_theme_file_is_skipped_with_a_sentence(
    tmp_path: Path, text: str, problem: str
) -> None:
    write(tmp_path, "mine.toml", text)
    write(tmp_path, "fine.toml", 'primary = "#56B4E9"\n')
    found = load_user_themes(tmp_path)
    assert [t.name for t in found.themes] == ["fine"]
    (sentence,) = found.problems
    assert str(tmp_path / "themes" / "mine.toml") in sentence and problem in sentence
    assert sentence.endswith(".") and "\n" not in sentence


def test_no_themes_folder_is_no_themes(tmp_path: Path) -> None:
    found = load_user_themes(tmp_path)
    assert found.themes == [] and found.problems == []


def test_the_name_defaults_to_the_file_name() -> None:
    assert theme_from_mapping({"primary": "#000000"}, default_name="ocean").name == "ocean"
