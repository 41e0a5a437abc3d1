"""Query-side vocabulary: how staff say things versus how the documents spell them."""

from __future__ import annotations

# Everyday words the documents spell in their official form; a question term counts as present when
# any of its forms is.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "老师": ("教师",),
    "临聘": ("临时聘用", "临聘人员"),
    "工资": ("薪酬", "工资"),
    "待遇": ("待遇", "工资", "补助"),
    "钱": ("资金", "经费", "款项"),
    "招投标": ("招标", "投标"),
    "开会": ("会议",),
    "处分": ("处分", "处理"),
}


def expand_query(text: str) -> str:
    """The query plus the official forms of the everyday words it uses."""
    forms = [form for word, forms in SYNONYMS.items() if word in text for form in forms if form not in text]
    return " ".join([text, *dict.fromkeys(forms)])
