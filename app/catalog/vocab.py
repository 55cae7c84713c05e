"""Controlled vocabularies of the catalog (2017 《政务信息资源目录编制指南》, 办法§7–§8), code → Chinese label."""

from __future__ import annotations

# 分类: 类 (1 基础, 2 主题, 3 部门) and, for 基础 and 主题, the 项.
RESOURCE_CLASSES = {"base": "基础信息资源", "topic": "主题信息资源", "department": "部门信息资源"}
CLASS_DIGIT = {"base": "1", "topic": "2", "department": "3"}

# §8(二): the five 基础信息资源; their base data items are 无条件共享.
BASE_CATEGORIES = {
    "01": "人口信息",
    "02": "法人单位信息",
    "03": "自然资源和空间地理信息",
    "04": "社会信用信息",
    "05": "电子证照信息",
}

# §8(三): 主题信息资源, shared through the platforms.
TOPICS = {
    "01": "全民健康保障",
    "02": "全民住房保障",
    "03": "全民社会保障",
    "04": "药品安全监管",
    "05": "食品安全监管",
    "06": "安全生产监督",
    "07": "市场价格监管",
    "08": "金融监管",
    "09": "能源安全监管",
    "10": "生态环境保护",
    "11": "信用体系建设",
    "12": "应急维稳保障",
    "13": "行政执法监督",
    "14": "民主法治建设",
    "15": "执政能力建设",
    "16": "投资管理",
    "17": "公共资源交易",
}

# §7: 共享类型.
SHARE_TYPES = {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"}

# §8(一): the only admissible bases for 不予共享.
LEGAL_BASIS_TYPES = {
    "law": "法律",
    "administrative_regulation": "行政法规",
    "ministry_rule": "部委规章",
    "central_policy": "党中央国务院政策",
}

# 共享方式 (§16: online by standard means; offline needs the 大数据管理机构's approval).
SHARE_METHODS = {"api": "接口", "table": "库表", "file": "文件", "offline": "邮件或介质（线下）"}

# 信息资源格式.
FORMATS = {
    "database": "数据库",
    "spreadsheet": "电子表格",
    "document": "电子文件（文本）",
    "image": "图形图像",
    "media": "流媒体",
    "self_describing": "自描述格式（JSON/XML）",
}

# Which formats each share method can carry (格式 must agree with 共享方式).
METHOD_FORMATS = {
    "api": {"database", "self_describing"},
    "table": {"database", "spreadsheet"},
    "file": {"spreadsheet", "document", "image", "media", "self_describing"},
    "offline": set(FORMATS),
}

UPDATE_CYCLES = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "half_yearly": "每半年",
    "yearly": "每年",
    "irregular": "不定期",
}

OPEN_ATTRIBUTES = {"open": "向社会开放", "conditional_open": "有条件开放", "closed": "不予开放"}

DATA_TYPES = {
    "string": "字符型",
    "number": "数值型",
    "date": "日期型",
    "datetime": "日期时间型",
    "boolean": "布尔型",
    "binary": "二进制",
}

SERVICE_METHODS = {"api": "接口", "table": "库表", "file": "文件"}


# 数据分级 (#34; 数据安全法 §21, 令第419号 第五章): every item is 一般, 重要 or 核心 data; 敏感个人信息 (个人信息保护法
# §28) is flagged apart. Granting 重要/核心 or sensitive items needs a stated necessity and a 共享安全评估.
ITEM_GRADES = {"general": "一般数据", "important": "重要数据", "core": "核心数据"}


def label(vocabulary: dict[str, str], code: str | None) -> str:
    """The Chinese label of a code ("—" when empty, the code itself when unknown)."""
    if not code:
        return "—"
    return vocabulary.get(code, code)


def code_for(vocabulary: dict[str, str], value: str | None) -> str | None:
    """The code of a value given either as code or as its Chinese label (spreadsheets use labels)."""
    if value is None:
        return None
    value = str(value).strip()
    if value in vocabulary:
        return value
    for code, text in vocabulary.items():
        if text == value:
            return code
    return None
