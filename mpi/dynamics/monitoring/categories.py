"""The monitoring categories, their labels and the identification rules' names (§4.3).

=====  ====================  ==================  ==============================================
code   category              中文                meaning
=====  ====================  ==================  ==============================================
-1     ``unobserved``        无数据              income missing in a monitored wave (state kept)
0      ``not_monitored``     非监测对象          never identified, or a wave before ``start``
1      ``unstable_exited``   脱贫不稳定户        exited the poverty registry, identified again
2      ``edge``              边缘易致贫户        never exited (ordinary household), identified
3      ``sudden_hardship``   突发严重困难户      identified by a hardship rule only
4      ``risk_eliminated``   风险消除            identified before, since eliminated
=====  ====================  ==================  ==============================================
"""

from __future__ import annotations

from mpi.errors import ValidationError

__all__ = [
    "CATEGORY_CODES",
    "CATEGORY_NAMES",
    "CATEGORY_LABELS",
    "REASONS",
    "CONDITION_RULES",
    "HARDSHIP_RULES",
    "REFERENCES",
    "category_labels",
]

UNOBSERVED, NOT_MONITORED, UNSTABLE_EXITED, EDGE, SUDDEN_HARDSHIP, RISK_ELIMINATED = range(-1, 5)

#: category name -> code of the ``category`` variable.
CATEGORY_CODES: dict[str, int] = {
    "unobserved": UNOBSERVED,
    "not_monitored": NOT_MONITORED,
    "unstable_exited": UNSTABLE_EXITED,
    "edge": EDGE,
    "sudden_hardship": SUDDEN_HARDSHIP,
    "risk_eliminated": RISK_ELIMINATED,
}
#: Category names in code order (-1 .. 4).
CATEGORY_NAMES: tuple[str, ...] = tuple(CATEGORY_CODES)
#: Labels of the categories (in code order -1 .. 4).
CATEGORY_LABELS: dict[str, tuple[str, ...]] = {
    "en": CATEGORY_NAMES,
    "zh": ("无数据", "非监测对象", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "风险消除"),
}
#: Reason variables (identification rules): name -> (English, Chinese) description.
REASONS: dict[str, tuple[str, str]] = {
    "below_line": ("income below the monitoring line", "收入低于监测范围"),
    "near_line": ("income just above the line (within the margin)", "收入略高于监测范围、不稳定"),
    "deprived": (
        "two assurances, three guarantees or safe water not consolidated",
        "两不愁三保障及饮水安全未巩固",
    ),
    "expenditure": ("rigid expenditure above its share of income", "刚性支出明显超过收入"),
    "disaster_loss": ("disaster loss above its share of income", "灾害损失严重"),
    "hardship_event": ("hardship event reported", "突发严重困难事件"),
    "income_drop": ("income fell sharply", "收入大幅缩减"),
}
#: The income/condition rules (identify ``unstable_exited`` or ``edge``).
CONDITION_RULES = ("below_line", "near_line", "deprived")
#: The hardship rules (alone, identify ``sudden_hardship``).
HARDSHIP_RULES = ("expenditure", "disaster_loss", "hardship_event", "income_drop")

REFERENCES = (
    "国务院扶贫开发领导小组 (2020). 关于建立防止返贫监测和帮扶机制的指导意见 (国开发〔2020〕6号).",
    "中央农村工作领导小组 (2021). 关于健全防止返贫动态监测和帮扶机制的指导意见 (中农组发〔2021〕7号).",
    "xmpi methods.md §4.3-§4.5.",
)


def category_labels(labels: str) -> tuple[str, ...]:
    """The category labels in code order for ``labels`` (``"en"`` or ``"zh"``).

    Parameters
    ----------
    labels
        ``"en"`` (the names) or ``"zh"`` (Chinese).

    Returns
    -------
    tuple of str
    """
    if labels not in CATEGORY_LABELS:
        raise ValidationError(f"labels must be 'en' or 'zh'; got {labels!r}")
    return CATEGORY_LABELS[labels]
