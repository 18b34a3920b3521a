"""`python -m hubnet` is the `hubnet` command."""

from hubnet.cli import main

main()
