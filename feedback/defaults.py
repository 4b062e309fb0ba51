"""Starting data every install gets: themes, root causes and a rule for every unhappy customer.

The migrations call these with their historical models; tests call them with the real ones,
since a transactional test flushes the tables the migrations filled.
"""

from typing import Any

from feedback.theme_catalog import DEFAULT_THEMES

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


def themes_ensure(theme_model: Any) -> None:
    for spec in DEFAULT_THEMES:
        theme_model.objects.get_or_create(
            name=spec["name"], defaults={"name_zh": spec["name_zh"], "keywords": spec["keywords"]}
        )


def loop_defaults_ensure(root_cause_model: Any, routing_rule_model: Any) -> None:
    for name, name_zh in ROOT_CAUSES:
        root_cause_model.objects.get_or_create(name=name, defaults={"name_zh": name_zh})
    if not routing_rule_model.objects.exists():
        # Every unhappy customer gets an owner: the account owner, else the fallback owner.
        routing_rule_model.objects.create(
            name="Every unhappy customer",
            position=100,
            score_group="detractor",
            owner_mode="account_owner",
            sla_hours=48,
        )


ALERT_RULES = [
    {"name": "Health fell 20 points in 30 days", "kind": "health_drop", "threshold": 20, "days": 30},
    {"name": "Two unhappy answers in a week", "kind": "detractors", "threshold": 2, "days": 7},
    {"name": "Stopped answering for 120 days", "kind": "silence", "threshold": 0, "days": 120},
    {"name": "Renewal within 60 days while at risk", "kind": "renewal_at_risk", "threshold": 0, "days": 60},
]


def health_defaults_ensure(weight_model: Any, alert_rule_model: Any) -> None:
    """One weight row per input of the formula, and the four alert rules, unless already there."""
    from feedback.health.formula import DEFAULT_WEIGHTS

    for key, points in DEFAULT_WEIGHTS.items():
        weight_model.objects.get_or_create(key=key, defaults={"points": points})
    if not alert_rule_model.objects.exists():
        for spec in ALERT_RULES:
            alert_rule_model.objects.create(**spec)
