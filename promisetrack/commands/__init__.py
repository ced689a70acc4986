"""The CLI's commands, one module a family. ``promisetrack.cli`` parses the arguments and imports only the module
of the command asked for (its ``COMMANDS`` table): each module here imports at its top what its commands need."""

from __future__ import annotations

EXIT_INPUT, EXIT_DATA = 2, 1  # exit status: bad input (nothing written); a problem with the data dir or its files
