"""Errors raised by the planner on bad input."""


class PlannerInputError(ValueError):
    """Invalid or infeasible planner input; the message names the argument, value and problem."""
