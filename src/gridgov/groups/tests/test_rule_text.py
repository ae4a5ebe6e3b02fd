"""The stored rule of a class or of a low-score case, as the pages show it: in the reader's
language, every figure kept; a form the engine never writes is shown as stored."""

from django.utils import translation

from gridgov.groups.rules import rule_text

RECTIFY = "groups.classes v0: rectify: activity 35 < 50; false information, services missing"
HIGH = "groups.classes v2: high: activity 85 > 80, response 1.5 h < 2 h, satisfaction 95 > 90"


def test_each_form_in_chinese():
    with translation.override("zh-hans"):
        assert rule_text(RECTIFY) == (
            "分类规则第 0 版: 问题整改群 — 活跃度 35% 低于 50%，且存在虚假信息、服务缺失"
        )
        assert "高效能群" in rule_text(HIGH) and "首次回复 1.5 小时" in rule_text(HIGH)
        assert rule_text("groups.classes v1: restructure: function mixed") == (
            "分类规则第 1 版: 功能重构群 — 功能定位为综合群"
        )
        assert "月报显示功能混杂" in rule_text("groups.classes v1: restructure: function blurred")
        assert "潜力提升群" in rule_text(
            "groups.classes v1: potential: none of restructure, rectify, high"
        )
        low = "groups.scoring: score < 70 for 2 months (this month 62.5)"
        assert rule_text(low) == "连续 2 个月得分低于 70（本月 62.5，评分规则）"


def test_english_and_unknown_forms():
    with translation.override("en"):
        assert rule_text(RECTIFY) == (
            "class rules v0: to be rectified (问题整改群) — activity 35% below 50%, with "
            "false information, services missing"
        )
    assert rule_text("something else") == "something else"
    assert rule_text("") == ""
