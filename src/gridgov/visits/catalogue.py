"""The default indicator catalogue (统一指标体系): 12 categories, 86 indicators.

The plans name the size (12 大类 86 项) but not the indicators; this set is built from their
words (基础信息, 家庭成员结构, 特殊群体照护, 心理健康, 问题诉求 …) and is to be confirmed by
the client. It is data: the data migration loads it once, staff edit it afterwards (each
edit a new version of the indicator), and nothing in the code depends on a code below.

Each indicator: code, 中文名, English name, type, validation, flags, update frequency.
Flags: ``R`` required (a completed visit answers it; it makes a household due when out of
date), ``S`` sensitive (health, disability, mental health: needs the separate consent),
``P`` on the short paper form for elders.
"""

from __future__ import annotations

YN = {}


def _c(*pairs: tuple[str, str, str]) -> dict:
    return {"choices": [list(p) for p in pairs]}


CATEGORIES = [
    ("basic", "基础信息", "Basic information"),
    ("family", "家庭结构", "Family structure"),
    ("housing", "住房", "Housing"),
    ("health", "健康", "Health"),
    ("eldercare", "养老照护", "Elderly care"),
    ("childcare", "托育与教育", "Childcare and education"),
    ("work", "就业与收入", "Employment and income"),
    ("disability", "残障与康复", "Disability and rehabilitation"),
    ("care", "心理与关爱", "Mental health and care"),
    ("safety", "安全隐患", "Safety hazards"),
    ("needs", "服务需求", "Service needs"),
    ("appeals", "诉求与建议", "Concerns and suggestions"),
]

LEVEL3 = _c(("none", "无", "none"), ("some", "一般", "some"), ("high", "较多", "a lot"))

