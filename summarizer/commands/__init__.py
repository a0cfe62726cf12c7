"""Subcommands of the ``storybrief`` command line."""
