"""The default need-category taxonomy (需求类别), seeded by a data migration and editable
afterwards (admin). The same taxonomy tags the resources that serve each category."""

# (code, 中文, English)
DEFAULT_CATEGORIES = [
    ("elderly_care", "养老", "elderly care"),
    ("meals", "助餐", "meal help"),
    ("medical_help", "助医", "help with medical visits"),
    ("rehab", "康复", "rehabilitation"),
    ("childcare", "托育/课后托管", "childcare and after-school care"),
    ("health", "医疗健康", "health care"),
    ("education", "教育", "education"),
    ("culture", "文化活动", "cultural activities"),
    ("employment", "就业帮扶", "help finding work"),
    ("mental_health", "心理健康", "mental health"),
    ("special_care", "特殊群体照护", "care of special groups"),
    ("ageing_adapt", "适老化改造", "home adaptation for old age"),
    ("legal_aid", "法律援助", "legal aid"),
    ("housekeeping", "家政维修", "housekeeping and repairs"),
    ("other", "其他", "other"),
]


def load_seed_categories(NeedCategory) -> None:
    NeedCategory.objects.bulk_create(
        [
            NeedCategory(code=code, name=name, name_en=name_en, sort=i * 10)
            for i, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES)
        ],
        ignore_conflicts=True,
    )
