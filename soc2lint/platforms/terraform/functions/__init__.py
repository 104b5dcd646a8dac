"""Terraform's built-in functions that soc2lint evaluates: pure, over known values only.

`core` holds the registry and the value conversions every function shares; `strings`,
`formatting`, `containers` and `numeric` register their functions when imported here.
"""

from soc2lint.platforms.terraform.functions import containers, formatting, numeric, strings
from soc2lint.platforms.terraform.functions.core import FUNCTIONS, function, number, to_string

__all__ = ["FUNCTIONS", "function", "number", "to_string"]
del containers, formatting, numeric, strings  # imported for their registrations
