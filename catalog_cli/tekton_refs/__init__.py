"""A service's ``.tekton/``: every task, pipeline and StepAction reference it makes, kept
pinned and current (``catalog refs``, ``outdated``, ``update``, ``lock .tekton/``,
``trust export``).

- :mod:`.scan` finds the references (``refs.find_refs`` over each document, and
  Pipelines-as-Code's annotations, :mod:`.pac`) with the file, document and line of each;
- :mod:`.lookup` says where each points, what it pins, and the newest version allowed
  (ranges from an optional ``catalog.yaml``, :mod:`.config`);
- :mod:`.interface` compares two versions' interfaces and finds their changelog;
- :mod:`.rewrite` turns a reference into the one for another version, pinned;
  :mod:`.migrations` (a catalog's ``migrations.yaml``) and :mod:`.legacy` (built in)
  change the pipelines that use it; :mod:`.edit` writes all of it back with a
  round-trip YAML library, so the user's comments and formatting stay;
- :mod:`.reflock` is the lock of the references, :mod:`.trust` the trusted-task data
  Conforma reads; :mod:`.verbs` holds the commands' library calls.

Reading goes through ``yamlio`` first (size, depth and alias limits), so hostile input
never reaches the round-trip parser.
"""
