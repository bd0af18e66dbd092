"""`python -m bot` is `docdebate`."""

from bot.cli import main

main()
