from django.db import migrations

ROOT_CAUSES = [
    ("Product bug", "产品缺陷"),
    ("Billing error", "账单错误"),
    ("Slow support response", "客服响应慢"),
    ("Missing feature", "缺少功能"),
    ("Price", "价格"),
    ("Service outage", "服务中断"),
    ("Onboarding gap", "入门指导不足"),
    ("Customer misunderstanding", "客户误解"),
    ("Other", "其他"),
]


def add_defaults(apps, schema_editor):
    RootCause = apps.get_model("feedback", "RootCause")
    RoutingRule = apps.get_model("feedback", "RoutingRule")
    for name, name_zh in ROOT_CAUSES:
        RootCause.objects.get_or_create(name=name, defaults={"name_zh": name_zh})
    if not RoutingRule.objects.exists():
        # Every unhappy customer gets an owner: the account owner, else the fallback owner.
        RoutingRule.objects.create(
            name="Every unhappy customer", position=100, score_group="detractor", owner_mode="account_owner", sla_hours=48
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_loop")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
