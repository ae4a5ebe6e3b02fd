"""The first indicator set of the chat-group inventory, written by a data migration and put
back by the tests after a transactional test's flush."""

# The indicator set 「三维度十二指标」 of the work plan (S000 §4.1), with 功能定位 read as
# 群类型 and 管理主体 added (§2.2.1): 14 stored fields in 3 dimensions, 12 of them scored
# (the group's name and its 管理主体 are kept, not scored).
INDICATORS_V1 = [
    ("name", "basic", "群名称", "group name", False, "group"),
    ("created_on", "basic", "创建时间", "created on", True, "group"),
    ("community", "basic", "所属社区", "community", True, "group"),
    ("function", "basic", "群类型(功能定位)", "type (function)", True, "group"),
    ("manager", "basic", "管理主体", "managed by", False, "group"),
    ("activity_pct", "basic", "活跃度", "activity", True, "snapshot"),
    ("members_total", "members", "总人数", "members", True, "snapshot"),
    ("age_bands", "members", "年龄结构", "age structure", True, "snapshot"),
    ("occupations", "members", "职业分布", "occupations", True, "snapshot"),
    ("special_groups", "members", "特殊人群数量", "special groups", True, "snapshot"),
    ("admin_contact", "members", "联系方式", "contact", True, "snapshot"),
    ("publish_hours", "management", "信息发布时效性", "timeliness of notices", True, "snapshot"),
    ("response_hours", "management", "问题响应速度", "response speed", True, "snapshot"),
    ("allocation_hours", "management", "资源调配效率", "allocation of supplies", True, "snapshot"),
]


def load_indicator_set_v1(IndicatorSet) -> None:
    """Version 1 unless it is there (``IndicatorSet``: the model, or the migration's)."""
    IndicatorSet.objects.get_or_create(
        version=1,
        defaults={
            "name": "三维度十二指标 (2026)",
            "valid_from": "2020-01-01",
            "indicators": [
                {
                    "code": code,
                    "dimension": dimension,
                    "name": name,
                    "name_en": name_en,
                    "scored": scored,
                    "source": source,
                }
                for code, dimension, name, name_en, scored, source in INDICATORS_V1
            ],
        },
    )
