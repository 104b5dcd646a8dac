from soc2lint.cli import main

main()
