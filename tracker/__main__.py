"""`python -m tracker`: the same command as `tracker`."""

from tracker.cli import main

main()
