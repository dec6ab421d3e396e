"""Workflows as configuration, with recorded executions.

- ``definition``/``check``/``library``: the TOML definition model (ASL-like), its
  checks, and where definitions come from (packaged ``*.toml`` and settings).
- ``engine``: the interpreter (retry, catch, choice, parallel, wait) over an action
  registry; ``actions``: the pipeline's actions on an item (metadata, analyses,
  storing results) and the per-execution context they share.
- ``records``: executions and steps written as they change; ``executions``: reading
  them back (describe, list, history); ``stage``: the queue's ``workflow`` kind.
- ``graph``/``diagram``: a definition as nodes and edges, and an execution drawn as SVG.

Nothing is imported here, so that the router can ask ``library`` for workflow names
without importing the stage (which imports the runtime, which imports the router).
"""
