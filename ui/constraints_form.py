"""The Constraints section of the Variables page: the session's constraints, a form to add one
of each kind, and the experiments that break one (flagged; they still train the model)."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.constraints import ConditionalRule, ForbiddenCombination, LinearConstraint, MixtureConstraint
from alchemist.constraints.linear import RELATIONS
from alchemist.errors import AlchemistError
from alchemist.session import Session
from ui import words
from ui.constraint_words import KIND_LABELS, RELATION_LABELS, constraint_text, flagged_rows_text, violation_text
from ui.plurals import counted

NUMERIC = ("continuous", "integer")
LEVELLED = ("categorical", "discrete")


def constraints_section(session: Session) -> None:
    """Draw the section; every change goes through the session and is committed."""
    st.subheader("Constraints")
    st.caption("Rules every suggestion and design must meet, within a relative tolerance of 1e-6. "
               "Experiments that break one are flagged but still train the model.")
    if not session.variables:
        st.caption("Add variables first.")
        return
    for index, constraint in enumerate(session.constraints):
        text_col, button_col = st.columns([6, 1])
        text_col.markdown(f"{index + 1}. {words.plain(constraint_text(constraint))}")
        if button_col.button("Remove", key=f"remove_constraint_{index}_{hash(constraint)}", icon="🗑️"):
            if ui.run_action(lambda: session.remove_constraint(index), f"Removed constraint {index + 1}."):
                st.rerun()
    if not session.constraints:
        st.caption("No constraints: every combination within the variables' ranges is allowed.")
    _flagged(session)
    with st.expander("➕ Add a constraint", expanded=not session.constraints):
        kind = st.selectbox("Kind of constraint", list(KIND_LABELS), format_func=KIND_LABELS.get, key="constraint_kind")
        constraint = {"linear": _linear, "mixture": _mixture, "forbidden": _forbidden, "conditional": _conditional}[kind](session)
        if st.button("Add constraint", type="primary", key="add_constraint", disabled=constraint is None):
            if ui.run_action(lambda: session.add_constraint(constraint), f"Added constraint: {constraint_text(constraint)}."):
                st.rerun()


def _names(session: Session, kinds: tuple[str, ...]) -> list[str]:
    return [v.name for v in session.variables if v.kind in kinds]


def _build(make):
    """The constraint the fields describe, or None with the reason shown."""
    try:
        return make()
    except AlchemistError as error:
        st.caption(words.plain(error.message))
        return None


def _linear(session: Session):
    names = _names(session, NUMERIC)
    chosen = st.multiselect("Variables", names, key="linear_variables", placeholder="Choose continuous or integer variables")
    coefficients = {}
    columns = st.columns(max(len(chosen), 1))
    for column, name in zip(columns, chosen):
        coefficients[name] = column.number_input(f"Coefficient of {name}", value=1.0, format="%g", key=f"linear_coef_{name}")
    relation_col, rhs_col = st.columns(2)
    relation = relation_col.selectbox("Relation", RELATIONS, format_func=RELATION_LABELS.get, key="linear_relation")
    rhs = rhs_col.number_input("Right-hand side", value=0.0, format="%g", key="linear_rhs")
    if not chosen:
        return None
    return _build(lambda: LinearConstraint(coefficients, relation, rhs))


def _mixture(session: Session):
    names = _names(session, ("continuous",))
    components = st.multiselect("Components", names, key="mixture_components", placeholder="Choose at least 2 continuous variables")
    total_col, active_col = st.columns(2)
    total = total_col.number_input("Total", value=1.0, min_value=0.0, format="%g", key="mixture_total")
    limit = active_col.number_input("At most this many non-zero (0: no limit)", value=0, min_value=0,
                                    max_value=max(len(components), 1), step=1, key="mixture_max_active")
    if len(components) < 2:
        return None
    return _build(lambda: MixtureConstraint(components, total=total, max_active=int(limit) or None))


def _levels(session: Session, name: str) -> list:
    variable = session.variable(name)
    return list(variable.levels) if variable.kind == "categorical" else list(variable.values)


def _forbidden(session: Session):
    names = _names(session, LEVELLED)
    if len(names) < 1:
        st.caption("Needs categorical or discrete variables.")
        return None
    chosen = st.multiselect("Variables", names, key="forbidden_variables", placeholder="Choose categorical or discrete variables")
    levels = {}
    for column, name in zip(st.columns(max(len(chosen), 1)), chosen):
        levels[name] = column.selectbox(f"Level of {name}", _levels(session, name), key=f"forbidden_level_{name}")
    if not chosen:
        return None
    return _build(lambda: ForbiddenCombination(levels))


def _conditional(session: Session):
    conditions = _names(session, LEVELLED)
    targets = _names(session, ("continuous", "integer", "discrete"))
    if not conditions or not targets:
        st.caption("Needs a categorical or discrete variable and a numeric one.")
        return None
    if_col, level_col = st.columns(2)
    if_variable = if_col.selectbox("If", conditions, key="rule_if")
    level = level_col.selectbox("equals", _levels(session, if_variable), key=f"rule_level_{if_variable}")
    then_col, low_col, high_col = st.columns(3)
    then_variable = then_col.selectbox("then", [t for t in targets if t != if_variable], key="rule_then")
    if then_variable is None:
        return None
    target = session.variable(then_variable)
    low = low_col.number_input("from", value=float(target.low), format="%g", key=f"rule_low_{then_variable}")
    high = high_col.number_input("to", value=float(target.low), format="%g", key=f"rule_high_{then_variable}")
    return _build(lambda: ConditionalRule(if_variable, level, then_variable, low, high))


def _flagged(session: Session) -> None:
    if not session.constraints or not len(session.experiments):
        return
    try:
        flags = session.constraint_violations()
    except AlchemistError as error:
        st.warning(words.plain(error.message))
        return
    lines = flagged_rows_text(flags, session.constraints)
    if lines:
        count = sum(1 for f in flags if f)
        with st.expander(f"⚠️ {counted(count, 'experiment')} {'breaks' if count == 1 else 'break'} a constraint "
                         f"({'it still trains' if count == 1 else 'they still train'} the model)"):
            st.markdown("\n".join(f"- {words.plain(line)}" for line in lines))


def status_with_flags(session: Session, statuses: list[str]) -> list[str]:
    """The experiment table's Status cells, with what each row breaks appended (it still trains
    the model: a flag, never a drop)."""
    if not session.constraints:
        return statuses
    try:
        flags = session.constraint_violations()
    except AlchemistError:
        return statuses
    return [
        status + ("" if not found else " · 📐 " + "; ".join(violation_text(v, session.constraints) for v in found))
        for status, found in zip(statuses, flags)
    ]
