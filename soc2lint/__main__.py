from soc2lint.cli import main

# `python -m soc2lint` is the same program as `soc2lint`: same name in messages and the same
# completion variable (_SOC2LINT_COMPLETE)
main(prog_name="soc2lint")
