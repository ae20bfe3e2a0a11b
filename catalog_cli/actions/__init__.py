"""The verbs: install, upgrade, rollback, uninstall, status, diff, render.

One module per verb over shared machinery (``packages``: what to install,
``plan``: what to change in each namespace, ``preflight``: may we, ``execute``:
do it atomically). Actions return data; the CLI renders it.
"""
