"""One-click survey templates, in English and Simplified Chinese. Plain data, no Django."""

from typing import Any

_NPS_FOLLOW_UPS: list[dict[str, Any]] = [
    {
        "key": "disappointed",
        "page": 2,
        "kind": "long_text",
        "text_en": "We're sorry. What disappointed you most?",
        "text_zh": "很抱歉。最让您失望的是什么？",
        "show_if_min": 0,
        "show_if_max": 6,
    },
    {
        "key": "improve",
        "page": 2,
        "kind": "long_text",
        "text_en": "What is the one thing we could do better?",
        "text_zh": "我们最应该改进的一件事是什么？",
        "show_if_min": 7,
        "show_if_max": 8,
    },
    {
        "key": "loved",
        "page": 2,
        "kind": "long_text",
        "text_en": "Thank you! What did you love most?",
        "text_zh": "谢谢！您最喜欢的是什么？",
        "show_if_min": 9,
        "show_if_max": 10,
    },
    {
        "key": "may_contact",
        "page": 3,
        "kind": "single_choice",
        "text_en": "May we contact you about your answer?",
        "text_zh": "我们可以就您的回答联系您吗？",
        "choices": [
            {"value": "yes", "en": "Yes", "zh": "可以"},
            {"value": "no", "en": "No", "zh": "不用了"},
        ],
    },
]


def _with_first(question: dict[str, Any], follow_ups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first question followed by follow-ups whose branch refers to it."""
    first = {"page": 1, "required": True, **question}
    return [first] + [
        {**item, "show_if_key": first["key"]} if "show_if_min" in item else dict(item) for item in follow_ups
    ]


def _low_high_follow_ups(low_max: int, high_min: int, high_max: int) -> list[dict[str, Any]]:
    return [
        {
            "key": "what_went_wrong",
            "page": 2,
            "kind": "long_text",
            "text_en": "What went wrong? Tell us in your own words.",
            "text_zh": "哪里出了问题？请告诉我们。",
            "show_if_min": 1,
            "show_if_max": low_max,
        },
        {
            "key": "what_went_well",
            "page": 2,
            "kind": "long_text",
            "text_en": "What went well?",
            "text_zh": "哪些地方做得好？",
            "show_if_min": high_min,
            "show_if_max": high_max,
        },
    ]


TEMPLATES: dict[str, dict[str, Any]] = {
    "nps": {
        "label": "Net Promoter Score",
        "title_en": "How are we doing?",
        "title_zh": "我们做得怎么样？",
        "intro_en": "Two quick questions. It takes less than a minute.",
        "intro_zh": "两个简单的问题，不到一分钟。",
        "thank_you_en": "Thank you for your feedback. We read every answer.",
        "thank_you_zh": "感谢您的反馈，我们会认真阅读每一条回答。",
        "questions": _with_first(
            {
                "key": "nps",
                "kind": "nps",
                "text_en": "How likely are you to recommend us to a friend or colleague?",
                "text_zh": "您有多大可能向朋友或同事推荐我们？",
                "help_en": "0 = not at all likely, 10 = extremely likely",
                "help_zh": "0 = 完全不可能，10 = 非常可能",
            },
            _NPS_FOLLOW_UPS,
        ),
    },
    "csat": {
        "label": "Customer satisfaction",
        "title_en": "How did we do?",
        "title_zh": "您对我们的服务满意吗？",
        "intro_en": "Tell us about your recent experience.",
        "intro_zh": "请告诉我们您最近的体验。",
        "thank_you_en": "Thank you! Your answer helps us improve.",
        "thank_you_zh": "谢谢！您的回答帮助我们改进。",
        "questions": _with_first(
            {
                "key": "csat",
                "kind": "csat",
                "text_en": "How satisfied were you with your recent experience?",
                "text_zh": "您对最近一次体验的满意度如何？",
                "help_en": "1 = very dissatisfied, 5 = very satisfied",
                "help_zh": "1 = 非常不满意，5 = 非常满意",
            },
            _low_high_follow_ups(2, 4, 5),
        ),
    },
    "ces": {
        "label": "Customer effort",
        "title_en": "Was it easy?",
        "title_zh": "操作是否简单？",
        "intro_en": "One question about your recent request.",
        "intro_zh": "关于您最近一次请求的一个问题。",
        "thank_you_en": "Thank you for telling us.",
        "thank_you_zh": "感谢您告诉我们。",
        "questions": _with_first(
            {
                "key": "ces",
                "kind": "ces",
                "text_en": "How easy was it to get what you needed today?",
                "text_zh": "今天获得所需帮助的难易程度如何？",
                "help_en": "1 = very difficult, 7 = very easy",
                "help_zh": "1 = 非常困难，7 = 非常容易",
            },
            _low_high_follow_ups(3, 6, 7),
        ),
    },
    "enps": {
        "label": "Employee Net Promoter Score",
        "title_en": "How is work going?",
        "title_zh": "工作感受如何？",
        "intro_en": "An anonymous pulse. Your name is not attached to your answers.",
        "intro_zh": "匿名调查，您的回答不会与姓名关联。",
        "thank_you_en": "Thank you. Every answer is read by the leadership team.",
        "thank_you_zh": "谢谢。管理团队会阅读每一条回答。",
        "anonymous_link_enabled": True,
        "questions": _with_first(
            {
                "key": "enps",
                "kind": "nps",
                "text_en": "How likely are you to recommend this company as a place to work?",
                "text_zh": "您有多大可能推荐本公司作为工作的地方？",
                "help_en": "0 = not at all likely, 10 = extremely likely",
                "help_zh": "0 = 完全不可能，10 = 非常可能",
            },
            [
                {
                    "key": "change_one_thing",
                    "page": 2,
                    "kind": "long_text",
                    "text_en": "If you could change one thing about working here, what would it be?",
                    "text_zh": "如果可以改变这里工作中的一件事，您会改变什么？",
                },
                {
                    "key": "team",
                    "page": 2,
                    "kind": "single_choice",
                    "text_en": "Which area do you work in?",
                    "text_zh": "您在哪个部门工作？",
                    "choices": [
                        {"value": "engineering", "en": "Engineering", "zh": "工程"},
                        {"value": "sales", "en": "Sales and marketing", "zh": "销售与市场"},
                        {"value": "support", "en": "Customer support", "zh": "客户支持"},
                        {"value": "other", "en": "Other", "zh": "其他"},
                    ],
                },
            ],
        ),
    },
}


# The journey stages every install starts with; staff add their own in admin.
TOUCHPOINTS: list[dict[str, Any]] = [
    {"key": "onboarding", "name": "Onboarding", "name_zh": "入门引导", "position": 10},
    {"key": "purchase", "name": "Purchase", "name_zh": "购买", "position": 20},
    {"key": "product_use", "name": "Product use", "name_zh": "产品使用", "position": 30},
    {"key": "support", "name": "Support", "name_zh": "客服支持", "position": 40},
    {"key": "renewal", "name": "Renewal", "name_zh": "续约", "position": 50},
]


def touchpoints_ensure(touchpoint_model: Any) -> None:
    """Create the standard touchpoints that are missing (a migration passes its historical model)."""
    for spec in TOUCHPOINTS:
        touchpoint_model.objects.get_or_create(key=spec["key"], defaults=spec)
