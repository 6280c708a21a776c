"""Relapse-prevention monitoring categories (防止返贫动态监测, methods.md §4.3–§4.5).

China's post-2020 mechanism monitors three kinds of households (三类监测对象) and marks them
risk-eliminated (标注风险消除) once their situation is stable. :func:`monitoring` assigns
every unit-wave of a panel one category,

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

plus one boolean per identification rule (the *reasons*). Every threshold is a parameter of
:class:`MonitoringRules`; no line or share is built in. The rules (for a unit-wave with
observed income :math:`y_{it}`, line :math:`z_{it}` of its region and year):

* ``below_line``: :math:`y_{it} < z_{it}` (收入低于监测范围);
* ``near_line``: :math:`z_{it} \\le y_{it} < (1 + m) z_{it}` with ``margin`` :math:`m > 0`
  (收入不稳定, just above the range);
* ``deprived``: with a ``spec``, any selected indicator deprived (两不愁三保障及饮水安全未巩固),
  or, with ``k``, AF-poor at cutoff ``k``;
* ``expenditure``: rigid expenditure :math:`e_{it} > s_e\\, b_{it}` (刚性支出明显超过收入),
  with :math:`b_{it}` the previous wave's income (``income_base="previous"``, the current
  income when the previous one is missing) or the current income;
* ``disaster_loss``: loss :math:`l_{it} > s_l\\, b_{it}`;
* ``hardship_event``: any 0/1 event variable set (e.g. a department's large-medical flag);
* ``income_drop``: :math:`y_{it} < (1 - d)\\, y_{i,t-1}` (收入骤减).

The first three are *income/condition* rules, the last four *hardship* rules.

**Identification and precedence.** A unit not monitored is identified at the first wave a
rule fires. Its category is ``unstable_exited`` when an income/condition rule fires and the
unit has exited the registry at or before that wave (the ``exited`` flag, carried forward
once set), ``edge`` when an income/condition rule fires for a unit that never exited, and
``sudden_hardship`` when only hardship rules fire ("possibly above the monitoring range",
§4.4). The category is kept for the whole monitoring episode; the reason flags show which
rules fire in each wave (so a ``sudden_hardship`` unit may later be ``below_line``).

**Elimination.** A monitored unit is eliminated at wave :math:`t` when, in each of the last
``stable_waves`` waves (all after its identification wave), its income was observed and no
rule fired (income at or above the line and outside the margin, no hardship, no deprivation,
the selected indicators observed). Units with no labour capacity are never eliminated when
``no_labour_never_eliminated``. An eliminated unit is ``risk_eliminated`` until a rule fires
again (a new episode). A wave with missing income breaks the stable run.

The implementation is vectorised over units with a loop over waves (numpy); the counts per
wave, category and group are additive over units.

Modules: :mod:`~mpi.dynamics.monitoring.categories` (codes, labels, reasons),
:mod:`~mpi.dynamics.monitoring.rules` (:class:`MonitoringRules`),
:mod:`~mpi.dynamics.monitoring.inputs` (the panel variables the rules read),
:mod:`~mpi.dynamics.monitoring.classify` (the wave loop),
:mod:`~mpi.dynamics.monitoring.counts` (counts and transitions),
:mod:`~mpi.dynamics.monitoring.result` (:class:`MonitoringResult`) and
:mod:`~mpi.dynamics.monitoring.estimator` (:func:`monitoring`).
"""

from mpi.dynamics.monitoring.categories import CATEGORY_CODES, CATEGORY_LABELS, REASONS
from mpi.dynamics.monitoring.estimator import monitoring
from mpi.dynamics.monitoring.result import MonitoringResult
from mpi.dynamics.monitoring.rules import MonitoringRules

__all__ = [
    "monitoring",
    "MonitoringRules",
    "MonitoringResult",
    "CATEGORY_CODES",
    "CATEGORY_LABELS",
    "REASONS",
]
