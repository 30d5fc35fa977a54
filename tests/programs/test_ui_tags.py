"""The design system's tags: icons inlined from the vendored Lucide SVGs, avatars by initials,
status badges; and every icon a template names is vendored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from programs.templatetags.ui import avatar, avatar_colour, icon, initials, status_badge


def test_an_icon_beside_words_is_hidden_from_assistive_technology():
    svg = str(icon("calendar"))
    assert svg.startswith('<svg class="icon icon-calendar"') and 'aria-hidden="true"' in svg
    assert "<path" in svg and "<!--" not in svg and "style=" not in svg
    assert 'stroke="currentColor"' in svg


def test_an_icon_that_stands_alone_is_an_image_with_a_name():
    svg = str(icon("calendar", label='Plan "A" <b>'))
    assert 'role="img" aria-label="Plan &quot;A&quot; &lt;b&gt;"' in svg
    assert "aria-hidden" not in svg


@pytest.mark.parametrize("name", ["../settings", "no-such-icon", "Calendar"])
def test_an_unknown_icon_is_an_error_not_an_empty_space(name):
    with pytest.raises(ValueError):
        icon(name)


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("Ada Lovelace", "AL"),
        ("grace brewster murray hopper", "GH"),
        ("Plato", "P"),
        ("jean-luc picard", "JP"),
        ("ada.lovelace@example.org", "AL"),
        ("  ", "?"),
        ("Émile Zola", "ÉZ"),
    ],
)
def test_initials(name, letters):
    assert initials(name) == letters


def test_a_name_keeps_its_colour_and_names_spread_over_the_palette():
    assert avatar_colour("Ada Lovelace") == avatar_colour(" ada lovelace ")
    colours = {avatar_colour(f"Person {n}") for n in range(60)}
    assert len(colours) >= 8


def test_an_avatar_escapes_the_name_and_is_named_only_when_asked():
    hidden = str(avatar("<script>x</script> Y"))
    assert "<script>" not in hidden and 'aria-hidden="true"' in hidden
    named = str(avatar("Ada Lovelace", labelled=True))
    assert 'role="img" aria-label="Ada Lovelace"' in named and ">AL</span>" in named


def test_a_status_badge_has_its_colour_class_icon_and_words():
    badge = str(status_badge("live", "Live"))
    assert badge.startswith('<span class="badge status-live"><svg class="icon icon-radio"')
    assert badge.endswith("Live</span>")
    assert 'class="badge status-other"' in str(status_badge("mystery", "<i>"))
    assert "&lt;i&gt;" in str(status_badge("mystery", "<i>"))


def test_the_tags_render_in_a_template():
    html = Template('{% load ui %}{% icon "users" %}{% avatar "Ada Lovelace" %}').render(Context())
    assert "icon-users" in html and ">AL</span>" in html


def test_every_icon_a_template_names_is_vendored():
    names = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        names |= set(re.findall(r'\{% icon "([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    assert names
    for name in names:
        icon(name)
