"""The rule engine: rules as data, the three-valued evaluator and its operators."""
