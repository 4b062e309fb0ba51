"""Starting themes for complaint analysis, with English and Chinese keywords. Plain data.

Staff rename, merge and extend them in admin; these only spare a new install an empty list.
"""

DEFAULT_THEMES: list[dict[str, object]] = [
    {
        "name": "Support",
        "name_zh": "客服支持",
        "keywords": [
            "support",
            "on hold",
            "agent",
            "customer service",
            "nobody called",
            "no one answered",
            "客服",
            "售后",
            "没人回",
            "电话",
        ],
    },
    {
        "name": "Wait times",
        "name_zh": "等待时间",
        "keywords": [
            "waited",
            "waiting",
            "wait time",
            "slow response",
            "took forever",
            "等了",
            "等待",
            "太慢了",
            "半天",
        ],
    },
    {
        "name": "Billing",
        "name_zh": "账单",
        "keywords": ["invoice", "billing", "charged", "refund", "payment", "发票", "账单", "扣费", "退款", "付款"],
    },
    {
        "name": "Price",
        "name_zh": "价格",
        "keywords": ["price", "expensive", "cost", "pricing", "price went up", "价格", "涨价", "贵", "收费"],
    },
    {
        "name": "Performance",
        "name_zh": "性能",
        "keywords": ["slow", "lag", "loading", "timeout", "crash", "卡顿", "加载", "很慢", "崩溃"],
    },
    {
        "name": "Reliability",
        "name_zh": "稳定性",
        "keywords": [
            "outage",
            "down",
            "broken",
            "bug",
            "error",
            "logged me out",
            "中断",
            "故障",
            "报错",
            "失败",
            "出错",
        ],
    },
    {
        "name": "Mobile app",
        "name_zh": "手机应用",
        "keywords": ["mobile", "iphone", "android", "the app", "手机", "移动端", "app"],
    },
    {"name": "Data export", "name_zh": "数据导出", "keywords": ["export", "excel", "csv", "download", "导出", "下载"]},
    {"name": "Search", "name_zh": "搜索", "keywords": ["search", "can't find", "cannot find", "搜索", "找不到"]},
    {
        "name": "Onboarding",
        "name_zh": "入门与部署",
        "keywords": ["onboarding", "setup", "set up", "training", "implementation", "部署", "培训", "上手", "入门"],
    },
    {
        "name": "Ease of use",
        "name_zh": "易用性",
        "keywords": ["easy", "intuitive", "confusing", "complicated", "simple", "简单", "易用", "复杂", "难用", "方便"],
    },
]
