"""Sub-commands of ``vfa``: one module per command, discovered by :mod:`vfa.cli`.

A command module defines ``NAME`` (the sub-command), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Raise :class:`vfa.errors.VfaError`
for bad input; print JSON with :func:`vfa.commands._common.print_json`.
"""