INDICATORS: dict[str, list[tuple]] = {
    "basic": [
        ("B01", "常住人数", "people living here", "int", {"min": 0, "max": 30}, "RP", "quarterly"),
        (
            "B02",
            "居住状态",
            "occupancy",
            "choice",
            _c(
                ("owner", "自住", "owner-occupied"),
                ("rented", "出租", "rented out"),
                ("vacant", "空置", "vacant"),
                ("registered_only", "空挂户", "registered only"),
            ),
            "RP",
            "quarterly",
        ),
        ("B03", "联系电话可用", "contact phone works", "bool", YN, "RP", "quarterly"),
        ("B04", "户籍与居住地一致", "registered where living", "bool", YN, "R", "yearly"),
        ("B05", "入住年份", "year moved in", "int", {"min": 1900, "max": 2100}, "", "yearly"),
        (
            "B06",
            "流动人口人数",
            "migrants in the household",
            "int",
            {"min": 0, "max": 30},
            "R",
            "monthly",
        ),
        ("B07", "紧急联系人已登记", "emergency contact on file", "bool", YN, "P", "yearly"),
        ("B08", "常用语言", "language spoken at home", "text", {"max_length": 20}, "", "yearly"),
    ],
    "family": [
        (
            "F01",
            "家庭类型",
            "household type",
            "choice",
            _c(
                ("single", "独居", "living alone"),
                ("couple", "夫妻", "couple"),
                ("nuclear", "核心家庭", "nuclear family"),
                ("three_gen", "三代同堂", "three generations"),
                ("other", "其他", "other"),
            ),
            "RP",
            "yearly",
        ),
        ("F02", "60岁以上人数", "members aged 60+", "int", {"min": 0, "max": 20}, "RP", "yearly"),
        ("F03", "14岁以下人数", "members under 14", "int", {"min": 0, "max": 20}, "R", "yearly"),
        ("F04", "空巢老人家庭", "empty-nest elders", "bool", YN, "RP", "quarterly"),
        ("F05", "留守儿童", "left-behind children", "bool", YN, "R", "quarterly"),
        ("F06", "单亲家庭", "single-parent family", "bool", YN, "", "yearly"),
        (
            "F07",
            "子女探望频率",
            "how often children visit",
            "choice",
            _c(
                ("weekly", "每周", "weekly"),
                ("monthly", "每月", "monthly"),
                ("rarely", "很少", "rarely"),
                ("na", "不适用", "not applicable"),
            ),
            "",
            "quarterly",
        ),
    ],
    "housing": [
        (
            "H01",
            "房屋性质",
            "tenure",
            "choice",
            _c(
                ("commercial", "商品房", "commercial"),
                ("public", "公房", "public housing"),
                ("resettled", "动迁房", "resettlement"),
                ("other", "其他", "other"),
            ),
            "R",
            "yearly",
        ),
        (
            "H02",
            "建筑面积(平方米)",
            "floor area (m²)",
            "decimal",
            {"min": 5, "max": 1000},
            "",
            "yearly",
        ),
        ("H03", "有电梯", "lift in the building", "bool", YN, "", "yearly"),
        ("H04", "需要适老化改造", "needs age-friendly adaptation", "bool", YN, "P", "yearly"),
        ("H05", "群租迹象", "signs of overcrowded letting", "bool", YN, "R", "monthly"),
        ("H06", "房屋漏水或破损", "leaks or damage", "bool", YN, "", "quarterly"),
        (
            "H07",
            "燃气使用",
            "gas supply",
            "choice",
            _c(
                ("pipeline", "管道燃气", "mains gas"),
                ("bottled", "瓶装液化气", "bottled gas"),
                ("none", "不使用", "none"),
            ),
            "",
            "yearly",
        ),
    ],
    "health": [
        (
            "M01",
            "慢性病患者人数",
            "members with a chronic illness",
            "int",
            {"min": 0, "max": 20},
            "S",
            "quarterly",
        ),
        ("M02", "签约家庭医生", "family doctor contracted", "bool", YN, "P", "yearly"),
        ("M03", "长期服药", "long-term medication", "bool", YN, "S", "quarterly"),
        ("M04", "近一年住院", "hospitalised in the past year", "bool", YN, "S", "yearly"),
        (
            "M05",
            "行动能力",
            "mobility",
            "choice",
            _c(
                ("independent", "自理", "independent"),
                ("assisted", "需协助", "needs help"),
                ("bedridden", "卧床", "bedridden"),
            ),
            "SP",
            "quarterly",
        ),
        ("M06", "重大疾病", "serious illness", "bool", YN, "S", "yearly"),
        ("M07", "孕产妇", "pregnant or recently delivered", "bool", YN, "S", "monthly"),
        ("M08", "参加医保", "in a health insurance scheme", "bool", YN, "", "yearly"),
    ],
    "eldercare": [
        ("E01", "独居老人", "elder living alone", "bool", YN, "RP", "monthly"),
        ("E02", "高龄老人(80+)", "aged 80 or over", "bool", YN, "P", "yearly"),
        (
            "E03",
            "失能等级",
            "disability grade (long-term care)",
            "choice",
            _c(
                ("none", "无", "none"),
                ("light", "轻度", "light"),
                ("moderate", "中度", "moderate"),
                ("severe", "重度", "severe"),
            ),
            "S",
            "quarterly",
        ),
        ("E04", "需要助餐", "needs meal service", "bool", YN, "P", "quarterly"),
        ("E05", "需要助浴", "needs bathing help", "bool", YN, "", "quarterly"),
        ("E06", "需要上门医疗", "needs home medical care", "bool", YN, "S", "quarterly"),
        ("E07", "紧急呼叫设备", "emergency call device installed", "bool", YN, "", "yearly"),
        (
            "E08",
            "照护人",
            "main carer",
            "choice",
            _c(
                ("self", "自己", "self"),
                ("family", "家人", "family"),
                ("helper", "保姆护工", "paid helper"),
                ("none", "无人照护", "nobody"),
            ),
            "",
            "quarterly",
        ),
    ],
    "childcare": [
        (
            "C01",
            "0-3岁婴幼儿人数",
            "children aged 0–3",
            "int",
            {"min": 0, "max": 10},
            "",
            "quarterly",
        ),
        ("C02", "需要托育服务", "needs childcare", "bool", YN, "", "quarterly"),
        ("C03", "需要课后托管", "needs after-school care", "bool", YN, "", "quarterly"),
        ("C04", "在读学生人数", "members in school", "int", {"min": 0, "max": 20}, "", "yearly"),
        ("C05", "辍学风险", "risk of dropping out", "bool", YN, "", "quarterly"),
        ("C06", "需要学业辅导", "needs tutoring", "bool", YN, "", "quarterly"),
        (
            "C07",
            "文化活动兴趣",
            "interest in cultural activities",
            "multi",
            _c(
                ("reading", "阅读", "reading"),
                ("dance", "广场舞", "dancing"),
                ("calligraphy", "书画", "calligraphy"),
                ("sports", "体育", "sports"),
            ),
            "",
            "yearly",
        ),
    ],
    "work": [
        (
            "W01",
            "劳动年龄人口人数",
            "members of working age",
            "int",
            {"min": 0, "max": 20},
            "",
            "yearly",
        ),
        ("W02", "失业人数", "members out of work", "int", {"min": 0, "max": 20}, "R", "quarterly"),
        ("W03", "需要就业帮扶", "needs help finding work", "bool", YN, "", "quarterly"),
        ("W04", "享受低保", "receives subsistence allowance (低保)", "bool", YN, "S", "quarterly"),
        ("W05", "家庭经济困难", "financial hardship", "bool", YN, "R", "quarterly"),
        (
            "W06",
            "灵活就业人数",
            "members in flexible work",
            "int",
            {"min": 0, "max": 20},
            "",
            "yearly",
        ),
        ("W07", "需要技能培训", "wants skills training", "bool", YN, "", "yearly"),
    ],
    "disability": [
        (
            "D01",
            "残疾人数",
            "members with a disability",
            "int",
            {"min": 0, "max": 20},
            "S",
            "yearly",
        ),
        (
            "D02",
            "残疾类别",
            "kind of disability",
            "multi",
            _c(
                ("visual", "视力", "visual"),
                ("hearing", "听力", "hearing"),
                ("physical", "肢体", "physical"),
                ("intellectual", "智力", "intellectual"),
                ("mental", "精神", "mental"),
            ),
            "S",
            "yearly",
        ),
        ("D03", "持残疾证", "holds a disability certificate", "bool", YN, "S", "yearly"),
        ("D04", "需要康复服务", "needs rehabilitation", "bool", YN, "S", "quarterly"),
        ("D05", "需要辅具", "needs assistive devices", "bool", YN, "S", "yearly"),
        ("D06", "无障碍设施需求", "needs accessibility work", "bool", YN, "", "yearly"),
    ],
    "care": [
        ("P01", "心理健康关注", "mental-health concern", "bool", YN, "S", "monthly"),
        ("P02", "孤独感", "loneliness", "choice", LEVEL3, "S", "quarterly"),
        ("P03", "需要心理疏导", "wants counselling", "bool", YN, "S", "quarterly"),
        ("P04", "家庭矛盾", "family conflict", "bool", YN, "S", "monthly"),
        ("P05", "需要定期探访", "needs regular visits", "bool", YN, "P", "monthly"),
        ("P06", "近期重大变故", "recent major loss or upheaval", "bool", YN, "S", "monthly"),
    ],
    "safety": [
        ("S01", "燃气安全隐患", "gas hazard", "bool", YN, "RP", "quarterly"),
        ("S02", "用电安全隐患", "electrical hazard", "bool", YN, "R", "quarterly"),
        ("S03", "电动车室内充电", "e-bike charged indoors", "bool", YN, "R", "monthly"),
        ("S04", "楼道堆物", "clutter in the stairwell", "bool", YN, "", "weekly"),
        ("S05", "配备灭火器", "fire extinguisher at home", "bool", YN, "", "yearly"),
        ("S06", "烟感报警器", "smoke detector installed", "bool", YN, "", "yearly"),
        ("S07", "高空抛物隐患", "objects thrown from height", "bool", YN, "", "monthly"),
        ("S08", "防诈骗宣传已覆盖", "anti-fraud advice given", "bool", YN, "", "quarterly"),
    ],
    "needs": [
        (
            "N01",
            "最急需的社区服务",
            "most urgent community service needed",
            "text",
            {"max_length": 200},
            "RP",
            "quarterly",
        ),
        (
            "N02",
            "需求类别",
            "kinds of need",
            "multi",
            _c(
                ("eldercare", "养老", "elderly care"),
                ("meals", "助餐", "meals"),
                ("medical", "助医", "medical"),
                ("childcare", "托育", "childcare"),
                ("jobs", "就业", "jobs"),
                ("culture", "文化活动", "culture"),
                ("legal", "法律援助", "legal aid"),
                ("repair", "维修", "repairs"),
            ),
            "P",
            "quarterly",
        ),
        ("N03", "愿意成为志愿者", "willing to volunteer", "bool", YN, "", "yearly"),
        ("N04", "可提供的技能", "skills to offer", "text", {"max_length": 100}, "", "yearly"),
        ("N05", "可共享的闲置物品", "items to share", "text", {"max_length": 100}, "", "yearly"),
        (
            "N06",
            "愿意付费的服务",
            "services they would pay for",
            "text",
            {"max_length": 100},
            "",
            "yearly",
        ),
        ("N07", "使用线上服务", "uses online services", "bool", YN, "", "yearly"),
        (
            "N08",
            "偏好的联系方式",
            "preferred contact",
            "choice",
            _c(
                ("phone", "电话", "phone"),
                ("wechat", "微信", "WeChat"),
                ("visit", "上门", "home visit"),
                ("notice", "公告栏", "notice board"),
            ),
            "",
            "yearly",
        ),
    ],
    "appeals": [
        ("A01", "有诉求", "has a concern to raise", "bool", YN, "RP", "monthly"),
        (
            "A02",
            "诉求类别",
            "kind of concern",
            "choice",
            _c(
                ("environment", "环境卫生", "environment"),
                ("property", "物业管理", "property management"),
                ("neighbour", "邻里纠纷", "neighbours"),
                ("security", "治安", "public order"),
                ("other", "其他", "other"),
            ),
            "",
            "monthly",
        ),
        (
            "A03",
            "对社区服务满意度",
            "satisfaction with community services",
            "int",
            {"min": 1, "max": 5},
            "P",
            "quarterly",
        ),
        (
            "A04",
            "对物业满意度",
            "satisfaction with property management",
            "int",
            {"min": 1, "max": 5},
            "",
            "quarterly",
        ),
        ("A05", "参与议事意愿", "willing to take part in deliberation", "bool", YN, "", "yearly"),
        ("A06", "意见建议", "suggestions", "text", {"max_length": 500}, "", "quarterly"),
    ],
}

