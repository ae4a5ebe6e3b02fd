"""The default special-population tag catalogue (editable afterwards)."""

from django.db import migrations

# (code, name, sensitivity, derived)
DEFAULT_TAGS = [
    ("living_alone_elderly", "独居老人", "normal", False),
    ("empty_nest_elderly", "空巢老人", "normal", False),
    ("oldest_old", "高龄老人", "normal", True),
    ("disabled_elderly", "失能·半失能老人", "sensitive", False),
    ("pregnant", "孕产妇", "sensitive", False),
    ("chronic_disease", "慢性病患者", "sensitive", False),
    ("disability", "残疾人", "sensitive", False),
    ("dibao", "低保", "sensitive", False),
    ("dibian", "低边", "sensitive", False),
    ("tekun", "特困供养", "sensitive", False),
    ("hardship", "困难群众", "sensitive", False),
    ("left_behind_child", "留守儿童", "sensitive", False),
    ("child_in_difficulty", "困境儿童", "sensitive", False),
    ("veteran", "退役军人", "normal", False),
    ("entitled_group", "优抚对象", "normal", False),
    ("new_employment", "新就业形态劳动者", "normal", False),
    ("migrant", "流动人口", "normal", False),
]


def forward(apps, schema_editor):
    TagCategory = apps.get_model("people", "TagCategory")
    for sort, (code, name, sensitivity, derived) in enumerate(DEFAULT_TAGS):
        TagCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "sensitivity": sensitivity, "derived": derived,
                      "sort": sort * 10},
        )


def backward(apps, schema_editor):
    apps.get_model("people", "TagCategory").objects.filter(
        code__in=[t[0] for t in DEFAULT_TAGS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
