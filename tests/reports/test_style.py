"""The reports' colour conversion and font."""

from __future__ import annotations

from analytics.reports import _style as style


def test_rgba_colours_convert_for_matplotlib():
    assert style.mpl_color("rgba(31, 119, 180, 0.12)") == (31 / 255, 119 / 255, 180 / 255, 0.12)
    assert style.mpl_color("#2ca02c") == "#2ca02c"


def test_the_report_font_is_a_dejavu_ttf_with_the_needed_glyphs():
    from fontTools.ttLib import TTFont

    path = style.font_path("")
    assert path.name == "DejaVuSans.ttf"
    cmap = TTFont(str(path)).getBestCmap()
    for ch in "≥−–—·éü…":
        assert ord(ch) in cmap, ch