SENSITIVE_PURPOSES = ["visit", "care_services"]
NORMAL_PURPOSES = ["visit", "registry"]


def seed_rows():
    """(category code, fields of the Indicator) for every default indicator."""
    for sort, (category, rows) in enumerate(INDICATORS.items()):
        for i, (code, name, name_en, kind, validation, flags, frequency) in enumerate(rows):
            sensitive = "S" in flags
            yield (
                category,
                {
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "value_type": kind,
                    "validation": dict(validation),
                    "sensitivity": "sensitive" if sensitive else "normal",
                    "purposes": list(SENSITIVE_PURPOSES if sensitive else NORMAL_PURPOSES),
                    "required": "R" in flags,
                    "frequency": frequency,
                    "short_form": "P" in flags,
                    "sort": sort * 100 + i,
                },
            )


def load_seed_indicators(category_model, indicator_model) -> int:
    """Create the default categories and indicators that are missing (never edits one)."""
    categories = {}
    for sort, (code, name, name_en) in enumerate(CATEGORIES):
        categories[code], _created = category_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort": sort}
        )
    created = 0
    for category, fields in seed_rows():
        _indicator, made = indicator_model.objects.get_or_create(
            code=fields["code"], defaults={**fields, "category": categories[category]}
        )
        created += made
    return created
