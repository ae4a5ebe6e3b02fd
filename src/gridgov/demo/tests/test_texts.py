"""The demo's event texts: every template fills, titles are short, descriptions are one or
two sentences, and a title written from them is recognised (and word salad is not)."""

from __future__ import annotations

import random
from types import SimpleNamespace

from gridgov.demo import texts

PLACE = {
    "compound": "田林十二村二小区",
    "building": "12号楼",
    "unit": "3单元",
    "floor": "11楼",
    "room": "1104室",
    "n": "4",
}


def test_every_template_fills_and_reads_like_a_report():
    for code, pairs in texts.templates().items():
        assert len(pairs) >= 2, code
        for title, text in pairs:
            filled_title, filled_text = title.format(**PLACE), text.format(**PLACE)
            assert len(filled_title) <= 22, filled_title
            assert 1 <= filled_text.count("。") <= 2 and filled_text.endswith("。"), filled_text
            assert any(p.match(filled_title) for p in texts.title_patterns())


def test_titles_outside_the_templates_are_not_recognised():
    patterns = texts.title_patterns()
    for salad in ("沿街商铺前补贴", "3号楼楼道噪音", "小区门口垃圾桶"):
        assert not any(p.match(salad) for p in patterns), salad


def test_the_same_seed_writes_the_same_texts():
    describer = texts.Describer()
    grid = SimpleNamespace(pk=-1, name="宛平南路第1网格")
    describer._places[grid.pk] = [("宛平南路一小区", "3号楼"), ("宛平南路一小区", "4号楼")]
    category = SimpleNamespace(code="06010")
    first = [describer(random.Random(7), category, grid) for _ in range(3)]
    again = [describer(random.Random(7), category, grid) for _ in range(3)]
    assert first == again
    assert all("宛平南路一小区" in text or "号楼" in title for title, text in first)
